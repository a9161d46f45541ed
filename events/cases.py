"""Facts about work on a child: visits, reports, referrals, interventions, conferences."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from events.base import Event


class Observations(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The "三看一查" protocol: living conditions, state of mind, needs, problems found."""

    living_conditions: str = ""
    state_of_mind: str = ""
    needs: str = ""
    problems: str = ""


class VisitRecorded(Event, frozen=True, kw_only=True):
    child_id: UUID
    visit_type: str
    child_seen: bool
    guardian_present: bool
    observations: Observations
    photos: list[str] = []
    notes: str = ""
    follow_up: str | None = None
    flags: list[str] = []
    """What the visit alone raised when recorded, for the audit timeline. Read models never read it: they
    derive a visit's evidence flags from its facts and the photos stored for it (`backend.photo.evidence_flags`).
    Events from before that rule may also hold flags of photos already stored then."""


class Reporter(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    role: str
    name: str | None = None
    phone: str | None = None


class ReportReceived(Event, frozen=True, kw_only=True):
    source: str
    reporter: Reporter
    description: str
    jurisdiction: str
    child_id: UUID | None = None
    urgency: str = "normal"
    triage_within_hours: float | None = None
    """The triage deadline of the policy of its day (none in events from before it was recorded)."""
    discovered_at: datetime | None = None
    """When the reporter found out what they report (the report itself occurred later, or at once)."""
    reporter_institution: str | None = None
    sentinel_place: str | None = None
    """The sentinel place's own name (a school, a hotel …), for the statistics by place."""
    hotline_ticket: str | None = None
    """A dispatched hotline ticket's number (12345/12355), so that it can be followed to the end."""


class ReportTriaged(Event, frozen=True, kw_only=True):
    child_id: UUID
    decision: str
    refer_to: str | None = None
    referral_id: UUID | None = None


class ReferralSent(Event, frozen=True, kw_only=True):
    child_id: UUID
    to_department: str
    reason: str
    urgency: str
    accept_by: datetime
    complete_by: datetime
    report_id: UUID | None = None
    accept_within_hours: float | None = None
    complete_within_days: float | None = None
    """The policy of its day, kept so an old deadline is explained by the numbers it was made with."""


class ReferralAccepted(Event, frozen=True, kw_only=True):
    note: str = ""


class ReferralDeclined(Event, frozen=True, kw_only=True):
    reason: str


class ReferralProgressNoted(Event, frozen=True, kw_only=True):
    note: str


class ReferralCompleted(Event, frozen=True, kw_only=True):
    note: str = ""
    outcome: str


class ReferralEscalated(Event, frozen=True, kw_only=True):
    reason: str
    deadline: datetime


class Goal(msgspec.Struct, frozen=True, kw_only=True):
    """One goal of a case plan and the day it should be reached."""

    text: str
    due_date: date


class InterventionPlanned(Event, frozen=True, kw_only=True):
    child_id: UUID
    intervention_type: str
    plan: str
    responsible_department: str
    goals: list[Goal] = []
    review_by: datetime | None = None


class InterventionStarted(Event, frozen=True, kw_only=True):
    note: str = ""


class InterventionReviewed(Event, frozen=True, kw_only=True):
    note: str
    next_review_by: datetime | None = None


class InterventionEnded(Event, frozen=True, kw_only=True):
    note: str = ""
    outcome: str


class FollowUp(msgspec.Struct, frozen=True, kw_only=True):
    """What a conference decided someone will do, and by when."""

    text: str
    owner: str | None = None
    due_date: date | None = None


class CaseConferenceHeld(Event, frozen=True, kw_only=True):
    child_id: UUID
    participants: list[str]
    decisions: list[str]
    follow_ups: list[str] = []
    """Follow-ups as plain text (conferences recorded before follow-ups had owners and due dates)."""
    follow_up_items: list[FollowUp] = []
    """Follow-ups with their owner and due date; numbered from 0 in this order."""


class ConferenceFollowUpDone(Event, frozen=True, kw_only=True):
    """A conference's follow-up (by its number) was done."""

    index: int
    note: str = ""


class ExifPosition(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lon: float


class PhotoStored(Event, frozen=True, kw_only=True):
    """A photo of a child was stored: its hash names it; EXIF time and place are evidence to check.

    `visit_flags` is no longer written and is ignored when read: older events held there the flags the
    photo raised on the visits the read side knew of when it arrived, which depended on projection lag.
    It stays so that those events still decode; the flags are derived from the facts instead.
    """

    child_id: UUID
    sha256: str
    size: int
    content_type: str
    width: int
    height: int
    taken_at: datetime | None = None
    exif_geo: ExifPosition | None = None
    visit_flags: dict[str, list[str]] = {}


class DepartmentMatterOpened(Event, frozen=True, kw_only=True):
    """A referral or intervention about the child was opened with a department: its handlers may see the child."""

    child_id: UUID
    department: str
    matter_id: UUID


class DepartmentMatterClosed(Event, frozen=True, kw_only=True):
    """That referral or intervention was closed (declined, completed, ended)."""

    child_id: UUID
    department: str
    matter_id: UUID
