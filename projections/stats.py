"""Statistics per jurisdiction and period, as tables with Chinese and English headings."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Final

import msgspec

from backend.disclosure import Disclosure, Kind, category_kind, statistic
from backend.identity import Actor
from backend.rules.case_status import CaseStatus
from backend.rules.policy import effective_level, is_overdue
from events.vocabulary import (
    Category,
    ClosureReason,
    Department,
    InterventionType,
    ReporterInstitution,
    ReportSource,
    RiskLevel,
    label_zh,
)
from projections.coverage import VILLAGE_SEGMENTS, CoverageRow, quarter_of, village_of
from projections.db import ReadDB
from projections.queries import in_scope_sql, known_reports_sql
from projections.tables import ChildRow, InterventionRow, ReferralRow, ReportRow, VisitRow, referral_due_by, utc_text
from projections.views import aged_out, facts_of, visit_due


class StatTable(msgspec.Struct, frozen=True):
    """One table of the summary: a name, its column headings (中文 / English) and rows."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]


def _docs(db: ReadDB, sql: str, params: list[Any], row_type: type[Any]) -> list[Any]:
    decoder = msgspec.json.Decoder(row_type)
    return [decoder.decode(r[0]) for r in db.query(sql, tuple(params))]


def _hours(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() / 3600 if start and end else None


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


def summary(db: ReadDB, jurisdiction: str, start: datetime, end: datetime, now: datetime, reader: Actor) -> list[StatTable]:
    """Every table of the summary for children whose jurisdiction lies in `jurisdiction`, as `reader` may see it."""
    scope, params = in_scope_sql("c.jurisdiction", jurisdiction)
    everyone = _docs(db, f"SELECT c.doc FROM rm_children c WHERE {scope}", params, ChildRow)
    children = [c for c in everyone if c.case_status != CaseStatus.CLOSED]  # the active caseload
    period = [utc_text(start), utc_text(end)]
    visits = _docs(db, f"SELECT v.doc FROM rm_visits v JOIN rm_children c ON c.child_id = v.child_id "
                       f"WHERE {scope} AND v.occurred_at >= ? AND v.occurred_at < ?", params + period, VisitRow)
    by_id = {c.child_id: c for c in everyone}
    referrals = [
        r for r in _docs(db, f"SELECT r.doc FROM rm_referrals r JOIN rm_children c ON c.child_id = r.child_id "
                             f"WHERE {scope}", params, ReferralRow)
        if r.child_id in by_id and Disclosure(reader, facts_of(by_id[r.child_id])).matter(r.department)
    ]
    interventions = _docs(db, f"SELECT i.doc FROM rm_interventions i JOIN rm_children c ON c.child_id = i.child_id "
                              f"WHERE {scope}", params, InterventionRow)
    report_scope, report_params = in_scope_sql("r.jurisdiction", jurisdiction)
    known, more = known_reports_sql(reader, "r")
    reports = [r for r in _docs(db, f"SELECT r.doc FROM rm_reports r WHERE {report_scope} AND {known}",
                                report_params + more, ReportRow) if start <= r.received_at < end]
    return [
        _by_category(children, reader),
        _by_risk(children),
        _visits(children, visits, start, end, now),
        _referrals(referrals, now),
        _interventions(interventions, now),
        _reports(reports),
        coverage_table(db, jurisdiction, start, end, children, visits),
        _closures(everyone),
        _report_timeliness(reports),
        _reports_by_institution(reports),
        _reports_by_sentinel_place(reports, reader),
    ]


def coverage_table(db: ReadDB, jurisdiction: str, start: datetime, end: datetime,
                   children: list[ChildRow] | None = None, visits: list[VisitRow] | None = None) -> StatTable:
    """Quarterly visit coverage per village: children seen at least once in the quarter / children there now.

    A village or wider scope reads the coverage projection; a scope narrower than a village counts only the
    children inside it (its `children` and the period's `visits`), never the rest of their village.
    """
    quarters = sorted({quarter_of(start), quarter_of(end - timedelta(seconds=1))} | _quarters_between(start, end))
    if len(jurisdiction.split("/")) > VILLAGE_SEGMENTS:
        population = Counter(village_of(c.jurisdiction) for c in children or [])
        seen_ids: dict[tuple[str, str], set[str]] = {}
        villages = {c.child_id: village_of(c.jurisdiction) for c in children or []}
        for v in visits or []:
            if v.child_seen and v.child_id in villages:
                seen_ids.setdefault((villages[v.child_id], quarter_of(v.occurred_at)), set()).add(v.child_id)
        seen = {key: len(ids) for key, ids in seen_ids.items()}
    else:
        scope, params = in_scope_sql("village", jurisdiction)
        population = Counter(dict(db.query(
            f"SELECT village, COUNT(*) FROM rm_cov_places WHERE {scope} AND open = '1' GROUP BY village", tuple(params))))
        closed = {r[0] for r in db.query(f"SELECT child_id FROM rm_cov_places WHERE {scope} AND open = '0'", tuple(params))}
        decoder = msgspec.json.Decoder(CoverageRow)
        seen = {
            (row.village, row.quarter): len(set(row.visited) - closed)
            for row in (decoder.decode(r[0]) for r in db.query(f"SELECT doc FROM rm_cov_quarters WHERE {scope}",
                                                                tuple(params)))
        }
    rows = []
    for name in sorted(population):
        for quarter in quarters:
            visited = seen.get((name, quarter), 0)
            rows.append([name, quarter, population[name], visited, round(100 * visited / population[name], 1)])
    columns = ["村(社区) village", "季度 quarter", "儿童 children", "已走访 visited", "覆盖率% coverage"]
    return StatTable("coverage", "季度走访覆盖率 Quarterly visit coverage per village", columns, rows)


def _quarters_between(start: datetime, end: datetime) -> set[str]:
    found, moment = set(), start
    while moment < end:
        found.add(quarter_of(moment))
        moment += timedelta(days=28)
    return found


def _by_category(children: list[ChildRow], reader: Actor) -> StatTable:
    """Counts of the categories the reader may see of each child; sensitive cells by the disclosure table."""
    counts = Counter(code for c in children for code in Disclosure(reader, facts_of(c)).categories(c.categories))
    rows = [[label_zh(Category, m.value), m.value, statistic(reader, counts[m.value], category_kind(m.value, False))]
            for m in Category]
    return StatTable("children_by_category", "儿童类别 Children by category", ["类别", "code", "人数 children"], rows)


def _by_risk(children: list[ChildRow]) -> StatTable:
    counts = Counter(level.value if (level := effective_level(c.risk_level, c.categories)) else "ungraded"
                     for c in children)
    rows = [[label_zh(RiskLevel, m.value), m.value, counts[m.value]] for m in RiskLevel]
    rows.append(["未分级", "ungraded", counts["ungraded"]])
    return StatTable("children_by_risk", "风险等级 Children by risk level", ["等级", "code", "人数 children"], rows)


def _visits(children: list[ChildRow], visits: list[VisitRow], start: datetime, end: datetime, now: datetime) -> StatTable:
    due_in_period = sum(1 for c in children if c.next_visit_due and start <= c.next_visit_due < end)
    overdue_now = sum(1 for c in children if is_overdue(visit_due(c, now), now))
    rows = [
        ["走访次数", "visits_done", len(visits)],
        ["按时走访", "visits_on_time", sum(1 for v in visits if v.on_time)],
        ["逾期后补访", "visits_after_due", sum(1 for v in visits if not v.on_time)],
        ["离线补录(延迟同步)", "visits_synced_late", sum(1 for v in visits if v.late)],
        ["本期应访(按当前计划)", "visits_due_in_period", due_in_period],
        ["当前逾期儿童", "children_overdue_now", overdue_now],
        ["儿童总数(在案)", "children", len(children)],
        ["已满十八周岁待结案", "children_aged_out", sum(1 for c in children if aged_out(c, now))],
    ]
    return StatTable("visits", "走访 Visits", ["指标", "code", "数量 count"], rows)


def _referrals(referrals: list[ReferralRow], now: datetime) -> StatTable:
    rows = []
    for dept in Department:
        mine = [r for r in referrals if r.department == dept.value]
        if not mine:
            continue
        status = Counter(r.status for r in mine)
        overdue = sum(1 for r in mine if (d := referral_due_by(r)) is not None and now > d)
        rows.append([
            label_zh(Department, dept.value), dept.value, len(mine), status["sent"], status["accepted"],
            status["declined"], status["completed"], overdue, sum(1 for r in mine if r.escalations),
            _median([_hours(r.sent_at, r.accepted_at) for r in mine]),
            _median([_hours(r.sent_at, r.completed_at) for r in mine]),
        ])
    columns = ["部门", "code", "转介 total", "待受理 sent", "已受理 accepted", "已退回 declined", "已办结 completed",
               "逾期 overdue", "已升级 escalated", "受理中位小时 median hours to accept", "办结中位小时 median hours to complete"]
    return StatTable("referrals", "转介 Referrals by department", columns, rows)


def _interventions(items: list[InterventionRow], now: datetime) -> StatTable:
    rows = []
    for kind in InterventionType:
        mine = [i for i in items if i.type == kind.value]
        status = Counter(i.status for i in mine)
        late_reviews = sum(1 for i in mine if i.status != "ended" and is_overdue(i.review_by, now))
        rows.append([label_zh(InterventionType, kind.value), kind.value, len(mine), status["planned"],
                     status["started"], status["ended"], late_reviews])
    columns = ["类型", "code", "合计 total", "计划 planned", "实施中 started", "已结束 ended", "复核逾期 review overdue"]
    return StatTable("interventions", "干预救助 Interventions by type", columns, rows)


def _reports(reports: list[ReportRow]) -> StatTable:
    rows = []
    for source in ReportSource:
        mine = [r for r in reports if r.source == source.value]
        rows.append([label_zh(ReportSource, source.value), source.value, len(mine),
                     sum(1 for r in mine if r.triaged_at), _median([_hours(r.received_at, r.triaged_at) for r in mine])])
    columns = ["来源", "code", "报告 reports", "已研判 triaged", "研判中位小时 median hours to triage"]
    return StatTable("reports", "发现报告 Reports by source", columns, rows)


def _p90(values: list[float | None]) -> float | None:
    """The 90th percentile (inclusive: a single value is its own), in hours to one decimal."""
    present = sorted(v for v in values if v is not None)
    if len(present) < 2:
        return round(present[0], 1) if present else None
    return round(statistics.quantiles(present, n=10, method="inclusive")[8], 1)


def _timeliness(mine: list[ReportRow]) -> list[Any]:
    """Hours from discovery to report and from report to triage: median and 90th percentile of each."""
    to_report = [_hours(r.discovered_at, r.received_at) for r in mine]
    to_triage = [_hours(r.received_at, r.triaged_at) for r in mine]
    return [_median(to_report), _p90(to_report), _median(to_triage), _p90(to_triage)]


TIMELINESS_COLUMNS = ["发现至报告中位小时 median hours discovery to report", "发现至报告P90小时 p90",
                      "报告至研判中位小时 median hours report to triage", "报告至研判P90小时 p90"]


def _report_timeliness(reports: list[ReportRow]) -> StatTable:
    rows = [[label_zh(ReportSource, m.value), m.value, sum(1 for r in reports if r.source == m.value),
             *_timeliness([r for r in reports if r.source == m.value])] for m in ReportSource]
    rows.append(["合计", "all", len(reports), *_timeliness(reports)])
    return StatTable("report_timeliness", "发现报告时效 Report timeliness by source",
                     ["来源", "code", "报告 reports", *TIMELINESS_COLUMNS], rows)


def _reports_by_institution(reports: list[ReportRow]) -> StatTable:
    rows = []
    for m in ReporterInstitution:
        mine = [r for r in reports if r.reporter_institution == m.value]
        rows.append([label_zh(ReporterInstitution, m.value), m.value, len(mine), *_timeliness(mine)])
    return StatTable("reports_by_institution", "报告单位 Reports by reporter institution",
                     ["单位类型", "code", "报告 reports", *TIMELINESS_COLUMNS], rows)


def _reports_by_sentinel_place(reports: list[ReportRow], reader: Actor) -> StatTable:
    """Reports per named sentinel place (监测哨点). A named place and a small count can point to one child, so
    these cells follow the table's small-cell rule: 1 to 4 shown as "<5" to supervisors."""
    counts = Counter((r.sentinel_place, r.reporter_institution or "") for r in reports if r.sentinel_place)
    rows = [[place, kind, statistic(reader, count, Kind.SENSITIVE)] for (place, kind), count in sorted(counts.items())]
    return StatTable("reports_by_sentinel_place", "哨点报告 Reports by sentinel place",
                     ["哨点 place", "单位类型 institution", "报告 reports"], rows)


def _closures(children: list[ChildRow]) -> StatTable:
    """Cases closed now, by reason, and requests waiting for a supervisor (closed cases count nowhere else)."""
    counts = Counter(c.closure_reason for c in children if c.case_status == CaseStatus.CLOSED)
    rows: list[list[Any]] = [[label_zh(ClosureReason, r.value), r.value, counts[r.value]] for r in ClosureReason]
    waiting = sum(1 for c in children if c.case_status == CaseStatus.CLOSURE_REQUESTED)
    rows.append(["申请结案待审批", "closure_requested", waiting])
    return StatTable("closures", "结案 Closed cases by reason", ["原因", "code", "人数 children"], rows)


def as_json(tables: list[StatTable]) -> dict[str, Any]:
    return {t.name: {"title": t.title, "columns": t.columns, "rows": t.rows} for t in tables}


FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
"""How a cell a spreadsheet program would run as a formula begins (OWASP CSV injection)."""


def _csv_cell(value: Any) -> Any:
    """Text as typed (a sentinel place names itself) that would start a formula gets a leading apostrophe, which
    spreadsheet programs read as "text follows"; numbers stay numbers."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def as_csv(tables: list[StatTable]) -> bytes:
    """One CSV with a blank line between tables; UTF-8 with a BOM so spreadsheet programs read the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    for table in tables:
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
        writer.writerow([])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(tables: list[StatTable], heading: str) -> bytes:
    """A real spreadsheet: one sheet per table, Chinese headings, bold header rows."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for table in tables:
        sheet = book.create_sheet(table.name[:31])
        sheet.append([f"{table.title} — {heading}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(table.columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):  # text stays text, never a formula a spreadsheet program would run
                    cell.data_type = "s"
        for column in sheet.columns:
            width = max(len(str(c.value or "")) for c in column[1:]) + 4
            sheet.column_dimensions[column[0].column_letter].width = min(width, 40)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
