"""Projectors: one small function per event type, in one visible table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from backend.disclosure import has_sensitive
from backend.photos import PhotoEvidence, VisitEvidence, evidence_flags
from backend.rules.policy import effective_level, is_higher, next_visit_due, triage_due
from events.base import Event, Geo
from events.cases import (
    CaseConferenceHeld,
    DepartmentMatterClosed,
    DepartmentMatterOpened,
    ExifPosition,
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
    CategoriesChanged,
    ChildAssigned,
    ChildRegistered,
    ChildTransferred,
    CorrectionRecorded,
    ProfileChanged,
    RecordSealed,
    RiskAssessed,
)
from events.ledger import NotificationRead, ProtectedDataShown, SensitiveDataViewed
from events.vocabulary import RiskLevel
from projections import notices
from projections.batch import Batch
from projections.tables import (
    ACCESS,
    CHILDREN,
    INTERVENTIONS,
    LINKS,
    MOVES,
    PHOTOS,
    REFERRALS,
    REPORTS,
    VISITS,
    AccessRow,
    ChildRow,
    InterventionRow,
    LinkRow,
    MoveRow,
    PhotoRow,
    ReferralRow,
    ReportRow,
    VisitRow,
)

Projector = Callable[[Batch, Any, int], None]


def _child(b: Batch, child_id: Any) -> ChildRow | None:
    return b.get(CHILDREN, str(child_id), ChildRow)


def _touch(b: Batch, row: ChildRow, position: int) -> None:
    """Recompute what follows from the row, mark it changed at this position, and keep it."""
    level = effective_level(row.risk_level, row.categories)
    row.ever_sensitive = row.ever_sensitive or has_sensitive(row.categories)
    row.next_visit_due = next_visit_due(b.policy, level, row.last_visit_at, row.graded_up_at, row.registered_at)
    row.changed_at = position
    b.put(CHILDREN, row)


def _link(b: Batch, stream_id: Any, child_id: Any, kind: str) -> None:
    b.put(LINKS, LinkRow(key=f"{stream_id}|{child_id}", stream_id=str(stream_id), child_id=str(child_id), kind=kind))


def child_registered(b: Batch, e: ChildRegistered, position: int) -> None:
    row = ChildRow(
        child_id=str(e.originator_id), name=e.name, sex=e.sex, birth_date=e.birth_date.isoformat(),
        id_number=e.id_number, address=e.address, household_position=e.household_position,
        home_geo=msgspec.to_builtins(e.home_geo), guardians=msgspec.to_builtins(e.guardians),
        jurisdiction=e.jurisdiction, categories=list(e.categories), registered_at=e.meta.occurred_at,
        version=e.originator_version,
    )
    _link(b, e.originator_id, e.originator_id, "child")
    _touch(b, row, position)


def _own(b: Batch, e: Event) -> ChildRow | None:
    row = _child(b, e.originator_id)
    if row is not None:
        row.version = e.originator_version
    return row


def categories_changed(b: Batch, e: CategoriesChanged, position: int) -> None:
    if row := _own(b, e):
        row.categories = sorted((set(row.categories) - set(e.removed)) | set(e.added))
        _touch(b, row, position)


def child_transferred(b: Batch, e: ChildTransferred, position: int) -> None:
    if row := _own(b, e):
        row.jurisdiction = e.to_jurisdiction
        row.owner = row.owner_id = row.partner = None  # a transfer ends the assignment
        b.put(MOVES, MoveRow(key=f"{position}:{row.child_id}", position=position, child_id=row.child_id,
                             from_jurisdiction=e.from_jurisdiction, to_jurisdiction=e.to_jurisdiction))
        _touch(b, row, position)


def risk_assessed(b: Batch, e: RiskAssessed, position: int) -> None:
    row = _own(b, e)
    if row is None:
        return
    notices.red_graded(b, e, row, row.risk_level)
    occurred = e.meta.occurred_at
    if e.current:
        if is_higher(e.level, row.risk_level):
            row.graded_up_at = occurred
        if e.level == RiskLevel.RED and row.risk_level != RiskLevel.RED:
            row.red_since = occurred
        elif e.level != RiskLevel.RED:
            row.red_since = None
        row.risk_level, row.risk_reasons, row.risk_occurred_at = e.level, list(e.reasons), occurred
    if e.conflicting:
        row.conflicting_assessments = True
    elif e.current and e.meta.actor_role == "supervisor":
        row.conflicting_assessments = False
    _touch(b, row, position)


def profile_changed(b: Batch, e: ProfileChanged | CorrectionRecorded, position: int) -> None:
    if row := _own(b, e):
        for field, value in e.changes.items():
            if hasattr(row, field):
                setattr(row, field, value)
        _touch(b, row, position)


def child_assigned(b: Batch, e: ChildAssigned, position: int) -> None:
    if row := _own(b, e):
        row.owner, row.owner_id, row.partner = e.owner, str(e.owner_id), e.partner
        _touch(b, row, position)


def record_sealed(b: Batch, e: RecordSealed, position: int) -> None:
    if row := _own(b, e):
        row.sealed = True
        _touch(b, row, position)


def _access(b: Batch, e: Event, child_id: Any, kinds: list[str], endpoint: str) -> None:
    b.put(ACCESS, AccessRow(
        key=f"{e.originator_id}|{child_id}", access_id=str(e.originator_id), child_id=str(child_id),
        at=e.meta.recorded_at, actor_id=str(e.meta.actor_id) if e.meta.actor_id else None,
        actor_role=e.meta.actor_role, device_id=e.meta.device_id, kinds=list(kinds), endpoint=endpoint,
    ))


def data_viewed(b: Batch, e: SensitiveDataViewed, position: int) -> None:
    _access(b, e, e.child_id, e.kinds, e.endpoint)


def data_shown(b: Batch, e: ProtectedDataShown, position: int) -> None:
    for shown in e.children:
        _access(b, e, shown.child_id, shown.kinds, e.endpoint)


def matter_opened(b: Batch, e: DepartmentMatterOpened, position: int) -> None:
    _link(b, e.originator_id, e.child_id, "involvement")
    if row := _child(b, e.child_id):
        row.open_matters = {**row.open_matters, str(e.matter_id): e.department}
        _touch(b, row, position)


def matter_closed(b: Batch, e: DepartmentMatterClosed, position: int) -> None:
    if row := _child(b, e.child_id):
        row.open_matters = {k: v for k, v in row.open_matters.items() if k != str(e.matter_id)}
        _touch(b, row, position)


def _geo(value: dict[str, Any] | None) -> Geo | None:
    return msgspec.convert(value, Geo) if value is not None else None


def _photo(b: Batch, child_id: str, sha: str) -> PhotoRow | None:
    return b.get(PHOTOS, f"{child_id}|{sha}", PhotoRow)


def _evidence(b: Batch, visit: VisitRow) -> None:
    """The visit's missing photos and flags, derived afresh from its facts and the photos stored for it."""
    stored = {sha: _photo(b, visit.child_id, sha) for sha in visit.photos}
    visit.missing_photos = [sha for sha, photo in stored.items() if photo is None]
    facts = VisitEvidence(occurred_at=visit.occurred_at, geo=_geo(visit.geo), child_seen=visit.child_seen,
                          late=visit.late, home_geo=_geo(visit.home_geo))
    photos = [PhotoEvidence(taken_at=p.taken_at, exif_geo=msgspec.convert(p.exif_geo, ExifPosition) if p.exif_geo else None)
              for p in stored.values() if p is not None]
    visit.flags = evidence_flags(b.policy, facts, photos)


