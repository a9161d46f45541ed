"""The inbox rows a fired reminder makes (`ReminderFired`), and the escalation it counts on a referral.

A reminder makes notices only if, when it is projected, its subject still waits for the same due moment: a visit
made, a referral accepted or a report triaged in the meantime silences it. Projection runs in log order, so a
rebuild decides the same. Notices name the child and the deadline, never free text."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid5

from backend.scheduler import DUE_SOON, REFERRAL_OVERDUE
from events.ledger import ReminderFired
from events.vocabulary import Department, Role, label_zh
from projections.batch import Batch
from projections.notices import NOTICES, NoticeRow
from projections.rows import child_of
from projections.tables import (
    INTERVENTIONS,
    REFERRALS,
    REPORTS,
    InterventionRow,
    ReferralRow,
    ReportRow,
    referral_due_by,
    uuid_text,
)
from projections.tasks import INTERVENTION_REVIEW, REFERRAL_ACCEPT, REFERRAL_COMPLETE, REPORT_TRIAGE, VISIT_DUE

Audience = tuple[str, str | None, str | None]
"""(role, department, user id): who in the jurisdiction is told."""

OWNER = "owner"
"""The audience of a notice addressed to the child's owner by user id."""
FIELD_WORKERS: tuple[Audience, ...] = ((Role.GRID_WORKER, None, None), (Role.CHILD_DIRECTOR, None, None))
WHAT = {DUE_SOON: "即将到期", "overdue": "已逾期", REFERRAL_OVERDUE: "逾期未受理（已上报督导）"}


class Subject:
    """What a reminder is about, as the read models know it now: where, who is told, and the line to show."""

    def __init__(self, jurisdiction: str, child_id: str | None, audiences: tuple[Audience, ...], line: str,
                 department: str | None = None, referral_id: str | None = None, report_id: str | None = None) -> None:
        self.jurisdiction, self.child_id, self.audiences, self.line = jurisdiction, child_id, audiences, line
        self.department, self.referral_id, self.report_id = department, referral_id, report_id


def _same(a: datetime | None, b: datetime) -> bool:
    return a is not None and a == b


def _visit(b: Batch, e: ReminderFired) -> Subject | None:
    child = child_of(b, e.subject_id)
    if child is None or not _same(child.next_visit_due, e.due_at):
        return None
    audiences = ((OWNER, None, child.owner_id),) if child.owner_id else FIELD_WORKERS
    return Subject(child.jurisdiction, child.child_id, audiences, f"走访 {child.name}")


def _referral(b: Batch, e: ReminderFired) -> Subject | None:
    referral = b.get(REFERRALS, uuid_text(e.subject_id), ReferralRow)
    status = "sent" if e.subject == REFERRAL_ACCEPT else "accepted"
    if referral is None or referral.status != status or not _same(referral_due_by(referral), e.due_at):
        return None
    child = child_of(b, referral.child_id)
    if child is None:
        return None
    audiences: tuple[Audience, ...] = ((Role.DEPARTMENT_HANDLER, referral.department, None),)
    if e.kind == REFERRAL_OVERDUE:  # escalation: the jurisdiction's supervisors are told too, and it counts
        audiences += ((Role.SUPERVISOR, referral.department, None),)
        referral.escalations += 1
        b.put(REFERRALS, referral)
    verb = "受理" if status == "sent" else "办结"
    line = f"{verb}转介 {child.name}（{label_zh(Department, referral.department)}）"
    return Subject(child.jurisdiction, child.child_id, audiences, line, referral.department, referral.referral_id)


def _report(b: Batch, e: ReminderFired) -> Subject | None:
    report = b.get(REPORTS, uuid_text(e.subject_id), ReportRow)
    if report is None or report.triaged_at is not None or not _same(report.triage_by, e.due_at):
        return None
    audiences = ((Role.SUPERVISOR, None, None), (Role.CHILD_DIRECTOR, None, None))
    return Subject(report.jurisdiction, report.child_id, audiences, "研判报告", report_id=report.report_id)


def _review(b: Batch, e: ReminderFired) -> Subject | None:
    item = b.get(INTERVENTIONS, uuid_text(e.subject_id), InterventionRow)
    if item is None or item.status == "ended" or not _same(item.review_by, e.due_at):
        return None
    child = child_of(b, item.child_id)
    if child is None:
        return None
    audiences = ((Role.DEPARTMENT_HANDLER, item.department, None), (Role.CHILD_DIRECTOR, None, None))
    return Subject(child.jurisdiction, child.child_id, audiences, f"复核干预方案 {child.name}", item.department)


SUBJECTS = {VISIT_DUE: _visit, REFERRAL_ACCEPT: _referral, REFERRAL_COMPLETE: _referral, REPORT_TRIAGE: _report,
            INTERVENTION_REVIEW: _review}


def reminder_fired(b: Batch, e: ReminderFired, position: int) -> None:
    find = SUBJECTS.get(e.subject)
    subject = find(b, e) if find else None
    if subject is None:
        return
    for role, department, user_id in subject.audiences:
        b.put(NOTICES, NoticeRow(
            notice_id=str(uuid5(e.event_id, f"{role}|{user_id or ''}")), kind=e.kind, created_at=e.meta.recorded_at,
            audience=role, jurisdiction=subject.jurisdiction, department=department or subject.department,
            title=f"{subject.line}：{WHAT.get(e.kind, e.kind)}", body=f"期限 {e.due_at.isoformat()}。",
            child_id=subject.child_id, referral_id=subject.referral_id, report_id=subject.report_id,
            task_id=f"{e.subject}:{e.subject_id}", user_id=user_id, event_id=uuid_text(e.event_id),
        ))

