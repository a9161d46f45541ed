"""One storage contract, run on every backend (SQLite, PostgreSQL) by subclasses."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.commands import AssessRisk, ChangeCategories, ChangeProfile, RegisterChild, TransferChild
from backend.errors import (
    ChildNotFound,
    DuplicateChild,
    OccurredInFuture,
    StaleVersion,
    SubmissionConflict,
    UnknownCode,
)
from backend.identity import Actor
from backend.rules.id_number import check_digit
from backend.settings import Settings
from backend.tamper import merkle_root, record_anchor, verify
from backend.usecases.children import registration_fields
from events import codec
from events.children import RiskAssessed
from events.vocabulary import Role
from projections.db import open_read_db
from projections.queries import child_row
from projections.runner import Runner
from tests.conftest import Clock
from tests.integration.backends import Backend

DIRECTOR = Actor(id=UUID(int=1), role=Role.CHILD_DIRECTOR, scope="520302/001", username="director")
SUPERVISOR = Actor(id=UUID(int=2), role=Role.SUPERVISOR, scope="520302", username="supervisor")


def fresh_id_number(born: date = date(2015, 1, 1)) -> str:
    """A valid ID number no other test child has (an ID number registers one child only): random region and sequence."""
    serial = uuid4().int % 10**9
    first17 = f"{serial // 1000:06d}{born:%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def registration(clock: Clock, **overrides: Any) -> RegisterChild:
    fields: dict[str, Any] = {
        "submission_id": uuid4(),
        "occurred_at": clock.now - timedelta(minutes=10),
        "name": "王小明",
        "sex": "male",
        "birth_date": date(2015, 1, 1),
        "id_number": fresh_id_number(),
        "jurisdiction": "520302/001/003",
        "address": "红花岗区某村 12 号",
        "categories": ["left_behind"],
    }
    return RegisterChild(**(fields | overrides))


def submit_in_process(settings: Settings, command: RegisterChild, barrier: Any) -> dict[str, Any]:
    """Run in a separate process: register once the others are ready too."""
    with bootstrap(settings) as app:
        barrier.wait(timeout=30)
        return app.children.register(DIRECTOR, "phone-1", command).result


def register_or_refusal(settings: Settings, command: RegisterChild, barrier: Any) -> dict[str, Any]:
    """Run in a separate process: register once the others are ready; the answer or the refusal's code and extra."""
    with bootstrap(settings) as app:
        barrier.wait(timeout=30)
        try:
            return app.children.register(DIRECTOR, "phone-1", command).result
        except DuplicateChild as refused:
            return {"code": refused.code, "extra": refused.extra}


def open_in_process(settings: Settings, barrier: Any) -> bool:
    """Run in a separate process: open the store at the same moment as the others."""
    barrier.wait(timeout=30)
    with bootstrap(settings) as app:
        return app.store.recorder.max_notification_id() is None


