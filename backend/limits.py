"""How much one write may carry: every text field and list a command takes, and one event's size.

The numbers are chosen so that the largest command any client may send makes events well under
`MAX_EVENT_BYTES` even in 4-byte characters (tests/integration/test_event_size.py builds them), and so that a
field worker's honest record always fits: a name is a name, a note is a page or two.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from backend.errors import EventTooLarge
from events import codec
from events.base import Event
from events.vocabulary import Category

NAME_MAX: Final = 64
"""A person's name: the child, a guardian, a reporter, a conference participant."""
LABEL_MAX: Final = 32
"""A short label: a guardian's relation, a reporter's role, a phone number."""
CODE_MAX: Final = 64
"""A code or reference: jurisdiction path, ID number, household position, sealing order reference."""
ADDRESS_MAX: Final = 256
TEXT_MAX: Final = 4000
"""Free text: notes, descriptions, reasons, plans, outcomes."""
OBSERVATION_MAX: Final = 2000
"""Each of the four observations of a visit ("三看一查"), and a visit's follow-up."""
ITEM_MAX: Final = 200
"""One item of a list: a risk reason, a conference decision or follow-up."""

GUARDIANS_MAX: Final = 10
REASONS_MAX: Final = 20
PHOTOS_MAX: Final = 30
PARTICIPANTS_MAX: Final = 50
DECISIONS_MAX: Final = 30
GOALS_MAX: Final = 10
"""Decisions, and follow-ups, of one case conference."""
CATEGORIES_MAX: Final = len(Category)
PROFILE_FIELDS_MAX: Final = 8
"""Fields one profile change or correction may name (every profile field once)."""

MAX_EVENT_BYTES: Final = 64 * 1024
"""One event as stored and published; far below what the bus accepts (NATS max_payload, 1 MB by default)."""

LINE: Final = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
"""One line of text: no control characters (C0, DEL, C1), no line or paragraph separators, no bidi overrides."""
PARAGRAPHS: Final = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
"""Text that may have line breaks and tabs, and no other control characters or bidi overrides."""
PHONE: Final = r"^\+?[0-9][0-9 -]{1,22}[0-9]$"
"""Digits, with an optional leading + and spaces or hyphens between: 13800000000, 0851-2822 1234, +86 138 …"""

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX, pattern=LINE)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=LABEL_MAX, pattern=LINE)]
Code = Annotated[str, msgspec.Meta(max_length=CODE_MAX, pattern=LINE)]
Checked = Annotated[str, msgspec.Meta(max_length=CODE_MAX)]
"""A code whose shape a domain rule checks, with its own error code (jurisdiction, ID number): only its size here."""
Phone = Annotated[str, msgspec.Meta(max_length=LABEL_MAX, pattern=PHONE)]
Address = Annotated[str, msgspec.Meta(max_length=ADDRESS_MAX, pattern=LINE)]
Text = Annotated[str, msgspec.Meta(max_length=TEXT_MAX, pattern=PARAGRAPHS)]
Observation = Annotated[str, msgspec.Meta(max_length=OBSERVATION_MAX, pattern=PARAGRAPHS)]
Item = Annotated[str, msgspec.Meta(max_length=ITEM_MAX, pattern=PARAGRAPHS)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]


def at_most(max_items: int, items: str) -> msgspec.Meta:
    """A list of at most `max_items`; `items` states each item's bound, which the OpenAPI document does not show."""
    return msgspec.Meta(max_length=max_items, description=f"at most {max_items}; {items}")


def encoded_size(event: Event) -> int:
    """The bytes of the event's full JSON (the stored form is smaller; this bound does not move with it)."""
    return len(codec.encode(event))


def check_event_size(event: Event, limit: int = MAX_EVENT_BYTES) -> None:
    """Refuse an event larger than the limit, naming its type and size."""
    size = encoded_size(event)
    if size > limit:
        raise EventTooLarge(
            f"this write would make a {event.type_name} event of {size} bytes, over the limit of {limit} bytes",
            size=size, limit=limit,
        )
