"""Streams the system keeps about itself: submission receipts and hash-chain anchors."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any, ClassVar, Final
from uuid import UUID, uuid5

import msgspec

from backend.aggregate import Aggregate
from events.base import Event, Meta
from events.ledger import AnchorRecorded, NotificationRead, ProtectedDataShown, StreamHead, SubmissionAccepted

SUBMISSION_NAMESPACE: Final = UUID("0b9f4e0e-8d1c-4b8e-9a55-5b8f1f7f2c01")
ANCHOR_STREAM_ID: Final = UUID("9d1c2f7a-3b4e-4f6a-8c2d-1e0f9a8b7c6d")


def receipt_id_for(submission_id: UUID) -> UUID:
    """The receipt's stream id: derived, so two arrivals of one submission meet on one stream."""
    return uuid5(SUBMISSION_NAMESPACE, str(submission_id))


class Receipt(Aggregate):
    """One accepted submission: what it was (fingerprint) and what it answered."""

    CREATED: ClassVar = SubmissionAccepted

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.fingerprint = ""
        self.command = ""
        self.result: dict[str, Any] = {}

    @classmethod
    def accepted(cls, receipt_id: UUID, meta: Meta, fingerprint: str, command: str, result: dict[str, Any]) -> Receipt:
        """The receipt of a submission, to be saved with its events. Its meta says who sent it, from which device and
        when; where (`geo`) the events it answers for say."""
        return cls.create(receipt_id, msgspec.structs.replace(meta, geo=None), fingerprint=fingerprint, command=command,
                          result=result)

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: SubmissionAccepted) -> None:
        self.fingerprint = event.fingerprint
        self.command = event.command
        self.result = event.result


class Anchors(Aggregate):
    """The chain of anchors: each records every stream's head and a Merkle root over them."""

    CREATED: ClassVar = AnchorRecorded
    MAX_EVENT_BYTES: ClassVar = None  # an anchor names every stream: it grows with the store, not with any input

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.last: list[StreamHead] = []

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: AnchorRecorded) -> None:
        self.last = list(event.heads)


class AccessRecord(Aggregate):
    """One request's showing of sensitive or sealed data (its own stream: reads never contend)."""

    CREATED: ClassVar = ProtectedDataShown

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: ProtectedDataShown) -> None:
        pass


READ_NAMESPACE: Final = UUID("5d2a7c1e-9b3f-4e6a-8c0d-1f2e3a4b5c6d")


def read_mark_id(user_id: UUID, notification_id: UUID) -> UUID:
    """One stream per recipient and notification: marking it read twice meets the same stream."""
    return uuid5(READ_NAMESPACE, f"{user_id}|{notification_id}")


class ReadMark(Aggregate):
    """A notification marked read by its recipient."""

    CREATED: ClassVar = NotificationRead

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: NotificationRead) -> None:
        pass
