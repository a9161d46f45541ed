"""Projectors of home visits and their photos: evidence re-derived whenever a named photo arrives."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.photo import PhotoEvidence, VisitEvidence, evidence_flags
from events.base import Geo
from events.cases import (
    ExifPosition,
    PhotoStored,
    VisitRecorded,
)
from projections.batch import Batch
from projections.rows import child_of, link, touch
from projections.tables import (
    PHOTOS,
    VISITS,
    PhotoRow,
    VisitRow,
    uuid_text,
)


def _geo(value: dict[str, Any] | None) -> Geo | None:
    return msgspec.convert(value, Geo) if value is not None else None


def _photo(b: Batch, child_id: str, sha: str) -> PhotoRow | None:
    return b.get(PHOTOS, f"{child_id}|{sha}", PhotoRow)


def _evidence(b: Batch, visit: VisitRow, geo: Geo | None = None, home_geo: Geo | None = None) -> None:
    """The visit's missing photos and flags, derived afresh from its facts and the photos stored for it.

    `geo` and `home_geo` are the row's positions when the caller has them as events carried them already."""
    stored = {sha: _photo(b, visit.child_id, sha) for sha in visit.photos}
    visit.missing_photos = [sha for sha, photo in stored.items() if photo is None]
    facts = VisitEvidence(occurred_at=visit.occurred_at, geo=geo or _geo(visit.geo), child_seen=visit.child_seen,
                          late=visit.late, home_geo=home_geo or _geo(visit.home_geo))
    photos = [PhotoEvidence(taken_at=p.taken_at, exif_geo=msgspec.convert(p.exif_geo, ExifPosition) if p.exif_geo else None)
              for p in stored.values() if p is not None]
    visit.flags = evidence_flags(b.policy, facts, photos)


def visit_recorded(b: Batch, e: VisitRecorded, position: int) -> None:
    """The visit's row, its flags derived (the flags the event carries are the timeline's, not read here)."""
    visit_id, child_id, meta = uuid_text(e.originator_id), uuid_text(e.child_id), e.meta
    link(b, visit_id, child_id, "visit")
    row = child_of(b, child_id)
    due = row.next_visit_due if row else None
    visit = VisitRow(
        visit_id=visit_id, child_id=child_id, occurred_at=meta.occurred_at,
        recorded_at=meta.recorded_at, late=meta.late, actor_id=uuid_text(meta.actor_id) if meta.actor_id else None,
        visit_type=e.visit_type, child_seen=e.child_seen, guardian_present=e.guardian_present,
        observations=msgspec.to_builtins(e.observations), photos=list(e.photos), missing_photos=[],
        flags=[], notes=e.notes, follow_up=e.follow_up, geo=msgspec.to_builtins(meta.geo),
        due_at=due, on_time=due is None or meta.occurred_at <= due, home_geo=row.home_geo if row else None,
    )
    _evidence(b, visit, meta.geo)
    b.put(VISITS, visit)
    if row is None:
        return
    if row.last_visit_at is None or meta.occurred_at >= row.last_visit_at:  # an older visit synced late changes nothing
        row.last_visit_at = meta.occurred_at
        row.last_visit_id, row.last_visit_flags = visit_id, visit.flags
    if visit.missing_photos:
        row.incomplete_visits = [*row.incomplete_visits, visit_id]
    touch(b, row, position)


def photo_stored(b: Batch, e: PhotoStored, position: int) -> None:
    """A photo completes the visits that were waiting for it; their flags are derived again.

    The flags an older event carries (`visit_flags`) are ignored: they depended on projection lag.
    """
    child_id, sha = uuid_text(e.child_id), e.sha256
    b.put(PHOTOS, PhotoRow(
        key=f"{child_id}|{sha}", child_id=child_id, sha256=sha, content_type=e.content_type, width=e.width,
        height=e.height, taken_at=e.taken_at, exif_geo=msgspec.to_builtins(e.exif_geo), stored_at=e.meta.recorded_at,
    ))
    link(b, e.originator_id, e.child_id, "photo")
    row = child_of(b, e.child_id)
    if row is None:
        return
    still_incomplete = []
    for visit_id in row.incomplete_visits:
        visit = b.get(VISITS, visit_id, VisitRow)
        if visit is None:
            continue
        if sha in visit.missing_photos:
            _evidence(b, visit)
            b.put(VISITS, visit)
            if visit_id == row.last_visit_id:
                row.last_visit_flags = visit.flags
        if visit.missing_photos:
            still_incomplete.append(visit_id)
    row.incomplete_visits = still_incomplete
    touch(b, row, position)