class StoreContract(Backend):
    """What every event-store backend must do; a backend mixin gives settings and raw SQL."""

    def count(self, app: Huhang) -> int:
        return app.store.recorder.max_notification_id() or 0

    def register(self, app: Huhang, clock: Clock, **overrides: Any) -> UUID:
        return UUID(app.children.register(DIRECTOR, "phone-1", registration(clock, **overrides)).result["child_id"])

    # -- idempotency --------------------------------------------------------------------------

    def test_retried_submission_stores_one_set_of_events_and_answers_the_same(self, app: Huhang, clock: Clock) -> None:
        command = registration(clock)
        first = app.children.register(DIRECTOR, "phone-1", command)
        stored = self.count(app)
        again = app.children.register(DIRECTOR, "phone-1", command)
        assert again.replayed and not first.replayed
        assert again.result == first.result
        assert self.count(app) == stored

    def test_same_submission_id_with_other_content_is_refused_and_stores_nothing(self, app: Huhang, clock: Clock) -> None:
        command = registration(clock)
        app.children.register(DIRECTOR, "phone-1", command)
        stored = self.count(app)
        changed = registration(clock, submission_id=command.submission_id, name="王小红")
        with pytest.raises(SubmissionConflict):
            app.children.register(DIRECTOR, "phone-1", changed)
        assert self.count(app) == stored

    def test_replay_holds_across_a_restart(self, settings: Settings, clock: Clock) -> None:
        command = registration(clock)
        with bootstrap(settings, clock) as app:
            first = app.children.register(DIRECTOR, "phone-1", command)
        clock.advance(days=3)
        with bootstrap(settings, clock) as app:
            stored = self.count(app)
            again = app.children.register(DIRECTOR, "phone-1", command)
            assert again.replayed and again.result == first.result
            assert self.count(app) == stored

    def test_concurrent_duplicates_in_threads_store_one_set(self, app: Huhang, clock: Clock) -> None:
        command = registration(clock)
        start = threading.Barrier(8)

        def submit() -> Any:
            start.wait(timeout=10)
            return app.children.register(DIRECTOR, "phone-1", command)

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda _: submit(), range(8)))
        assert len({o.result["child_id"] for o in outcomes}) == 1
        assert sum(not o.replayed for o in outcomes) == 1
        assert self.count(app) == 3  # the child's registration, its ID number's claim and the submission's receipt

    def test_concurrent_duplicates_in_processes_store_one_set(self, settings: Settings, clock: Clock) -> None:
        command = registration(clock, occurred_at=None)
        with bootstrap(settings, clock):
            pass  # tables exist before the processes race
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(3)
            with ctx.Pool(3) as pool:
                results = pool.starmap(submit_in_process, [(settings, command, barrier)] * 3)
        assert len({r["child_id"] for r in results}) == 1
        with bootstrap(settings, clock) as app:
            assert self.count(app) == 3

    def test_processes_starting_at_once_on_an_empty_database_all_open_the_store(self, settings: Settings) -> None:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(4)
            with ctx.Pool(4) as pool:
                assert pool.starmap(open_in_process, [(settings, barrier)] * 4) == [True] * 4

    # -- one child per ID number -------------------------------------------------------------

    def test_a_registered_id_number_registers_no_second_child(self, app: Huhang, clock: Clock) -> None:
        child_id = self.register(app, clock, id_number="520302201501010015")
        stored = self.count(app)
        with pytest.raises(DuplicateChild) as refused:
            self.register(app, clock, id_number="520302201501010015", name="王晓明")
        assert refused.value.extra == {"child_id": str(child_id)}
        assert self.count(app) == stored

    def test_a_duplicate_out_of_scope_names_only_the_county(self, app: Huhang, clock: Clock) -> None:
        self.register(app, clock, id_number="520302201501010015")
        elsewhere = Actor(id=UUID(int=3), role=Role.CHILD_DIRECTOR, scope="520302/002", username="other")
        command = registration(clock, id_number="520302201501010015", jurisdiction="520302/002/001")
        with pytest.raises(DuplicateChild) as refused:
            app.children.register(elsewhere, "phone-2", command)
        assert refused.value.extra == {"county": "520302"}

    def test_concurrent_registrations_of_one_id_number_in_processes_make_one_child(
        self, settings: Settings, clock: Clock
    ) -> None:
        commands = [registration(clock, occurred_at=None, id_number="520302201501010015", name=f"王小明{i}")
                    for i in range(3)]
        with bootstrap(settings, clock):
            pass
        ctx = multiprocessing.get_context("spawn")
        with ctx.Manager() as manager:
            barrier = manager.Barrier(3)
            with ctx.Pool(3) as pool:
                results = pool.starmap(register_or_refusal, [(settings, c, barrier) for c in commands])
        registered = [r for r in results if "child_id" in r and "code" not in r]
        refused = [r for r in results if r.get("code") == "duplicate_child"]
        assert len(registered) == 1 and len(refused) == 2
        assert all(r["extra"] == {"child_id": registered[0]["child_id"]} for r in refused)
        with bootstrap(settings, clock) as app:
            assert self.count(app) == 3

    def test_a_changed_id_number_releases_the_old_one(self, app: Huhang, clock: Clock) -> None:
        first = self.register(app, clock, id_number="520302201501010015")
        change = ChangeProfile(submission_id=uuid4(), changes={"id_number": "520302201501010031"}, reason="录错")
        app.children.change_profile(DIRECTOR, "phone-1", first, change)
        second = self.register(app, clock, id_number="520302201501010015")
        assert second != first
        with pytest.raises(DuplicateChild):
            self.register(app, clock, id_number="520302201501010031")

    def test_a_retried_registration_replays_rather_than_refusing_itself(self, app: Huhang, clock: Clock) -> None:
        command = registration(clock, id_number="520302201501010015")
        first = app.children.register(DIRECTOR, "phone-1", command)
        again = app.children.register(DIRECTOR, "phone-1", command)
        assert again.replayed and again.result == first.result

    def test_a_store_with_a_number_registered_twice_before_claims_opens_rebuilds_and_claims_the_first(
        self, settings: Settings, clock: Clock
    ) -> None:
        number = "520302201501010015"
        with bootstrap(settings, clock) as app:  # as an earlier release stored them: children, no claims
            commands = [registration(clock, id_number=number), registration(clock, id_number=number, name="王晓明")]
            older = [Child.register(uuid4(), app.core.meta(DIRECTOR, "p", c), registration_fields(c)) for c in commands]
            app.store.save(*older)
        with bootstrap(settings, clock) as app:
            db = open_read_db(settings)
            Runner(app.store, db, settings.policy).catch_up()
            assert [child_row(db, str(c.id)) is not None for c in older] == [True, True]
            db.close()
            assert app.children.claim_registered() == (1, 1)
            assert app.children.claim_registered() == (0, 1)
            with pytest.raises(DuplicateChild) as refused:
                self.register(app, clock, id_number=number)
            assert refused.value.extra == {"child_id": str(older[0].id)}

    # -- concurrency --------------------------------------------------------------------------

    def test_concurrent_writers_on_one_child_lose_no_update(self, app: Huhang, clock: Clock) -> None:
        child_id = self.register(app, clock)
        codes = ["orphan", "disabled", "idle_minor", "crime_victim", "unregistered", "divorced_family"]
        start = threading.Barrier(len(codes))

        def add(code: str) -> None:
            start.wait(timeout=10)
            command = ChangeCategories(submission_id=uuid4(), add=[code], reason="found on visit")
            app.children.change_categories(DIRECTOR, "phone-1", child_id, command)

        with ThreadPoolExecutor(len(codes)) as pool:
            list(pool.map(add, codes))
        child = app.children.get(DIRECTOR, child_id)
        assert child.version == 1 + len(codes)
        assert set(codes) <= set(child.categories)

    def test_order_dependent_command_on_a_stale_version_is_refused_with_current_state(self, app: Huhang, clock: Clock) -> None:
        child_id = self.register(app, clock)
        app.children.assess_risk(DIRECTOR, "phone-1", child_id, AssessRisk(submission_id=uuid4(), level="yellow"))
        stale = TransferChild(submission_id=uuid4(), to_jurisdiction="520302/002/001", reason="moved", expected_version=1)
        with pytest.raises(StaleVersion) as refused:
            app.children.transfer(SUPERVISOR, "tablet", child_id, stale)
        assert refused.value.extra["current"]["version"] == 2

    # -- refusals store nothing -----------------------------------------------------------------

    def test_refused_commands_append_nothing(self, app: Huhang, clock: Clock) -> None:
        before = self.count(app)
        with pytest.raises(UnknownCode):
            app.children.register(DIRECTOR, "phone-1", registration(clock, categories=["nonsense"]))
        with pytest.raises(OccurredInFuture):
            app.children.register(DIRECTOR, "phone-1", registration(clock, occurred_at=clock.now + timedelta(minutes=6)))
        with pytest.raises(ChildNotFound):
            app.children.register(DIRECTOR, "phone-1", registration(clock, jurisdiction="520302/002/001"))
        assert self.count(app) == before

    # -- tamper evidence ----------------------------------------------------------------------

    def child_with_history(self, app: Huhang, clock: Clock, gradings: int = 4) -> UUID:
        child_id = self.register(app, clock)
        for level in ["blue", "yellow", "orange", "red"][:gradings]:
            clock.advance(minutes=1)
            app.children.assess_risk(DIRECTOR, "phone-1", child_id, AssessRisk(submission_id=uuid4(), level=level))
        return child_id

    def test_verifier_passes_an_untouched_store(self, app: Huhang, clock: Clock) -> None:
        self.child_with_history(app, clock)
        result = verify(app.store)
        assert result.ok and result.events_checked == self.count(app)

    def test_edited_row_is_found(self, settings: Settings, app: Huhang, clock: Clock) -> None:
        child_id = self.child_with_history(app, clock)
        p = self.param
        rows = self.sql(settings, f"SELECT state FROM {self.table} WHERE originator_id = {p} AND originator_version = 3",
                        (self.key(child_id),))
        edited = self.edit(bytes(rows[0][0]))
        self.sql(settings, f"UPDATE {self.table} SET state = {p} WHERE originator_id = {p} AND originator_version = 3",
                 (edited, self.key(child_id)))
        result = verify(app.store)
        assert not result.ok
        assert [(b.stream_id, b.version) for b in result.broken] == [(child_id, 3)]
        assert self.edit_found_as in result.broken[0].reason

    edit_found_as = "hash"

    def edit(self, state: bytes) -> bytes:
        """What a forger would do to a stored grading: make it say something milder (the compact form holds the
        level as a MessagePack string: its length, then its text)."""
        edited = state.replace(b"\xa6yellow", b"\xa4blue")
        assert edited != state
        return edited

    def test_deleted_middle_row_is_found(self, settings: Settings, app: Huhang, clock: Clock) -> None:
        child_id = self.child_with_history(app, clock)
        p = self.param
        self.sql(settings, f"DELETE FROM {self.table} WHERE originator_id = {p} AND originator_version = 2",
                 (self.key(child_id),))
        result = verify(app.store)
        assert [(b.stream_id, b.version) for b in result.broken] == [(child_id, 3)]
        assert "missing version" in result.broken[0].reason

    def test_deleted_last_rows_after_an_anchor_are_found(self, settings: Settings, app: Huhang, clock: Clock) -> None:
        child_id = self.child_with_history(app, clock)
        record_anchor(app.store)
        p = self.param
        self.sql(settings, f"DELETE FROM {self.table} WHERE originator_id = {p} AND originator_version >= 4",
                 (self.key(child_id),))
        result = verify(app.store)
        assert [(b.stream_id, b.version) for b in result.broken] == [(child_id, 5)]
        assert "anchored version 5 is gone" in result.broken[0].reason

    def test_anchor_root_covers_every_stream_head(self, app: Huhang, clock: Clock) -> None:
        child_id = self.child_with_history(app, clock)
        anchor = record_anchor(app.store)
        versions = {h.stream_id: h.version for h in anchor.heads}
        assert versions.pop(child_id) == 5
        assert sorted(versions.values()) == [1] * 6  # one receipt per submission, and the ID number's claim
        assert anchor.root == merkle_root(anchor.heads)
        assert anchor.up_to_notification_id == self.count(app) - 1

    # -- schema evolution -----------------------------------------------------------------------

    def test_stored_version_1_event_is_upcast_when_read(self, app: Huhang, clock: Clock) -> None:
        child_id = self.register(app, clock)
        child = app.children.get(DIRECTOR, child_id)
        at = clock.now.isoformat()
        v1 = {
            "type": "RiskAssessed", "originator_id": str(child_id), "originator_version": 2,
            "event_id": str(uuid4()), "schema_version": 1, "prev_hash": child.head_hash,
            "meta": {"actor_id": None, "actor_role": "child_director", "device_id": "old-app",
                     "submission_id": str(uuid4()), "occurred_at": at, "recorded_at": at, "geo": None, "late": False},
            "level": "orange", "reason": "监护人外出务工",
        }
        v1["hash"] = codec.hash_state(v1)
        topic = "events.children:RiskAssessed"
        state = msgspec.json.encode(v1)
        if app.store.mapper.cipher:
            state = app.store.mapper.cipher.encrypt(state)
        app.store.recorder.insert_events([StoredEvent(originator_id=child_id, originator_version=2, topic=topic, state=state)])
        upcast = app.store.stream(child_id)[-1]
        assert isinstance(upcast, RiskAssessed) and upcast.reasons == ["监护人外出务工"]
        assert app.children.get(DIRECTOR, child_id).risk_level == "orange"
        assert verify(app.store).ok
