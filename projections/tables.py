"""Read-model rows (msgspec structs stored as JSON) and the tables that hold them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, Final
from uuid import UUID

import msgspec

from backend.rules.age import adult_at
from projections.db import upsert_statement


def uuid_text(value: UUID | str) -> str:
    """A UUID as its canonical text (msgspec converts it several times faster than `str`; text stays as is)."""
    if type(value) is str:  # projectors pass ids already made text too, millions of times in a rebuild
        return value
    text: str = msgspec.to_builtins(value)
    return text


def utc_text(moment: datetime | None) -> str | None:
    """A time as UTC ISO text, so that text order is time order in both databases."""
    return moment.astimezone(UTC).isoformat() if moment else None


class ChildRow(msgspec.Struct, kw_only=True):
    child_id: str
    name: str
    sex: str
    birth_date: str
    id_number: str | None = None
    address: str = ""
    household_position: str | None = None
    home_geo: dict[str, Any] | None = None
    guardians: list[dict[str, Any]] = []
    jurisdiction: str
    categories: list[str] = []
    risk_level: str | None = None
    risk_reasons: list[str] = []
    risk_occurred_at: datetime | None = None
    graded_up_at: datetime | None = None
    red_since: datetime | None = None
    registered_at: datetime
    last_visit_at: datetime | None = None
    next_visit_due: datetime | None = None
    open_referrals: list[str] = []
    active_interventions: list[str] = []
    open_matters: dict[str, str] = {}
    """Open referrals and interventions → their department (the facts of the department-handler rule)."""
    conflicting_assessments: bool = False
    sealed: bool = False
    owner: str | None = None
    owner_id: str | None = None
    partner: str | None = None
    ever_sensitive: bool = False
    """Had a sensitive category at some time: free text about the child stays protected after it is removed."""
    incomplete_visits: list[str] = []
    last_visit_id: str | None = None
    last_visit_flags: list[str] = []
    school: str | None = None
    phone: str | None = None
    case_status: str = "open"
    closure_reason: str | None = None
    closure_due: datetime | None = None
    """While a closure request waits: when a supervisor should have decided it (the `closure_approval` task)."""
    merged_into: str | None = None
    version: int = 0
    changed_at: int = 0


class VisitRow(msgspec.Struct, kw_only=True):
    visit_id: str
    child_id: str
    occurred_at: datetime
    recorded_at: datetime
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
    due_at: datetime | None = None
    on_time: bool = True
    home_geo: dict[str, Any] | None = None
    """The child's household position when the visit was recorded: its flags are derived against it."""


class ReferralRow(msgspec.Struct, kw_only=True):
    referral_id: str
    child_id: str
    department: str
    status: str
    reason: str
    urgency: str
    sent_at: datetime
    accept_by: datetime
    complete_by: datetime
    accepted_at: datetime | None = None
    completed_at: datetime | None = None
    declined_reason: str | None = None
    outcome: str | None = None
    escalations: int = 0
    notes: list[str] = []
    report_id: str | None = None
    changed_at: int = 0
    """The log position of the last event that changed the row (a scheduler pass looks at rows changed since)."""


def referral_due_by(r: ReferralRow) -> datetime | None:
    """The deadline a referral is now working against: accept-by when sent, complete-by when accepted."""
    if r.status == "sent":
        return r.accept_by
    if r.status == "accepted":
        return r.complete_by
    return None


class InterventionRow(msgspec.Struct, kw_only=True):
    intervention_id: str
    child_id: str
    type: str
    plan: str
    department: str
    status: str
    planned_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    reviews: int = 0
    outcome: str | None = None
    goals: list[dict[str, Any]] = []
    review_by: datetime | None = None
    """When the next review of the case plan is due (none once ended, or when none is scheduled)."""
    changed_at: int = 0
    """The log position of the last event that changed the row (a scheduler pass looks at rows changed since)."""


class ReportRow(msgspec.Struct, kw_only=True):
    report_id: str
    jurisdiction: str
    source: str
    urgency: str
    received_at: datetime
    child_id: str | None = None
    triaged_at: datetime | None = None
    decision: str | None = None
    referral_id: str | None = None
    triage_by: datetime | None = None
    changed_at: int = 0
    """The log position of the last event that changed the row (a scheduler pass looks at rows changed since)."""
    discovered_at: datetime | None = None
    reporter_institution: str | None = None
    sentinel_place: str | None = None
    hotline_ticket: str | None = None
    reporter_role: str = ""


