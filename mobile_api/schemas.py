"""Response bodies, typed so that the OpenAPI document is a usable contract."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import msgspec

from events.base import Geo
from events.children import Guardian
from events.vocabulary import (
    Category,
    ClosureReason,
    Department,
    InterventionStatus,
    InterventionType,
    ReferralStatus,
    ReporterInstitution,
    ReportSource,
    RiskLevel,
    Role,
    Sex,
    Term,
    TriageDecision,
    Urgency,
)
from projections.views import Day as Day
from projections.views import Id as Id
from projections.views import Referral as Referral  # built straight from its read-model row
from projections.views import Timestamp as Timestamp
from projections.views import Visit as Visit  # built straight from its read-model row

CaseState = Literal["open", "closure_requested", "closed"]
READ_SIDE: Final = (Visit, Referral)
"""Answers the read side builds straight from its rows (`projections.views`), answered as they are."""


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """A position read from a photo's EXIF (WGS-84)."""

    lat: float
    lon: float


class LoginRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    username: str
    password: str
    device_id: Annotated[str, msgspec.Meta(
        description="the device's id: 1 to 128 printable ASCII characters (a UUID fits)")] = "unknown"


class UserInfo(msgspec.Struct, frozen=True):
    id: Id
    username: str
    role: Role
    scope: str
    department: Department | None


class LoginResponse(msgspec.Struct, frozen=True):
    access_token: str
    token_type: Literal["bearer"]
    expires_at: Timestamp
    user: UserInfo


class RiskTerm(msgspec.Struct, frozen=True):
    code: RiskLevel
    zh: str
    en: str
    visit_interval_days: float


class PolicyTerms(msgspec.Struct, frozen=True):
    """The deadlines this server works by (a county may set its own: HUHANG_POLICY_FILE)."""

    accept_within_hours: float
    accept_within_red_hours: float
    complete_within_days: float
    triage_within_hours: float
    triage_within_urgent_hours: float
    late_after_hours: float
    max_age_days: float
    due_soon_hours: float


class Vocabulary(msgspec.Struct, frozen=True):
    categories: list[Term]
    risk_levels: list[RiskTerm]
    departments: list[Term]
    intervention_types: list[Term]
    visit_types: list[Term]
    report_sources: list[Term]
    roles: list[Term]
    policy: PolicyTerms
    reporter_institutions: list[Term] = []


class ChildStatus(msgspec.Struct, frozen=True):
    child_id: Id
    name: str
    sex: Sex
    birth_date: Day
    id_number: str | None
    jurisdiction: str
    address: str
    categories: list[Category]
    risk_level: RiskLevel | None
    graded: bool
    risk_reasons: list[str]
    last_visit_at: Timestamp | None
    next_visit_due: Timestamp | None
    overdue: bool
    open_referrals: list[Id]
    active_interventions: list[Id]
    evidence_complete: bool
    flags: list[str]
    guardians: list[Guardian]
    sealed: bool
    withheld: list[str]
    version: int
    owner: str | None = None
    partner: str | None = None
    household_position: str | None = None
    school: str | None = None
    phone: str | None = None
    case_status: CaseState = "open"
    closure_reason: ClosureReason | None = None
    merged_into: Id | None = None
    """Set on a duplicate record merged into another child: the kept child's id, while the caller may see that child;
    otherwise null, with `merged_into:out_of_scope` in `withheld` (`closure_reason` stays `duplicate`)."""


class ChildPage(msgspec.Struct, frozen=True):
    items: list[ChildStatus]
    next_cursor: str | None


class Assessment(msgspec.Struct, frozen=True):
    event_id: Id
    level: RiskLevel
    current: bool
    conflicting: bool


class ChildChange(msgspec.Struct, frozen=True):
    """The child as the write side left it after a change."""

    child_id: Id
    jurisdiction: str
    categories: list[Category]
    risk_level: RiskLevel | None
    conflicting_assessments: bool
    version: int
    assessment: Assessment | None = None
    sealed: bool = False
    withheld: list[str] = []
    owner: str | None = None
    partner: str | None = None
    case_status: CaseState = "open"
    closure_reason: ClosureReason | None = None
    merged_into: Id | None = None


class ProfileChange(ChildChange, frozen=True):
    """The child after a profile change: the profile as it now stands; `superseded` names the sent fields that a
    change which occurred later had already set (kept in history, not in the profile)."""

    address: str = ""
    home_geo: Geo | None = None
    guardians: list[Guardian] = []
    household_position: str | None = None
    school: str | None = None
    phone: str | None = None
    superseded: list[str] = []


