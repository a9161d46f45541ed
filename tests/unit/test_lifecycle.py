"""The Child aggregate's lifecycle, profile late rule and merge: what is stored, and what is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.errors import AlreadyMerged, ChildClosed, IllegalTransition, MergeIntoSelf, OutOfOrder, UnknownCode
from events.children import CaseClosed, CaseReopened, ClosureRejected, ClosureRequested, DuplicateMerged
from tests.unit.test_aggregates import T0, meta, new_child

DIRECTOR, SUPERVISOR = "child_director", "supervisor"


def test_a_director_asks_and_a_supervisor_approves_with_the_reason_asked() -> None:
    child = new_child()
    assert child.close(meta(T0 + timedelta(hours=1), DIRECTOR), "moved_away", "迁出") == "closure_requested"
    child.approve_closure(meta(T0 + timedelta(hours=2), SUPERVISOR), "同意")
    events = child.collect_events()
    asked, closed = events[-2], events[-1]
    assert isinstance(asked, ClosureRequested) and asked.reason == "moved_away"
    assert isinstance(closed, CaseClosed) and closed.reason == "moved_away" and closed.approves == asked.event_id
    assert child.case_status == "closed" and child.closure_reason == "moved_away"


def test_a_supervisor_closes_at_once_and_a_rejected_request_leaves_the_case_open() -> None:
    child = new_child()
    assert child.close(meta(T0 + timedelta(hours=1), SUPERVISOR), "risk_resolved", "") == "closed"
    other = new_child()
    other.close(meta(T0 + timedelta(hours=1), DIRECTOR), "other", "")
    other.reject_closure(meta(T0 + timedelta(hours=2), SUPERVISOR), "继续跟进")
    assert isinstance(other.collect_events()[-1], ClosureRejected)
    assert other.case_status == "open" and other.closure_reason is None


def test_an_unknown_reason_is_refused() -> None:
    with pytest.raises(UnknownCode):
        new_child().close(meta(T0 + timedelta(hours=1), SUPERVISOR), "bored", "")


@pytest.mark.parametrize("step", ["approve", "reject", "reopen"])
def test_steps_that_need_another_state_are_illegal_on_an_open_case(step: str) -> None:
    child = new_child()
    later = meta(T0 + timedelta(hours=1), SUPERVISOR)
    with pytest.raises(IllegalTransition):
        if step == "approve":
            child.approve_closure(later, "")
        elif step == "reject":
            child.reject_closure(later, "")
        else:
            child.reopen(later, "返回")


def test_closing_a_closed_case_is_illegal_and_reopening_brings_it_back() -> None:
    child = new_child()
    child.close(meta(T0 + timedelta(hours=1), SUPERVISOR), "moved_away", "")
    with pytest.raises(IllegalTransition):
        child.close(meta(T0 + timedelta(hours=2), SUPERVISOR), "moved_away", "")
    child.reopen(meta(T0 + timedelta(hours=3), DIRECTOR), "返回本村")
    assert isinstance(child.collect_events()[-1], CaseReopened) and child.case_status == "open"


def test_a_lifecycle_step_dated_before_the_last_one_is_out_of_order() -> None:
    child = new_child()
    child.close(meta(T0 + timedelta(hours=5), SUPERVISOR), "moved_away", "")
    with pytest.raises(OutOfOrder):
        child.reopen(meta(T0 + timedelta(hours=4), DIRECTOR), "返回")


def test_a_closed_child_refuses_what_happened_after_the_closure_and_keeps_what_happened_before() -> None:
    child = new_child()
    child.close(meta(T0 + timedelta(days=2), SUPERVISOR), "moved_away", "")
    with pytest.raises(ChildClosed):
        child.assess_risk(meta(T0 + timedelta(days=3), SUPERVISOR), "yellow", [], None)
    with pytest.raises(ChildClosed):
        child.change_profile(meta(T0 + timedelta(days=2), DIRECTOR), {"phone": "13900001111"}, "")
    child.assess_risk(meta(T0 + timedelta(days=1), SUPERVISOR), "yellow", [], None)  # made offline before closing
    child.check_open(meta(T0 + timedelta(days=1, hours=23)))


def test_an_older_profile_change_arriving_late_does_not_replace_a_newer_one() -> None:
    child = new_child()
    child.change_profile(meta(T0 + timedelta(days=2), DIRECTOR), {"address": "新地址", "phone": "13900002222"}, "")
    late = child.change_profile(meta(T0 + timedelta(days=1), DIRECTOR),
                                {"address": "旧地址", "school": "某小学"}, "")
    assert late.superseded == ["address"]
    assert child.profile["address"] == "新地址" and child.profile["school"] == "某小学"
    assert child.profile["phone"] == "13900002222"


def test_a_profile_change_dated_before_registration_is_kept_in_history_only() -> None:
    child = new_child()
    event = child.change_profile(meta(T0 - timedelta(days=1), DIRECTOR), {"address": "更早的地址"}, "")
    assert event.superseded == ["address"] and child.profile["address"] == "x"


def test_a_merge_closes_the_duplicate_pointing_to_the_kept_child_and_notes_it_on_the_kept_one() -> None:
    kept, duplicate = new_child(), new_child()
    duplicate.close_as_duplicate(meta(T0 + timedelta(hours=1), SUPERVISOR), kept, "重复登记")
    closed = duplicate.collect_events()[-1]
    assert isinstance(closed, CaseClosed) and closed.reason == "duplicate" and closed.merged_into == kept.id
    noted = kept.collect_events()[-1]
    assert isinstance(noted, DuplicateMerged) and noted.duplicate_child_id == duplicate.id
    assert kept.case_status == "open" and duplicate.merged_into == kept.id


def test_merges_that_cannot_be() -> None:
    kept, duplicate, third = new_child(), new_child(), new_child()
    at = meta(T0 + timedelta(hours=1), SUPERVISOR)
    with pytest.raises(MergeIntoSelf):
        kept.close_as_duplicate(at, kept, "")
    duplicate.close_as_duplicate(at, kept, "")
    with pytest.raises(AlreadyMerged):  # the duplicate again
        duplicate.close_as_duplicate(meta(T0 + timedelta(hours=2), SUPERVISOR), third, "")
    with pytest.raises(AlreadyMerged):  # into a merged record
        third.close_as_duplicate(meta(T0 + timedelta(hours=2), SUPERVISOR), duplicate, "")
    with pytest.raises(AlreadyMerged):  # a merged record is not reopened
        duplicate.reopen(meta(T0 + timedelta(hours=3), SUPERVISOR), "误合并")
    kept.close(meta(T0 + timedelta(hours=2), SUPERVISOR), "moved_away", "")
    with pytest.raises(ChildClosed):  # into a closed child
        third.close_as_duplicate(meta(T0 + timedelta(hours=3), SUPERVISOR), kept, "")
