"""Visits: record one (photos named by hash may come later), read one back."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from backend.commands import RecordVisit
from backend.disclosure import Shown
from backend.errors import ChildNotFound, VisitNotFound
from mobile_api.auth import Caller
from mobile_api.common import BEARER, permission, require_json, written
from mobile_api.controllers.children import visible_child
from mobile_api.schemas import Visit, VisitResult
from mobile_api.services import Services
from mobile_api.showing import record_shown, visit_answer
from projections.queries import visit_row
from projections.views import visit_view


class VisitsController(Controller):
    path = "/api/v1/visits"
    tags = ["visits"]
    guards = [require_json]
    security = BEARER

    @post("/", operation_id="recordVisit", guards=[permission("visit.record")], sync_to_thread=True)
    def record(self, data: RecordVisit, caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[VisitResult]:
        """Record a home visit ("三看一查"); late, flags and missing photos come back."""
        outcome = services.app.visits.record(caller.actor, caller.device_id, data)
        return written(services, caller, outcome, VisitResult, visit_answer)

    @get("/{visit_id:uuid}", operation_id="getVisit", guards=[permission("child.read")], sync_to_thread=True)
    def get_visit(self, visit_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Visit:
        """One visit, if its child is in the caller's scope."""
        row = visit_row(services.read_db, str(visit_id))
        if row is None:
            raise VisitNotFound("no such visit")
        try:
            child = visible_child(services, caller.actor, UUID(row.child_id))
        except ChildNotFound:
            raise VisitNotFound("no such visit") from None
        view, disclosure = visit_view(row, child, caller.actor)
        shown = Shown()
        shown.add(child.child_id, disclosure)
        record_shown(services, caller, shown, "getVisit")
        return view
