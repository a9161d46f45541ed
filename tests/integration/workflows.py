"""Use cases end to end on a real store; run on every backend by subclasses."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from backend.bootstrap import Huhang
from backend.commands import (
    CorrectRecord,
    EventRef,
    HoldConference,
    InterventionStep,
    PlanIntervention,
    ReceiveReport,
    RecordVisit,
    ReferralStep,
    SendReferral,
    TriageReport,
)
from backend.errors import (
    ChildNotFound,
    Forbidden,
    IllegalTransition,
    ReferralNotFound,
    UserDisabledError,
    UsernameTaken,
    UserNotFound,
)
from backend.identity import SYSTEM, Actor
from events.cases import Reporter
from events.identity import UserDisabled
from events.vocabulary import Role
from projections.written import intervention_at, referral_at, visit_as_recorded
from tests.conftest import Clock
from tests.integration.backends import Backend
from tests.integration.contract import DIRECTOR, SUPERVISOR, registration

POLICE = Actor(id=UUID(int=3), role=Role.DEPARTMENT_HANDLER, scope="520302", department="police", username="police")
SCHOOL = Actor(id=UUID(int=4), role=Role.DEPARTMENT_HANDLER, scope="520302", department="education", username="school")
GRID = Actor(id=UUID(int=5), role=Role.GRID_WORKER, scope="520302/001/003", username="grid")
OTHER_TOWN = Actor(id=UUID(int=6), role=Role.CHILD_DIRECTOR, scope="520302/002", username="other")


class WorkflowContract(Backend):
    """Use cases over a real store; a backend mixin gives the settings."""

    def test_report_triaged_with_a_registration_refers_at_once(self, app: Huhang, clock: Clock) -> None:
        report = app.reports.receive(GRID, "phone-9", ReceiveReport(
            submission_id=uuid4(), source="mandatory", reporter=Reporter(role="teacher", name="李老师"),
            description="孩子身上有伤", jurisdiction="520302/001/003", urgency="urgent"))
        report_id = UUID(report.result["report_id"])
        triage = app.reports.triage(DIRECTOR, "phone-1", report_id, TriageReport(
            submission_id=uuid4(), registration=registration(clock), decision="refer", refer_to="police",
            reason="疑似受到侵害"))
        referral_id = UUID(triage.result["referral_id"])
        child_id = UUID(triage.result["child"]["child_id"])
        referral = app.referrals.get(POLICE, referral_id)
        assert referral.child_id == child_id and referral.department == "police"
        with pytest.raises(IllegalTransition):
            app.reports.triage(DIRECTOR, "phone-1", report_id, TriageReport(
                submission_id=uuid4(), child_id=child_id, decision="monitor"))

    def test_referral_deadlines_and_department_steps(self, app: Huhang, clock: Clock) -> None:
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
        sent = app.referrals.send(DIRECTOR, "p", SendReferral(
            submission_id=uuid4(), child_id=child_id, to_department="police", reason="r"))
        referral_id = UUID(sent.result["referral_id"])
        assert referral_at(app.store, app.core.policy, referral_id, 1)[0].accept_by == clock.now + timedelta(hours=24)
        with pytest.raises(ReferralNotFound):
            app.referrals.accept(SCHOOL, "p", referral_id, ReferralStep(submission_id=uuid4()))
        with pytest.raises(Forbidden):
            app.referrals.accept(DIRECTOR, "p", referral_id, ReferralStep(submission_id=uuid4()))
        app.referrals.accept(POLICE, "p", referral_id, ReferralStep(submission_id=uuid4(), note="受理"))
        app.referrals.progress(POLICE, "p", referral_id, ReferralStep(submission_id=uuid4(), note="已走访"))
        done = app.referrals.complete(SUPERVISOR, "t", referral_id, ReferralStep(submission_id=uuid4(), outcome="安全"))
        assert referral_at(app.store, app.core.policy, referral_id, done.result["version"])[0].status == "completed"
        with pytest.raises(IllegalTransition):
            app.referrals.decline(POLICE, "p", referral_id, ReferralStep(submission_id=uuid4(), note="no"))

    def test_intervention_and_conference(self, app: Huhang, clock: Clock) -> None:
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
        planned = app.interventions.plan(DIRECTOR, "p", PlanIntervention(
            submission_id=uuid4(), child_id=child_id, type="psychological", plan="每周一次", responsible_department="health"))
        iid = UUID(planned.result["intervention_id"])
        app.interventions.start(DIRECTOR, "p", iid, InterventionStep(submission_id=uuid4()))
        app.interventions.review(DIRECTOR, "p", iid, InterventionStep(submission_id=uuid4(), note="好转"))
        ended = app.interventions.end(DIRECTOR, "p", iid, InterventionStep(submission_id=uuid4(), outcome="结案"))
        answered, _ = intervention_at(app.store, app.core.policy, iid, ended.result["version"])
        assert answered.status == "ended" and answered.reviews == 1
        held = app.interventions.hold_conference(SUPERVISOR, "t", child_id, HoldConference(
            submission_id=uuid4(), participants=["民政", "派出所"], decisions=["临时监护"]))
        assert held.result["child_id"] == str(child_id)
        with pytest.raises(Forbidden):
            app.interventions.hold_conference(DIRECTOR, "p", child_id, HoldConference(
                submission_id=uuid4(), participants=["x"], decisions=[]))

    def test_visit_synced_days_later_is_late_and_keeps_both_times(self, app: Huhang, clock: Clock) -> None:
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
        occurred = clock.now
        clock.advance(days=4)
        outcome = app.visits.record(GRID, "phone-9", RecordVisit(
            submission_id=uuid4(), occurred_at=occurred, child_id=child_id, visit_type="home",
            child_seen=False, guardian_present=True, photos=["a" * 64]))
        answered, _ = visit_as_recorded(app.store, app.core.policy, UUID(outcome.result["visit_id"]), child_id)
        assert answered.late and {"late", "child_not_seen", "no_position"} <= set(answered.flags)
        assert answered.missing_photos == ["a" * 64]
        event = app.store.stream(UUID(outcome.result["visit_id"]))[0]
        assert event.meta.occurred_at == occurred and event.meta.recorded_at == clock.now

    def test_out_of_scope_child_does_not_exist_and_wrong_role_is_forbidden(self, app: Huhang, clock: Clock) -> None:
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
        with pytest.raises(ChildNotFound):
            app.children.get(OTHER_TOWN, child_id)
        with pytest.raises(ChildNotFound):
            app.visits.record(OTHER_TOWN, "p", RecordVisit(
                submission_id=uuid4(), child_id=child_id, visit_type="home", child_seen=True, guardian_present=True))
        with pytest.raises(Forbidden):
            app.referrals.send(GRID, "p", SendReferral(
                submission_id=uuid4(), child_id=child_id, to_department="police", reason="r"))

    def test_correction_keeps_the_original_in_history(self, app: Huhang, clock: Clock) -> None:
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
        registered = app.store.stream(child_id)[0]
        app.children.correct(DIRECTOR, "p", child_id, CorrectRecord(
            submission_id=uuid4(), corrects=EventRef(event_id=registered.event_id), changes={"name": "王晓明"},
            reason="登记笔误"))
        history = app.store.stream(child_id)
        assert [type(e).__name__ for e in history] == ["ChildRegistered", "CorrectionRecorded"]
        assert history[0].name == "王小明"
        assert app.children.get(DIRECTOR, child_id).profile["name"] == "王晓明"

    def test_accounts_are_events_unique_by_name_and_disabling_stops_sign_in(self, app: Huhang) -> None:
        added = app.users.add(SYSTEM, "li_director", "child_director", "520302/001", "correct-horse")
        with pytest.raises(UsernameTaken):
            app.users.add(SYSTEM, "LI_director", "grid_worker", "520302/001", "another-pass")
        assert app.users.authenticate("li_director", "correct-horse").username == "li_director"
        with pytest.raises(UserNotFound):
            app.users.authenticate("li_director", "wrong-horse")
        app.users.disable(SYSTEM, "li_director", "left the job")
        with pytest.raises(UserDisabledError):
            app.users.authenticate("li_director", "correct-horse")
        assert isinstance(app.store.stream(UUID(added["id"]))[-1], UserDisabled)
        assert [u["username"] for u in app.users.list()] == ["li_director"]
