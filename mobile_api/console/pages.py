"""What each console page shows, gathered through the API's own queries and views: the same scope, handler and
disclosure rules, and one access event per page for the protected facts it showed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Final, Literal
from uuid import UUID

import msgspec

from backend.disclosure import Shown, hidden_sealed_departments
from backend.errors import ChildNotFound
from backend.rules.geo import to_wgs84
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.rules.timing import check_moment
from events.base import Geo
from events.vocabulary import RiskLevel
from mobile_api.auth import Caller
from mobile_api.console.charts import Position
from mobile_api.controllers.audit import status_as_of
from mobile_api.controllers.children import visible_child
from mobile_api.controllers.tasks import task_page
from mobile_api.services import Services
from mobile_api.showing import record_shown
from projections.audit import child_events, history
from projections.queries import Caseload, ReferralQuery, access_log, caseload, locator, referrals, visit_row
from projections.tables import ChildRow
from projections.views import child_status, facts_of, referral_view

LIST_LIMIT: Final = 200
TIMELINE_PAGE: Final = 50
"""Events of a child's timeline on one page: a long history stays within a county office's connection."""
COUNTY_TIME: Final = timezone(timedelta(hours=8))
"""A date chosen in the console is a day in China Standard Time; its status is the one at the end of that day."""

Basis = Literal["recorded", "occurred"]


def jurisdiction_in_scope(caller: Caller, jurisdiction: str | None) -> str:
    """The jurisdiction a page is filtered to: one inside the caller's scope (404 outside it), or the whole scope."""
    scope = parse_jurisdiction(jurisdiction) if jurisdiction else caller.actor.scope
    if not within_scope(scope, caller.actor.scope):
        raise ChildNotFound("no such jurisdiction in your scope")
    return scope


def _statuses(services: Services, caller: Caller, rows: list[ChildRow], shown: Shown) -> list[dict[str, Any]]:
    now, policy, locate = services.clock(), services.settings.policy, locator(services.read_db)
    found = []
    for row in rows:
        status, disclosure = child_status(row, now, policy, caller.actor, locate=locate)
        shown.add(row.child_id, disclosure)
        found.append(status)
    return found


def worklist(services: Services, caller: Caller, jurisdiction: str | None) -> dict[str, Any]:
    """Children overdue for a visit, red children without an intervention, the caller's tasks, and referrals past
    their deadline, in the chosen jurisdiction."""
    scope = jurisdiction_in_scope(caller, jurisdiction)
    actor, db, now = caller.actor, services.read_db, services.clock()
    shown = Shown()
    overdue, _ = caseload(db, Caseload(scope=actor.scope, jurisdiction=scope, overdue_at=now), LIST_LIMIT, None)
    red, _ = caseload(db, Caseload(scope=actor.scope, jurisdiction=scope, risk_level=RiskLevel.RED), LIST_LIMIT, None)
    red_statuses = [s for s in _statuses(services, caller, red, shown) if "red_without_intervention" in s["flags"]]
    late = [view for view in _referrals(services, caller, scope, shown, overdue_only=True) if view["overdue"]]
    page = {"jurisdiction": scope, "overdue": _statuses(services, caller, overdue, shown), "red": red_statuses,
            "tasks": task_page(services, caller, LIST_LIMIT)[0], "late_referrals": late}
    record_shown(services, caller, shown, "console.worklist")
    return page


def _referrals(services: Services, caller: Caller, scope: str, shown: Shown, overdue_only: bool) -> list[dict[str, Any]]:
    now = services.clock()
    query = ReferralQuery(scope=scope, overdue_at=now if overdue_only else None,
                          hidden_sealed=tuple(sorted(hidden_sealed_departments(caller.actor))))
    rows, _ = referrals(services.read_db, query, 500, None)
    found = []
    for referral, child in rows:
        view, disclosure = referral_view(referral, child, now, caller.actor)
        shown.add(child.child_id, disclosure)
        if view is not None:
            accepted = referral.accepted_at
            hours = (accepted - referral.sent_at).total_seconds() / 3600 if accepted else None
            found.append(msgspec.to_builtins(view) | {"child_name": child.name, "response_hours": hours})
    return found


