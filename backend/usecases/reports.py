"""Use cases on discovery reports: intake and triage."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from backend.aggregate import Aggregate
from backend.child import Child
from backend.commands import ReceiveReport, TriageReport
from backend.errors import ChildNotFound, InvalidInput, ReportNotFound
from backend.identity import Actor, authorize, check_in_scope
from backend.report import Report
from backend.rules.jurisdiction import parse_jurisdiction
from backend.rules.order import check_follows
from backend.rules.policy import triage_due
from backend.rules.timing import check_moment
from backend.usecases.children import Children, child_change, registration_fields
from backend.usecases.core import Change, Core, Outcome
from backend.usecases.referrals import Referrals
from events.base import Meta
from events.vocabulary import TriageDecision, Urgency


class Reports:
    """Receive a report; triage it to a known or newly registered child, maybe referring at once."""

    def __init__(self, core: Core, children: Children, referrals: Referrals) -> None:
        self.core = core
        self.children = children
        self.referrals = referrals

    def receive(self, actor: Actor, device_id: str, command: ReceiveReport) -> Outcome:
        authorize(actor, "report.receive")
        jurisdiction = parse_jurisdiction(command.jurisdiction)
        check_in_scope(actor, jurisdiction)
        if command.discovered_at is not None:
            check_moment(command.discovered_at, "discovered_at")

        def handle(meta: Meta) -> Change:
            if command.child_id is not None:
                self.children.get(actor, command.child_id, for_update=False)
            report = Report.create(
                uuid4(),
                meta,
                source=command.source,
                reporter=command.reporter,
                description=command.description,
                jurisdiction=jurisdiction,
                child_id=command.child_id,
                urgency=command.urgency,
                triage_within_hours=(triage_due(self.core.policy, meta.occurred_at, command.urgency)
                                     - meta.occurred_at) / timedelta(hours=1),
                discovered_at=discovered_before(command.discovered_at, meta),
                reporter_institution=command.reporter_institution,
                sentinel_place=command.sentinel_place,
                hotline_ticket=command.hotline_ticket,
            )
            result = {
                "report_id": str(report.id),
                "status": "received",
                "jurisdiction": jurisdiction,
                "child_id": str(command.child_id) if command.child_id else None,
                "urgency": str(command.urgency),
            }
            return Change([report], result)

        return self.core.submit("report.receive", actor, device_id, command, None, handle)

    def triage(self, actor: Actor, device_id: str, report_id: UUID, command: TriageReport) -> Outcome:
        authorize(actor, "report.triage")
        if (command.child_id is None) == (command.registration is None):
            raise InvalidInput("give either child_id or a registration", field="child_id")

        def handle(meta: Meta) -> Change:
            report = self.get(actor, report_id)
            report.check_not_triaged()
            changed: list[Aggregate] = [report]
            child = self._child(actor, command, meta)
            changed.append(child)
            if command.registration is not None:
                changed += self.children.claim_number(actor, meta, child, None)
            referral_id = None
            if command.decision == TriageDecision.REFER and command.refer_to is not None:
                child.check_open(meta)  # a closed case is reopened before anyone is sent to it
                referral, involvement = self.referrals.make(
                    meta, child, command.refer_to, command.reason or "triage", Urgency(report.urgency), report.id
                )
                referral_id = referral.id
                changed += [referral, involvement]
            report.triage(meta, child.id, command.decision, command.refer_to, referral_id)
            result = {
                "report_id": str(report.id),
                "decision": str(command.decision),
                "child": child_change(child),
                "referral_id": str(referral_id) if referral_id else None,
            }
            return Change(changed, result)

        return self.core.submit("report.triage", actor, device_id, command, report_id, handle)

    def _child(self, actor: Actor, command: TriageReport, meta: Meta) -> Child:
        if command.child_id is not None:
            return self.children.get(actor, command.child_id)
        if command.registration is None:
            raise InvalidInput("give either child_id or a registration", field="child_id")
        registration = registration_fields(command.registration)
        check_in_scope(actor, parse_jurisdiction(str(registration["jurisdiction"])))
        return Child.register(uuid4(), meta, registration)

    def get(self, actor: Actor, report_id: UUID) -> Report:
        report = self.core.load(Report, report_id)
        if report is None:
            raise ReportNotFound("no such report")
        try:
            check_in_scope(actor, report.jurisdiction)
        except ChildNotFound:
            raise ReportNotFound("no such report") from None
        return report


def discovered_before(discovered_at: datetime | None, meta: Meta) -> datetime | None:
    """A report is made no earlier than what it reports was discovered."""
    if discovered_at is not None:
        check_follows(meta.occurred_at, discovered_at, "it was discovered (discovered_at)")
    return discovered_at
