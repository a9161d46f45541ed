"""What a client asks for: one struct per command. Unknown fields are refused; every text and list is bounded.

The bounds are named in backend/limits.py and appear in the OpenAPI document (maxLength, maxItems, pattern).
Nested parts reuse the event's struct with bounded fields, so an event holds exactly what was sent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from backend.limits import (
    CATEGORIES_MAX,
    DECISIONS_MAX,
    GOALS_MAX,
    GUARDIANS_MAX,
    ITEM_MAX,
    NAME_MAX,
    PARTICIPANTS_MAX,
    PHOTOS_MAX,
    PROFILE_FIELDS_MAX,
    REASONS_MAX,
    Address,
    Checked,
    Code,
    Item,
    Label,
    Name,
    Observation,
    Phone,
    Sha256,
    Text,
    at_most,
)
from events.base import Geo
from events.cases import Observations, Reporter
from events.children import Guardian
from events.vocabulary import (
    Category,
    ClosureReason,
    Department,
    InterventionType,
    ReporterInstitution,
    ReportSource,
    RiskLevel,
    Sex,
    TriageDecision,
    Urgency,
    VisitType,
)

Version = Annotated[int, msgspec.Meta(ge=1)]
Categories = Annotated[list[Category], msgspec.Meta(max_length=CATEGORIES_MAX)]
ProfileChanges = Annotated[
    dict[str, Any],
    msgspec.Meta(min_length=1, max_length=PROFILE_FIELDS_MAX,
                 description="profile fields by name, each bounded as at registration"),
]


class GuardianInput(Guardian, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A guardian as a client sends one."""

    relation: Label
    name: Name
    phone: Phone | None = None


