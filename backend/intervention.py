"""The Intervention aggregate (干预/救助): planned, started, reviewed, ended."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import singledispatchmethod
from typing import ClassVar, Final
from uuid import UUID

from backend.aggregate import Workflow
from events.base import Event, Meta
from events.cases import InterventionEnded, InterventionPlanned, InterventionReviewed, InterventionStarted
from events.vocabulary import InterventionStatus

S = InterventionStatus

TRANSITIONS: Final[Mapping[type[Event], frozenset[InterventionStatus]]] = {
    InterventionStarted: frozenset({S.PLANNED}),
    InterventionReviewed: frozenset({S.STARTED}),
    InterventionEnded: frozenset({S.PLANNED, S.STARTED}),
}
"""Which states each event may follow. A plan may be ended before it starts (with an outcome)."""


class Intervention(Workflow):
    """Help given to a child by a responsible department."""

    CREATED: ClassVar = InterventionPlanned
    TRANSITIONS: ClassVar = TRANSITIONS

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.status = S.PLANNED
        self.child_id: UUID | None = None
        self.type = ""
        self.department = ""
        self.reviews = 0

    def start(self, meta: Meta, note: str) -> None:
        self.step(InterventionStarted, meta, note=note)

    def review(self, meta: Meta, note: str, next_review_by: datetime | None = None) -> None:
        self.step(InterventionReviewed, meta, note=note, next_review_by=next_review_by)

    def end(self, meta: Meta, note: str, outcome: str) -> None:
        self.step(InterventionEnded, meta, note=note, outcome=outcome)

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: InterventionPlanned) -> None:
        self.child_id = event.child_id
        self.type = event.intervention_type
        self.department = event.responsible_department

    @when.register
    def _(self, event: InterventionStarted) -> None:
        self.status = S.STARTED

    @when.register
    def _(self, event: InterventionReviewed) -> None:
        self.reviews += 1

    @when.register
    def _(self, event: InterventionEnded) -> None:
        self.status = S.ENDED
