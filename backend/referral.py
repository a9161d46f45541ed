"""The Referral aggregate (转介) and its legal transitions."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import singledispatchmethod
from typing import ClassVar, Final
from uuid import UUID

from backend.aggregate import Workflow
from backend.errors import IllegalTransition
from events.base import Event, Meta
from events.cases import (
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralEscalated,
    ReferralProgressNoted,
    ReferralSent,
)
from events.vocabulary import ReferralStatus

S = ReferralStatus

TRANSITIONS: Final[Mapping[type[Event], frozenset[ReferralStatus]]] = {
    ReferralAccepted: frozenset({S.SENT}),
    ReferralDeclined: frozenset({S.SENT}),
    ReferralProgressNoted: frozenset({S.ACCEPTED}),
    ReferralCompleted: frozenset({S.ACCEPTED}),
    ReferralEscalated: frozenset({S.SENT, S.ACCEPTED}),
}
"""Which states each event may follow; everything else is an illegal transition."""


class Referral(Workflow):
    """A child referred to one department, with its deadlines."""

    CREATED: ClassVar = ReferralSent
    TRANSITIONS: ClassVar = TRANSITIONS

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.status = S.SENT
        self.child_id: UUID | None = None
        self.department = ""
        self.accept_by: datetime | None = None
        self.complete_by: datetime | None = None
        self.escalated_deadlines: set[datetime] = set()

    def accept(self, meta: Meta, note: str) -> None:
        self.step(ReferralAccepted, meta, note=note)

    def decline(self, meta: Meta, reason: str) -> None:
        self.step(ReferralDeclined, meta, reason=reason)

    def note_progress(self, meta: Meta, note: str) -> None:
        self.step(ReferralProgressNoted, meta, note=note)

    def complete(self, meta: Meta, note: str, outcome: str) -> None:
        self.step(ReferralCompleted, meta, note=note, outcome=outcome)

    def escalate(self, meta: Meta, reason: str) -> None:
        """Escalate once per missed deadline (accept, then complete)."""
        deadline = self.current_deadline
        if deadline is None or meta.occurred_at <= deadline:
            raise IllegalTransition("the referral is not overdue")
        if deadline in self.escalated_deadlines:  # one escalation per missed deadline
            raise IllegalTransition("this deadline was already escalated")
        self.step(ReferralEscalated, meta, reason=reason, deadline=deadline)

    @property
    def current_deadline(self) -> datetime | None:
        if self.status == S.SENT:
            return self.accept_by
        if self.status == S.ACCEPTED:
            return self.complete_by
        return None

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: ReferralSent) -> None:
        self.child_id = event.child_id
        self.department = event.to_department
        self.accept_by = event.accept_by
        self.complete_by = event.complete_by

    @when.register
    def _(self, event: ReferralAccepted) -> None:
        self.status = S.ACCEPTED

    @when.register
    def _(self, event: ReferralDeclined) -> None:
        self.status = S.DECLINED

    @when.register
    def _(self, event: ReferralProgressNoted) -> None:
        pass

    @when.register
    def _(self, event: ReferralCompleted) -> None:
        self.status = S.COMPLETED

    @when.register
    def _(self, event: ReferralEscalated) -> None:
        self.escalated_deadlines.add(event.deadline)