def visit_recorded(b: Batch, e: VisitRecorded, position: int) -> None:
    """The visit's row, its flags derived (the flags the event carries are the timeline's, not read here)."""
    _link(b, e.originator_id, e.child_id, "visit")
    row = _child(b, e.child_id)
    due = row.next_visit_due if row else None
    visit = VisitRow(
        visit_id=str(e.originator_id), child_id=str(e.child_id), occurred_at=e.meta.occurred_at,
        recorded_at=e.meta.recorded_at, late=e.meta.late, actor_id=str(e.meta.actor_id) if e.meta.actor_id else None,
        visit_type=e.visit_type, child_seen=e.child_seen, guardian_present=e.guardian_present,
        observations=msgspec.to_builtins(e.observations), photos=list(e.photos), missing_photos=[],
        flags=[], notes=e.notes, follow_up=e.follow_up, geo=msgspec.to_builtins(e.meta.geo),
        due_at=due, on_time=due is None or e.meta.occurred_at <= due, home_geo=row.home_geo if row else None,
    )
    _evidence(b, visit)
    b.put(VISITS, visit)
    if row is None:
        return
    if row.last_visit_at is None or e.meta.occurred_at >= row.last_visit_at:  # an older visit synced late changes nothing
        row.last_visit_at = e.meta.occurred_at
        row.last_visit_id, row.last_visit_flags = visit.visit_id, visit.flags
    if visit.missing_photos:
        row.incomplete_visits = [*row.incomplete_visits, visit.visit_id]
    _touch(b, row, position)


