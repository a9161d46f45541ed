"""What other systems receive on NATS: one envelope per event, with its place in the global order."""

from __future__ import annotations

from typing import Any, Final

import msgspec

SUBJECT_PREFIX: Final = "huhang.events"

AGGREGATE_OF: Final[dict[str, str]] = {
    "ChildRegistered": "child", "ProfileChanged": "child", "CategoriesChanged": "child", "ChildTransferred": "child",
    "RiskAssessed": "child", "CorrectionRecorded": "child", "RecordSealed": "child",
    "VisitRecorded": "visit", "PhotoStored": "photo",
    "ReportReceived": "report", "ReportTriaged": "report",
    "ReferralSent": "referral", "ReferralAccepted": "referral", "ReferralDeclined": "referral",
    "ReferralProgressNoted": "referral", "ReferralCompleted": "referral", "ReferralEscalated": "referral",
    "InterventionPlanned": "intervention", "InterventionStarted": "intervention",
    "InterventionReviewed": "intervention", "InterventionEnded": "intervention",
    "CaseConferenceHeld": "conference",
    "UserRegistered": "user", "UserDisabled": "user", "PasswordChanged": "user",
    "SubmissionAccepted": "submission", "AnchorRecorded": "anchor", "SensitiveDataViewed": "access",
    "ProtectedDataShown": "access", "DepartmentMatterOpened": "involvement", "DepartmentMatterClosed": "involvement",
}
"""Event type → the aggregate named in its subject: huhang.events.<aggregate>.<event>."""


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """One event as published. `position` is its place in the global order (the notification id);
    `event` is the stored event exactly (its `hash` covers it with `prev_hash`)."""

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


def subject_for(event_type: str) -> str:
    return f"{SUBJECT_PREFIX}.{AGGREGATE_OF.get(event_type, 'other')}.{event_type}"


def json_schema() -> dict[str, Any]:
    """The envelope's JSON Schema, generated from the struct (the contract for other systems)."""
    return msgspec.json.schema(Envelope)
