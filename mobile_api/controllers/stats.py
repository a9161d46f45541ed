"""Statistics per jurisdiction and period: JSON, or a CSV or XLSX download."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from backend.errors import ChildNotFound
from backend.identity import Actor
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.rules.timing import check_moment, check_period
from mobile_api.auth import Caller
from mobile_api.common import BEARER, permission
from mobile_api.services import Services
from projections.stats import StatTable, as_csv, as_json, as_xlsx, summary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["statistics"]
    security = BEARER

    @get("/summary", operation_id="statsSummary", guards=[permission("audit.read")], sync_to_thread=True)
    def stats_summary(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        jurisdiction: str | None = None,
        from_: Annotated[datetime | None, Parameter(query="from", description="period start (RFC 3339)")] = None,
        to: datetime | None = None,
        format: Literal["json", "csv", "xlsx"] = "json",
    ) -> Response[Any]:
        """Children by category and risk; visits; referrals by department; interventions; reports by source, by
        reporter institution and by sentinel place (a place's count of 1 to 4 shown as "<5" to supervisors), and hours
        from discovery to report and from report to triage (median, 90th percentile) (default: last 90 days)."""
        report = statistics(services, caller.actor, jurisdiction, from_, to)
        if format == "json":
            return Response({"jurisdiction": report.scope, "from": report.start.isoformat(), "to": report.end.isoformat(),
                             "tables": as_json(report.tables)})
        return download(report, format)


class Statistics(msgspec.Struct, frozen=True):
    """The summary tables of one jurisdiction and period, as one reader may see them."""

    scope: str
    start: datetime
    end: datetime
    tables: list[StatTable]


def statistics(services: Services, actor: Actor, jurisdiction: str | None, from_: datetime | None,
               to: datetime | None) -> Statistics:
    """The summary for a jurisdiction in the reader's scope (404 outside it) over a period (default: the last 90 days)."""
    scope = parse_jurisdiction(jurisdiction) if jurisdiction else actor.scope
    if not within_scope(scope, actor.scope):
        raise ChildNotFound("no such jurisdiction in your scope")
    now = services.clock()
    end = check_moment(to, "to") if to else now
    start = check_moment(from_, "from") if from_ else end - timedelta(days=90)
    check_period(start, end)
    return Statistics(scope, start, end, summary(services.read_db, scope, start, end, now, actor))


def download(report: Statistics, format: Literal["csv", "xlsx"]) -> Response[Any]:
    """The summary as a CSV or XLSX file to save."""
    name = f"huhang-{report.scope.replace('/', '-')}-{report.start:%Y%m%d}-{report.end:%Y%m%d}"
    if format == "csv":
        return Response(as_csv(report.tables), media_type="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    heading = f"{report.scope} {report.start:%Y-%m-%d} — {report.end:%Y-%m-%d}"
    return Response(as_xlsx(report.tables, heading), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
