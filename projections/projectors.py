"""Projectors: one small function per event type (each concept in its own module), in one visible table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from events.base import Event
from events.cases import (
    CaseConferenceHeld,
    ConferenceFollowUpDone,
    DepartmentMatterClosed,
    DepartmentMatterOpened,
    InterventionEnded,
    InterventionPlanned,
    InterventionReviewed,
    InterventionStarted,
    PhotoStored,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralEscalated,
    ReferralProgressNoted,
    ReferralSent,
    ReportReceived,
    ReportTriaged,
    VisitRecorded,
)
from events.children import (
    CaseClosed,
    CaseReopened,
    CategoriesChanged,
    ChildAssigned,
    ChildRegistered,
    ChildTransferred,
    ClosureRejected,
    ClosureRequested,
    CorrectionRecorded,
    DuplicateMerged,
    ProfileChanged,
    RecordSealed,
    RiskAssessed,
)
from events.ledger import NotificationRead, ProtectedDataShown, ReminderFired, SensitiveDataViewed
from projections import notices
from projections.batch import Batch
from projections.on_cases import (
    conference_follow_up_done,
    conference_held,
    intervention_ended,
    intervention_planned,
    intervention_reviewed,
    intervention_started,
    referral_accepted,
    referral_completed,
    referral_declined,
    referral_escalated,
    referral_progress,
    referral_sent,
    report_received,
    report_triaged,
)
from projections.on_children import (
    case_closed,
    case_opened_again,
    categories_changed,
    child_assigned,
    child_registered,
    child_transferred,
    closure_requested,
    duplicate_merged,
    profile_changed,
    record_sealed,
    risk_assessed,
)
from projections.on_ledger import data_shown, data_viewed, matter_closed, matter_opened
from projections.on_reminders import reminder_fired
from projections.on_visits import photo_stored, visit_recorded

Projector = Callable[[Batch, Any, int], None]


PROJECTORS: Final[dict[type[Event], Projector]] = {
    ChildRegistered: child_registered,
    CategoriesChanged: categories_changed,
    ChildTransferred: child_transferred,
    RiskAssessed: risk_assessed,
    ProfileChanged: profile_changed,
    CorrectionRecorded: profile_changed,
    VisitRecorded: visit_recorded,
    ReportReceived: report_received,
    ReportTriaged: report_triaged,
    ReferralSent: referral_sent,
    ReferralAccepted: referral_accepted,
    ReferralDeclined: referral_declined,
    ReferralProgressNoted: referral_progress,
    ReferralCompleted: referral_completed,
    ReferralEscalated: referral_escalated,
    InterventionPlanned: intervention_planned,
    InterventionStarted: intervention_started,
    InterventionReviewed: intervention_reviewed,
    InterventionEnded: intervention_ended,
    CaseConferenceHeld: conference_held,
    ConferenceFollowUpDone: conference_follow_up_done,
    RecordSealed: record_sealed,
    ChildAssigned: child_assigned,
    ClosureRequested: closure_requested,
    CaseClosed: case_closed,
    ClosureRejected: case_opened_again,
    CaseReopened: case_opened_again,
    DuplicateMerged: duplicate_merged,
    SensitiveDataViewed: data_viewed,
    NotificationRead: notices.notification_read,
    ProtectedDataShown: data_shown,
    DepartmentMatterOpened: matter_opened,
    DepartmentMatterClosed: matter_closed,
    PhotoStored: photo_stored,
    ReminderFired: reminder_fired,
}
"""Event type → projector. Events not listed (receipts, anchors, accounts) change no read model."""


def apply(b: Batch, event: Event, position: int, table: Mapping[type[Event], Projector] = PROJECTORS) -> None:
    """Apply one event to the rows of a batch, through the projector the table names for its type."""
    projector = table.get(type(event))
    if projector is not None:
        projector(b, event, position)