def photo_stored(b: Batch, e: PhotoStored, position: int) -> None:
    """A photo completes the visits that were waiting for it; their flags are derived again.

    The flags an older event carries (`visit_flags`) are ignored: they depended on projection lag.
    """
    child_id, sha = str(e.child_id), e.sha256
    b.put(PHOTOS, PhotoRow(
        key=f"{child_id}|{sha}", child_id=child_id, sha256=sha, content_type=e.content_type, width=e.width,
        height=e.height, taken_at=e.taken_at, exif_geo=msgspec.to_builtins(e.exif_geo), stored_at=e.meta.recorded_at,
    ))
    _link(b, e.originator_id, e.child_id, "photo")
    row = _child(b, e.child_id)
    if row is None:
        return
    still_incomplete = []
    for visit_id in row.incomplete_visits:
        visit = b.get(VISITS, visit_id, VisitRow)
        if visit is None:
            continue
        if sha in visit.missing_photos:
            _evidence(b, visit)
            b.put(VISITS, visit)
            if visit_id == row.last_visit_id:
                row.last_visit_flags = visit.flags
        if visit.missing_photos:
            still_incomplete.append(visit_id)
    row.incomplete_visits = still_incomplete
    _touch(b, row, position)


def report_received(b: Batch, e: ReportReceived, position: int) -> None:
    b.put(REPORTS, ReportRow(
        report_id=str(e.originator_id), jurisdiction=e.jurisdiction, source=e.source, urgency=e.urgency,
        received_at=e.meta.occurred_at, child_id=str(e.child_id) if e.child_id else None,
        triage_by=triage_due(b.policy, e.meta.occurred_at, e.urgency),
    ))
    notices.urgent_report(b, e)
    if e.child_id:
        _link(b, e.originator_id, e.child_id, "report")


def report_triaged(b: Batch, e: ReportTriaged, position: int) -> None:
    if row := b.get(REPORTS, str(e.originator_id), ReportRow):
        row.child_id, row.decision, row.triaged_at = str(e.child_id), e.decision, e.meta.occurred_at
        row.referral_id = str(e.referral_id) if e.referral_id else None
        b.put(REPORTS, row)
    _link(b, e.originator_id, e.child_id, "report")


def referral_sent(b: Batch, e: ReferralSent, position: int) -> None:
    b.put(REFERRALS, ReferralRow(
        referral_id=str(e.originator_id), child_id=str(e.child_id), department=e.to_department, status="sent",
        reason=e.reason, urgency=e.urgency, sent_at=e.meta.occurred_at, accept_by=e.accept_by,
        complete_by=e.complete_by, report_id=str(e.report_id) if e.report_id else None,
    ))
    _link(b, e.originator_id, e.child_id, "referral")
    if row := _child(b, e.child_id):
        notices.referral_received(b, e, row)
        row.open_referrals = [*row.open_referrals, str(e.originator_id)]
        _touch(b, row, position)


