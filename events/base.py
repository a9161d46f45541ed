"""The shape every event shares: stream position, metadata and hash-chain fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar
from uuid import UUID

import msgspec

from events.vocabulary import Crs

Latitude = Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
Longitude = Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]
Accuracy = Annotated[float, msgspec.Meta(ge=0.0)]


class Geo(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A position as the device gave it, with its coordinate system and accuracy."""

    lat: Latitude
    lon: Longitude
    accuracy_m: Accuracy | None = None
    crs: Crs = Crs.WGS84


class Meta(msgspec.Struct, frozen=True, kw_only=True):
    """Who did it, from which device, in which submission, when, and where."""

    actor_id: UUID | None
    actor_role: str
    device_id: str
    submission_id: UUID
    occurred_at: datetime
    recorded_at: datetime
    geo: Geo | None = None
    late: bool = False


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type", tag=True):
    """A fact in one stream. Subclasses add the payload; nobody edits one once stored."""

    SCHEMA_VERSION: ClassVar[int] = 1

    originator_id: UUID
    originator_version: int
    event_id: UUID
    schema_version: int = 1
    meta: Meta
    prev_hash: str = ""
    hash: str = ""

    @property
    def type_name(self) -> str:
        """The event's type as stored in its tag."""
        return type(self).__name__
