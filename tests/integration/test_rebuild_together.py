"""Several projections rebuilt in one pass over the log equal each rebuilt on its own, in small pages and large."""

from __future__ import annotations

import gc
import random

import pytest

import projections.db
from backend.bootstrap import bootstrap
from projections.db import open_read_db
from projections.rebuild import rebuild, rebuild_together
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import fresh_settings
from tests.integration.story import Story
from tests.integration.test_projection_properties import BACKENDS, clock_now, dump


@pytest.mark.parametrize("batch_size", [7, 20_000])
@pytest.mark.parametrize("backend", BACKENDS)
def test_projections_rebuilt_together_equal_each_built_alone(backend: str, batch_size: int) -> None:
    clock = clock_now()
    rng = random.Random(5)
    kinds = ["register", "grade", "visit", "visit_offline", "categories", "transfer", "refer", "accept", "plan", "start"]
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        story = Story(app, clock)
        for _ in range(200):
            story.play((rng.choice(kinds), rng.randrange(30), rng.randrange(1, 600)))
        db = open_read_db(config)
        applied = rebuild_together(app.store, db, config.policy, list(PROJECTIONS.values()), batch_size=batch_size)
        for projection in PROJECTIONS.values():
            Runner(app.store, db, config.policy, projection, suffix="_alone", batch_size=50).catch_up()
        assert dump(db) == dump(db, "_alone")
        assert dump(db)["rm_children"] and dump(db)["rm_visits"]  # the comparison compared something
        head = app.store.recorder.max_notification_id() or 0
        checkpoints = dict(db.query("SELECT name, position FROM rm_checkpoints"))
        assert all(int(checkpoints[name]) == head for name in PROJECTIONS)
        assert set(applied) == set(PROJECTIONS) and applied["main"] > 0
        db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_held_by_a_small_rebuild_cache_are_all_written(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rebuild holds the rows it changes in its cache and writes them when they leave it or at the end: with a
    cache of a few rows (most rows leave it, some are changed again after being written) the rebuilt tables
    still equal the ones the live runner builds, alone or together, in one page or many. On PostgreSQL every
    write of the rebuild goes through COPY and one upsert from the copied rows."""
    clock = clock_now()
    rng = random.Random(9)
    kinds = ["register", "grade", "visit", "visit_offline", "categories", "transfer", "refer", "accept", "plan", "start"]
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        story = Story(app, clock)
        for _ in range(200):
            story.play((rng.choice(kinds), rng.randrange(30), rng.randrange(1, 600)))
        db = open_read_db(config)
        for projection in PROJECTIONS.values():
            Runner(app.store, db, config.policy, projection, suffix="_live", batch_size=50).catch_up()
        monkeypatch.setattr(projections.db, "COPY_FROM", 1)
        rebuild_together(app.store, db, config.policy, list(PROJECTIONS.values()), batch_size=7, cache_rows=4)
        assert dump(db) == dump(db, "_live")
        rebuild(app.store, db, config.policy, PROJECTIONS["main"], batch_size=11, cache_rows=2)
        rebuild(app.store, db, config.policy, PROJECTIONS["coverage"], batch_size=100_000, cache_rows=3)
        assert dump(db) == dump(db, "_live")
        assert dump(db)["rm_children"] and dump(db)["rm_cov_places"]  # the comparison compared something
        db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rebuild_leaves_the_collector_and_the_connection_as_it_found_them(backend: str) -> None:
    """A rebuild holds off the garbage collector's automatic passes and (on SQLite) the zeroing of freed pages, for
    its own duration only, also when it fails."""
    clock = clock_now()
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        story = Story(app, clock)
        for n in range(20):
            story.play(("register" if n < 5 else "visit", n % 5, 60))
        db = open_read_db(config)
        zeroing = db.query("PRAGMA secure_delete") if not db.is_postgres else None
        rebuild_together(app.store, db, config.policy, list(PROJECTIONS.values()))
        assert gc.isenabled()
        with pytest.raises(ZeroDivisionError):
            rebuild_together(app.store, db, config.policy, list(PROJECTIONS.values()), progress=lambda _: 1 / 0)
        assert gc.isenabled()
        if zeroing is not None:
            assert db.query("PRAGMA secure_delete") == zeroing
        gc.disable()
        try:
            rebuild_together(app.store, db, config.policy, list(PROJECTIONS.values()))
            assert not gc.isenabled()  # left as it was found
        finally:
            gc.enable()
        db.close()