class ConferenceRow(msgspec.Struct, kw_only=True):
    """A case conference about a child, with its follow-ups and which of them are done."""

    conference_id: str
    child_id: str
    held_at: datetime
    actor_id: str | None
    participants: list[str]
    decisions: list[str]
    follow_ups: list[dict[str, Any]] = []
    """Each `{text, owner, due_date, done_at}`, numbered by its place in the list."""


class FollowUpRow(msgspec.Struct, kw_only=True):
    """One follow-up of a conference, a task until done: due by the end of its due date (`policy.day_due`)."""

    key: str
    conference_id: str
    index: int
    child_id: str
    text: str
    owner: str | None = None
    due_at: datetime | None = None
    done_at: datetime | None = None


def follow_up_key(conference_id: str, index: int) -> str:
    """Keys in the order of the follow-ups (a conference has at most a few dozen)."""
    return f"{conference_id}:{index:03d}"


class LinkRow(msgspec.Struct, kw_only=True):
    """A child a stream is about (visits, referrals … and the child's own stream). A stream can be about more
    than one child — a report names one child and is triaged to another — so the key is the pair."""

    key: str
    stream_id: str
    child_id: str
    kind: str


class MoveRow(msgspec.Struct, kw_only=True):
    """A child leaving one jurisdiction for another, at a position of the log (for sync)."""

    key: str
    position: int
    child_id: str
    from_jurisdiction: str
    to_jurisdiction: str


SCHEMA_VERSION: Final = 16
"""Bump when a table or row shape changes: older read models are then dropped and rebuilt from the log."""

INTEGER_COLUMNS: Final = frozenset({"changed_at", "position"})


class AccessRow(msgspec.Struct, kw_only=True):
    """One child's protected data shown in one request (one access event may name several children)."""

    key: str
    access_id: str
    child_id: str
    at: datetime
    actor_id: str | None
    actor_role: str
    device_id: str
    kinds: list[str]
    endpoint: str


class Table(msgspec.Struct, frozen=True):
    """A read-model table: its key, its row type and the columns queries filter on."""

    name: str
    key: str
    row_type: type[Any]
    columns: dict[str, Callable[[Any], Any]]
    indexes: tuple[str, ...] = ()
    read_back: bool = True
    """False for rows projectors (nearly) only write — visits, links, moves, access: a put does not keep
    them in the rebuild cache (a get still does), so they do not push out the rows that are read back."""

    def create_statements(self, suffix: str = "") -> list[str]:
        name = self.name + suffix
        cols = "".join(f", {c} BIGINT" if c in INTEGER_COLUMNS else f", {c} TEXT" for c in self.columns)
        statements = [f"CREATE TABLE IF NOT EXISTS {name} ({self.key} TEXT PRIMARY KEY{cols}, doc TEXT NOT NULL)"]
        statements += [f"CREATE INDEX IF NOT EXISTS {name}_{c.replace(',', '_')} ON {name} ({c})" for c in self.indexes]
        return statements

    def index_names(self, suffix: str = "") -> list[str]:
        """An index is on one column, or on several named with commas (`department,status,due_by`)."""
        return [f"{self.name}{suffix}_{c.replace(',', '_')}" for c in self.indexes]

    @property
    def names(self) -> list[str]:
        """The columns `values` gives values for: key, columns, document."""
        return [self.key, *self.columns, "doc"]

    def upsert_statement(self, suffix: str = "") -> str:
        return upsert_statement(self.name + suffix, self.names)

    def values(self, row: Any, encode: Callable[[Any], bytes]) -> tuple[Any, ...]:
        return self.many_values([row], encode)[0]

    def many_values(self, rows: list[Any], encode: Callable[[Any], bytes]) -> list[tuple[Any, ...]]:
        """The parameters of `upsert_statement` for each row (key, columns, document)."""
        key, columns = self.key, tuple(self.columns.values())
        return [(getattr(row, key), *[f(row) for f in columns], encode(row).decode()) for row in rows]


