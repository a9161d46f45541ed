"""Properties of the read side, on SQLite and PostgreSQL: incremental equals rebuilt, as-of equals live."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.bootstrap import bootstrap
from backend.disclosure import ChildFacts
from backend.identity import Actor
from events.vocabulary import Role
from projections.audit import as_of, child_events
from projections.db import ReadDB, open_read_db
from projections.queries import child_row
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import Clock, fresh_settings
from tests.integration.story import Story, steps

BACKENDS = ["sqlite", "postgres"]


def dump(db: ReadDB, suffix: str = "", names: tuple[str, ...] = tuple(PROJECTIONS)) -> dict[str, dict[str, Any]]:
    """Every row of the named projections' tables, decoded, by table and key."""
    out: dict[str, dict[str, Any]] = {}
    for projection in (PROJECTIONS[n] for n in names):
        for table in projection.tables:
            rows = db.query(f"SELECT {table.key}, doc FROM {table.name}{suffix}")
            out[table.name] = {k: msgspec.json.decode(doc) for k, doc in rows}
    return out


def clock_now() -> Clock:
    return Clock(datetime(2026, 11, 1, 8, tzinfo=UTC))


@pytest.mark.parametrize("backend", BACKENDS)
@given(story=steps, batch_size=st.integers(min_value=1, max_value=7), project_every=st.integers(min_value=1, max_value=4))
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_incremental_projection_equals_rebuilt_from_scratch(
    backend: str, story: list[tuple[str, int, int]], batch_size: int, project_every: int
) -> None:
    clock = clock_now()
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        db = open_read_db(config)
        live = [Runner(app.store, db, config.policy, p, batch_size=batch_size) for p in PROJECTIONS.values()]
        play = Story(app, clock)
        for n, step in enumerate(story):
            play.play(step)
            if n % project_every == 0:
                for runner in live:
                    runner.run_batch()
        for runner in live:
            runner.catch_up()
        rebuilt = [Runner(app.store, db, config.policy, p, suffix="_scratch", batch_size=10_000) for p in PROJECTIONS.values()]
        for runner in rebuilt:
            runner.catch_up()
        assert dump(db) == dump(db, "_scratch")
        assert dump(db)["rm_children"]  # the story made children, so the comparison compared something
        db.close()


@pytest.mark.parametrize("backend", BACKENDS)
@given(story=steps)
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_as_of_each_recorded_time_equals_the_live_status_right_after(backend: str, story: list[tuple[str, int, int]]) -> None:
    clock = clock_now()
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        db = open_read_db(config)
        runner = Runner(app.store, db, config.policy)
        play = Story(app, clock)
        seen: list[tuple[datetime, dict[str, Any]]] = []
        for step in story:
            play.play(step)
            runner.catch_up()
            for child_id in play.children:
                row = child_row(db, str(child_id))
                seen.append((clock.now, {"child_id": str(child_id), "row": _comparable(row)}))
        for at, snapshot in seen:
            child_id = uuid.UUID(snapshot["child_id"])
            replayed = as_of(child_events(app.store, db, child_id), at, "recorded", config.policy, child_id)
            assert _comparable(replayed) == snapshot["row"]
        db.close()


def _comparable(row: Any) -> dict[str, Any] | None:
    """A row without `changed_at` (a log position in the live model, an ordinal in a replay)."""
    if row is None:
        return None
    data: dict[str, Any] = msgspec.to_builtins(row)
    data.pop("changed_at")
    return data


@pytest.mark.parametrize("backend", BACKENDS)
def test_late_older_grading_is_in_history_but_does_not_change_the_level(backend: str) -> None:
    from datetime import timedelta
    from uuid import uuid4

    from backend.commands import AssessRisk
    from projections.audit import history
    from tests.integration.story import SUPERVISOR

    clock = clock_now()
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        db = open_read_db(config)
        runner = Runner(app.store, db, config.policy)
        play = Story(app, clock)
        play.register(0)
        child = play.children[0]
        app.children.assess_risk(SUPERVISOR, "d", child, AssessRisk(submission_id=uuid4(), level="red"))
        older = AssessRisk(submission_id=uuid4(), level="blue", occurred_at=clock.now - timedelta(days=1))
        clock.advance(days=2)
        outcome = app.children.assess_risk(SUPERVISOR, "d", child, older)
        runner.catch_up()
        assert outcome.result["assessment"]["current"] is False
        row = child_row(db, str(child))
        assert row is not None and row.risk_level == "red"
        auditor = Actor(id=None, role=Role.AUDITOR, scope="520302")
        events = child_events(app.store, db, child)
        entries, _ = history(events, slice(0, len(events)), auditor, ChildFacts())
        assert [e["data"].get("level") for e in entries if e["type"] == "RiskAssessed"] == ["red", "blue"]
        assert entries[-1]["late"] is True
        db.close()