class ObservationsInput(Observations, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The four observations of a visit as a client sends them."""

    living_conditions: Observation = ""
    state_of_mind: Observation = ""
    needs: Observation = ""
    problems: Observation = ""


class ReporterInput(Reporter, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who made a report, as a client sends it."""

    role: Label
    name: Name | None = None
    phone: Phone | None = None


Guardians = Annotated[list[GuardianInput], msgspec.Meta(max_length=GUARDIANS_MAX)]


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every write carries a client-made submission id and, from the field, when it happened."""

    submission_id: UUID
    occurred_at: datetime | None = None
    geo: Geo | None = None


class RegisterChild(Command, frozen=True, kw_only=True):
    name: Name
    sex: Sex
    birth_date: date
    id_number: Checked | None = None
    jurisdiction: Checked
    address: Address
    household_position: Code | None = None
    home_geo: Geo | None = None
    categories: Categories = []
    guardians: Guardians = []


class AssessRisk(Command, frozen=True, kw_only=True):
    level: RiskLevel
    reasons: Annotated[list[Item], at_most(REASONS_MAX, f"each at most {ITEM_MAX} characters")] = []
    based_on_version: Version | None = None


class ChangeCategories(Command, frozen=True, kw_only=True):
    add: Categories = []
    remove: Categories = []
    reason: Text = ""


class ChangeProfile(Command, frozen=True, kw_only=True):
    changes: ProfileChanges
    reason: Text = ""
    expected_version: Version | None = None


class TransferChild(Command, frozen=True, kw_only=True):
    to_jurisdiction: Checked
    reason: Text
    expected_version: Version | None = None


class AssignChild(Command, frozen=True, kw_only=True):
    """Name the worker responsible for the child (its owner) and, for one-to-one pairing, a partner: usernames."""

    owner: Name
    partner: Name | None = None


class SealRecord(Command, frozen=True, kw_only=True):
    reason: Text
    order_reference: Code = ""


class CloseCase(Command, frozen=True, kw_only=True):
    """A child director asks for the case to be closed; a supervisor closes it at once."""

    reason: ClosureReason
    note: Text = ""


class ClosureDecision(Command, frozen=True, kw_only=True):
    """A supervisor approves or rejects a waiting closure request."""

    note: Text = ""


class ReopenCase(Command, frozen=True, kw_only=True):
    reason: Text


class UpdateProfile(Command, frozen=True, kw_only=True):
    """Profile fields that changed in the child's life; any of them, at least one (unset ones stay as they are)."""

    address: Address | msgspec.UnsetType = msgspec.UNSET
    home_geo: Geo | None | msgspec.UnsetType = msgspec.UNSET
    guardians: Guardians | msgspec.UnsetType = msgspec.UNSET
    household_position: Code | None | msgspec.UnsetType = msgspec.UNSET
    school: Address | None | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | None | msgspec.UnsetType = msgspec.UNSET
    reason: Text = ""

    def changes(self) -> dict[str, Any]:
        """The fields sent, by name, as plain data."""
        fields = ("address", "home_geo", "guardians", "household_position", "school", "phone")
        return {f: msgspec.to_builtins(getattr(self, f)) for f in fields if getattr(self, f) is not msgspec.UNSET}


class MergeChild(Command, frozen=True, kw_only=True):
    """The duplicate record of the same child is closed as `duplicate` and points to the kept child."""

    duplicate_child_id: UUID
    note: Text = ""


class EventRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    event_id: UUID


class CorrectRecord(Command, frozen=True, kw_only=True):
    corrects: EventRef
    changes: ProfileChanges
    reason: Text
    expected_version: Version | None = None


class RecordVisit(Command, frozen=True, kw_only=True):
    child_id: UUID
    visit_type: VisitType
    child_seen: bool
    guardian_present: bool
    observations: ObservationsInput = ObservationsInput()
    photos: Annotated[list[Sha256], at_most(PHOTOS_MAX, "SHA-256 hex of each photo's bytes")] = []
    notes: Text = ""
    follow_up: Observation | None = None


class ReceiveReport(Command, frozen=True, kw_only=True):
    source: ReportSource
    reporter: ReporterInput
    description: Text
    jurisdiction: Checked
    child_id: UUID | None = None
    urgency: Urgency = Urgency.NORMAL
    discovered_at: datetime | None = None
    """When the reporter found out; no later than `occurred_at` (the report)."""
    reporter_institution: ReporterInstitution | None = None
    sentinel_place: Name | None = None
    hotline_ticket: Label | None = None


class TriageReport(Command, frozen=True, kw_only=True):
    child_id: UUID | None = None
    registration: RegisterChild | None = None
    decision: TriageDecision
    refer_to: Department | None = None
    reason: Text = ""


class SendReferral(Command, frozen=True, kw_only=True):
    child_id: UUID
    to_department: Department
    reason: Text
    urgency: Urgency = Urgency.NORMAL


class ReferralStep(Command, frozen=True, kw_only=True):
    """Accept, decline, note progress, complete or escalate a referral."""

    note: Text = ""
    outcome: Text | None = None


class GoalInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    text: Item
    due_date: date


class PlanIntervention(Command, frozen=True, kw_only=True):
    child_id: UUID
    type: InterventionType
    plan: Text
    responsible_department: Department
    goals: Annotated[list[GoalInput], at_most(GOALS_MAX, f"goals, each at most {ITEM_MAX} characters")] = []
    review_by: datetime | None = None
    """When the case plan is to be reviewed; a review not made by then is an overdue task."""


class InterventionStep(Command, frozen=True, kw_only=True):
    note: Text = ""
    outcome: Text | None = None
    next_review_by: datetime | None = None
    """On a review: when the next one is due (none: no further review is scheduled)."""


class FollowUpInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A follow-up a conference decided: what, who (a name or username) and by when; tracked as a task."""

    text: Item
    owner: Name | None = None
    due_date: date | None = None


class HoldConference(Command, frozen=True, kw_only=True):
    participants: Annotated[list[Name], at_most(PARTICIPANTS_MAX, f"names, each at most {NAME_MAX} characters")]
    decisions: Annotated[list[Item], at_most(DECISIONS_MAX, f"each at most {ITEM_MAX} characters")]
    follow_ups: Annotated[
        list[Item | FollowUpInput],
        at_most(DECISIONS_MAX, f"each a text or {{text, owner?, due_date?}}, text at most {ITEM_MAX} characters"),
    ] = []


class FollowUpDone(Command, frozen=True, kw_only=True):
    """A conference's follow-up was done."""

    note: Text = ""
