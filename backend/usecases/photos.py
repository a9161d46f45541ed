"""Recording a stored photo as evidence; the same bytes for the same child twice record once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import IntegrityError

from backend.identity import Actor, authorize
from backend.photos import Photo, photo_flags, photo_stream_id
from backend.usecases.children import Children
from backend.usecases.core import Core, Outcome
from events.base import Geo, Meta
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


class NamingVisit(msgspec.Struct, frozen=True):
    visit_id: str
    geo: Geo | None
    occurred_at: datetime


class VisitsNaming(Protocol):
    """The visits already recorded for a child that name a photo (a read-model query)."""

    def __call__(self, child_id: UUID, sha256: str) -> Sequence[NamingVisit]: ...


def no_visits(child_id: UUID, sha256: str) -> Sequence[NamingVisit]:
    """Where no read side runs (the CLI), no visit is known to name a photo."""
    return []


def photo_view(event: PhotoStored) -> dict[str, Any]:
    exif = event.exif_geo
    return {
        "media_id": event.sha256,
        "child_id": str(event.child_id),
        "width": event.width,
        "height": event.height,
        "content_type": event.content_type,
        "taken_at": event.taken_at.isoformat() if event.taken_at else None,
        "exif_geo": {"lat": exif.lat, "lon": exif.lon} if exif else None,
        "visit_flags": event.visit_flags,
    }


class Photos:
    """Photos are named by the SHA-256 of their bytes, which the phone knows before uploading."""

    def __init__(self, core: Core, children: Children, visits_naming: VisitsNaming) -> None:
        self.core = core
        self.children = children
        self.visits_naming = visits_naming

    def check(self, actor: Actor, child_id: UUID) -> None:
        """Before the bytes are even read: may this caller add photos of this child?"""
        authorize(actor, "visit.record")
        self.children.get(actor, child_id, for_update=False)

    def recorded(self, child_id: UUID, sha256: str) -> Outcome | None:
        """The earlier answer, if these bytes were already recorded for this child."""
        photo = self.core.load(Photo, photo_stream_id(child_id, sha256), for_update=False)
        return Outcome(photo_view(photo.stored), replayed=True) if photo and photo.stored else None

    def record(
        self, actor: Actor, device_id: str, child_id: UUID, facts: PhotoFacts, store_objects: Callable[[], None]
    ) -> Outcome:
        """Store the objects first, then the event: no event ever names a photo that is not stored."""
        self.check(actor, child_id)
        prior = self.recorded(child_id, facts.sha256)
        if prior is not None:
            return prior
        store_objects()
        now = self.core.clock()
        meta = Meta(actor_id=actor.id, actor_role=actor.role.value, device_id=device_id, submission_id=uuid4(),
                    occurred_at=now, recorded_at=now)
        exif = ExifPosition(lat=facts.exif_lat, lon=facts.exif_lon) if facts.exif_lat is not None and facts.exif_lon is not None else None
        flags = {
            v.visit_id: found
            for v in self.visits_naming(child_id, facts.sha256)
            if (found := photo_flags(self.core.policy, v.geo, v.occurred_at, facts.taken_at, exif))
        }
        photo = Photo.create(
            photo_stream_id(child_id, facts.sha256), meta, child_id=child_id, sha256=facts.sha256, size=facts.size,
            content_type=facts.content_type, width=facts.width, height=facts.height, taken_at=facts.taken_at,
            exif_geo=exif, visit_flags=flags,
        )
        event = photo.stored
        if event is None:
            raise RuntimeError("a created photo holds its creation event")
        try:
            recordings = self.core.guarded(lambda: self.core.store.save(photo))
        except IntegrityError:
            again = self.recorded(child_id, facts.sha256)  # the same upload racing itself: the first one stands
            if again is None:
                raise
            return again
        return Outcome(photo_view(event), position=max(r.notification.id for r in recordings))
