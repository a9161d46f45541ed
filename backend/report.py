"""The Report aggregate: a discovery report (发现报告) and its triage."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from backend.aggregate import Aggregate
from backend.errors import IllegalTransition, InvalidInput
from backend.rules.order import check_follows
from events.base import Event, Meta
from events.cases import ReportReceived, ReportTriaged
from events.vocabulary import TriageDecision


class Report(Aggregate):
    """A report received by hotline, mandatory reporter, sentinel or walk-in."""

    CREATED: ClassVar = ReportReceived

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.jurisdiction = ""
        self.child_id: UUID | None = None
        self.urgency = "normal"
        self.decision: str | None = None

    def triage(
        self, meta: Meta, child_id: UUID, decision: str, refer_to: str | None, referral_id: UUID | None
    ) -> None:
        """Link the report to a child and decide: refer (to a department), monitor or no action."""
        self.check_not_triaged()
        self.check_after_receipt(meta)
        if decision == TriageDecision.REFER and not refer_to:
            raise InvalidInput("a referral decision names the department", field="refer_to")
        if decision != TriageDecision.REFER and refer_to:
            raise InvalidInput("refer_to goes with decision 'refer'", field="refer_to")
        self.trigger(
            ReportTriaged, meta, child_id=child_id, decision=decision, refer_to=refer_to, referral_id=referral_id
        )

    def check_not_triaged(self) -> None:
        if self.decision is not None:
            raise IllegalTransition(f"the report was already triaged ({self.decision})")

    def check_after_receipt(self, meta: Meta) -> None:
        """A report is triaged no earlier than it was received."""
        received = self.created_meta.occurred_at if self.created_meta else None
        check_follows(meta.occurred_at, received, "the report was received")

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: ReportReceived) -> None:
        self.jurisdiction = event.jurisdiction
        self.child_id = event.child_id
        self.urgency = event.urgency

    @when.register
    def _(self, event: ReportTriaged) -> None:
        self.child_id = event.child_id
        self.decision = event.decision
