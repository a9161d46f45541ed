from __future__ import annotations

from copy import deepcopy
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import msgspec
import pytest

from backend.child import Child
from backend.errors import EventNotFound, IllegalTransition, InvalidIdNumber, InvalidInput, UnknownCode
from backend.intervention import Intervention
from backend.referral import Referral
from backend.report import Report
from events.base import Meta
from events.codec import GENESIS_HASH, hash_state

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def meta(at: datetime = T0, role: str = "child_director") -> Meta:
    return Meta(actor_id=uuid4(), actor_role=role, device_id="d", submission_id=uuid4(), occurred_at=at, recorded_at=at)


def new_child(**overrides: object) -> Child:
    fields = {
        "name": "王小明",
        "sex": "male",
        "birth_date": date(2015, 1, 1),
        "id_number": None,
        "jurisdiction": "520302/001/003",
        "address": "x",
        "categories": ["left_behind"],
    } | overrides
    return Child.register(uuid4(), meta(), fields)


def test_registration_refuses_unknown_category() -> None:
    with pytest.raises(UnknownCode, match="left_out"):
        new_child(categories=["left_out"])


def test_registration_refuses_id_number_that_disagrees_with_birth_date() -> None:
    with pytest.raises(InvalidIdNumber):
        new_child(id_number="11010519491231002X")


def test_registration_refuses_adults() -> None:
    with pytest.raises(InvalidInput, match="18 or older"):
        new_child(birth_date=date(2000, 1, 1))


def test_events_form_a_hash_chain() -> None:
    child = new_child()
    child.assess_risk(meta(T0 + timedelta(hours=1)), "yellow", ["r"], None)
    first, second = child.collect_events()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert hash_state(msgspec.to_builtins(second)) == second.hash


def test_older_grading_arriving_late_does_not_replace_the_current_one() -> None:
    child = new_child()
    child.assess_risk(meta(T0 + timedelta(days=2)), "red", ["danger"], None)
    late = child.assess_risk(meta(T0 + timedelta(days=1)), "blue", ["fine"], None)
    assert not late.current
    assert child.risk_level == "red"
    assert [g.level for g in child.gradings] == ["red", "blue"]


def test_offline_grading_on_old_version_that_disagrees_flags_conflict_until_supervisor_grades() -> None:
    child = new_child()
    seen_version = child.version
    child.assess_risk(meta(T0 + timedelta(days=1)), "red", ["danger"], seen_version)
    offline = child.assess_risk(meta(T0 + timedelta(days=2)), "yellow", ["ok"], seen_version)
    assert offline.conflicting and child.conflicting_assessments
    child.assess_risk(meta(T0 + timedelta(days=3), role="child_director"), "red", ["again"], child.version)
    assert child.conflicting_assessments
    child.assess_risk(meta(T0 + timedelta(days=3), role="supervisor"), "orange", ["review"], child.version)
    assert not child.conflicting_assessments and child.risk_level == "orange"


def test_offline_grading_that_agrees_is_no_conflict() -> None:
    child = new_child()
    seen = child.version
    child.assess_risk(meta(T0 + timedelta(days=1)), "red", [], seen)
    assert not child.assess_risk(meta(T0 + timedelta(days=2)), "red", [], seen).conflicting


def test_grading_up_remembers_when() -> None:
    child = new_child()
    child.assess_risk(meta(T0 + timedelta(days=1)), "blue", [], None)
    child.assess_risk(meta(T0 + timedelta(days=5)), "red", [], None)
    assert child.graded_up_at == T0 + timedelta(days=5)


def test_categories_change_and_refuse_contradictions() -> None:
    child = new_child()
    child.change_categories(meta(), ["orphan"], ["left_behind"], "parents died")
    assert child.categories == ["orphan"]
    with pytest.raises(InvalidInput):
        child.change_categories(meta(), ["disabled"], ["disabled"], "")


