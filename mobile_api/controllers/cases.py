"""Reports, referrals and interventions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from backend.commands import (
    InterventionStep,
    PlanIntervention,
    ReceiveReport,
    ReferralStep,
    SendReferral,
    TriageReport,
)
from backend.disclosure import Shown, hidden_sealed_departments
from events.vocabulary import Department, ReferralStatus, ReportSource, Role, Urgency
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission, require_json, written
from mobile_api.controllers.casefile import From, ReportStatus, report_page
from mobile_api.schemas import (
    InterventionResult,
    ReferralPage,
    ReferralResult,
    ReportPage,
    ReportResult,
    TriageResult,
)
from mobile_api.services import Services
from mobile_api.showing import intervention_answer, record_shown, referral_answer
from projections.queries import ReferralQuery, referrals
from projections.views import referral_view

ReferralId = FromPath[UUID]
InterventionId = FromPath[UUID]
CallerDep = NamedDependency[Caller]
ServicesDep = NamedDependency[Services]


class ReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]
    guards = [require_json]
    security = BEARER

    @post("/", operation_id="receiveReport", guards=[permission("report.receive")], sync_to_thread=True)
    def receive(self, data: ReceiveReport, caller: CallerDep, services: ServicesDep) -> Response[ReportResult]:
        """Take in a hotline call, mandatory report, sentinel report or walk-in."""
        return written(services, caller, services.app.reports.receive(caller.actor, caller.device_id, data), ReportResult)

    @post("/{report_id:uuid}/triage", operation_id="triageReport", guards=[permission("report.triage")], sync_to_thread=True)
    def triage(self, report_id: FromPath[UUID], data: TriageReport, caller: CallerDep, services: ServicesDep) -> Response[TriageResult]:
        """Link the report to a known or newly registered child and decide; a referral is made at once."""
        outcome = services.app.reports.triage(caller.actor, caller.device_id, report_id, data)
        return written(services, caller, outcome, TriageResult)

    @get("/", operation_id="listReports", guards=[permission("report.register")], sync_to_thread=True)
    def list_reports(self, caller: CallerDep, services: ServicesDep, limit: Limit = 50, cursor: Cursor = None,
                     status: ReportStatus | None = None, source: ReportSource | None = None,
                     urgency: Urgency | None = None, from_: From = None, to: datetime | None = None) -> ReportPage:
        """The report register (线索台账): reports received in scope, newest first, filtered by triage status, source,
        urgency and when received (`from` inclusive, `to` exclusive), each with its triage deadline (`triage_by`: 2 h
        for urgent, 24 h otherwise) and whether it is past it untriaged (`overdue`). A report about a child whose
        record is sealed is not listed for those who may not see sealed matters."""
        return report_page(services, caller, limit, cursor, status, source, urgency, from_, to)


class ReferralsController(Controller):
    path = "/api/v1/referrals"
    tags = ["referrals"]
    guards = [require_json]
    security = BEARER

    @post("/", operation_id="sendReferral", guards=[permission("referral.send")], sync_to_thread=True)
    def send(self, data: SendReferral, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """Refer a child to a department; the answer has accept_by and complete_by."""
        return written(services, caller, services.app.referrals.send(caller.actor, caller.device_id, data), ReferralResult, referral_answer)

    @post("/{referral_id:uuid}/accept", operation_id="acceptReferral", guards=[permission("referral.respond")], sync_to_thread=True)
    def accept(self, referral_id: ReferralId, data: ReferralStep, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """The department takes the referral on (from `sent`); its complete-by deadline now runs. From any other state: 409."""
        outcome = services.app.referrals.accept(caller.actor, caller.device_id, referral_id, data)
        return written(services, caller, outcome, ReferralResult, referral_answer)

    @post("/{referral_id:uuid}/decline", operation_id="declineReferral", guards=[permission("referral.respond")], sync_to_thread=True)
    def decline(self, referral_id: ReferralId, data: ReferralStep, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """The department declines the referral, saying why in `note` (from `sent`); its handlers stop seeing the child."""
        outcome = services.app.referrals.decline(caller.actor, caller.device_id, referral_id, data)
        return written(services, caller, outcome, ReferralResult, referral_answer)

    @post("/{referral_id:uuid}/progress", operation_id="noteReferralProgress", guards=[permission("referral.respond")], sync_to_thread=True)
    def progress(self, referral_id: ReferralId, data: ReferralStep, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """A progress note on an accepted referral (`note` required)."""
        outcome = services.app.referrals.progress(caller.actor, caller.device_id, referral_id, data)
        return written(services, caller, outcome, ReferralResult, referral_answer)

    @post("/{referral_id:uuid}/complete", operation_id="completeReferral", guards=[permission("referral.complete")], sync_to_thread=True)
    def complete(self, referral_id: ReferralId, data: ReferralStep, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """Close an accepted referral with its `outcome` (required); the department's handlers stop seeing the child."""
        outcome = services.app.referrals.complete(caller.actor, caller.device_id, referral_id, data)
        return written(services, caller, outcome, ReferralResult, referral_answer)

    @post("/{referral_id:uuid}/escalate", operation_id="escalateReferral", guards=[permission("referral.escalate")], sync_to_thread=True)
    def escalate(self, referral_id: ReferralId, data: ReferralStep, caller: CallerDep, services: ServicesDep) -> Response[ReferralResult]:
        """Escalate a referral that is late against its deadline; `note` says why."""
        outcome = services.app.referrals.escalate(caller.actor, caller.device_id, referral_id, data)
        return written(services, caller, outcome, ReferralResult, referral_answer)

    @get("/", operation_id="listReferrals", guards=[permission("child.read")], sync_to_thread=True)
    def list_referrals(
        self,
        caller: CallerDep,
        services: ServicesDep,
        limit: Limit = 50,
        cursor: Cursor = None,
        status: ReferralStatus | None = None,
        department: Department | None = None,
        overdue: Annotated[bool, Parameter(default=False)] = False,
    ) -> ReferralPage:
        """Referrals about children in scope; a department handler sees only their department's."""
        actor = caller.actor
        if actor.role == Role.DEPARTMENT_HANDLER:
            department = Department(actor.department) if actor.department else department
        now = services.clock()
        query = ReferralQuery(scope=actor.scope, department=department, status=status, overdue_at=now if overdue else None,
                              hidden_sealed=tuple(sorted(hidden_sealed_departments(actor))))
        rows, after = referrals(services.read_db, query, limit, services.cursors.read(cursors.REFERRALS, cursor))
        next_cursor = services.cursors.write(cursors.REFERRALS, after)
        shown = Shown()
        items = []
        for referral, child in rows:
            view, disclosure = referral_view(referral, child, now, actor)
            shown.add(child.child_id, disclosure)
            if view is not None:
                items.append(view)
        record_shown(services, caller, shown, "listReferrals")
        return ReferralPage(items=items, next_cursor=next_cursor)


