"""What a write just made, as the read side's own projectors make its rows, replayed in memory from the events.

A write's answer is built from these rows by the same views as a read, so the answer, every replay of the
submission and a read right after it agree; nothing here waits for (or reads) the read models.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from uuid import UUID

from backend.photo import photo_stream_id
from backend.settings import Policy
from backend.store import EventStore
from events.base import Event
from events.cases import VisitRecorded
from projections.audit import replay
from projections.tables import (
    CHILDREN,
    INTERVENTIONS,
    REFERRALS,
    VISITS,
    ChildRow,
    InterventionRow,
    ReferralRow,
    Table,
    VisitRow,
)

R = TypeVar("R")


def visit_as_recorded(store: EventStore, policy: Policy, visit_id: UUID, child_id: UUID) -> tuple[VisitRow, ChildRow]:
    """The visit's row as it stood when the visit was recorded (the child's own events and the photos it names,
    as recorded up to then), and the child's row it was derived against."""
    both = [e for stream in store.streams([visit_id, child_id]) for e in stream]
    recorded = next((e for e in both if e.originator_id == visit_id), None)
    if not isinstance(recorded, VisitRecorded) or recorded.child_id != child_id:
        raise RuntimeError("a visit's stream begins with its recording, about its child")
    at = recorded.meta.recorded_at
    photos = store.streams([photo_stream_id(child_id, sha) for sha in recorded.photos])
    known: list[Event] = sorted((e for stream in (both, *photos) for e in stream
                                 if e.originator_id != visit_id and e.meta.recorded_at <= at),
                                key=lambda e: e.meta.recorded_at)
    rows = replay([*known, recorded], policy)
    visit = rows.get(VISITS, str(visit_id), VisitRow)
    child = rows.get(CHILDREN, str(child_id), ChildRow)
    if visit is None or child is None:
        raise RuntimeError("a recorded visit of a registered child projects a visit row")
    return visit, child


def child_at(store: EventStore, policy: Policy, child_id: UUID, version: int) -> tuple[ChildRow, ChildRow, datetime]:
    """The child's row as its own events up to `version` made it, the row as they make it now (what protects the
    child now decides what a replay of an older answer may show), and when that version was recorded."""
    events = store.stream(child_id)
    upto = [e for e in events if e.originator_version <= version]
    then = replay(upto, policy).get(CHILDREN, str(child_id), ChildRow)
    now = then if len(upto) == len(events) else replay(events, policy).get(CHILDREN, str(child_id), ChildRow)
    if then is None or now is None:
        raise RuntimeError(f"the events of {child_id} project no child row")
    return then, now, upto[-1].meta.recorded_at


def child_now(store: EventStore, policy: Policy, child_id: UUID) -> ChildRow:
    """The child's row as all its events make it now (what protects it now)."""
    row = replay(store.stream(child_id), policy).get(CHILDREN, str(child_id), ChildRow)
    if row is None:
        raise RuntimeError(f"the events of {child_id} project no child row")
    return row


def record_at(store: EventStore, policy: Policy, table: Table, row_type: type[R], stream_id: UUID,
              version: int) -> tuple[R, int]:
    """A record's row as its own events up to `version` make it, and the version of its last event."""
    events = store.stream(stream_id, upto_version=version)
    row = replay(events, policy).get(table, str(stream_id), row_type)
    if row is None or not events:
        raise RuntimeError(f"the events of {stream_id} project no row of {table.name}")
    return row, events[-1].originator_version


def referral_at(store: EventStore, policy: Policy, referral_id: UUID, version: int) -> tuple[ReferralRow, int]:
    return record_at(store, policy, REFERRALS, ReferralRow, referral_id, version)


def intervention_at(store: EventStore, policy: Policy, intervention_id: UUID, version: int) -> tuple[InterventionRow, int]:
    return record_at(store, policy, INTERVENTIONS, InterventionRow, intervention_id, version)