class MergedRecord(msgspec.Struct, frozen=True):
    child_id: Id
    case_status: CaseState
    closure_reason: ClosureReason
    merged_into: Id


class MergeResult(ChildChange, frozen=True):
    """The kept child, and the duplicate record now closed as `duplicate` pointing to it (null, with
    `duplicate_child_id:out_of_scope` in `withheld`, once the duplicate is no longer the caller's to see)."""

    merged: MergedRecord | None = None


class VisitResult(msgspec.Struct, frozen=True):
    visit_id: Id
    child_id: Id
    late: bool
    evidence_complete: bool
    missing_photos: list[str]
    flags: list[str]


class ReportResult(msgspec.Struct, frozen=True):
    report_id: Id
    status: Literal["received"]
    jurisdiction: str
    child_id: Id | None
    urgency: Urgency


class TriageChild(msgspec.Struct, frozen=True):
    child_id: Id
    jurisdiction: str
    categories: list[Category]
    risk_level: RiskLevel | None
    conflicting_assessments: bool
    version: int
    sealed: bool = False
    withheld: list[str] = []
    owner: str | None = None
    partner: str | None = None


class TriageResult(msgspec.Struct, frozen=True):
    report_id: Id
    decision: TriageDecision
    child: TriageChild
    referral_id: Id | None


class ReferralResult(msgspec.Struct, frozen=True):
    referral_id: Id
    child_id: Id
    to_department: Department
    status: ReferralStatus
    accept_by: Timestamp | None
    complete_by: Timestamp | None
    version: int


class ReferralPage(msgspec.Struct, frozen=True):
    items: list[Referral]
    next_cursor: str | None


class InterventionResult(msgspec.Struct, frozen=True):
    intervention_id: Id
    child_id: Id
    type: InterventionType
    responsible_department: Department
    status: InterventionStatus
    reviews: int
    version: int


class ConferenceResult(msgspec.Struct, frozen=True):
    conference_id: Id
    child_id: Id


class FollowUpResult(msgspec.Struct, frozen=True):
    conference_id: Id
    child_id: Id
    index: int
    status: Literal["done"]


class VisitPage(msgspec.Struct, frozen=True):
    items: list[Visit]
    next_cursor: str | None


class ConferenceFollowUp(msgspec.Struct, frozen=True):
    """`index` names it in `POST /conferences/{id}/follow_ups/{index}/done`; `text` null when withheld."""

    index: int
    text: str | None
    owner: str | None
    due_date: Day | None
    done_at: Timestamp | None


class Conference(msgspec.Struct, frozen=True):
    conference_id: Id
    child_id: Id
    held_at: Timestamp
    participants: list[str]
    decisions: list[str]
    follow_ups: list[ConferenceFollowUp]
    withheld: list[str] = []


class ConferencePage(msgspec.Struct, frozen=True):
    items: list[Conference]
    next_cursor: str | None


class TimelineItem(msgspec.Struct, frozen=True):
    """One fact of the case file. `kind` names it (registration, grading, visit, photo, report, triage, referral…,
    intervention…, conference…); `data` is its content as the caller may see it; `withheld` says what was left out.
    A sealed matter the caller may not know of is `kind: "withheld"` with no id, role or content."""

    at: Timestamp
    recorded_at: Timestamp
    kind: str
    id: Id | None
    actor_role: str | None
    late: bool
    data: dict[str, Any]
    withheld: list[str] = []


class TimelinePage(msgspec.Struct, frozen=True):
    child_id: Id
    items: list[TimelineItem]
    next_cursor: str | None


class ReportEntry(msgspec.Struct, frozen=True):
    """A line of the report register (线索台账)."""

    report_id: Id
    jurisdiction: str
    source: ReportSource
    urgency: Urgency
    received_at: Timestamp
    status: Literal["untriaged", "triaged"]
    triage_by: Timestamp | None
    overdue: bool
    child_id: Id | None = None
    triaged_at: Timestamp | None = None
    decision: TriageDecision | None = None
    referral_id: Id | None = None
    discovered_at: Timestamp | None = None
    reporter_institution: ReporterInstitution | None = None
    sentinel_place: str | None = None
    hotline_ticket: str | None = None
    reporter_role: str = ""
    withheld: list[str] = []
    """`["child_id:out_of_scope"]` when the child the report is about has left the caller's sight since."""