def referral_board(services: Services, caller: Caller, jurisdiction: str | None) -> dict[str, Any]:
    """Every referral in the jurisdiction, by department, with its deadlines and how long its answer took."""
    scope = jurisdiction_in_scope(caller, jurisdiction)
    shown = Shown()
    by_department: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for view in _referrals(services, caller, scope, shown, overdue_only=False):
        by_department[view["department"]].append(view)
    record_shown(services, caller, shown, "console.referrals")
    return {"jurisdiction": scope, "departments": dict(sorted(by_department.items()))}


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), COUNTY_TIME)


class AsOf(msgspec.Struct, frozen=True):
    """The day whose status is asked (None: only today's), and by which clock."""

    day: date | None
    basis: Basis = "recorded"


def child_file(services: Services, caller: Caller, child_id: UUID, asked: AsOf, older: int = 0) -> dict[str, Any]:
    """A child's file: status now (and as of a chosen day), the timeline newest first a page at a time (`older`
    pages back), photos, visit positions."""
    row = visible_child(services, caller.actor, child_id)
    events = child_events(services.app.store, services.read_db, child_id)
    shown = Shown()
    (status,) = _statuses(services, caller, [row], shown)
    entries, disclosure = history(events, slice(None), caller.actor, facts_of(row), locator(services.read_db))
    shown.add(row.child_id, disclosure)
    newest_first = entries[::-1]
    page: dict[str, Any] = {"status": status, "basis": asked.basis, "day": asked.day, "older": older,
                            "timeline": newest_first[older * TIMELINE_PAGE:(older + 1) * TIMELINE_PAGE],
                            "has_older": (older + 1) * TIMELINE_PAGE < len(entries), "events": len(entries),
                            "photos": _photos(services, row, entries), "home": _home(row),
                            "positions": _positions(services, entries)}
    if asked.day is not None:
        moment = check_moment(min(end_of_day(asked.day), services.clock()), "at")
        past = status_as_of(services, caller, row, events, moment, asked.basis, shown)
        page["as_of"] = msgspec.to_builtins(past) if past is not None else None
    record_shown(services, caller, shown, "console.childFile")
    return page


def _wgs84(geo: dict[str, Any] | None) -> tuple[float, float] | None:
    return to_wgs84(msgspec.convert(geo, Geo)) if geo else None


def _home(row: ChildRow) -> tuple[float, float] | None:
    return _wgs84(row.home_geo)


def _positions(services: Services, entries: list[dict[str, Any]]) -> list[Position]:
    """Where each visit was recorded (WGS-84), flagged when the visit has any evidence flag now."""
    found = []
    for e in entries:
        place = _wgs84(e["geo"]) if e["type"] == "VisitRecorded" else None
        visit = visit_row(services.read_db, e["stream_id"]) if place is not None else None
        if place is not None:
            found.append(Position(label=e["occurred_at"][:16].replace("T", " "), lat=place[0], lon=place[1],
                                  flagged=bool(visit and visit.flags)))
    return found


def _photos(services: Services, row: ChildRow, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each stored photo of the child with the evidence flags it raises (its EXIF time or place against the visits
    naming it)."""
    found = []
    for e in entries:
        if e["type"] == "PhotoStored":
            sha = e["data"]["sha256"]
            raised = services.photo_visit_flags(row.child_id, sha)
            flags = sorted(set().union(*raised.values())) if raised else []
            found.append({"sha256": sha, "taken_at": e["data"].get("taken_at"), "flags": flags})
    return found


def access_entries(services: Services, caller: Caller, child_id: UUID) -> list[dict[str, Any]]:
    """Who was shown protected data about the child (a child the auditor sees), oldest first."""
    visible_child(services, caller.actor, child_id)
    services.runner.catch_up()
    rows, _ = access_log(services.read_db, str(child_id), 500, None)
    return [msgspec.to_builtins(r) for r in rows]
