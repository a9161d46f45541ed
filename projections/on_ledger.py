"""Projectors of the ledger around a child: who was shown what, and which departments have matters open."""

from __future__ import annotations

from typing import Any

from events.base import Event
from events.cases import (
    DepartmentMatterClosed,
    DepartmentMatterOpened,
)
from events.ledger import ProtectedDataShown, SensitiveDataViewed
from projections.batch import Batch
from projections.rows import child_of, link, touch
from projections.tables import (
    ACCESS,
    AccessRow,
    uuid_text,
)


def _access(b: Batch, e: Event, child_id: Any, kinds: list[str], endpoint: str) -> None:
    access, child = uuid_text(e.originator_id), uuid_text(child_id)
    b.put(ACCESS, AccessRow(
        key=f"{access}|{child}", access_id=access, child_id=child,
        at=e.meta.recorded_at, actor_id=uuid_text(e.meta.actor_id) if e.meta.actor_id else None,
        actor_role=e.meta.actor_role, device_id=e.meta.device_id, kinds=list(kinds), endpoint=endpoint,
    ))


def data_viewed(b: Batch, e: SensitiveDataViewed, position: int) -> None:
    _access(b, e, e.child_id, e.kinds, e.endpoint)


def data_shown(b: Batch, e: ProtectedDataShown, position: int) -> None:
    for shown in e.children:
        _access(b, e, shown.child_id, shown.kinds, e.endpoint)


def matter_opened(b: Batch, e: DepartmentMatterOpened, position: int) -> None:
    link(b, e.originator_id, e.child_id, "involvement")
    if row := child_of(b, e.child_id):
        row.open_matters = {**row.open_matters, uuid_text(e.matter_id): e.department}
        touch(b, row, position)


def matter_closed(b: Batch, e: DepartmentMatterClosed, position: int) -> None:
    if row := child_of(b, e.child_id):
        row.open_matters = {k: v for k, v in row.open_matters.items() if k != uuid_text(e.matter_id)}
        touch(b, row, position)
