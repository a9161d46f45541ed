"""The report register (线索台账): every discovery report in scope, newest first, with its triage deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.disclosure import Disclosure
from backend.identity import Actor
from backend.rules.policy import is_overdue
from projections.db import ReadDB
from projections.queries import known_reports_sql
from projections.tables import ReportRow, utc_text

_report = msgspec.json.Decoder(ReportRow)


class RegisterQuery(msgspec.Struct, kw_only=True):
    """Filters of the register; `from_`/`to` bound when a report was received."""

    reader: Actor
    status: str | None = None
    source: str | None = None
    urgency: str | None = None
    from_: datetime | None = None
    to: datetime | None = None


def _clauses(q: RegisterQuery) -> tuple[list[str], list[Any]]:
    known, params = known_reports_sql(q.reader, "r")
    clauses = [known]
    if q.status is not None:
        clauses.append("r.triaged = ?")
        params.append("1" if q.status == "triaged" else "0")
    for column, value in (("r.source", q.source), ("r.urgency", q.urgency)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if q.from_ is not None:
        clauses.append("r.received_at >= ?")
        params.append(utc_text(q.from_))
    if q.to is not None:
        clauses.append("r.received_at < ?")
        params.append(utc_text(q.to))
    return clauses, params


def register(db: ReadDB, q: RegisterQuery, limit: int, after: tuple[str, str] | None
             ) -> tuple[list[ReportRow], tuple[str, str] | None]:
    """Reports received in the reader's scope, newest first, paged after (received time, report id)."""
    clauses, params = _clauses(q)
    if after is not None:
        at, report_id = after
        clauses.append("(r.received_at < ? OR (r.received_at = ? AND r.report_id < ?))")
        params += [at, at, report_id]
    rows = db.query(
        f"SELECT r.doc, r.received_at FROM rm_reports r WHERE {' AND '.join(clauses)} "
        f"ORDER BY r.received_at DESC, r.report_id DESC LIMIT ?",
        (*params, limit + 1),
    )
    items = [_report.decode(r[0]) for r in rows[:limit]]
    return items, (rows[limit - 1][1], items[-1].report_id) if len(rows) > limit else None


def report_entry(row: ReportRow, now: datetime, d: Disclosure) -> dict[str, Any]:
    """A register line: the report's facts, its triage deadline, and whether it is past it untriaged. The report
    stays where it was made; the child it is about is named only while the reader may see that child (`d`)."""
    entry: dict[str, Any] = msgspec.to_builtins(row)
    entry["child_id"] = d.other_child(row.child_id, "child_id")
    entry["withheld"] = sorted(d.withheld)
    entry["status"] = "triaged" if row.triaged_at else "untriaged"
    entry["overdue"] = row.triaged_at is None and is_overdue(row.triage_by, now)
    return entry
