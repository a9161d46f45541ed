"""Group commit: saves that wait together are written together; a conflict in the group is settled
save by save, so each command still gets its own answer."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import IntegrityError

from backend.bootstrap import bootstrap
from backend.child import Child
from backend.groupcommit import GroupCommit
from events.base import Meta
from tests.conftest import fresh_settings
from tests.integration.test_projection_properties import BACKENDS


def meta() -> Meta:
    now = datetime.now(UTC)
    return Meta(actor_id=None, actor_role="system", device_id="t", submission_id=uuid4(), occurred_at=now, recorded_at=now)


def child() -> Child:
    return Child.register(uuid4(), meta(), {"name": "x", "sex": "male", "birth_date": date(2015, 1, 1),
                                            "jurisdiction": "520302/001", "address": "x"})


def run_together(commits: GroupCommit, batches: list[list[Child]]) -> list[Any]:
    """Start every save while the first one is held inside the store, so the rest queue into one group."""
    results: list[Any] = [None] * len(batches)

    def save(i: int) -> None:
        try:
            results[i] = commits.save(*batches[i])
        except IntegrityError as exc:
            results[i] = exc

    first = threading.Thread(target=save, args=(0,))
    first.start()
    time.sleep(0.2)  # the first save is now being written (held below)
    others = [threading.Thread(target=save, args=(i,)) for i in range(1, len(batches))]
    for t in others:
        t.start()
    time.sleep(0.2)
    release.set()
    for t in [first, *others]:
        t.join(timeout=30)
    return results


release = threading.Event()


@pytest.mark.parametrize("backend", BACKENDS)
def test_waiting_saves_are_written_in_one_transaction_and_each_gets_its_recordings(backend: str) -> None:
    release.clear()
    with fresh_settings(backend) as config, bootstrap(config) as app:
        transactions: list[int] = []
        original = app.store.save

        def slow_save(*objs: Any) -> Any:
            transactions.append(len(objs))
            if len(transactions) == 1:
                release.wait(10)
            return original(*objs)

        app.store.save = slow_save  # type: ignore[method-assign]
        commits = GroupCommit(app.store)
        batches = [[child()] for _ in range(6)]
        results = run_together(commits, batches)
        assert transactions == [1, 5]  # the first alone, the five that waited together
        for batch, recordings in zip(batches, results, strict=True):
            assert [r.domain_event.originator_id for r in recordings] == [batch[0].id]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_conflict_inside_a_group_fails_only_its_own_save(backend: str) -> None:
    release.clear()
    with fresh_settings(backend) as config, bootstrap(config) as app:
        original = app.store.save
        calls: list[int] = []

        def slow_save(*objs: Any) -> Any:
            calls.append(len(objs))
            if len(calls) == 1:
                release.wait(10)
            return original(*objs)

        app.store.save = slow_save  # type: ignore[method-assign]
        first = child()
        original(first)
        twin_a, twin_b = app.store.load(Child, first.id), app.store.load(Child, first.id)
        assert twin_a is not None and twin_b is not None
        twin_a.change_categories(meta(), ["orphan"], [], "a")
        twin_b.change_categories(meta(), ["disabled"], [], "b")  # same stream, same next version
        results = run_together(GroupCommit(app.store), [[child()], [twin_a], [child()], [twin_b]])
        assert isinstance(results[3], IntegrityError)
        assert all(isinstance(r, list) and len(r) == 1 for r in results[:3])
        stored = app.store.load(Child, first.id)
        assert stored is not None and stored.categories == ["orphan"]


def test_a_group_kept_out_of_the_database_is_not_asked_again_save_by_save() -> None:
    """The write gate (or SQLite's own lock) still held at its deadline: the group's saves each get that error at
    once (503 above, retried by the client), instead of each waiting out the deadline again alone — a group of 128
    kept the last writer waiting 128 deadlines."""
    from eventsourcing.persistence import OperationalError

    attempts: list[int] = []

    class KeptOut:
        def save(self, *events: Any) -> list[Any]:
            attempts.append(len(events))
            raise OperationalError("database is locked")

    commits = GroupCommit(KeptOut())  # type: ignore[arg-type]
    with pytest.raises(OperationalError, match="database is locked"):
        commits.save(child(), child())
    assert attempts == [2]


def test_a_group_failing_otherwise_is_still_written_save_by_save() -> None:
    from eventsourcing.persistence import OperationalError

    attempts: list[int] = []

    class Flaky:
        def save(self, *events: Any) -> list[Any]:
            attempts.append(len(events))
            raise OperationalError("could not serialize access due to concurrent update")

    with pytest.raises(OperationalError):
        GroupCommit(Flaky()).save(child(), child())  # type: ignore[arg-type]
    assert attempts == [2, 2]