def _referral_step(b: Batch, e: Event, position: int, change: Callable[[ReferralRow], None]) -> None:
    referral = b.get(REFERRALS, str(e.originator_id), ReferralRow)
    if referral is None:
        return
    change(referral)
    b.put(REFERRALS, referral)
    if referral.status in ("declined", "completed") and (row := _child(b, referral.child_id)):
        row.open_referrals = [r for r in row.open_referrals if r != referral.referral_id]
        _touch(b, row, position)


def referral_accepted(b: Batch, e: ReferralAccepted, position: int) -> None:
    def change(r: ReferralRow) -> None:
        r.status, r.accepted_at = "accepted", e.meta.occurred_at
    _referral_step(b, e, position, change)


def referral_declined(b: Batch, e: ReferralDeclined, position: int) -> None:
    def change(r: ReferralRow) -> None:
        r.status, r.declined_reason = "declined", e.reason
    _referral_step(b, e, position, change)


def referral_progress(b: Batch, e: ReferralProgressNoted, position: int) -> None:
    _referral_step(b, e, position, lambda r: r.notes.append(e.note))


def referral_completed(b: Batch, e: ReferralCompleted, position: int) -> None:
    def change(r: ReferralRow) -> None:
        r.status, r.completed_at, r.outcome = "completed", e.meta.occurred_at, e.outcome
    _referral_step(b, e, position, change)


def referral_escalated(b: Batch, e: ReferralEscalated, position: int) -> None:
    def change(r: ReferralRow) -> None:
        r.escalations += 1
    _referral_step(b, e, position, change)


def intervention_planned(b: Batch, e: InterventionPlanned, position: int) -> None:
    b.put(INTERVENTIONS, InterventionRow(
        intervention_id=str(e.originator_id), child_id=str(e.child_id), type=e.intervention_type, plan=e.plan,
        department=e.responsible_department, status="planned", planned_at=e.meta.occurred_at,
        goals=msgspec.to_builtins(e.goals), review_by=e.review_by,
    ))
    _link(b, e.originator_id, e.child_id, "intervention")
    if row := _child(b, e.child_id):
        row.active_interventions = [*row.active_interventions, str(e.originator_id)]
        _touch(b, row, position)


def _intervention_step(b: Batch, e: Event, position: int, change: Callable[[InterventionRow], None]) -> None:
    item = b.get(INTERVENTIONS, str(e.originator_id), InterventionRow)
    if item is None:
        return
    change(item)
    b.put(INTERVENTIONS, item)
    if item.status == "ended" and (row := _child(b, item.child_id)):
        row.active_interventions = [i for i in row.active_interventions if i != item.intervention_id]
        _touch(b, row, position)


def intervention_started(b: Batch, e: InterventionStarted, position: int) -> None:
    def change(i: InterventionRow) -> None:
        i.status, i.started_at = "started", e.meta.occurred_at
    _intervention_step(b, e, position, change)


def intervention_reviewed(b: Batch, e: InterventionReviewed, position: int) -> None:
    def change(i: InterventionRow) -> None:
        i.reviews += 1
        i.review_by = e.next_review_by
    _intervention_step(b, e, position, change)


def intervention_ended(b: Batch, e: InterventionEnded, position: int) -> None:
    def change(i: InterventionRow) -> None:
        i.status, i.ended_at, i.outcome = "ended", e.meta.occurred_at, e.outcome
    _intervention_step(b, e, position, change)


def conference_held(b: Batch, e: CaseConferenceHeld, position: int) -> None:
    _link(b, e.originator_id, e.child_id, "conference")


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
    RecordSealed: record_sealed,
    ChildAssigned: child_assigned,
    SensitiveDataViewed: data_viewed,
    NotificationRead: notices.notification_read,
    ProtectedDataShown: data_shown,
    DepartmentMatterOpened: matter_opened,
    DepartmentMatterClosed: matter_closed,
    PhotoStored: photo_stored,
}
"""Event type → projector. Events not listed (receipts, anchors, accounts) change no read model."""


def apply(b: Batch, event: Event, position: int, table: Mapping[type[Event], Projector] = PROJECTORS) -> None:
    """Apply one event to the rows of a batch, through the projector the table names for its type."""
    projector = table.get(type(event))
    if projector is not None:
        projector(b, event, position)
