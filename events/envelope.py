"""What other systems receive on NATS: one envelope per event, with its place in the global order."""

from __future__ import annotations

from typing import Any, Final

import msgspec

SUBJECT_PREFIX: Final = "huhang.events"
DEPARTMENT_PREFIX: Final = "huhang.dept"
"""A department's own events: huhang.dept.<department>.<aggregate>.<event>, in the stream HUHANG_DEPT_<DEPARTMENT>."""
DEPARTMENT_AGGREGATES: Final = ("referral", "intervention")
"""A department receives the referrals sent to it and the interventions it is responsible for, nothing else."""
CREDENTIALS: Final = frozenset({"password_hash"})
"""Fields that never leave the server: removed from every published payload and named in `redacted`."""

AGGREGATE_OF: Final[dict[str, str]] = {
    "ChildRegistered": "child", "ProfileChanged": "child", "CategoriesChanged": "child", "ChildTransferred": "child",
    "RiskAssessed": "child", "CorrectionRecorded": "child", "RecordSealed": "child", "ChildAssigned": "child",
    "ClosureRequested": "child", "CaseClosed": "child", "ClosureRejected": "child", "CaseReopened": "child",
    "DuplicateMerged": "child",
    "VisitRecorded": "visit", "PhotoStored": "photo",
    "ReportReceived": "report", "ReportTriaged": "report",
    "ReferralSent": "referral", "ReferralAccepted": "referral", "ReferralDeclined": "referral",
    "ReferralProgressNoted": "referral", "ReferralCompleted": "referral", "ReferralEscalated": "referral",
    "InterventionPlanned": "intervention", "InterventionStarted": "intervention",
    "InterventionReviewed": "intervention", "InterventionEnded": "intervention",
    "CaseConferenceHeld": "conference", "ConferenceFollowUpDone": "conference",
    "UserRegistered": "user", "UserDisabled": "user", "PasswordChanged": "user",
    "SubmissionAccepted": "submission", "AnchorRecorded": "anchor", "SensitiveDataViewed": "access",
    "ProtectedDataShown": "access", "DepartmentMatterOpened": "involvement", "DepartmentMatterClosed": "involvement",
    "NotificationRead": "notification", "IdNumberClaimed": "id_number_claim", "IdNumberReleased": "id_number_claim",
    "ReminderFired": "reminder",
}
"""Event type → the aggregate named in its subject: huhang.events.<aggregate>.<event>."""


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """One event as published. `position` is its place in the global order (the notification id);
    `payload` is the stored event's own fields (its `hash` covers the stored event with `prev_hash`),
    less any field named in `redacted`; with a `claim_check`, the event is read from elsewhere."""

    event_id: str
    stream_id: str
    version: int
    position: int
    type: str
    schema_version: int
    topic: str
    recorded_at: str
    occurred_at: str
    metadata: dict[str, Any]
    payload: dict[str, Any]
    hash: str
    prev_hash: str
    redacted: list[str] = []
    claim_check: ClaimCheck | None = None


class ClaimCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The event was larger than the bus accepts: `payload` and `metadata` are left empty, and the
    whole event is read from `source` (the event store, by `position`) instead."""

    reason: str
    size: int
    source: str = "event_store"


def redact(payload: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The payload without credentials, and the names of the fields taken out."""
    removed = sorted(CREDENTIALS.intersection(payload))
    return ({k: v for k, v in payload.items() if k not in CREDENTIALS} if removed else payload), removed


def subject_for(event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{AGGREGATE_OF.get(event_type, 'other')}.{event_type}"


def department_subject(department: str, event_type: str) -> str:
    return f"{DEPARTMENT_PREFIX}.{department}.{AGGREGATE_OF.get(event_type, 'other')}.{event_type}"


def department_stream(department: str) -> str:
    return f"HUHANG_DEPT_{department.upper()}"


def json_schema() -> dict[str, Any]:
    """The envelope's JSON Schema, generated from the struct (the contract for other systems)."""
    return msgspec.json.schema(Envelope)