class InterventionsController(Controller):
    path = "/api/v1/interventions"
    tags = ["interventions"]
    guards = [require_json, permission("intervention.manage")]
    security = BEARER

    @post("/", operation_id="planIntervention", sync_to_thread=True)
    def plan(self, data: PlanIntervention, caller: CallerDep, services: ServicesDep) -> Response[InterventionResult]:
        """Plan an intervention with a responsible department."""
        return written(services, caller, services.app.interventions.plan(caller.actor, caller.device_id, data), InterventionResult, intervention_answer)

    @post("/{intervention_id:uuid}/start", operation_id="startIntervention", sync_to_thread=True)
    def start(self, intervention_id: InterventionId, data: InterventionStep, caller: CallerDep, services: ServicesDep) -> Response[InterventionResult]:
        """The planned intervention starts."""
        outcome = services.app.interventions.start(caller.actor, caller.device_id, intervention_id, data)
        return written(services, caller, outcome, InterventionResult, intervention_answer)

    @post("/{intervention_id:uuid}/review", operation_id="reviewIntervention", sync_to_thread=True)
    def review(self, intervention_id: InterventionId, data: InterventionStep, caller: CallerDep, services: ServicesDep) -> Response[InterventionResult]:
        """A review of a started intervention (`note` required)."""
        outcome = services.app.interventions.review(caller.actor, caller.device_id, intervention_id, data)
        return written(services, caller, outcome, InterventionResult, intervention_answer)

    @post("/{intervention_id:uuid}/end", operation_id="endIntervention", sync_to_thread=True)
    def end(self, intervention_id: InterventionId, data: InterventionStep, caller: CallerDep, services: ServicesDep) -> Response[InterventionResult]:
        """End the intervention with its `outcome` (required); the department's handlers stop seeing the child."""
        outcome = services.app.interventions.end(caller.actor, caller.device_id, intervention_id, data)
        return written(services, caller, outcome, InterventionResult, intervention_answer)
