"""Facts about a child's own record: registration, profile, categories, transfer, risk."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import msgspec

from events.base import Event, Geo


class Guardian(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A guardian and whether they can actually care for the child."""

    relation: str
    name: str
    phone: str | None = None
    able_to_care: bool = True


class ChildRegistered(Event, frozen=True, kw_only=True):
    name: str
    sex: str
    birth_date: date
    id_number: str | None = None
    jurisdiction: str
    address: str
    household_position: str | None = None
    home_geo: Geo | None = None
    categories: list[str] = []
    guardians: list[Guardian] = []


class ProfileChanged(Event, frozen=True, kw_only=True):
    """Profile fields that changed in life (a move, a new guardian), by field name.

    `superseded` names the fields a change that occurred later was already known for when this one arrived:
    they stay in history and do not replace the newer value (the late rule, as for risk gradings).
    """

    changes: dict[str, Any]
    reason: str
    superseded: list[str] = []


class CategoriesChanged(Event, frozen=True, kw_only=True):
    added: list[str]
    removed: list[str]
    reason: str


class ChildTransferred(Event, frozen=True, kw_only=True):
    from_jurisdiction: str
    to_jurisdiction: str
    reason: str


class RiskAssessed(Event, frozen=True, kw_only=True):
    """A grading. `current` is false when a grading that occurred later was already known.

    Version 1 stored a single `reason` string; version 2 stores `reasons`.
    """

    SCHEMA_VERSION = 2

    schema_version: int = 2
    level: str
    reasons: list[str]
    based_on_version: int | None = None
    current: bool = True
    conflicting: bool = False


class CorrectionRecorded(Event, frozen=True, kw_only=True):
    """A wrong fact put right: names the event it corrects and why; the original stays."""

    corrects_event_id: UUID
    changes: dict[str, Any]
    reason: str


class RecordSealed(Event, frozen=True, kw_only=True):
    """A sealing order (犯罪记录封存): criminal-record matters are hidden from all but auditors."""

    reason: str
    order_reference: str = ""


class ChildAssigned(Event, frozen=True, kw_only=True):
    """A named worker is responsible for the child (and, for one-to-one pairing, a partner)."""

    owner_id: UUID
    owner: str
    partner_id: UUID | None = None
    partner: str | None = None


class ClosureRequested(Event, frozen=True, kw_only=True):
    """A child director asks that the case be closed; a supervisor decides."""

    reason: str
    note: str = ""


class CaseClosed(Event, frozen=True, kw_only=True):
    """The case is closed: at once by a supervisor, or on approving a request (`approves` names its event).

    `merged_into` is set when the child was a duplicate record merged into another child.
    """

    reason: str
    note: str = ""
    approves: UUID | None = None
    merged_into: UUID | None = None


class ClosureRejected(Event, frozen=True, kw_only=True):
    """A supervisor rejects a closure request: the case stays open."""

    rejects: UUID | None = None
    note: str = ""


class CaseReopened(Event, frozen=True, kw_only=True):
    """A closed case is opened again, saying why."""

    reason: str


class DuplicateMerged(Event, frozen=True, kw_only=True):
    """Another record of this same child was merged into this one (that record is closed as a duplicate)."""

    duplicate_child_id: UUID
    note: str = ""
