"""Projectors of reports, referrals, interventions and case conferences."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from backend.rules.policy import day_due, triage_due
from events.base import Event
from events.cases import (
    CaseConferenceHeld,
    ConferenceFollowUpDone,
    FollowUp,
    InterventionEnded,
    InterventionPlanned,
    InterventionReviewed,
    InterventionStarted,
    ReferralAccepted,
    ReferralCompleted,
    ReferralDeclined,
    ReferralEscalated,
    ReferralProgressNoted,
    ReferralSent,
    ReportReceived,
    ReportTriaged,
)
from projections import notices
from projections.batch import Batch
from projections.rows import child_of, link, touch
from projections.tables import (
    CONFERENCES,
    FOLLOW_UPS,
    INTERVENTIONS,
    REFERRALS,
    REPORTS,
    ConferenceRow,
    FollowUpRow,
    InterventionRow,
    ReferralRow,
    ReportRow,
    follow_up_key,
    uuid_text,
)


def _triage_by(b: Batch, e: ReportReceived) -> datetime:
    """The report's triage deadline by the policy of its day (recorded in it), or today's for an older event."""
    if e.triage_within_hours is not None:
        return e.meta.occurred_at + timedelta(hours=e.triage_within_hours)
    return triage_due(b.policy, e.meta.occurred_at, e.urgency)


def report_received(b: Batch, e: ReportReceived, position: int) -> None:
    b.put(REPORTS, ReportRow(
        report_id=uuid_text(e.originator_id), jurisdiction=e.jurisdiction, source=e.source, urgency=e.urgency,
        received_at=e.meta.occurred_at, child_id=uuid_text(e.child_id) if e.child_id else None,
        triage_by=_triage_by(b, e), changed_at=position, discovered_at=e.discovered_at,
        reporter_institution=e.reporter_institution, sentinel_place=e.sentinel_place, hotline_ticket=e.hotline_ticket,
        reporter_role=e.reporter.role,
    ))
    notices.urgent_report(b, e)
    if e.child_id:
        link(b, e.originator_id, e.child_id, "report")


def report_triaged(b: Batch, e: ReportTriaged, position: int) -> None:
    if row := b.get(REPORTS, uuid_text(e.originator_id), ReportRow):
        row.child_id, row.decision, row.triaged_at = uuid_text(e.child_id), e.decision, e.meta.occurred_at
        row.referral_id = uuid_text(e.referral_id) if e.referral_id else None
        row.changed_at = position
        b.put(REPORTS, row)
    link(b, e.originator_id, e.child_id, "report")


def referral_sent(b: Batch, e: ReferralSent, position: int) -> None:
    b.put(REFERRALS, ReferralRow(
        referral_id=uuid_text(e.originator_id), child_id=uuid_text(e.child_id), department=e.to_department, status="sent",
        reason=e.reason, urgency=e.urgency, sent_at=e.meta.occurred_at, accept_by=e.accept_by,
        complete_by=e.complete_by, report_id=uuid_text(e.report_id) if e.report_id else None, changed_at=position,
    ))
    link(b, e.originator_id, e.child_id, "referral")
    if row := child_of(b, e.child_id):
        notices.referral_received(b, e, row)
        row.open_referrals = [*row.open_referrals, uuid_text(e.originator_id)]
        touch(b, row, position)


def _referral_step(b: Batch, e: Event, position: int, change: Callable[[ReferralRow], None]) -> None:
    referral = b.get(REFERRALS, uuid_text(e.originator_id), ReferralRow)
    if referral is None:
        return
    change(referral)
    referral.changed_at = position
    b.put(REFERRALS, referral)
    if referral.status in ("declined", "completed") and (row := child_of(b, referral.child_id)):
        row.open_referrals = [r for r in row.open_referrals if r != referral.referral_id]
        touch(b, row, position)


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
        intervention_id=uuid_text(e.originator_id), child_id=uuid_text(e.child_id), type=e.intervention_type, plan=e.plan,
        department=e.responsible_department, status="planned", planned_at=e.meta.occurred_at,
        goals=msgspec.to_builtins(e.goals), review_by=e.review_by, changed_at=position,
    ))
    link(b, e.originator_id, e.child_id, "intervention")
    if row := child_of(b, e.child_id):
        row.active_interventions = [*row.active_interventions, uuid_text(e.originator_id)]
        touch(b, row, position)


def _intervention_step(b: Batch, e: Event, position: int, change: Callable[[InterventionRow], None]) -> None:
    item = b.get(INTERVENTIONS, uuid_text(e.originator_id), InterventionRow)
    if item is None:
        return
    change(item)
    item.changed_at = position
    b.put(INTERVENTIONS, item)
    if item.status == "ended" and (row := child_of(b, item.child_id)):
        row.active_interventions = [i for i in row.active_interventions if i != item.intervention_id]
        touch(b, row, position)


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
    conference_id = uuid_text(e.originator_id)
    items = e.follow_up_items or [FollowUp(text=t) for t in e.follow_ups]
    b.put(CONFERENCES, ConferenceRow(
        conference_id=conference_id, child_id=uuid_text(e.child_id), held_at=e.meta.occurred_at,
        actor_id=uuid_text(e.meta.actor_id) if e.meta.actor_id else None, participants=list(e.participants),
        decisions=list(e.decisions), follow_ups=[{**msgspec.to_builtins(f), "done_at": None} for f in items],
    ))
    for index, item in enumerate(items):
        b.put(FOLLOW_UPS, FollowUpRow(
            key=follow_up_key(conference_id, index), conference_id=conference_id, index=index, child_id=uuid_text(e.child_id),
            text=item.text, owner=item.owner, due_at=day_due(item.due_date) if item.due_date else None,
        ))
    link(b, e.originator_id, e.child_id, "conference")


def conference_follow_up_done(b: Batch, e: ConferenceFollowUpDone, position: int) -> None:
    if (row := b.get(CONFERENCES, uuid_text(e.originator_id), ConferenceRow)) and 0 <= e.index < len(row.follow_ups):
        row.follow_ups[e.index]["done_at"] = e.meta.occurred_at.isoformat()
        b.put(CONFERENCES, row)
    if item := b.get(FOLLOW_UPS, follow_up_key(uuid_text(e.originator_id), e.index), FollowUpRow):
        item.done_at = e.meta.occurred_at
        b.put(FOLLOW_UPS, item)
