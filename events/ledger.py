"""Facts the system records about itself: accepted submissions and hash-chain anchors."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from events.base import Event


class SubmissionAccepted(Event, frozen=True, kw_only=True):
    """A device's submission was accepted: its fingerprint and its result, stored with the events it made (in the
    same transaction; they carry its `submission_id` in their meta)."""

    fingerprint: str
    command: str
    result: dict[str, Any]
    event_ids: list[UUID] = []
    """The events it made, in receipts stored before the compact form (their meta names the submission too)."""


class StreamHead(msgspec.Struct, frozen=True, kw_only=True, array_like=True):
    stream_id: UUID
    version: int
    hash: str


class AnchorRecorded(Event, frozen=True, kw_only=True):
    """The head of every stream at one moment, and the Merkle root over them."""

    root: str
    heads: list[StreamHead]
    up_to_notification_id: int


class SensitiveDataViewed(Event, frozen=True, kw_only=True):
    """Someone was shown sensitive or sealed data about a child: who, when (meta), what, where.

    Written before one request could name several children; kept for the events that carry it.
    """

    child_id: UUID
    kinds: list[str]
    endpoint: str


class ChildShown(msgspec.Struct, frozen=True, kw_only=True):
    """One child and the kinds of protected fact shown about it."""

    child_id: UUID
    kinds: list[str]


class ProtectedDataShown(Event, frozen=True, kw_only=True):
    """One request showed sensitive or sealed data: who, when (meta), about which children, what, where."""

    children: list[ChildShown]
    endpoint: str


class NotificationRead(Event, frozen=True, kw_only=True):
    """The recipient marked a notification read (its own stream per recipient and notification: once only)."""

    user_id: UUID
    notification_id: UUID


class ReminderFired(Event, frozen=True, kw_only=True):
    """The scheduler found a deadline crossed: a due moment came within the lead time (`due_soon`) or passed
    (`overdue`, and for a referral not accepted in time `referral_overdue`, escalated to the supervisors).

    Its stream id is derived from (kind, subject, subject id, due moment), so the same reminder fired twice —
    by two processes, or again after a restart — meets one stream version and is stored once. `lead_hours` is
    the due-soon lead time of the policy of its day."""

    kind: str
    subject: str
    subject_id: UUID
    child_id: UUID | None = None
    due_at: datetime
    lead_hours: float | None = None
