"""A step may not occur before the step it follows: the rule, and each workflow that asks it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import pytest

from backend.errors import IllegalTransition, OutOfOrder
from backend.intervention import Intervention
from backend.referral import Referral
from backend.report import Report
from backend.rules.order import check_follows
from events.base import Meta

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))


def at(when: datetime) -> Meta:
    return Meta(actor_id=uuid4(), actor_role="department_handler", device_id="d", submission_id=uuid4(),
                occurred_at=when, recorded_at=T0 + timedelta(days=60))


@pytest.mark.parametrize(("occurred", "previous"), [
    (datetime(2026, 11, 1, 9, 0, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # the same instant
    (datetime(2026, 11, 1, 9, 0, 0, 1, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # a microsecond after
    (datetime(2026, 11, 1, 17, 0, tzinfo=BEIJING), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # same instant, +08:00
    (datetime(2026, 11, 1, 9, 0, tzinfo=UTC), None),  # nothing to follow
])
def test_a_step_at_or_after_the_one_it_follows_is_in_order(occurred: datetime, previous: datetime | None) -> None:
    check_follows(occurred, previous, "the referral was sent")


@pytest.mark.parametrize(("occurred", "previous"), [
    (datetime(2026, 11, 1, 8, 59, 59, 999999, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),
    (datetime(2026, 10, 22, 9, 0, tzinfo=UTC), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # ten days before
    (datetime(2026, 11, 1, 16, 59, tzinfo=BEIJING), datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # 08:59 UTC
])
def test_a_step_before_the_one_it_follows_is_out_of_order(occurred: datetime, previous: datetime) -> None:
    with pytest.raises(OutOfOrder) as refused:
        check_follows(occurred, previous, "the referral was sent")
    assert refused.value.code == "out_of_order" and refused.value.field == "occurred_at"
    assert "the referral was sent" in refused.value.detail


def sent_referral(when: datetime = T0) -> Referral:
    return Referral.create(uuid4(), at(when), child_id=uuid4(), to_department="police", reason="r", urgency="normal",
                           accept_by=when + timedelta(hours=24), complete_by=when + timedelta(days=30))


def test_a_referral_is_accepted_declined_or_escalated_no_earlier_than_sent() -> None:
    referral = sent_referral()
    with pytest.raises(OutOfOrder):
        referral.accept(at(T0 - timedelta(days=10)), "")
    with pytest.raises(OutOfOrder):
        referral.decline(at(T0 - timedelta(seconds=1)), "no")
    referral.accept(at(T0), "")  # the same instant is allowed
    assert referral.status == "accepted"


def test_a_referral_is_completed_and_progressed_no_earlier_than_accepted() -> None:
    referral = sent_referral()
    referral.accept(at(T0 + timedelta(days=2)), "")
    with pytest.raises(OutOfOrder):
        referral.complete(at(T0 - timedelta(days=20)), "", "done")
    with pytest.raises(OutOfOrder):
        referral.complete(at(T0 + timedelta(days=1)), "", "done")
    with pytest.raises(OutOfOrder):
        referral.note_progress(at(T0 + timedelta(days=1, hours=23)), "n")
    referral.note_progress(at(T0 + timedelta(days=3)), "n")
    referral.complete(at(T0 + timedelta(days=2, hours=12)), "", "done")  # before the note: notes do not move it on
    assert referral.status == "completed"


def test_a_referral_is_escalated_no_earlier_than_accepted() -> None:
    referral = sent_referral()
    referral.accept(at(T0 + timedelta(days=31)), "")
    with pytest.raises(OutOfOrder):
        referral.escalate(at(T0 + timedelta(days=30, hours=12)), "late")  # past complete_by, before the acceptance
    referral.escalate(at(T0 + timedelta(days=31)), "late")


def test_an_escalation_does_not_move_the_point_a_step_must_follow() -> None:
    referral = sent_referral()
    referral.escalate(at(T0 + timedelta(hours=30)), "late")
    referral.accept(at(T0 + timedelta(hours=20)), "accepted offline before the escalation")
    assert referral.status == "accepted"


def test_the_state_check_comes_before_the_time_check() -> None:
    with pytest.raises(IllegalTransition):
        sent_referral().complete(at(T0 - timedelta(days=20)), "", "done")


def test_an_intervention_starts_reviews_and_ends_no_earlier_than_the_step_before() -> None:
    plan = Intervention.create(uuid4(), at(T0), child_id=uuid4(), intervention_type="psychological", plan="p",
                               responsible_department="health")
    with pytest.raises(OutOfOrder):
        plan.end(at(T0 - timedelta(days=1)), "", "o")
    with pytest.raises(OutOfOrder):
        plan.start(at(T0 - timedelta(minutes=1)), "")
    plan.start(at(T0 + timedelta(days=5)), "")
    with pytest.raises(OutOfOrder):
        plan.review(at(T0 + timedelta(days=4)), "n")
    with pytest.raises(OutOfOrder):
        plan.end(at(T0 + timedelta(days=1)), "", "o")
    plan.review(at(T0 + timedelta(days=5)), "n")
    plan.end(at(T0 + timedelta(days=6)), "", "o")
    assert plan.status == "ended"


def test_a_report_is_triaged_no_earlier_than_received() -> None:
    report = Report.create(uuid4(), at(T0), source="hotline", reporter={"role": "neighbour"}, description="d",
                           jurisdiction="520302/001")
    with pytest.raises(OutOfOrder):
        report.triage(at(T0 - timedelta(hours=1)), uuid4(), "monitor", None, None)
    report.triage(at(T0), uuid4(), "monitor", None, None)
    assert report.decision == "monitor"


def test_steps_replayed_from_the_store_keep_the_point_to_follow() -> None:
    stored = sent_referral()
    stored.accept(at(T0 + timedelta(days=1)), "")
    replayed = Referral.project(None, stored.collect_events())
    assert replayed is not None and replayed.status_since == T0 + timedelta(days=1)
    with pytest.raises(OutOfOrder):
        replayed.complete(at(T0 + timedelta(hours=12)), "", "done")
