"""The worklist: what a caller must do next, soonest first, derived from the read models at the time of asking
(so it is rebuilt with them and a task leaves the list when the thing is done, not when it is read)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

import msgspec

from backend.disclosure import Disclosure, hidden_sealed_departments
from backend.identity import Actor
from backend.rules.age import AGING_OUT_NOTICE, adult_at
from backend.rules.case_status import CaseStatus
from backend.rules.policy import effective_level
from events.vocabulary import ReportSource, Role, label_zh
from projections.db import ReadDB
from projections.queries import aged_out_sql, in_scope_sql
from projections.tables import ChildRow, FollowUpRow, InterventionRow, ReferralRow, ReportRow, utc_text

VISIT_DUE, REFERRAL_ACCEPT, REFERRAL_COMPLETE, REPORT_TRIAGE, INTERVENTION_REVIEW = (
    "visit_due", "referral_accept", "referral_complete", "report_triage", "intervention_review",
)
CLOSURE_APPROVAL, AGING_OUT = "closure_approval", "aging_out"
CONFERENCE_FOLLOWUP: Final = "conference_followup"
KINDS_BY_ROLE: Final[dict[Role, tuple[str, ...]]] = {
    Role.GRID_WORKER: (VISIT_DUE, AGING_OUT),
    Role.CHILD_DIRECTOR: (VISIT_DUE, REPORT_TRIAGE, INTERVENTION_REVIEW, AGING_OUT, CONFERENCE_FOLLOWUP),
    Role.SUPERVISOR: (REPORT_TRIAGE, CLOSURE_APPROVAL, CONFERENCE_FOLLOWUP),
    Role.DEPARTMENT_HANDLER: (REFERRAL_ACCEPT, REFERRAL_COMPLETE, INTERVENTION_REVIEW),
    Role.AUDITOR: (),
}
"""Whose work each kind is (API.md v1.1 worklist): field workers visit the children of their jurisdiction,
directors and supervisors triage reports, a department's handlers accept and complete its referrals, and a case
plan's review falls to the responsible department's handlers and the village's child director; supervisors decide
closure requests; a child about to turn 18 is its owner's to close, or the village's child directors' when it has no
owner; a conference's follow-ups with a due date fall to the child directors and supervisors whose jurisdiction
holds the child."""


class Task(msgspec.Struct, kw_only=True):
    task_id: str
    kind: str
    due_at: datetime
    priority: str | None
    title: str
    child_id: str | None = None
    referral_id: str | None = None
    report_id: str | None = None
    intervention_id: str | None = None
    conference_id: str | None = None
    follow_up_index: int | None = None


def task_view(task: Task, d: Disclosure) -> dict[str, Any]:
    """A task as this reader may see it: the child it names only while the reader sees that child (a report stays
    its town's to triage after the child it names moved away; every other kind is found by the child's own place)."""
    view: dict[str, Any] = msgspec.to_builtins(task)
    view["child_id"] = d.other_child(task.child_id, "child_id")
    view["withheld"] = sorted(d.withheld)
    return view


class TaskQuery(msgspec.Struct, kw_only=True):
    actor: Actor
    kinds: tuple[str, ...]
    due_before: datetime | None = None
    now: datetime | None = None
    """The time of asking: children who have aged out by then have no visit due (none given: no such check)."""


After = tuple[str, str] | None
"""Keyset position: (due time as UTC text, task id)."""

_child = msgspec.json.Decoder(ChildRow)
_referral = msgspec.json.Decoder(ReferralRow)
_report = msgspec.json.Decoder(ReportRow)
_intervention = msgspec.json.Decoder(InterventionRow)
_follow_up = msgspec.json.Decoder(FollowUpRow)


def _keyset(kind: str, due_column: str, id_column: str, after: After) -> tuple[str, list[Any]]:
    """Rows after `after` in (due, task id) order, where a task id is `kind:id`: ties on the due time are
    settled by the kind's name, then by the id within one kind."""
    if after is None:
        return "1 = 1", []
    due, task_id = after
    after_kind, _, after_id = task_id.partition(":")
    if kind > after_kind:
        return f"{due_column} >= ?", [due]
    if kind < after_kind:
        return f"{due_column} > ?", [due]
    return f"({due_column} > ? OR ({due_column} = ? AND {id_column} > ?))", [due, due, after_id]