def test_transfer_to_same_place_is_refused() -> None:
    child = new_child()
    with pytest.raises(InvalidInput):
        child.transfer(meta(), "520302/001/003", "moved")
    child.transfer(meta(), "520302/002/001", "moved")
    assert child.jurisdiction == "520302/002/001"


def test_correction_names_an_event_of_this_child_and_changes_the_profile() -> None:
    child = new_child()
    registered = child.collect_events()[0]
    child.correct(meta(), registered.event_id, {"name": "王晓明"}, "typo")
    assert child.profile["name"] == "王晓明"
    with pytest.raises(EventNotFound):
        child.correct(meta(), uuid4(), {"name": "x"}, "")
    with pytest.raises(InvalidInput):
        child.correct(meta(), registered.event_id, {"favourite_colour": "red"}, "")


def test_profile_change_validates_id_number_against_birth_date() -> None:
    child = new_child(birth_date=date(2015, 3, 1))
    with pytest.raises(InvalidIdNumber):
        child.change_profile(meta(), {"id_number": "11010519491231002X"}, "issued")


def referral() -> Referral:
    return Referral.create(
        uuid4(), meta(), child_id=uuid4(), to_department="police", reason="r", urgency="urgent",
        accept_by=T0 + timedelta(hours=2), complete_by=T0 + timedelta(days=30),
    )


def test_referral_lifecycle_and_illegal_steps() -> None:
    r = referral()
    with pytest.raises(IllegalTransition):
        r.complete(meta(), "", "done")
    r.accept(meta(), "ok")
    with pytest.raises(IllegalTransition):
        r.decline(meta(), "no")
    r.note_progress(meta(), "visited")
    r.complete(meta(), "", "safe")
    with pytest.raises(IllegalTransition):
        r.note_progress(meta(), "more")


def test_referral_escalates_once_per_missed_deadline() -> None:
    r = referral()
    with pytest.raises(IllegalTransition, match="not overdue"):
        r.escalate(meta(T0 + timedelta(hours=1)), "slow")
    r.escalate(meta(T0 + timedelta(hours=3)), "slow")
    with pytest.raises(IllegalTransition, match="already"):
        r.escalate(meta(T0 + timedelta(hours=4)), "slow")
    r.accept(meta(), "")
    r.escalate(meta(T0 + timedelta(days=31)), "still open")


def test_intervention_lifecycle() -> None:
    i = Intervention.create(
        uuid4(), meta(), child_id=uuid4(), intervention_type="psychological", plan="p", responsible_department="health"
    )
    with pytest.raises(IllegalTransition):
        i.review(meta(), "n")
    i.start(meta(), "")
    i.review(meta(), "better")
    i.end(meta(), "", "resolved")
    with pytest.raises(IllegalTransition):
        i.start(meta(), "")


def test_report_is_triaged_once() -> None:
    rep = Report.create(
        uuid4(), meta(), source="hotline", reporter={"role": "neighbour"}, description="d", jurisdiction="520302/001"
    )
    with pytest.raises(InvalidInput):
        rep.triage(meta(), uuid4(), "refer", None, None)
    rep.triage(meta(), uuid4(), "monitor", None, None)
    with pytest.raises(IllegalTransition):
        rep.triage(meta(), uuid4(), "no_action", None, None)


def test_a_copy_for_a_command_has_the_same_state_and_shares_no_container() -> None:
    child = new_child(guardians=[], home_geo=None)
    child.assess_risk(meta(T0 + timedelta(days=1)), "yellow", ["学习困难"], None)
    child.change_categories(meta(T0 + timedelta(days=2)), ["disabled"], [], "诊断")
    child.collect_events()
    copy = deepcopy(child)
    assert type(copy) is Child and copy.__dict__ == child.__dict__
    copy.profile["address"] = "y"
    copy.categories.append("orphan")
    copy.gradings.clear()
    copy.event_ids.clear()
    copy.field_times.clear()
    assert child.profile["address"] == "x"
    assert child.categories == ["disabled", "left_behind"]
    assert [g.level for g in child.gradings] == ["yellow"]
    assert len(child.event_ids) == 3 and len(child.field_times) == 7
