"""The Visit aggregate: one home visit (入户走访) with its "三看一查" observations."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from backend.aggregate import Aggregate
from events.base import Event, Geo
from events.cases import VisitRecorded


def visit_flags(child_seen: bool, geo: Geo | None, low_accuracy_m: float = 200.0) -> list[str]:
    """What a reviewer should look at: the child not seen, a position missing or too vague to trust."""
    flags = []
    if not child_seen:
        flags.append("child_not_seen")
    if geo is None:
        flags.append("no_position")
    elif geo.accuracy_m is not None and geo.accuracy_m > low_accuracy_m:
        flags.append("low_accuracy")
    return flags


class Visit(Aggregate):
    """A visit made to a child, as the worker recorded it."""

    CREATED: ClassVar = VisitRecorded

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.child_id: UUID | None = None
        self.photos: list[str] = []
        self.flags: list[str] = []

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: VisitRecorded) -> None:
        self.child_id = event.child_id
        self.photos = list(event.photos)
        self.flags = list(event.flags)
