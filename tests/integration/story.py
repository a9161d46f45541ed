"""Random but lawful case work, for property tests: a sequence of commands over a few children."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import strategies as st

from backend.bootstrap import Huhang
from backend.commands import (
    AssessRisk,
    ChangeCategories,
    CloseCase,
    ClosureDecision,
    FollowUpDone,
    FollowUpInput,
    HoldConference,
    InterventionStep,
    MergeChild,
    PlanIntervention,
    ReceiveReport,
    RecordVisit,
    ReferralStep,
    RegisterChild,
    ReopenCase,
    ReporterInput,
    SendReferral,
    TransferChild,
    TriageReport,
    UpdateProfile,
)
from backend.errors import DomainError
from backend.identity import Actor
from events.vocabulary import Role
from tests.conftest import Clock

SUPERVISOR = Actor(id=UUID(int=21), role=Role.SUPERVISOR, scope="520302", username="s")
HANDLER = Actor(id=UUID(int=22), role=Role.DEPARTMENT_HANDLER, scope="520302", department="police", username="p")
DIRECTOR = Actor(id=UUID(int=23), role=Role.CHILD_DIRECTOR, scope="520302", username="d")
PLACES = ["520302/001/001", "520302/001/002", "520302/002/001"]

steps = st.lists(
    st.tuples(
        st.sampled_from(["register", "grade", "grade_late", "visit", "visit_offline", "categories", "transfer",
                         "refer", "accept", "complete", "plan", "start", "end", "ask_closure", "close", "approve",
                         "reject", "reopen", "profile", "profile_late", "merge", "report", "triage", "confer",
                         "follow_up"]),
        st.integers(min_value=0, max_value=7),
        st.integers(min_value=1, max_value=600),
    ),
    min_size=3,
    max_size=25,
)


@dataclass
class Story:
    """Plays steps against the application, remembering what it made."""

    app: Huhang
    clock: Clock
    children: list[UUID] = field(default_factory=list)
    referrals: list[UUID] = field(default_factory=list)
    interventions: list[UUID] = field(default_factory=list)
    reports: list[UUID] = field(default_factory=list)
    conferences: list[UUID] = field(default_factory=list)

    def play(self, step: tuple[str, int, int]) -> None:
        kind, pick, minutes = step
        self.clock.advance(minutes=minutes)
        if kind == "register" or not self.children:
            self.register(pick)
            return
        try:
            getattr(self, kind)(pick)
        except DomainError:
            pass  # an unlawful step (e.g. completing an unaccepted referral) is refused and changes nothing

    def sub(self, **fields: Any) -> dict[str, Any]:
        return {"submission_id": uuid4(), **fields}

    def child(self, pick: int) -> UUID:
        return self.children[pick % len(self.children)]

    def register(self, pick: int) -> None:
        command = RegisterChild(**self.sub(), name="童", sex="female", birth_date=date(2014, 1, 1),
                                jurisdiction=PLACES[pick % 3], address="x", categories=["left_behind"])
        self.children.append(UUID(self.app.children.register(SUPERVISOR, "d", command).result["child_id"]))

    def grade(self, pick: int) -> None:
        level = ["blue", "yellow", "orange", "red"][pick % 4]
        self.app.children.assess_risk(SUPERVISOR, "d", self.child(pick), AssessRisk(**self.sub(), level=level))

    def grade_late(self, pick: int) -> None:
        command = AssessRisk(**self.sub(occurred_at=self.clock.now - timedelta(days=2)), level="blue")
        self.app.children.assess_risk(SUPERVISOR, "d", self.child(pick), command)

    def visit(self, pick: int, offline: bool = False) -> None:
        at = self.clock.now - timedelta(days=3 if offline else 0)
        command = RecordVisit(**self.sub(occurred_at=at), child_id=self.child(pick), visit_type="home",
                              child_seen=pick % 5 != 0, guardian_present=True,
                              photos=["ab" * 32] if pick % 3 == 0 else [])
        self.app.visits.record(SUPERVISOR, "d", command)

    def visit_offline(self, pick: int) -> None:
        self.visit(pick, offline=True)

    def categories(self, pick: int) -> None:
        command = ChangeCategories(**self.sub(), add=[["orphan", "disabled", "idle_minor"][pick % 3]], reason="r")
        self.app.children.change_categories(SUPERVISOR, "d", self.child(pick), command)

    def transfer(self, pick: int) -> None:
        command = TransferChild(**self.sub(), to_jurisdiction=PLACES[(pick + 1) % 3], reason="moved")
        self.app.children.transfer(SUPERVISOR, "d", self.child(pick), command)

    def refer(self, pick: int) -> None:
        command = SendReferral(**self.sub(), child_id=self.child(pick), to_department="police", reason="r")
        self.referrals.append(UUID(self.app.referrals.send(SUPERVISOR, "d", command).result["referral_id"]))

    def accept(self, pick: int) -> None:
        if self.referrals:
            self.app.referrals.accept(HANDLER, "d", self.referrals[pick % len(self.referrals)], ReferralStep(**self.sub()))

    def complete(self, pick: int) -> None:
        if self.referrals:
            command = ReferralStep(**self.sub(), outcome="done")
            self.app.referrals.complete(HANDLER, "d", self.referrals[pick % len(self.referrals)], command)

    def plan(self, pick: int) -> None:
        command = PlanIntervention(**self.sub(), child_id=self.child(pick), type="psychological", plan="p",
                                   responsible_department="health")
        self.interventions.append(UUID(self.app.interventions.plan(SUPERVISOR, "d", command).result["intervention_id"]))

    def start(self, pick: int) -> None:
        if self.interventions:
            target = self.interventions[pick % len(self.interventions)]
            self.app.interventions.start(SUPERVISOR, "d", target, InterventionStep(**self.sub()))

    def end(self, pick: int) -> None:
        if self.interventions:
            target = self.interventions[pick % len(self.interventions)]
            self.app.interventions.end(SUPERVISOR, "d", target, InterventionStep(**self.sub(), outcome="ok"))

    def ask_closure(self, pick: int) -> None:
        self.app.lifecycle.close(DIRECTOR, "d", self.child(pick), CloseCase(**self.sub(), reason="moved_away"))

    def close(self, pick: int) -> None:
        self.app.lifecycle.close(SUPERVISOR, "d", self.child(pick), CloseCase(**self.sub(), reason="risk_resolved"))

    def approve(self, pick: int) -> None:
        self.app.lifecycle.approve(SUPERVISOR, "d", self.child(pick), ClosureDecision(**self.sub()))

    def reject(self, pick: int) -> None:
        self.app.lifecycle.reject(SUPERVISOR, "d", self.child(pick), ClosureDecision(**self.sub()))

    def reopen(self, pick: int) -> None:
        self.app.lifecycle.reopen(DIRECTOR, "d", self.child(pick), ReopenCase(**self.sub(), reason="back"))

    def profile(self, pick: int, late: bool = False) -> None:
        at = self.clock.now - timedelta(days=2 if late else 0)
        command = UpdateProfile(**self.sub(occurred_at=at), address=f"addr {pick}", phone="13900000000")
        self.app.lifecycle.update_profile(DIRECTOR, "d", self.child(pick), command)

    def profile_late(self, pick: int) -> None:
        self.profile(pick, late=True)

    def merge(self, pick: int) -> None:
        command = MergeChild(**self.sub(), duplicate_child_id=self.child(pick + 1))
        self.app.lifecycle.merge(SUPERVISOR, "d", self.child(pick), command)

    def report(self, pick: int) -> None:
        command = ReceiveReport(**self.sub(), source="sentinel", reporter=ReporterInput(role="前台"), description="d",
                                jurisdiction=PLACES[pick % 3], urgency="urgent" if pick % 2 else "normal",
                                discovered_at=self.clock() - timedelta(hours=pick), reporter_institution="hotel",
                                sentinel_place=f"宾馆{pick % 2}")
        self.reports.append(UUID(self.app.reports.receive(SUPERVISOR, "d", command).result["report_id"]))

    def triage(self, pick: int) -> None:
        if self.reports:
            command = TriageReport(**self.sub(), child_id=self.child(pick), decision="monitor")
            self.app.reports.triage(SUPERVISOR, "d", self.reports[pick % len(self.reports)], command)

    def confer(self, pick: int) -> None:
        follow_ups = [FollowUpInput(text="联系学校", due_date=self.clock().date() + timedelta(days=pick)), "复核"]
        command = HoldConference(**self.sub(), participants=["民政"], decisions=["d"], follow_ups=follow_ups)
        held = self.app.interventions.hold_conference(SUPERVISOR, "d", self.child(pick), command)
        self.conferences.append(UUID(held.result["conference_id"]))

    def follow_up(self, pick: int) -> None:
        if self.conferences:
            target = self.conferences[pick % len(self.conferences)]
            self.app.interventions.follow_up_done(SUPERVISOR, "d", target, pick % 2, FollowUpDone(**self.sub()))