CHILDREN: Final = Table(
    "rm_children",
    "child_id",
    ChildRow,
    {
        "jurisdiction": lambda r: r.jurisdiction,
        "risk_level": lambda r: r.risk_level,
        "categories": lambda r: "," + ",".join(r.categories) + ",",
        "next_visit_due": lambda r: utc_text(r.next_visit_due),
        "changed_at": lambda r: r.changed_at,
        "sealed": lambda r: "1" if r.sealed else "0",
        "owner_id": lambda r: r.owner_id,
        "open_departments": lambda r: "," + ",".join(sorted(set(r.open_matters.values()))) + ",",
        "case_status": lambda r: r.case_status,
        "adult_at": lambda r: utc_text(adult_at(date.fromisoformat(r.birth_date))),
        "closure_due": lambda r: utc_text(r.closure_due),
    },
    indexes=("jurisdiction", "next_visit_due", "changed_at"),
)
VISITS: Final = Table(
    "rm_visits", "visit_id", VisitRow,
    {"child_id": lambda r: r.child_id, "occurred_at": lambda r: utc_text(r.occurred_at)},
    indexes=("child_id", "occurred_at"),
    read_back=False,  # read only when a late photo completes a visit: loaded then, not kept from every put
)
REFERRALS: Final = Table(
    "rm_referrals", "referral_id", ReferralRow,
    {
        "child_id": lambda r: r.child_id,
        "department": lambda r: r.department,
        "status": lambda r: r.status,
        "due_by": lambda r: utc_text(referral_due_by(r)),
        "changed_at": lambda r: r.changed_at,
    },
    indexes=("child_id", "department", "due_by", "changed_at", "department,status,due_by,referral_id"),
)
INTERVENTIONS: Final = Table(
    "rm_interventions", "intervention_id", InterventionRow,
    {"child_id": lambda r: r.child_id, "status": lambda r: r.status, "department": lambda r: r.department,
     "review_due": lambda r: utc_text(r.review_by) if r.status != "ended" else None,
     "changed_at": lambda r: r.changed_at},
    indexes=("child_id", "review_due", "changed_at"),
)
REPORTS: Final = Table(
    "rm_reports", "report_id", ReportRow,
    {"jurisdiction": lambda r: r.jurisdiction,
     "triage_due": lambda r: utc_text(r.triage_by) if r.triaged_at is None else None,
     "changed_at": lambda r: r.changed_at,
     "received_at": lambda r: utc_text(r.received_at),
     "triaged": lambda r: "0" if r.triaged_at is None else "1",
     "source": lambda r: r.source,
     "urgency": lambda r: r.urgency,
     "child_id": lambda r: r.child_id},
    indexes=("jurisdiction", "triage_due", "changed_at", "received_at"),
)
CONFERENCES: Final = Table(
    "rm_conferences", "conference_id", ConferenceRow,
    {"child_id": lambda r: r.child_id, "held_at": lambda r: utc_text(r.held_at)},
    indexes=("child_id",),
)
FOLLOW_UPS: Final = Table(
    "rm_follow_ups", "key", FollowUpRow,
    {"child_id": lambda r: r.child_id, "due": lambda r: utc_text(r.due_at) if r.done_at is None else None},
    indexes=("child_id", "due"),
)
LINKS: Final = Table(
    "rm_links", "key", LinkRow, {"stream_id": lambda r: r.stream_id, "child_id": lambda r: r.child_id},
    indexes=("child_id",), read_back=False,
)
MOVES: Final = Table(
    "rm_moves", "key", MoveRow,
    {"position": lambda r: r.position, "child_id": lambda r: r.child_id, "from_jurisdiction": lambda r: r.from_jurisdiction},
    indexes=("position",),
    read_back=False,
)

ACCESS: Final = Table(
    "rm_access", "key", AccessRow, {"child_id": lambda r: r.child_id, "at": lambda r: utc_text(r.at)},
    indexes=("child_id",),
    read_back=False,
)

TABLES: tuple[Table, ...] = (CHILDREN, VISITS, REFERRALS, INTERVENTIONS, REPORTS, CONFERENCES, FOLLOW_UPS, LINKS, MOVES, ACCESS)
CHECKPOINTS_DDL: Final = (
    "CREATE TABLE IF NOT EXISTS rm_checkpoints "
    "(name TEXT PRIMARY KEY, position BIGINT NOT NULL, generation BIGINT NOT NULL DEFAULT 0)"
)
"""A projection's position in the log; `generation` changes when a rebuild swaps its tables in."""


class PhotoRow(msgspec.Struct, kw_only=True):
    """A photo stored for a child."""

    key: str
    child_id: str
    sha256: str
    content_type: str
    width: int
    height: int
    taken_at: datetime | None = None
    exif_geo: dict[str, float] | None = None
    stored_at: datetime


PHOTOS: Final = Table(
    "rm_photos", "key", PhotoRow, {"child_id": lambda r: r.child_id, "sha256": lambda r: r.sha256},
    indexes=("child_id", "sha256"),
)
TABLES = (*TABLES, PHOTOS)
