"""Children: register, read, list the caseload, grade, re-categorise, transfer, correct, conferences."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from backend.commands import (
    AssessRisk,
    AssignChild,
    ChangeCategories,
    CorrectRecord,
    HoldConference,
    RegisterChild,
    SealRecord,
    TransferChild,
)
from backend.disclosure import CategoryFilter, Shown, category_filter
from backend.errors import ChildNotFound
from backend.identity import Actor
from backend.rules.jurisdiction import parse_jurisdiction
from backend.rules.timing import check_moment
from events.vocabulary import Category, RiskLevel, Role
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission, require_json, written
from mobile_api.schemas import ChildChange, ChildPage, ChildStatus, Conference, ConferencePage, ConferenceResult
from mobile_api.services import Services
from mobile_api.showing import child_write_answer, record_shown, registration_answer
from projections.casefile import child_conferences, conference_view
from projections.queries import Caseload, caseload, child_row, locator
from projections.tables import ChildRow
from projections.views import child_status, row_visible


def visible_child(services: Services, actor: Actor, child_id: UUID) -> ChildRow:
    """The child's row if the caller may see it; otherwise it does not exist for them (404)."""
    row = child_row(services.read_db, str(child_id))
    if row is None or not row_visible(actor, row):
        raise ChildNotFound("no such child")
    return row


def status_of(services: Services, caller: Caller, row: ChildRow, shown: Shown) -> ChildStatus:
    """The status this caller may see; what protected data it shows is noted in `shown`."""
    status, disclosure = child_status(row, services.clock(), services.settings.policy, caller.actor,
                                      locate=locator(services.read_db))
    shown.add(row.child_id, disclosure)
    return ChildStatus(**status)


def statuses(services: Services, caller: Caller, rows: list[ChildRow], endpoint: str) -> list[ChildStatus]:
    """Statuses for a page of rows, with one access event for the whole page."""
    shown = Shown()
    items = [status_of(services, caller, r, shown) for r in rows]
    record_shown(services, caller, shown, endpoint)
    return items


class ChildrenController(Controller):
    path = "/api/v1/children"
    tags = ["children"]
    guards = [require_json]
    security = BEARER

    @post("/", operation_id="registerChild", guards=[permission("child.register")], sync_to_thread=True)
    def register(self, data: RegisterChild, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildStatus]:
        """Register a child (201 with the child's status)."""
        outcome = services.app.children.register(caller.actor, caller.device_id, data)
        return written(services, caller, outcome, ChildStatus, registration_answer)

    @get("/", operation_id="listChildren", guards=[permission("child.read")], sync_to_thread=True)
    def list_children(
        self,
        caller: NamedDependency[Caller],
        services: NamedDependency[Services],
        limit: Limit = 50,
        cursor: Cursor = None,
        jurisdiction: str | None = None,
        risk_level: RiskLevel | None = None,
        category: Category | None = None,
        due_before: datetime | None = None,
        overdue: Annotated[bool, Parameter(default=False)] = False,
    ) -> ChildPage:
        """The caseload in scope, soonest due first, with filters."""
        actor = caller.actor
        if due_before is not None:
            check_moment(due_before, "due_before")
        query = Caseload(
            scope=actor.scope,
            jurisdiction=parse_jurisdiction(jurisdiction) if jurisdiction else None,
            risk_level=risk_level,
            category=category,
            category_filter=category_filter(actor, category) if category else CategoryFilter.ALL,
            due_before=due_before,
            overdue_at=services.clock() if overdue else None,
            department=actor.department if actor.role == Role.DEPARTMENT_HANDLER else None,
            now=services.clock(),
        )
        rows, after = caseload(services.read_db, query, limit, services.cursors.read(cursors.CHILDREN, cursor))
        return ChildPage(items=statuses(services, caller, rows, "listChildren"),
                         next_cursor=services.cursors.write(cursors.CHILDREN, after))

    @get("/{child_id:uuid}", operation_id="getChild", guards=[permission("child.read")], sync_to_thread=True)
    def get_child(self, child_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services]) -> ChildStatus:
        """One child's current status."""
        return statuses(services, caller, [visible_child(services, caller.actor, child_id)], "getChild")[0]

    @post("/{child_id:uuid}/risk-assessments", operation_id="assessRisk", guards=[permission("child.assess_risk")], sync_to_thread=True)
    def assess_risk(self, child_id: FromPath[UUID], data: AssessRisk, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Grade the child red, orange, yellow or blue."""
        outcome = services.app.children.assess_risk(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/categories", operation_id="changeCategories", guards=[permission("child.change_categories")], sync_to_thread=True)
    def change_categories(self, child_id: FromPath[UUID], data: ChangeCategories, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Add and remove categories."""
        outcome = services.app.children.change_categories(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/transfer", operation_id="transferChild", guards=[permission("child.transfer")], sync_to_thread=True)
    def transfer(self, child_id: FromPath[UUID], data: TransferChild, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Move the child to another jurisdiction."""
        outcome = services.app.children.transfer(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/corrections", operation_id="correctRecord", guards=[permission("child.correct")], sync_to_thread=True)
    def correct(self, child_id: FromPath[UUID], data: CorrectRecord, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Correct a wrong fact; the original stays in history."""
        outcome = services.app.children.correct(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/assignment", operation_id="assignChild", guards=[permission("child.assign")], sync_to_thread=True)
    def assign(self, child_id: FromPath[UUID], data: AssignChild, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Name the worker responsible for the child (`owner`, a username) and, for one-to-one pairing (结对帮扶) of an
        orange child, a `partner`; each must be an active grid worker or child director whose scope covers
        the child. An orange or red child without an owner carries the flag `no_owner`; the owner's visit tasks
        follow the child."""
        outcome = services.app.children.assign(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/seal", operation_id="sealRecord", guards=[permission("child.seal")], sync_to_thread=True)
    def seal(self, child_id: FromPath[UUID], data: SealRecord, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ChildChange]:
        """Seal the child's criminal-record matters under a sealing order (犯罪记录封存)."""
        outcome = services.app.children.seal(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/conferences", operation_id="holdConference", guards=[permission("conference.hold")], sync_to_thread=True)
    def conference(self, child_id: FromPath[UUID], data: HoldConference, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[ConferenceResult]:
        """Record a case conference about the child."""
        outcome = services.app.interventions.hold_conference(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ConferenceResult)

    @get("/{child_id:uuid}/conferences", operation_id="listChildConferences", guards=[permission("child.read")], sync_to_thread=True)
    def list_conferences(self, child_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services],
                         limit: Limit = 50, cursor: Cursor = None) -> ConferencePage:
        """The child's case conferences (个案会商), oldest first, with their follow-ups (numbered by `index`) and
        which are done; decisions and follow-ups are words about the child, withheld as the disclosure table says."""
        return conferences_page(services, caller, child_id, limit, cursor)


def conferences_page(services: Services, caller: Caller, child_id: UUID, limit: int, cursor: str | None) -> ConferencePage:
    """The child's case conferences (个案会商), oldest first, with their follow-ups and which are done."""
    child = visible_child(services, caller.actor, child_id)
    kind = cursors.child_list("conferences", child_id)
    rows, after = child_conferences(services.read_db, str(child_id), limit, services.cursors.read(kind, cursor))
    shown, items = Shown(), []
    for row in rows:
        view, disclosure = conference_view(row, child, caller.actor)
        shown.add(child_id, disclosure)
        items.append(msgspec.convert(view, Conference))
    record_shown(services, caller, shown, "listChildConferences")
    return ConferencePage(items=items, next_cursor=services.cursors.write(kind, after))
