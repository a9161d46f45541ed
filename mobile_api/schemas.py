"""Response bodies, typed so that the OpenAPI document is a usable contract."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from events.vocabulary import Term


class LoginRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: str
    password: str
    device_id: Annotated[str, msgspec.Meta(
        description="the device's id: 1 to 128 printable ASCII characters (a UUID fits)")] = "unknown"


class UserInfo(msgspec.Struct, frozen=True):
    id: str
    username: str
    role: str
    scope: str
    department: str | None


class LoginResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: str
    expires_at: str
    user: UserInfo


class RiskTerm(msgspec.Struct, frozen=True):
    code: str
    zh: str
    en: str
    visit_interval_days: float


class Vocabulary(msgspec.Struct, frozen=True):
    categories: list[Term]
    risk_levels: list[RiskTerm]
    departments: list[Term]
    intervention_types: list[Term]
    visit_types: list[Term]
    report_sources: list[Term]
    roles: list[Term]


class ChildStatus(msgspec.Struct, frozen=True):
    child_id: str
    name: str
    sex: str
    birth_date: str
    id_number: str | None
    jurisdiction: str
    address: str
    categories: list[str]
    risk_level: str | None
    graded: bool
    risk_reasons: list[str]
    last_visit_at: str | None
    next_visit_due: str | None
    overdue: bool
    open_referrals: list[str]
    active_interventions: list[str]
    evidence_complete: bool
    flags: list[str]
    guardians: list[dict[str, Any]]
    sealed: bool
    withheld: list[str]
    version: int


class ChildPage(msgspec.Struct, frozen=True):
    items: list[ChildStatus]
    next_cursor: str | None


class Assessment(msgspec.Struct, frozen=True):
    event_id: str
    level: str
    current: bool
    conflicting: bool


class ChildChange(msgspec.Struct, frozen=True):
    """The child as the write side left it after a change."""

    child_id: str
    jurisdiction: str
    categories: list[str]
    risk_level: str | None
    conflicting_assessments: bool
    version: int
    assessment: Assessment | None = None
    sealed: bool = False
    withheld: list[str] = []


class VisitResult(msgspec.Struct, frozen=True):
    visit_id: str
    child_id: str
    late: bool
    evidence_complete: bool
    missing_photos: list[str]
    flags: list[str]


class Visit(msgspec.Struct, frozen=True):
    visit_id: str
    child_id: str
    occurred_at: str
    recorded_at: str
    late: bool
    actor_id: str | None
    visit_type: str
    child_seen: bool
    guardian_present: bool
    observations: dict[str, str]
    photos: list[str]
    missing_photos: list[str]
    flags: list[str]
    notes: str
    follow_up: str | None
    geo: dict[str, Any] | None
    due_at: str | None
    on_time: bool
    evidence_complete: bool
    withheld: list[str] = []


class ReportResult(msgspec.Struct, frozen=True):
    report_id: str
    status: str
    jurisdiction: str
    child_id: str | None
    urgency: str


class TriageChild(msgspec.Struct, frozen=True):
    child_id: str
    jurisdiction: str
    categories: list[str]
    risk_level: str | None
    conflicting_assessments: bool
    version: int
    sealed: bool = False
    withheld: list[str] = []


class TriageResult(msgspec.Struct, frozen=True):
    report_id: str
    decision: str
    child: TriageChild
    referral_id: str | None


class ReferralResult(msgspec.Struct, frozen=True):
    referral_id: str
    child_id: str
    to_department: str
    status: str
    accept_by: str | None
    complete_by: str | None
    version: int


class Referral(msgspec.Struct, frozen=True):
    referral_id: str
    child_id: str
    department: str
    status: str
    reason: str | None
    urgency: str
    sent_at: str
    accept_by: str
    complete_by: str
    accepted_at: str | None
    completed_at: str | None
    declined_reason: str | None
    outcome: str | None
    escalations: int
    notes: list[str]
    report_id: str | None
    overdue: bool
    withheld: list[str] = []


class ReferralPage(msgspec.Struct, frozen=True):
    items: list[Referral]
    next_cursor: str | None


class InterventionResult(msgspec.Struct, frozen=True):
    intervention_id: str
    child_id: str
    type: str
    responsible_department: str
    status: str
    reviews: int
    version: int


class ConferenceResult(msgspec.Struct, frozen=True):
    conference_id: str
    child_id: str


class SyncPage(msgspec.Struct, frozen=True):
    children: list[ChildStatus]
    removed: list[str]
    cursor: str
    has_more: bool


class RelayProgress(msgspec.Struct, frozen=True, kw_only=True):
    """The relay to NATS: the log's head, the relay's position, the lag between them, and how long it
    has not moved (`stalled` once it has not moved while behind for HUHANG_RELAY_STALL_SECONDS)."""

    head: int
    position: int
    lag: int
    still_for: float
    stalled: bool


class Health(msgspec.Struct, frozen=True):
    status: str
    checks: dict[str, str] = {}
    relay: RelayProgress | None = None


class Actor(msgspec.Struct, frozen=True):
    id: str | None
    role: str


class HistoryEntry(msgspec.Struct, frozen=True):
    event_id: str
    stream_id: str
    version: int
    type: str
    occurred_at: str
    recorded_at: str
    actor: Actor
    device_id: str
    submission_id: str
    geo: dict[str, Any] | None
    late: bool
    flags: list[str]
    data: dict[str, Any]
    hash: str
    prev_hash: str


class HistoryPage(msgspec.Struct, frozen=True):
    child_id: str
    items: list[HistoryEntry]
    next_cursor: str | None


class BrokenLink(msgspec.Struct, frozen=True):
    stream_id: str
    version: int
    reason: str


class VerifyResult(msgspec.Struct, frozen=True):
    ok: bool
    streams_checked: int
    events_checked: int
    broken: list[BrokenLink]


class AccessEntry(msgspec.Struct, frozen=True):
    access_id: str
    child_id: str
    at: str
    actor_id: str | None
    actor_role: str
    device_id: str
    kinds: list[str]
    endpoint: str


class AccessPage(msgspec.Struct, frozen=True):
    items: list[AccessEntry]
    next_cursor: str | None


class PhotoResult(msgspec.Struct, frozen=True):
    media_id: str
    child_id: str
    width: int
    height: int
    content_type: str
    taken_at: str | None
    exif_geo: dict[str, float] | None
    visit_flags: dict[str, list[str]]


class StatTableBody(msgspec.Struct, frozen=True):
    """One table of the statistics summary; a cell is a count, `"<5"` (a small sensitive cell) or null (withheld)."""

    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


class StatsSummary(msgspec.Struct, frozen=True):
    jurisdiction: str
    from_: str = msgspec.field(name="from")
    to: str = ""
    tables: dict[str, StatTableBody] = {}
