"""An auditor's questions, answered from the events: a child's whole history, and its status as of a time."""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any, Final, Literal
from uuid import UUID

import msgspec

from backend.disclosure import OTHER_CHILD_FIELDS, SEALABLE_CATEGORIES, ChildFacts, Disclosure, Locate, is_sealed_matter
from backend.identity import Actor
from backend.settings import Policy
from backend.store import EventStore
from events import codec
from events.base import Event
from events.cases import DepartmentMatterOpened, ReferralSent, ReportReceived
from events.children import CategoriesChanged, ChildRegistered
from projections.batch import Batch, MemoryRows
from projections.db import ReadDB
from projections.projectors import apply
from projections.queries import in_scope_sql
from projections.tables import CHILDREN, ChildRow

Basis = Literal["recorded", "occurred"]


def child_streams(db: ReadDB, child_id: UUID) -> list[UUID]:
    """Every stream about the child: its own, and its visits, referrals, interventions, reports, conferences."""
    rows = db.query("SELECT stream_id FROM rm_links WHERE child_id = ?", (str(child_id),))
    return [UUID(r[0]) for r in rows]


def streams_in_scope(db: ReadDB, scope: str) -> list[UUID]:
    """Every stream about the children whose jurisdiction lies in `scope` (an auditor's whole check)."""
    where, params = in_scope_sql("c.jurisdiction", scope)
    rows = db.query(f"SELECT DISTINCT l.stream_id FROM rm_links l JOIN rm_children c ON c.child_id = l.child_id WHERE {where}",
                    tuple(params))
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


EVENT_CHILD_FIELDS: Final = (*OTHER_CHILD_FIELDS, "child_id")
"""An event's fields that may name a child other than the one whose history it is in: a merge's, and the `child_id`
of a linked stream's event (a report received about one child and triaged to another)."""

FREE_TEXT: Final = frozenset(
    {"notes", "note", "description", "reason", "reasons", "outcome", "plan", "follow_up", "observations",
     "decisions", "follow_ups", "follow_up_items"}
)
"""Payload fields written in words by a person: the disclosure table's "free text by others"."""


def history(events: list[Event], page: slice, reader: Actor, child: ChildFacts, locate: Locate | None = None
            ) -> tuple[list[dict[str, Any]], Disclosure]:
    """One page of the audit timeline, protected data withheld for this reader; and the disclosure that decided.

    What a sealing order covers is decided over the whole history, so that every page withholds the same; `locate`
    finds the other children the events name (a merge's kept child or duplicate).
    """
    disclosure = Disclosure(reader, child, locate)
    covered = sealed_streams(events, child)
    return [entry(e, disclosure, e.originator_id in covered) for e in events[page]], disclosure


def sealed_streams(events: list[Event], child: ChildFacts) -> set[UUID]:
    """Streams a sealing order covers: reports, and referrals that are sealed matters."""
    if not child.sealed:
        return set()
    return {
        e.originator_id
        for e in events
        if isinstance(e, ReportReceived)
        or (isinstance(e, ReferralSent) and is_sealed_matter(e.to_department, child))
        or (isinstance(e, DepartmentMatterOpened) and is_sealed_matter(e.department, child))
    }


def entry(event: Event, disclosure: Disclosure, sealed_matter: bool = False) -> dict[str, Any]:
    meta = event.meta
    if sealed_matter and (stand_in := disclosure.sealed_record()) is not None:
        return withheld_entry(event, stand_in)
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


def withheld_entry(event: Event, stand_in: dict[str, Any]) -> dict[str, Any]:
    """A place in the timeline that says something is withheld, and nothing of what: no ids, actor, place or type."""
    moment = event.meta.recorded_at.isoformat()
    return {
        "event_id": "withheld", "stream_id": "withheld", "version": 0, "type": "Withheld",
        "occurred_at": moment, "recorded_at": moment, "actor": {"id": None, "role": ""}, "device_id": "",
        "submission_id": "", "geo": None, "late": False, "flags": [], "data": stand_in, "hash": "", "prev_hash": "",
    }


def protect(event: Event, data: dict[str, Any], d: Disclosure, sealed_matter: bool) -> dict[str, Any]:
    """Withhold what the reader may not see, saying that it was withheld."""
    d.other_children(data, EVENT_CHILD_FIELDS)
    for holder in (data, data.get("changes")):
        if isinstance(holder, dict) and "id_number" in holder:
            holder["id_number"] = d.id_number(holder["id_number"])
    if isinstance(event, ChildRegistered | CategoriesChanged):
        touched = {*data.get("added", ()), *data.get("removed", ())} & SEALABLE_CATEGORIES
        if touched and "reason" in data:
            data["reason"] = d.sealed_text(data["reason"])
        for key in ("categories", "added", "removed"):
            if key in data:
                data[key] = d.categories(data[key])
    author = event.meta.actor_id
    department = data.get("to_department")
    for key in FREE_TEXT & data.keys():
        data[key] = _text(d, data[key], author, department)
    return data


def _text(d: Disclosure, value: Any, author: UUID | None, department: str | None) -> Any:
    if isinstance(value, str):
        return d.free_text(value, author_id=author, department=department)
    if isinstance(value, list):
        return [t for t in (_text(d, v, author, department) for v in value) if t is not None]
    if isinstance(value, dict):
        return {k: t for k, t in ((k, _text(d, v, author, department)) for k, v in value.items()) if t is not None}
    return value
