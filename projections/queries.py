"""Queries over the read models: a child's status, caseloads, referrals, sync."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.disclosure import CategoryFilter, Kind, Locate, Whereabouts, may_see
from backend.identity import Actor
from projections.db import ReadDB
from projections.tables import AccessRow, ChildRow, PhotoRow, ReferralRow, VisitRow, referral_due_by, utc_text

_child = msgspec.json.Decoder(ChildRow)
_referral = msgspec.json.Decoder(ReferralRow)
_visit = msgspec.json.Decoder(VisitRow)
_photo = msgspec.json.Decoder(PhotoRow)


def in_scope_sql(column: str, scope: str) -> tuple[str, list[Any]]:
    """SQL for the one scope rule (whole segments) on a jurisdiction column."""
    return f"({column} = ? OR {column} LIKE ?)", [scope, scope + "/%"]


def overdue_sql(column: str, now: datetime) -> tuple[str, list[Any]]:
    """SQL for `backend.rules.policy.is_overdue` on a due-time column (UTC text; NULL is never overdue)."""
    return f"{column} < ?", [utc_text(now)]


def crossed_sql(column: str, since: datetime | None, until: datetime) -> tuple[str, list[Any]]:
    """SQL for `backend.rules.policy.crossed` on a due-time column: overdue at `until` and not yet at `since`
    (both by `overdue_sql`); tests/integration/test_crossed_sql_property.py proves the two equal."""
    by_until, params = overdue_sql(column, until)
    if since is None:
        return by_until, params
    by_since, more = overdue_sql(column, since)
    return f"{by_until} AND NOT ({by_since})", [*params, *more]


def aged_out_sql(column: str, now: datetime) -> tuple[str, list[Any]]:
    """SQL for `backend.rules.age.is_aged_out` on the `adult_at` column (UTC text of the instant the child turns 18);
    tests/integration/test_aged_out_sql_property.py proves the two equal."""
    return f"{column} <= ?", [utc_text(now)]


def known_reports_sql(reader: Actor, alias: str) -> tuple[str, list[Any]]:
    """SQL for the reports (table alias `alias`) in the reader's scope that they may know of: a report about a
    sealed child is a sealed matter, as if it were not there for a reader who may not see sealed ones (the
    register, and the statistics counted from the same reports)."""
    scope, params = in_scope_sql(f"{alias}.jurisdiction", reader.scope)
    if may_see(reader, Kind.SEALED):
        return scope, params
    return (f"{scope} AND NOT EXISTS (SELECT 1 FROM rm_children c WHERE c.child_id = {alias}.child_id "
            "AND c.sealed = '1')"), params


def handler_sql(column: str, department: str) -> tuple[str, list[Any]]:
    """SQL for the one department-handler rule (`backend.disclosure.handler_sees`) on a row's open departments
    column (`,police,education,`); tests/integration/test_handler_sql_property.py proves the two equal."""
    return f"{column} LIKE ?", [f"%,{department},%"]


def child_row(db: ReadDB, child_id: str) -> ChildRow | None:
    found = db.query("SELECT doc FROM rm_children WHERE child_id = ?", (child_id,))
    return _child.decode(found[0][0]) if found else None


def locator(db: ReadDB) -> Locate:
    """Where other children are now, as the read model knows it (each asked once), for the ids of other children a
    payload holds (`backend.disclosure.names_child`)."""
    known: dict[str, Whereabouts | None] = {}

    def locate(child_id: str) -> Whereabouts | None:
        if child_id not in known:
            found = db.query("SELECT jurisdiction, open_departments FROM rm_children WHERE child_id = ?", (child_id,))
            known[child_id] = Whereabouts(jurisdiction=found[0][0], open_departments=tuple(
                d for d in (found[0][1] or "").split(",") if d)) if found else None
        return known[child_id]

    return locate


class Caseload(msgspec.Struct, kw_only=True):
    """Filters of the caseload list."""

    scope: str
    jurisdiction: str | None = None
    risk_level: str | None = None
    category: str | None = None
    category_filter: CategoryFilter = CategoryFilter.ALL
    """What the category filter may match for this reader (backend.disclosure.category_filter)."""
    due_before: datetime | None = None
    overdue_at: datetime | None = None
    department: str | None = None
    """Set for a department handler: only children with a matter open with that department."""
    now: datetime | None = None
    """Set with a due filter: children who have aged out by then have left the due lists."""


def caseload(db: ReadDB, q: Caseload, limit: int, after: tuple[str, str] | None) -> tuple[list[ChildRow], tuple[str, str] | None]:
    """Children in scope ordered by when their next visit is due (soonest first), paged after (due, child id)."""
    where, params = in_scope_sql("jurisdiction", q.scope)
    clauses = [where]
    if q.jurisdiction:
        sql, more = in_scope_sql("jurisdiction", q.jurisdiction)
        clauses.append(sql)
        params += more
    if q.risk_level == "blue":
        clauses.append("(risk_level = 'blue' OR (risk_level IS NULL AND categories <> ','))")
    elif q.risk_level:
        clauses.append("risk_level = ?")
        params.append(q.risk_level)
    if q.department is not None:
        sql, more = handler_sql("open_departments", q.department)
        clauses.append(sql)
        params += more
    if q.category:
        clauses.append("categories LIKE ?")
        params.append(f"%,{q.category},%")
        if q.category_filter is CategoryFilter.NONE:
            clauses.append("1 = 0")
        elif q.category_filter is CategoryFilter.UNSEALED:
            clauses.append("sealed = '0'")
    for bound in (q.due_before, q.overdue_at):  # due before a time: overdue as of that time
        if bound is not None:
            sql, more = overdue_sql("next_visit_due", bound)
            clauses.append(sql)
            params += more
    if q.now is not None and (q.due_before or q.overdue_at):  # closed cases have no due date at all
        sql, more = aged_out_sql("adult_at", q.now)
        clauses.append(f"NOT {sql}")
        params += more
    if after:
        due, child_id = after
        clauses.append("(COALESCE(next_visit_due, '9999') > ? OR (COALESCE(next_visit_due, '9999') = ? AND child_id > ?))")
        params += [due, due, child_id]
    rows = db.query(
        f"SELECT doc, COALESCE(next_visit_due, '9999') FROM rm_children WHERE {' AND '.join(clauses)} "
        f"ORDER BY COALESCE(next_visit_due, '9999'), child_id LIMIT ?",
        (*params, limit + 1),
    )
    items = [_child.decode(r[0]) for r in rows[:limit]]
    return items, (rows[limit - 1][1], items[-1].child_id) if len(rows) > limit else None


def changed_since(db: ReadDB, scope: str, position: int, after_child: str, limit: int) -> list[ChildRow]:
    """Children in scope whose status changed after (`position`, `after_child`), in log order."""
    where, params = in_scope_sql("jurisdiction", scope)
    rows = db.query(
        f"SELECT doc FROM rm_children WHERE {where} AND (changed_at > ? OR (changed_at = ? AND child_id > ?)) "
        f"ORDER BY changed_at, child_id LIMIT ?",
        (*params, position, position, after_child, limit),
    )
    return [_child.decode(r[0]) for r in rows]


def left_scope_since(db: ReadDB, scope: str, position: int, upto: int) -> list[str]:
    """Children moved out of the scope after `position` (up to `upto`) that are not back in it now."""
    moved, params = in_scope_sql("m.from_jurisdiction", scope)
    now_in, more = in_scope_sql("c.jurisdiction", scope)
    rows = db.query(
        f"SELECT DISTINCT m.child_id FROM rm_moves m JOIN rm_children c ON c.child_id = m.child_id "
        f"WHERE {moved} AND m.position > ? AND m.position <= ? AND NOT {now_in} ORDER BY m.child_id",
        (*params, position, upto, *more),
    )
    return [r[0] for r in rows]


def visit_row(db: ReadDB, visit_id: str) -> VisitRow | None:
    found = db.query("SELECT doc FROM rm_visits WHERE visit_id = ?", (visit_id,))
    return _visit.decode(found[0][0]) if found else None


class ReferralQuery(msgspec.Struct, kw_only=True):
    scope: str
    hidden_sealed: tuple[str, ...] = ()
    """Departments whose referrals of a sealed child the reader may not know of (backend.disclosure)."""
    department: str | None = None
    status: str | None = None
    overdue_at: datetime | None = None


def referrals(
    db: ReadDB, q: ReferralQuery, limit: int, after: tuple[str] | None
) -> tuple[list[tuple[ReferralRow, ChildRow]], tuple[str] | None]:
    """Referrals about children in scope (a handler passes their department) with their child, id order, paged after
    (referral id,)."""
    where, params = in_scope_sql("c.jurisdiction", q.scope)
    clauses = [where]
    if q.department:
        clauses.append("r.department = ?")
        params.append(q.department)
    if q.hidden_sealed:
        marks = ", ".join("?" for _ in q.hidden_sealed)
        clauses.append(f"NOT (c.sealed = '1' AND r.department IN ({marks}))")
        params += list(q.hidden_sealed)
    if q.status:
        clauses.append("r.status = ?")
        params.append(q.status)
    if q.overdue_at is not None:
        clauses.append("r.due_by < ?")
        params.append(utc_text(q.overdue_at))
    if after:
        clauses.append("r.referral_id > ?")
        params.append(after[0])
    rows = db.query(
        f"SELECT r.doc, c.doc FROM rm_referrals r JOIN rm_children c ON c.child_id = r.child_id "
        f"WHERE {' AND '.join(clauses)} ORDER BY r.referral_id LIMIT ?",
        (*params, limit + 1),
    )
    items = [(_referral.decode(r[0]), _child.decode(r[1])) for r in rows[:limit]]
    return items, (items[-1][0].referral_id,) if len(rows) > limit else None


def referral_overdue(r: ReferralRow, now: datetime) -> bool:
    """Not accepted by its accept-by time, or not completed by its complete-by time."""
    due = referral_due_by(r)
    return due is not None and now > due


def access_log(
    db: ReadDB, child_id: str, limit: int, after: tuple[str, str] | None
) -> tuple[list[AccessRow], tuple[str, str] | None]:
    """Showings of protected data about one child, oldest first, paged after (time, access id)."""
    after_at, after_id = after or ("", "")
    rows = db.query(
        "SELECT doc, at FROM rm_access WHERE child_id = ? AND (at > ? OR (at = ? AND key > ?)) "
        "ORDER BY at, key LIMIT ?",
        (child_id, after_at, after_at, after_id, limit + 1),
    )
    decoder = msgspec.json.Decoder(AccessRow)
    items = [decoder.decode(r[0]) for r in rows[:limit]]
    return items, (rows[limit - 1][1], items[-1].key) if len(rows) > limit else None


def photo_children(db: ReadDB, sha256: str) -> list[tuple[str, str]]:
    """(child_id, content_type) of every child this photo was stored for."""
    decoder = msgspec.json.Decoder(PhotoRow)
    return [(row.child_id, row.content_type) for row in
            (decoder.decode(r[0]) for r in db.query("SELECT doc FROM rm_photos WHERE sha256 = ?", (sha256,)))]


def visits_naming(db: ReadDB, child_id: str, sha256: str) -> list[VisitRow]:
    """The child's visits whose photo list names this photo."""
    rows = db.query("SELECT doc FROM rm_visits WHERE child_id = ?", (child_id,))
    return [v for v in (_visit.decode(r[0]) for r in rows) if sha256 in v.photos]


def photo_row(db: ReadDB, child_id: str, sha256: str) -> PhotoRow | None:
    found = db.query("SELECT doc FROM rm_photos WHERE key = ?", (f"{child_id}|{sha256}",))
    return _photo.decode(found[0][0]) if found else None
