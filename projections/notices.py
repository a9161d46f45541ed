"""Notifications: notices projected from the events that call for someone's attention, each addressed to a role
(and department) in a jurisdiction, so every user whose scope covers it finds it in their inbox; read marks are
events too. A projection like any other: rebuilt from the log, the inbox is the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from backend.disclosure import Disclosure, hidden_sealed_departments
from backend.identity import Actor
from events.cases import ReferralSent, ReportReceived
from events.children import ClosureRequested, RiskAssessed
from events.ledger import NotificationRead
from events.vocabulary import ClosureReason, Department, ReportSource, RiskLevel, Role, label_zh
from projections.batch import Batch
from projections.db import ReadDB
from projections.queries import handler_sql, in_scope_sql
from projections.tables import ChildRow, Table, utc_text, uuid_text

RED_GRADED, URGENT_REPORT, REFERRAL_RECEIVED = "red_graded", "urgent_report", "referral_received"


class NoticeRow(msgspec.Struct, kw_only=True):
    """Something a role in a jurisdiction must be told (one per event that calls for it)."""

    notice_id: str
    kind: str
    created_at: datetime
    audience: str
    jurisdiction: str
    department: str | None = None
    title: str
    body: str
    child_id: str | None = None
    referral_id: str | None = None
    report_id: str | None = None
    task_id: str | None = None
    user_id: str | None = None
    """Set when the notice is addressed to one user (a child's owner) rather than to a role."""
    event_id: str | None = None
    """The event that made it, when that is not `notice_id` (an event that tells several audiences)."""


class ReadRow(msgspec.Struct, kw_only=True):
    key: str
    user_id: str
    notice_id: str
    read_at: datetime


NOTICES: Final = Table(
    "rm_notices", "notice_id", NoticeRow,
    {"audience": lambda r: r.audience, "jurisdiction": lambda r: r.jurisdiction, "department": lambda r: r.department,
     "created_at": lambda r: utc_text(r.created_at), "child_id": lambda r: r.child_id,
     "user_id": lambda r: r.user_id, "event_id": lambda r: r.event_id or r.notice_id},
    indexes=("jurisdiction", "created_at", "event_id"), read_back=False,
)
READS: Final = Table(
    "rm_reads", "key", ReadRow, {"user_id": lambda r: r.user_id, "notice_id": lambda r: r.notice_id},
    indexes=("user_id",), read_back=False,
)


def red_graded(b: Batch, e: RiskAssessed, child: ChildRow, was: str | None) -> None:
    """A child newly graded red: the supervisors of its jurisdiction are told at once (立即)."""
    if not e.current or e.level != RiskLevel.RED or was == RiskLevel.RED:
        return
    b.put(NOTICES, NoticeRow(
        notice_id=uuid_text(e.event_id), kind=RED_GRADED, created_at=e.meta.recorded_at, audience=Role.SUPERVISOR,
        jurisdiction=child.jurisdiction, title=f"红色预警：{child.name}",
        body=f"{child.name}（{child.jurisdiction}）被评为红色（立即危险）：24 小时内须有干预措施，3 天内走访。",
        child_id=child.child_id,
    ))


def urgent_report(b: Batch, e: ReportReceived) -> None:
    """An urgent report: the supervisors of its jurisdiction are told, to triage within 2 hours."""
    if e.urgency != "urgent":
        return
    source = label_zh(ReportSource, e.source)
    b.put(NOTICES, NoticeRow(
        notice_id=uuid_text(e.event_id), kind=URGENT_REPORT, created_at=e.meta.recorded_at, audience=Role.SUPERVISOR,
        jurisdiction=e.jurisdiction, title=f"紧急报告：{source}", body=f"{e.jurisdiction} 收到紧急报告（{source}），请在 2 小时内研判。",
        child_id=uuid_text(e.child_id) if e.child_id else None, report_id=uuid_text(e.originator_id),
    ))


def referral_received(b: Batch, e: ReferralSent, child: ChildRow) -> None:
    """A referral: the handlers of that department in the child's jurisdiction are told, with its deadline."""
    department = label_zh(Department, e.to_department)
    b.put(NOTICES, NoticeRow(
        notice_id=uuid_text(e.event_id), kind=REFERRAL_RECEIVED, created_at=e.meta.recorded_at,
        audience=Role.DEPARTMENT_HANDLER, jurisdiction=child.jurisdiction, department=e.to_department,
        title=f"新转介：{child.name}", body=f"转介至{department}，请在 {e.accept_by.isoformat()} 前受理。",
        child_id=child.child_id, referral_id=uuid_text(e.originator_id),
    ))


CLOSURE_REQUESTED = "closure_requested"


def closure_requested(b: Batch, e: ClosureRequested, child: ChildRow) -> None:
    """A child director asks to close a case: the supervisors of its jurisdiction are told, to approve or reject."""
    reason = label_zh(ClosureReason, e.reason)
    b.put(NOTICES, NoticeRow(
        notice_id=uuid_text(e.event_id), kind=CLOSURE_REQUESTED, created_at=e.meta.recorded_at, audience=Role.SUPERVISOR,
        jurisdiction=child.jurisdiction, title=f"申请结案：{child.name}",
        body=f"{child.name}（{child.jurisdiction}）申请结案，原因：{reason}。请审批或退回。",
        child_id=child.child_id,
    ))


def notification_read(b: Batch, e: NotificationRead, position: int) -> None:
    b.put(READS, ReadRow(key=f"{e.user_id}|{e.notification_id}", user_id=uuid_text(e.user_id),
                         notice_id=uuid_text(e.notification_id), read_at=e.meta.recorded_at))


WITHHELD_TITLE: Final = "通知所涉儿童已不在您的辖区内，详情已隐去"
"""The title of a notice about a child the reader no longer sees, in place of the one that named the child."""


def notice_view(row: NoticeRow, d: Disclosure) -> dict[str, Any]:
    """A notification as this reader may see it now. One about a child the reader no longer sees (transferred away)
    keeps its kind and times and loses the child (`backend.disclosure.names_child`): its id, the title and body that
    name it and its place, and the referral and task ids that lead to it."""
    view: dict[str, Any] = msgspec.to_builtins(row)
    if row.child_id is not None and d.other_child(row.child_id, "child_id") is None:
        view |= {"child_id": None, "referral_id": None, "task_id": None, "title": WITHHELD_TITLE, "body": ""}
    view["withheld"] = sorted(d.withheld)
    return view


def addressed_sql(actor: Actor) -> tuple[str, list[Any]]:
    """The notices addressed to this user: to them by name or to their role, a jurisdiction inside their scope,
    their department, and never a sealed matter they may not know of (`backend.disclosure`)."""
    scope, params = in_scope_sql("n.jurisdiction", actor.scope)
    where = f"((n.user_id IS NULL AND n.audience = ?) OR n.user_id = ?) AND {scope}"
    params = [actor.role.value, str(actor.id), *params]
    if hidden := sorted(hidden_sealed_departments(actor)):
        where += (f" AND NOT (n.department IN ({', '.join('?' for _ in hidden)}) "
                  "AND n.child_id IN (SELECT child_id FROM rm_children WHERE sealed = '1'))")
        params += hidden
    if actor.role == Role.DEPARTMENT_HANDLER:  # and only while a matter of theirs is open for the child
        sees, more = handler_sql("open_departments", actor.department or "")
        where += f" AND n.department = ? AND n.child_id IN (SELECT child_id FROM rm_children WHERE {sees})"
        params += [actor.department, *more]
    return where, params


_notice = msgspec.json.Decoder(NoticeRow)


def inbox(db: ReadDB, actor: Actor, limit: int, before: tuple[str, str] | None
          ) -> tuple[list[tuple[NoticeRow, str | None]], tuple[str, str] | None]:
    """The user's notifications, newest first, each with when they read it; paged before (created, id)."""
    where, params = addressed_sql(actor)
    if before is not None:
        where += " AND (n.created_at < ? OR (n.created_at = ? AND n.notice_id < ?))"
        params += [before[0], before[0], before[1]]
    rows = db.query(
        f"SELECT n.doc, r.doc FROM rm_notices n LEFT JOIN rm_reads r ON r.notice_id = n.notice_id AND r.user_id = ? "
        f"WHERE {where} ORDER BY n.created_at DESC, n.notice_id DESC LIMIT ?",
        (str(actor.id), *params, limit + 1),
    )
    reads = msgspec.json.Decoder(ReadRow)
    items = [(_notice.decode(n), reads.decode(r).read_at.isoformat() if r else None) for n, r in rows[:limit]]
    last = items[-1][0] if items else None
    return items, ((utc_text(last.created_at) or "", last.notice_id) if last and len(rows) > limit else None)


def addressed_to(db: ReadDB, actor: Actor, notice_id: str) -> bool:
    """Whether this notification is one of the user's."""
    where, params = addressed_sql(actor)
    return bool(db.query(f"SELECT 1 FROM rm_notices n WHERE n.notice_id = ? AND {where}", (notice_id, *params)))

