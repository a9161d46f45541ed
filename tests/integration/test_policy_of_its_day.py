"""Each event that used the policy records the numbers it used, so an old deadline is explained by the policy of its
day: a county that changes its policy and rebuilds keeps the triage deadlines of reports made before the change.
Older events without those fields still decode (the fields are optional with defaults)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID, uuid4

import msgspec
from eventsourcing.utils import get_topic

from backend.bootstrap import bootstrap
from backend.commands import AssessRisk, ReceiveReport, RegisterChild, SendReferral
from backend.identity import Actor
from backend.settings import Policy, Settings
from events import codec
from events.cases import ReferralSent, ReportReceived
from events.children import RiskAssessed
from events.vocabulary import RiskLevel, Role
from projections.db import open_read_db
from projections.rebuild import rebuild
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import Clock

C = TypeVar("C")
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
SUPERVISOR = Actor(id=uuid4(), role=Role.SUPERVISOR, scope="520302/001", username="sup")


def command(cls: type[C], **fields: Any) -> C:
    return msgspec.convert({"submission_id": str(uuid4()), **fields}, cls)


def stored(settings: Settings, cls: type) -> list[object]:
    with bootstrap(settings) as app:
        return [app.store.mapper.to_domain_event(n) for n in app.store.notifications(topics=[get_topic(cls)])]


def test_gradings_referrals_and_reports_record_the_numbers_of_their_policy(tmp_path: Path) -> None:
    county = Policy(visit_intervals={**Policy().visit_intervals, RiskLevel.RED: timedelta(days=2)},
                    accept_within_red=timedelta(hours=1), triage_within_urgent=timedelta(hours=3))
    settings = Settings(data_dir=tmp_path, policy=county)
    with bootstrap(settings, Clock(NOW)) as app:
        child = UUID(app.children.register(SUPERVISOR, "d", command(
            RegisterChild, name="李娜", sex="female", birth_date="2014-06-01", jurisdiction="520302/001/003",
            address="某村", categories=["left_behind"], occurred_at=NOW.isoformat())).result["child_id"])
        app.children.assess_risk(SUPERVISOR, "d", child, command(AssessRisk, level="red", reasons=[]))
        app.referrals.send(SUPERVISOR, "d", command(SendReferral, child_id=str(child), to_department="police",
                                                    reason="x", urgency="urgent"))
        app.reports.receive(SUPERVISOR, "d", command(
            ReceiveReport, source="hotline", reporter={"role": "neighbour"}, description="x",
            jurisdiction="520302/001/003", urgency="urgent"))
    (grading,) = stored(settings, RiskAssessed)
    (referral,) = stored(settings, ReferralSent)
    (report,) = stored(settings, ReportReceived)
    assert grading.visit_interval_days == 2  # type: ignore[attr-defined]
    assert (referral.accept_within_hours, referral.complete_within_days) == (1, 30)  # type: ignore[attr-defined]
    assert report.triage_within_hours == 3  # type: ignore[attr-defined]

    changed = Settings(data_dir=tmp_path, policy=Policy(triage_within_urgent=timedelta(hours=8)))
    with bootstrap(changed) as app:
        db = open_read_db(changed)
        rebuild(app.store, db, changed.policy, PROJECTIONS["main"])
        Runner(app.store, db, changed.policy).catch_up()
        (triage_by,) = db.query("SELECT triage_due FROM rm_reports")[0]
        db.close()
    assert datetime.fromisoformat(triage_by) == NOW + timedelta(hours=3)  # the deadline of its day, not today's 8 h


def test_events_from_before_the_policy_was_recorded_still_decode() -> None:
    old = {"type": "ReferralSent", "originator_id": str(uuid4()), "originator_version": 1, "event_id": str(uuid4()),
           "meta": {"actor_id": None, "actor_role": "supervisor", "device_id": "d", "submission_id": str(uuid4()),
                    "occurred_at": NOW.isoformat(), "recorded_at": NOW.isoformat()},
           "child_id": str(uuid4()), "to_department": "police", "reason": "x", "urgency": "normal",
           "accept_by": (NOW + timedelta(hours=24)).isoformat(), "complete_by": (NOW + timedelta(days=30)).isoformat()}
    event = codec.decode(ReferralSent, codec.canonical_bytes(old))
    assert isinstance(event, ReferralSent) and event.accept_within_hours is None and event.complete_within_days is None
