"""The Photo aggregate, and the evidence rules that compare visits, photos and homes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import singledispatchmethod
from typing import ClassVar, Final
from uuid import UUID, uuid5

import msgspec

from backend.aggregate import Aggregate
from backend.rules.geo import distance_m, to_wgs84
from backend.settings import Policy
from backend.visit import visit_flags
from events.base import Event, Geo
from events.cases import ExifPosition, PhotoStored

PHOTO_NAMESPACE: Final = UUID("3c0f5d7e-2a51-4e0b-9d6c-7a8b9c0d1e2f")


def photo_stream_id(child_id: UUID, sha256: str) -> UUID:
    """One stream per (child, photo bytes): the same upload twice meets the same stream."""
    return uuid5(PHOTO_NAMESPACE, f"{child_id}:{sha256}")


class Photo(Aggregate):
    """A photo stored as evidence about one child."""

    CREATED: ClassVar = PhotoStored

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.sha256 = ""
        self.taken_at: datetime | None = None
        self.exif_geo: ExifPosition | None = None
        self.stored: PhotoStored | None = None

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: PhotoStored) -> None:
        self.sha256 = event.sha256
        self.taken_at = event.taken_at
        self.exif_geo = event.exif_geo
        self.stored = event


def photo_flags(
    policy: Policy, visit_geo: Geo | None, occurred_at: datetime, taken_at: datetime | None, exif: ExifPosition | None
) -> list[str]:
    """A photo whose EXIF place or time disagrees with the visit it is evidence for."""
    flags = []
    if exif is not None and visit_geo is not None:
        if distance_m((exif.lat, exif.lon), to_wgs84(visit_geo)) > policy.photo_distance_m:
            flags.append("photo_position_mismatch")
    if taken_at is not None and abs(taken_at - occurred_at) > policy.photo_time_window:
        flags.append("photo_time_mismatch")
    return flags


def home_flags(policy: Policy, visit_geo: Geo | None, home_geo: Geo | None) -> list[str]:
    """A visit recorded far from the child's household position."""
    if visit_geo is None or home_geo is None:
        return []
    if distance_m(to_wgs84(visit_geo), to_wgs84(home_geo)) > policy.far_from_home_m:
        return ["far_from_home"]
    return []


class VisitEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """The facts of a visit its evidence flags are derived from."""

    occurred_at: datetime
    geo: Geo | None
    child_seen: bool
    late: bool
    home_geo: Geo | None
    """The child's household position when the visit was recorded."""


class PhotoEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """The facts of a stored photo that are checked against a visit naming it."""

    taken_at: datetime | None
    exif_geo: ExifPosition | None


def evidence_flags(policy: Policy, visit: VisitEvidence, photos: Iterable[PhotoEvidence]) -> list[str]:
    """Every flag a reviewer should see on a visit, from its facts and the photos stored for it so far.

    The one home of the evidence rules: the visit answer, the projection and a rebuild all ask it, so a
    visit's flags depend on which photos are stored, never on when the read side saw them.
    """
    flags = visit_flags(visit.child_seen, visit.geo, policy.low_accuracy_m)
    flags += home_flags(policy, visit.geo, visit.home_geo)
    if visit.late:
        flags.append("late")
    for photo in photos:  # the visit's own flags first, then its photos'
        flags += photo_flags(policy, visit.geo, visit.occurred_at, photo.taken_at, photo.exif_geo)
    return list(dict.fromkeys(flags))
