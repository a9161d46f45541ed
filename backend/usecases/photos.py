"""Recording a stored photo as evidence; the same bytes for the same child twice record once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import IntegrityError

from backend.identity import Actor, authorize
from backend.photo import Photo, photo_stream_id
from backend.usecases.children import Children
from backend.usecases.core import Core, Outcome
from events.base import Meta
from events.cases import ExifPosition, PhotoStored


class PhotoFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What ingest found in the bytes."""

    sha256: str
    size: int
    content_type: str
    width: int
    height: int
    taken_at: datetime | None = None
    exif_lat: float | None = None
    exif_lon: float | None = None


Keep = Callable[[], None]
"""Stores a photo's original bytes and its thumbnail in the object store."""

Ingest = Callable[[Path, str, int], tuple[PhotoFacts, Keep]]
"""The media layer's part of an upload, handed in by the composition root: decode the spooled bytes at `path`
(their SHA-256 and size given) within the process's decode budget, and give what was found in them and how to keep
them. It refuses with domain errors (not an image 415, too many pixels 413, decode budget full 503); keeping them
refuses with 503 when the object store does not answer."""


def photo_view(event: PhotoStored) -> dict[str, Any]:
    """The photo as stored: its facts only (the flags it raises on visits are the read side's to derive)."""
    exif = event.exif_geo
    return {
        "media_id": event.sha256,
        "child_id": str(event.child_id),
        "width": event.width,
        "height": event.height,
        "content_type": event.content_type,
        "taken_at": event.taken_at.isoformat() if event.taken_at else None,
        "exif_geo": {"lat": exif.lat, "lon": exif.lon} if exif else None,
    }


class Photos:
    """Photos are named by the SHA-256 of their bytes, which the phone knows before uploading."""

    def __init__(self, core: Core, children: Children, ingest: Ingest | None = None) -> None:
        self.core = core
        self.children = children
        self.ingest = ingest

    def check(self, actor: Actor, child_id: UUID) -> None:
        """Before the bytes are even read: may this caller add photos of this child?"""
        authorize(actor, "visit.record")
        self.children.get(actor, child_id, for_update=False)

    def recorded(self, child_id: UUID, sha256: str) -> Outcome | None:
        """The earlier answer, if these bytes were already recorded for this child."""
        photo = self.core.load(Photo, photo_stream_id(child_id, sha256), for_update=False)
        return Outcome(photo_view(photo.stored), replayed=True) if photo and photo.stored else None

    def upload(self, actor: Actor, device_id: str, child_id: UUID, path: Path, sha256: str, size: int) -> Outcome:
        """An upload whose bytes are spooled at `path`: the same bytes for the same child again are the earlier
        answer, not even decoded; new bytes are decoded, kept in the object store, then recorded."""
        if self.ingest is None:
            raise RuntimeError("photo uploads need the media layer's ingest (see mobile_api.services)")
        self.check(actor, child_id)
        prior = self.recorded(child_id, sha256)
        if prior is not None:
            return prior
        facts, keep = self.ingest(path, sha256, size)
        return self.record(actor, device_id, child_id, facts, keep)

    def record(self, actor: Actor, device_id: str, child_id: UUID, facts: PhotoFacts, keep: Keep) -> Outcome:
        """Keep the objects first, then store the event: no event ever names a photo that is not kept. Two uploads
        of the same bytes for the same child racing meet at the photo's stream: the first one stands."""
        self.check(actor, child_id)
        keep()
        now = self.core.clock()
        meta = Meta(actor_id=actor.id, actor_role=actor.role.value, device_id=device_id, submission_id=uuid4(),
                    occurred_at=now, recorded_at=now)
        exif = ExifPosition(lat=facts.exif_lat, lon=facts.exif_lon) if facts.exif_lat is not None and facts.exif_lon is not None else None
        photo = Photo.create(
            photo_stream_id(child_id, facts.sha256), meta, child_id=child_id, sha256=facts.sha256, size=facts.size,
            content_type=facts.content_type, width=facts.width, height=facts.height, taken_at=facts.taken_at,
            exif_geo=exif,
        )
        event = photo.stored
        if event is None:
            raise RuntimeError("a created photo holds its creation event")
        try:
            recordings = self.core.guarded(lambda: self.core.store.save(photo))
        except IntegrityError:
            again = self.recorded(child_id, facts.sha256)
            if again is None:
                raise
            return again
        return Outcome(photo_view(event), position=max(r.notification.id for r in recordings))
