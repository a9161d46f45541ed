"""The Involvement aggregate: which matters a department has open for one child (the handler rule's facts)."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar, Final
from uuid import UUID, uuid5

from backend.aggregate import Aggregate
from events.base import Event, Meta
from events.cases import DepartmentMatterClosed, DepartmentMatterOpened

INVOLVEMENT_NAMESPACE: Final = UUID("0b7f4f5e-8a55-4c7e-9d1a-3c1f6f2b9e21")


def involvement_id(child_id: UUID, department: str) -> UUID:
    """One stream per child and department, found without an index."""
    return uuid5(INVOLVEMENT_NAMESPACE, f"{child_id}|{department}")


class Involvement(Aggregate):
    """A department's open referrals and interventions for one child."""

    CREATED: ClassVar = DepartmentMatterOpened

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.child_id: UUID | None = None
        self.department = ""
        self.open_matters: set[UUID] = set()

    @classmethod
    def opening(cls, existing: Involvement | None, meta: Meta, child_id: UUID, department: str, matter_id: UUID) -> Involvement:
        """Open `matter_id` on the existing stream, or start the stream with it."""
        payload = {"child_id": child_id, "department": department, "matter_id": matter_id}
        if existing is None:
            return cls.create(involvement_id(child_id, department), meta, **payload)
        existing.trigger(DepartmentMatterOpened, meta, **payload)
        return existing

    def close(self, meta: Meta, matter_id: UUID) -> bool:
        """Close an open matter; False (nothing recorded) when it was not open here."""
        if matter_id not in self.open_matters or self.child_id is None:
            return False
        self.trigger(DepartmentMatterClosed, meta, child_id=self.child_id, department=self.department, matter_id=matter_id)
        return True

    @property
    def is_open(self) -> bool:
        return bool(self.open_matters)

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: DepartmentMatterOpened) -> None:
        self.child_id, self.department = event.child_id, event.department
        self.open_matters.add(event.matter_id)

    @when.register
    def _(self, event: DepartmentMatterClosed) -> None:
        self.open_matters.discard(event.matter_id)
