"""`Core.submit`, the one way a command becomes events: what makes two arrivals the same submission, and the metadata it stamps."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.commands import InterventionStep, PlanIntervention, RecordVisit
from backend.errors import StaleVersion, StoreUnavailable, SubmissionConflict
from backend.settings import Settings
from backend.usecases.core import Change, Core, fingerprint_of, utc_now
from events.base import Geo
from tests.conftest import Clock
from tests.integration.contract import DIRECTOR, SUPERVISOR, registration


class Ping(msgspec.Struct, frozen=True, kw_only=True):
    submission_id: UUID
    note: str


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Iterator[Huhang]:
    with bootstrap(Settings(data_dir=tmp_path), clock) as huhang:
        yield huhang


def test_fingerprint_is_the_sha256_of_the_canonical_command_actor_target_and_body() -> None:
    # Stored in receipts: a new release must compute the same value for the same submission.
    command = Ping(submission_id=UUID(int=1), note="ok")
    canonical = (
        '{"actor":"00000000-0000-0000-0000-000000000001",'
        '"body":{"note":"ok","submission_id":"00000000-0000-0000-0000-000000000001"},'
        '"command":"ping","target":"00000000-0000-0000-0000-000000000009"}'
    )
    assert fingerprint_of("ping", DIRECTOR, UUID(int=9), command) == hashlib.sha256(canonical.encode()).hexdigest()
    untargeted = canonical.replace('"00000000-0000-0000-0000-000000000009"', "null")
    assert fingerprint_of("ping", DIRECTOR, None, command) == hashlib.sha256(untargeted.encode()).hexdigest()


def plan(app: Huhang, clock: Clock) -> tuple[UUID, UUID]:
    """A child and two planned interventions for it."""
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    ids = []
    for _ in range(2):
        planned = app.interventions.plan(DIRECTOR, "p", PlanIntervention(
            submission_id=uuid4(), child_id=child_id, type="psychological", plan="每周一次", responsible_department="health"))
        ids.append(UUID(planned.result["intervention_id"]))
    return ids[0], ids[1]


def test_the_same_submission_for_another_target_is_refused(app: Huhang, clock: Clock) -> None:
    first, second = plan(app, clock)
    step = InterventionStep(submission_id=uuid4(), note="开始")
    app.interventions.start(DIRECTOR, "p", first, step)
    with pytest.raises(SubmissionConflict, match="already used for different content"):
        app.interventions.start(DIRECTOR, "p", second, step)


def test_the_same_submission_for_another_command_is_refused(app: Huhang, clock: Clock) -> None:
    first, _ = plan(app, clock)
    step = InterventionStep(submission_id=uuid4(), note="好转")
    app.interventions.start(DIRECTOR, "p", first, step)
    with pytest.raises(SubmissionConflict):
        app.interventions.review(DIRECTOR, "p", first, step)


def test_the_same_submission_from_another_person_is_refused(app: Huhang, clock: Clock) -> None:
    first, _ = plan(app, clock)
    step = InterventionStep(submission_id=uuid4(), note="开始")
    app.interventions.start(DIRECTOR, "p", first, step)
    assert app.interventions.start(DIRECTOR, "p", first, step).replayed
    with pytest.raises(SubmissionConflict):
        app.interventions.start(SUPERVISOR, "t", first, step)


def test_events_carry_the_actor_and_the_position_given(app: Huhang, clock: Clock) -> None:
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    geo = Geo(lat=26.57, lon=106.71, accuracy_m=12.0)
    visit = app.visits.record(DIRECTOR, "phone-1", RecordVisit(
        submission_id=uuid4(), child_id=child_id, visit_type="home", child_seen=True, guardian_present=True, geo=geo))
    meta = app.store.stream(UUID(visit.result["visit_id"]))[0].meta
    assert (meta.actor_id, meta.actor_role, meta.device_id) == (DIRECTOR.id, "child_director", "phone-1")
    assert meta.geo == geo


def test_a_record_that_keeps_changing_is_refused_as_stale(app: Huhang, clock: Clock) -> None:
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    core = Core(app.store, app.settings.policy, clock)
    attempts = []

    class Racing:
        def save(self, *aggregates: Any) -> None:
            attempts.append(1)
            raise IntegrityError("another writer got there first")

    core.commits = Racing()  # type: ignore[assignment]
    step = InterventionStep(submission_id=uuid4())
    with pytest.raises(StaleVersion, match="kept changing while this was saved"):
        core.submit("noop", DIRECTOR, "p", step, child_id, lambda meta: Change([], {}))
    assert len(attempts) == 8


def test_a_store_that_does_not_answer_is_unavailable_naming_the_error() -> None:
    def down() -> None:
        raise OperationalError("connection refused")

    with pytest.raises(StoreUnavailable, match="^the event store did not answer: OperationalError$"):
        Core.guarded(down)


def test_an_aggregate_loaded_for_a_change_is_a_copy_of_the_cached_one(app: Huhang, clock: Clock) -> None:
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    loaded = app.core.load(Child, child_id)
    assert loaded is not None
    loaded.jurisdiction = "520302/009"  # a command that changed it and then failed
    again = app.core.load(Child, child_id)
    assert again is not None and again.jurisdiction == "520302/001/003"


def test_the_server_clock_is_utc_with_an_offset() -> None:
    assert utc_now().utcoffset() == timedelta(0)


def test_a_retried_visit_whose_rules_still_pass_replays_and_stores_nothing(app: Huhang, clock: Clock) -> None:
    # The retry is handled again (a first arrival does not look for its receipt), but the receipt refuses the save.
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    command = RecordVisit(submission_id=uuid4(), child_id=child_id, visit_type="home", child_seen=True,
                          guardian_present=True)
    first = app.visits.record(DIRECTOR, "p", command)
    stored = app.store.recorder.max_notification_id()
    again = app.visits.record(DIRECTOR, "p", command)
    assert again.replayed and again.result == first.result and again.position == 0
    assert app.store.recorder.max_notification_id() == stored
