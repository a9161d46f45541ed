"""The reminder scheduler: each pass finds the due moments crossed since the last pass and records each firing
as a `ReminderFired` event, in a stream whose id is derived from what fired, about what, for which due moment.

Two processes firing the same reminder, or one firing it again after a restart mid-pass, meet on version 1 of
that stream: the store keeps exactly one. The notifications projection turns the events into inbox rows.
What is due comes from the read side through `DueSource` (the write side never imports it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import singledispatchmethod
from typing import ClassVar, Final, Protocol
from uuid import UUID, uuid5

import msgspec
from eventsourcing.persistence import IntegrityError

from backend.aggregate import Aggregate
from backend.usecases.core import Core
from events.base import Event, Meta
from events.ledger import ReminderFired

REMINDER_NAMESPACE: Final = UUID("3f6c1d2e-7a4b-4c8d-9e0f-a1b2c3d4e5f6")
DUE_SOON, OVERDUE, REFERRAL_OVERDUE = "due_soon", "overdue", "referral_overdue"
BATCH: Final = 500
"""Reminders saved in one transaction; a batch that meets one already stored is saved one by one."""


class Due(msgspec.Struct, frozen=True, kw_only=True):
    """A due moment that crossed a threshold: what to fire (`kind`) about which subject."""

    kind: str
    subject: str
    """visit_due, referral_accept, referral_complete, report_triage or intervention_review (the task it is about)."""
    subject_id: UUID
    due_at: datetime
    child_id: UUID | None = None


class DueSource(Protocol):
    """The read side's answer to "what crossed a threshold between two moments", and the last pass's moment."""

    def due(self, since: datetime | None, until: datetime) -> list[Due]: ...

    def last_pass(self) -> datetime | None: ...

    def passed(self, at: datetime) -> None: ...


def reminder_id(kind: str, subject: str, subject_id: UUID, due_at: datetime) -> UUID:
    """The reminder's stream id: the same reminder, fired by anyone at any time, is the same stream."""
    return uuid5(REMINDER_NAMESPACE, f"{kind}|{subject}|{subject_id}|{due_at.astimezone(UTC).isoformat()}")


class Reminder(Aggregate):
    """One reminder fired (a stream of one event)."""

    CREATED: ClassVar = ReminderFired

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: ReminderFired) -> None:
        pass


class PassResult(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    since: datetime | None
    due: int
    fired: int


class Scheduler:
    """Fires what crossed a threshold since the last pass; a pass is cheap because the source selects only that."""

    def __init__(self, core: Core, source: DueSource) -> None:
        self.core = core
        self.source = source

    def run_pass(self, at: datetime | None = None, *, from_start: bool = False) -> PassResult:
        """One pass up to `at` (now by the core's clock). `from_start`: everything crossed by `at`, not only since
        the last pass (an operator's catch-up; what was fired before is not fired again)."""
        at = at or self.core.clock()
        last = None if from_start else self.source.last_pass()
        if last is not None and last >= at:  # another pass (or process) has covered this moment already
            return PassResult(at=at, since=last, due=0, fired=0)
        due = self.source.due(last, at)
        fired = self.fire(due, at)
        self.source.passed(at)
        return PassResult(at=at, since=last, due=len(due), fired=fired)

    def fire(self, due: Sequence[Due], at: datetime) -> int:
        """Record each reminder once; returns how many were new."""
        fired = 0
        for start in range(0, len(due), BATCH):
            chunk = self._not_fired(due[start:start + BATCH])
            reminders = [self._reminder(d, at) for d in chunk]
            if not reminders:
                continue
            try:
                self.core.guarded(lambda: self.core.store.save(*reminders))  # noqa: B023 (called at once)
                fired += len(reminders)
            except IntegrityError:  # some were fired already (another process, an earlier pass): one by one
                fired += sum(self._save_one(self._reminder(d, at)) for d in chunk)
        return fired

    def _not_fired(self, due: Sequence[Due]) -> list[Due]:
        """Those whose stream does not exist yet (read in one query; a race is still settled by the version)."""
        ids = {reminder_id(d.kind, d.subject, d.subject_id, d.due_at): d for d in due}
        streams = self.core.guarded(lambda: self.core.store.streams(list(ids)))
        fired = {events[0].originator_id for events in streams if events}
        return [d for stream, d in ids.items() if stream not in fired]

    def _save_one(self, reminder: Reminder) -> bool:
        try:
            self.core.guarded(lambda: self.core.store.save(reminder))
        except IntegrityError:
            return False
        return True

    def _reminder(self, due: Due, at: datetime) -> Reminder:
        stream = reminder_id(due.kind, due.subject, due.subject_id, due.due_at)
        meta = Meta(actor_id=None, actor_role="system", device_id="scheduler", submission_id=stream,
                    occurred_at=at, recorded_at=self.core.clock())
        lead = self.core.policy.due_soon_within.total_seconds() / 3600 if due.kind == DUE_SOON else None
        return Reminder.create(stream, meta, kind=due.kind, subject=due.subject, subject_id=due.subject_id,
                               child_id=due.child_id, due_at=due.due_at, lead_hours=lead)
