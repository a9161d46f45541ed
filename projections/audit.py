"""An auditor's questions, answered from the events: a child's whole history, and its status as of a time."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

from backend.identity import FULL_ID_NUMBER_ROLES
from backend.privacy import JUSTICE_DEPARTMENTS, Disclosure
from backend.rules.id_number import mask_id_number
from backend.settings import Policy
from backend.store import EventStore
from events import codec
from events.base import Event
from events.cases import ReferralSent, ReportReceived
from events.children import CategoriesChanged, ChildRegistered
from events.vocabulary import Role
from projections.batch import Batch, MemoryRows
from projections.db import ReadDB
from projections.projectors import apply
from projections.tables import CHILDREN, ChildRow

Basis = Literal["recorded", "occurred"]


def child_streams(db: ReadDB, child_id: UUID) -> list[UUID]:
    """Every stream about the child: its own, and its visits, referrals, interventions, reports, conferences."""
    rows = db.query("SELECT stream_id FROM rm_links WHERE child_id = ?", (str(child_id),))
    return [UUID(r[0]) for r in rows]


def child_events(store: EventStore, db: ReadDB, child_id: UUID) -> list[Event]:
    """The events of all those streams in the order the system recorded them (each stream's order kept)."""
    streams = store.streams(child_streams(db, child_id))
    return list(heapq.merge(*streams, key=lambda e: e.meta.recorded_at))


def replay(events: list[Event], policy: Policy) -> Batch:
    """The same projectors over these events alone, in memory: no current read-model row is used."""
    batch = Batch(MemoryRows(), policy)
    for position, event in enumerate(events, start=1):
        apply(batch, event, position)
    return batch


def as_of(events: list[Event], at: datetime, basis: Basis, policy: Policy, child_id: UUID) -> ChildRow | None:
    """What the system knew at `at` (basis recorded), or what had happened by `at` as known now (occurred)."""
    if basis == "recorded":
        chosen = [e for e in events if e.meta.recorded_at <= at]
    else:
        chosen = [e for e in events if e.meta.occurred_at <= at]
    return replay(chosen, policy).get(CHILDREN, str(child_id), ChildRow)


def history(events: list[Event], role: Role, sealed: bool) -> tuple[list[dict[str, Any]], set[str]]:
    """The audit timeline entries, with protected data withheld by role; and the kinds shown."""
    disclosure = Disclosure(role, sealed)
    sealed_streams = sealed_matters(events) if sealed else set()
    return [entry(e, disclosure, e.originator_id in sealed_streams) for e in events], disclosure.disclosed


def sealed_matters(events: list[Event]) -> set[UUID]:
    """Streams a sealing order covers: reports, and referrals to the justice departments."""
    return {
        e.originator_id
        for e in events
        if isinstance(e, ReportReceived) or (isinstance(e, ReferralSent) and e.to_department in JUSTICE_DEPARTMENTS)
    }


def entry(event: Event, disclosure: Disclosure, sealed_matter: bool = False) -> dict[str, Any]:
    meta = event.meta
    state = msgspec.to_builtins(event)
    data = codec.payload_of(state)
    return {
        "event_id": str(event.event_id),
        "stream_id": str(event.originator_id),
        "version": event.originator_version,
        "type": type(event).__name__,
        "occurred_at": meta.occurred_at.isoformat(),
        "recorded_at": meta.recorded_at.isoformat(),
        "actor": {"id": str(meta.actor_id) if meta.actor_id else None, "role": meta.actor_role},
        "device_id": meta.device_id,
        "submission_id": str(meta.submission_id),
        "geo": msgspec.to_builtins(meta.geo),
        "late": meta.late,
        "flags": list(data.get("flags", [])),
        "data": protect(event, data, disclosure, sealed_matter),
        "hash": event.hash,
        "prev_hash": event.prev_hash,
    }


def protect(event: Event, data: dict[str, Any], d: Disclosure, sealed_matter: bool) -> dict[str, Any]:
    """Mask the ID number and withhold what the reader may not see, saying that it was withheld."""
    if "id_number" in data and d.role not in FULL_ID_NUMBER_ROLES:
        data["id_number"] = mask_id_number(data["id_number"])
    if isinstance(event, ChildRegistered | CategoriesChanged):
        for key in ("categories", "added", "removed"):
            if key in data:
                data[key] = d.categories(data[key])
    if not sealed_matter:
        return data
    if not d.may_see("sealed"):
        d.withheld.add("sealed")
        return {"withheld": "sealed"}
    d.disclosed.add("sealed")
    return data


