"""What every concept's projectors share: the child's row, recomputing what follows from it, links."""

from __future__ import annotations

from typing import Any

from backend.disclosure import has_sensitive
from backend.rules.case_status import CaseStatus
from backend.rules.policy import effective_level, next_visit_due
from events.base import Event
from projections.batch import Batch
from projections.tables import (
    CHILDREN,
    LINKS,
    ChildRow,
    LinkRow,
    uuid_text,
)


def child_of(b: Batch, child_id: Any) -> ChildRow | None:
    return b.get(CHILDREN, uuid_text(child_id), ChildRow)


def touch(b: Batch, row: ChildRow, position: int) -> None:
    """Recompute what follows from the row, mark it changed at this position, and keep it."""
    level = effective_level(row.risk_level, row.categories)
    row.ever_sensitive = row.ever_sensitive or has_sensitive(row.categories)
    row.next_visit_due = (None if row.case_status == CaseStatus.CLOSED  # a closed case has no visit due
                          else next_visit_due(b.policy, level, row.last_visit_at, row.graded_up_at, row.registered_at))
    row.changed_at = position
    b.put(CHILDREN, row)


def link(b: Batch, stream_id: Any, child_id: Any, kind: str) -> None:
    stream, child = uuid_text(stream_id), uuid_text(child_id)
    b.put(LINKS, LinkRow(key=f"{stream}|{child}", stream_id=stream, child_id=child, kind=kind))


def own(b: Batch, e: Event) -> ChildRow | None:
    row = child_of(b, e.originator_id)
    if row is not None:
        row.version = e.originator_version
    return row
