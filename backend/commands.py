"""What a client asks for: one struct per command. Unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec

from events.base import Geo
from events.cases import Observations, Reporter
from events.children import Guardian
from events.vocabulary import (
    Category,
    Department,
    InterventionType,
    ReportSource,
    RiskLevel,
    Sex,
    TriageDecision,
    Urgency,
    VisitType,
)

Text = Annotated[str, msgspec.Meta(max_length=4000)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Short = Annotated[str, msgspec.Meta(max_length=500)]


class Command(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Every write carries a client-made submission id and, from the field, when it happened."""

    submission_id: UUID
    occurred_at: datetime | None = None
    geo: Geo | None = None


class RegisterChild(Command, frozen=True, kw_only=True):
    name: Name
    sex: Sex
    birth_date: date
    id_number: Short | None = None
    jurisdiction: Short
    address: Text
    household_position: Short | None = None
    home_geo: Geo | None = None
    categories: list[Category] = []
    guardians: list[Guardian] = []


class AssessRisk(Command, frozen=True, kw_only=True):
    level: RiskLevel
    reasons: list[Text] = []
    based_on_version: int | None = None


class ChangeCategories(Command, frozen=True, kw_only=True):
    add: list[Category] = []
    remove: list[Category] = []
    reason: Text = ""


class ChangeProfile(Command, frozen=True, kw_only=True):
    changes: dict[str, Any]
    reason: Text = ""
    expected_version: int | None = None


class TransferChild(Command, frozen=True, kw_only=True):
    to_jurisdiction: Short
    reason: Text
    expected_version: int | None = None


class SealRecord(Command, frozen=True, kw_only=True):
    reason: Text
    order_reference: Short = ""


class EventRef(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    event_id: UUID


class CorrectRecord(Command, frozen=True, kw_only=True):
    corrects: EventRef
    changes: dict[str, Any]
    reason: Text
    expected_version: int | None = None


class RecordVisit(Command, frozen=True, kw_only=True):
    child_id: UUID
    visit_type: VisitType
    child_seen: bool
    guardian_present: bool
    observations: Observations = Observations()
    photos: list[Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]] = []
    notes: Text = ""
    follow_up: Text | None = None


class ReceiveReport(Command, frozen=True, kw_only=True):
    source: ReportSource
    reporter: Reporter
    description: Text
    jurisdiction: Short
    child_id: UUID | None = None
    urgency: Urgency = Urgency.NORMAL


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


class PlanIntervention(Command, frozen=True, kw_only=True):
    child_id: UUID
    type: InterventionType
    plan: Text
    responsible_department: Department


class InterventionStep(Command, frozen=True, kw_only=True):
    note: Text = ""
    outcome: Text | None = None


class HoldConference(Command, frozen=True, kw_only=True):
    participants: list[Short]
    decisions: list[Text]
    follow_ups: list[Text] = []
