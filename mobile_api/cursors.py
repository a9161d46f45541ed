"""Paging cursors: the one place they are written and read. Typed, signed, and bound to their list."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Annotated, Any, Final, TypeVar

import msgspec

from backend.errors import BadCursor

T = TypeVar("T")

MAX_TOKEN: Final = 512
MAC_BYTES: Final = 16
KEY_PURPOSE: Final = b"huhang paging cursor v1"

Key = Annotated[str, msgspec.Meta(max_length=64, pattern=r"^[0-9A-Za-z_:.+\-]*$")]
"""A text sort key from our own rows: a UTC time text or an id (no control characters)."""
Position = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
"""A place in the event log or in a list (a PostgreSQL BIGINT holds it)."""

CHILDREN: Final = ("children", tuple[Key, Key])
"""The caseload: (next visit due, child id)."""
REFERRALS: Final = ("referrals", tuple[Key])
"""Referrals: (referral id,)."""
SYNC: Final = ("sync", tuple[Position, Key])
"""Sync: (log position, child id)."""
TASKS: Final = ("tasks", tuple[Key, Key])
"""The worklist: (due time, task id)."""
NOTIFICATIONS: Final = ("notifications", tuple[Key, Key])
"""The inbox, newest first: (created time, notification id)."""
REPORTS: Final = ("reports", tuple[Key, Key])
"""The report register, newest first: (received time, report id)."""


def child_list(name: str, child_id: object) -> tuple[str, Any]:
    """One child's visits or conferences: (time, id)."""
    return f"{name}:{child_id}", tuple[Key, Key]


def timeline(child_id: object) -> tuple[str, Any]:
    """One child's timeline: (index of the next fact,)."""
    return f"timeline:{child_id}", tuple[Position]


def access_log(child_id: object) -> tuple[str, Any]:
    """One child's access log: (time, access id)."""
    return f"access-log:{child_id}", tuple[Key, Key]


def history(child_id: object) -> tuple[str, Any]:
    """One child's history: (index of the next event,)."""
    return f"history:{child_id}", tuple[Position]


def cursor_key(secret: str) -> bytes:
    """The signing key, derived from the server secret for this purpose only."""
    return hmac.new(secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    """Cursors as `payload.mac`: the payload is the typed position, the MAC covers the list's name too."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._encoder = msgspec.json.Encoder()

    def _mac(self, list_name: str, payload: bytes) -> bytes:
        return hmac.new(self._key, list_name.encode() + b"\x00" + payload, hashlib.sha256).digest()[:MAC_BYTES]

    def write(self, kind: tuple[str, Any], position: tuple[Any, ...] | None) -> str | None:
        """The cursor for `position` in the list `kind`; None at the end of the list."""
        if position is None:
            return None
        name, shape = kind
        payload = self._encoder.encode(msgspec.convert(position, shape))
        return f"{_b64(payload)}.{_b64(self._mac(name, payload))}"

    def read(self, kind: tuple[str, type[T]] | tuple[str, Any], cursor: str | None) -> T | None:
        """The position a cursor of this list names, or BadCursor; None when there is no cursor."""
        if not cursor:
            return None
        name, shape = kind
        try:
            if len(cursor) > MAX_TOKEN:
                raise ValueError("too long")
            encoded, _, mac = cursor.partition(".")
            payload = _unb64(encoded)
            if not hmac.compare_digest(_unb64(mac), self._mac(name, payload)):
                raise ValueError("not signed by this server for this list")
            position: T = msgspec.json.decode(payload, type=shape)
            return position
        except (ValueError, binascii.Error, msgspec.DecodeError):
            raise BadCursor("the cursor is not one this list gave", field="cursor") from None
