"""The Conference aggregate: a case conference (个案会商) about one child."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from backend.aggregate import Aggregate
from events.base import Event
from events.cases import CaseConferenceHeld


class Conference(Aggregate):
    """Who met about a child, what they decided, what follows."""

    CREATED: ClassVar = CaseConferenceHeld

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.child_id: UUID | None = None

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: CaseConferenceHeld) -> None:
        self.child_id = event.child_id