class ReportPage(msgspec.Struct, frozen=True):
    items: list[ReportEntry]
    next_cursor: str | None


class SyncPage(msgspec.Struct, frozen=True):
    children: list[ChildStatus]
    removed: list[Id]
    cursor: str
    has_more: bool
    tasks: list[TaskItem] = []
    """On the last page: the caller's worklist (soonest first)."""
    notifications: list[NotificationItem] = []
    """On the last page: the caller's unread notifications (newest first)."""


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
    id: Id | None
    role: str


class HistoryEntry(msgspec.Struct, frozen=True):
    event_id: Id
    stream_id: Id
    version: int
    type: str
    occurred_at: Timestamp
    recorded_at: Timestamp
    actor: Actor
    device_id: str
    submission_id: Id
    geo: Geo | None
    late: bool
    flags: list[str]
    data: dict[str, Any]
    hash: str
    prev_hash: str


class HistoryPage(msgspec.Struct, frozen=True):
    child_id: Id
    items: list[HistoryEntry]
    next_cursor: str | None


class BrokenLink(msgspec.Struct, frozen=True):
    stream_id: Id
    version: int
    reason: str


class VerifyResult(msgspec.Struct, frozen=True):
    ok: bool
    streams_checked: int
    events_checked: int
    broken: list[BrokenLink]


class AccessEntry(msgspec.Struct, frozen=True):
    access_id: Id
    child_id: Id
    at: Timestamp
    actor_id: Id | None
    actor_role: str
    device_id: str
    kinds: list[str]
    endpoint: str


class AccessPage(msgspec.Struct, frozen=True):
    items: list[AccessEntry]
    next_cursor: str | None


class PhotoResult(msgspec.Struct, frozen=True):
    media_id: str
    child_id: Id
    width: int
    height: int
    content_type: str
    taken_at: Timestamp | None
    exif_geo: Position | None
    visit_flags: dict[str, list[str]]


class StatTableBody(msgspec.Struct, frozen=True):
    """One table of the statistics summary; a cell is a count, `"<5"` (a small sensitive cell) or null (withheld)."""

    title: str
    columns: list[str]
    rows: list[list[str | int | float | None]]


class StatsSummary(msgspec.Struct, frozen=True, kw_only=True):
    jurisdiction: str
    from_: Timestamp = msgspec.field(name="from")
    to: Timestamp
    tables: dict[str, StatTableBody]


class TaskItem(msgspec.Struct, frozen=True):
    """One thing the caller must do next."""

    task_id: str
    kind: Literal["visit_due", "referral_accept", "referral_complete", "report_triage", "intervention_review",
                  "closure_approval", "aging_out", "conference_followup"]
    due_at: Timestamp
    overdue: bool
    priority: RiskLevel | None
    title: str
    child_id: Id | None = None
    referral_id: Id | None = None
    report_id: Id | None = None
    intervention_id: Id | None = None
    conference_id: Id | None = None
    follow_up_index: int | None = None
    """With `conference_id`: the follow-up's number, for `POST /conferences/{id}/follow_ups/{n}/done`."""
    withheld: list[str] = []
    """`["child_id:out_of_scope"]` when the task names a child the caller no longer sees (a report's child moved
    away): the task stays, the child is left out."""


class TaskPage(msgspec.Struct, frozen=True):
    items: list[TaskItem]
    next_cursor: str | None


class NotificationItem(msgspec.Struct, frozen=True):
    """Something the caller is told: a red grading, an urgent report, a referral to their department, and the
    scheduler's reminders (a task due soon, overdue; a referral not accepted in time, also to supervisors)."""

    notification_id: Id
    kind: Literal["red_graded", "urgent_report", "referral_received", "closure_requested", "due_soon", "overdue",
                  "referral_overdue"]
    created_at: Timestamp
    read_at: Timestamp | None
    title: str
    body: str
    child_id: Id | None = None
    referral_id: Id | None = None
    report_id: Id | None = None
    task_id: str | None = None
    """The worklist task a reminder is about (`kind:id`, as in `/me/tasks`)."""
    withheld: list[str] = []
    """`["child_id:out_of_scope"]` when the child it was about no longer exists for the caller (transferred away):
    the notification stays, without the child's name, place or id, or what links to it."""


class NotificationPage(msgspec.Struct, frozen=True):
    items: list[NotificationItem]
    next_cursor: str | None