def _select(db: ReadDB, q: TaskQuery, after: After, limit: int, *, kind: str, columns: str, source: str,
            scope_column: str, due: str, key: str, where: tuple[str, ...] = (), values: tuple[Any, ...] = ()
            ) -> list[tuple[Any, ...]]:
    """Rows of one kind of task in the caller's scope with a due time, after `after`, soonest first."""
    scope, params = in_scope_sql(scope_column, q.actor.scope)
    keyset, more = _keyset(kind, due, key, after)
    clauses, params = [scope, f"{due} IS NOT NULL", keyset, *where], [*params, *more, *values]
    if q.due_before is not None:
        clauses.append(f"{due} < ?")
        params.append(utc_text(q.due_before))
    return db.query(f"SELECT {columns} FROM {source} WHERE {' AND '.join(clauses)} ORDER BY {due}, {key} LIMIT ?",
                    (*params, limit))


def _priority(child: ChildRow) -> str | None:
    level = effective_level(child.risk_level, child.categories)
    return level.value if level else None


def _visits(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    """Children of the caller's jurisdiction that the caller owns or that have no owner (and who have not aged out)."""
    where, values = ["(owner_id = ? OR owner_id IS NULL)"], [str(q.actor.id)]
    if q.now is not None:
        sql, more = aged_out_sql("adult_at", q.now)
        where.append(f"NOT {sql}")
        values += more
    rows = _select(db, q, after, limit, kind=VISIT_DUE, columns="doc", source="rm_children", scope_column="jurisdiction",
                   due="next_visit_due", key="child_id", where=tuple(where), values=tuple(values))
    return [Task(task_id=f"{VISIT_DUE}:{c.child_id}", kind=VISIT_DUE, due_at=c.next_visit_due, priority=_priority(c),
                 title=f"走访 {c.name}", child_id=c.child_id)
            for c in (_child.decode(r[0]) for r in rows) if c.next_visit_due is not None]


def _referrals(kind: str, status: str, verb: str) -> Callable[[ReadDB, TaskQuery, After, int], list[Task]]:
    def tasks(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
        where, values = ["r.department = ?", "r.status = ?"], [q.actor.department, status]
        if hidden := sorted(hidden_sealed_departments(q.actor)):
            where.append(f"NOT (c.sealed = '1' AND r.department IN ({', '.join('?' for _ in hidden)}))")
            values += hidden
        rows = _select(db, q, after, limit, kind=kind, columns="r.doc, c.doc",
                       source="rm_referrals r JOIN rm_children c ON c.child_id = r.child_id", scope_column="c.jurisdiction",
                       due="r.due_by", key="r.referral_id", where=tuple(where), values=tuple(values))
        found = []
        for referral, child in ((_referral.decode(a), _child.decode(b)) for a, b in rows):
            due = referral.accept_by if status == "sent" else referral.complete_by
            found.append(Task(task_id=f"{kind}:{referral.referral_id}", kind=kind, due_at=due, priority=_priority(child),
                              title=f"{verb} {child.name}", child_id=child.child_id, referral_id=referral.referral_id))
        return found
    return tasks


def _reports(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    rows = _select(db, q, after, limit, kind=REPORT_TRIAGE, columns="doc", source="rm_reports",
                   scope_column="jurisdiction", due="triage_due", key="report_id")
    return [Task(task_id=f"{REPORT_TRIAGE}:{r.report_id}", kind=REPORT_TRIAGE, due_at=r.triage_by,
                 priority="red" if r.urgency == "urgent" else None,
                 title=f"研判报告 {label_zh(ReportSource, r.source)}", child_id=r.child_id, report_id=r.report_id)
            for r in (_report.decode(row[0]) for row in rows) if r.triage_by is not None]


def _reviews(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    """Case plans whose review is due: the responsible department's (handlers) or the jurisdiction's (directors)."""
    handler = q.actor.role == Role.DEPARTMENT_HANDLER
    rows = _select(db, q, after, limit, kind=INTERVENTION_REVIEW, columns="i.doc, c.doc",
                   source="rm_interventions i JOIN rm_children c ON c.child_id = i.child_id",
                   scope_column="c.jurisdiction", due="i.review_due", key="i.intervention_id",
                   where=("i.department = ?",) if handler else (), values=(q.actor.department,) if handler else ())
    return [Task(task_id=f"{INTERVENTION_REVIEW}:{i.intervention_id}", kind=INTERVENTION_REVIEW, due_at=i.review_by,
                 priority=_priority(c), title=f"复核干预方案 {c.name}", child_id=c.child_id,
                 intervention_id=i.intervention_id)
            for i, c in ((_intervention.decode(a), _child.decode(b)) for a, b in rows) if i.review_by is not None]


def _closures(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    """Closure requests waiting for a supervisor of the child's jurisdiction."""
    rows = _select(db, q, after, limit, kind=CLOSURE_APPROVAL, columns="doc", source="rm_children",
                   scope_column="jurisdiction", due="closure_due", key="child_id",
                   where=("case_status = ?",), values=(CaseStatus.CLOSURE_REQUESTED.value,))
    return [Task(task_id=f"{CLOSURE_APPROVAL}:{c.child_id}", kind=CLOSURE_APPROVAL, due_at=c.closure_due,
                 priority=_priority(c), title=f"审批结案 {c.name}", child_id=c.child_id)
            for c in (_child.decode(r[0]) for r in rows) if c.closure_due is not None]


def _aging_out(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    """Open cases of children who turn 18 within 30 days (or have turned 18): due on the 18th birthday, for the
    child's owner, or for the jurisdiction's child directors when no one owns the child."""
    if q.now is None:
        return []
    owned = "owner_id = ?" if q.actor.role == Role.GRID_WORKER else "(owner_id = ? OR owner_id IS NULL)"
    soon, more = aged_out_sql("adult_at", q.now + AGING_OUT_NOTICE)
    rows = _select(db, q, after, limit, kind=AGING_OUT, columns="doc", source="rm_children", scope_column="jurisdiction",
                   due="adult_at", key="child_id", where=(owned, "case_status <> ?", soon),
                   values=(str(q.actor.id), CaseStatus.CLOSED.value, *more))
    return [Task(task_id=f"{AGING_OUT}:{c.child_id}", kind=AGING_OUT, due_at=adult_at(date.fromisoformat(c.birth_date)),
                 priority=_priority(c), title=f"年满十八周岁，办理结案 {c.name}", child_id=c.child_id)
            for c in (_child.decode(r[0]) for r in rows)]


def _follow_ups(db: ReadDB, q: TaskQuery, after: After, limit: int) -> list[Task]:
    """A conference's follow-ups with a due date, not yet done, about open cases in the caller's jurisdiction."""
    rows = _select(db, q, after, limit, kind=CONFERENCE_FOLLOWUP, columns="f.doc, c.doc",
                   source="rm_follow_ups f JOIN rm_children c ON c.child_id = f.child_id",
                   scope_column="c.jurisdiction", due="f.due", key="f.key",
                   where=("c.case_status <> ?",), values=(CaseStatus.CLOSED.value,))
    return [Task(task_id=f"{CONFERENCE_FOLLOWUP}:{f.key}", kind=CONFERENCE_FOLLOWUP, due_at=f.due_at,
                 priority=_priority(c), title=f"会商跟进 {c.name}", child_id=c.child_id,
                 conference_id=f.conference_id, follow_up_index=f.index)
            for f, c in ((_follow_up.decode(a), _child.decode(b)) for a, b in rows) if f.due_at is not None]


SOURCES: Final = {
    VISIT_DUE: _visits,
    REFERRAL_ACCEPT: _referrals(REFERRAL_ACCEPT, "sent", "受理转介"),
    REFERRAL_COMPLETE: _referrals(REFERRAL_COMPLETE, "accepted", "办结转介"),
    REPORT_TRIAGE: _reports,
    INTERVENTION_REVIEW: _reviews,
    CLOSURE_APPROVAL: _closures,
    AGING_OUT: _aging_out,
    CONFERENCE_FOLLOWUP: _follow_ups,
}


def tasks(db: ReadDB, q: TaskQuery, limit: int, after: After) -> tuple[list[Task], After]:
    """The caller's tasks of the asked kinds, soonest due first, paged after (due, task id)."""
    found: list[Task] = []
    for kind in q.kinds:
        found += SOURCES[kind](db, q, after, limit + 1)
    found.sort(key=lambda t: (utc_text(t.due_at) or "", t.task_id))
    page = found[:limit]
    more = len(found) > limit
    return page, ((utc_text(page[-1].due_at) or "", page[-1].task_id) if more else None)
