"""A rebuild while the live runner follows the log and writes go on: readers never see a half-built
model, and after the swap the live runner carries on over the rebuilt tables."""

from __future__ import annotations

import random
import threading

import pytest

from backend.bootstrap import bootstrap
from projections.db import open_read_db
from projections.queries import child_row
from projections.rebuild import rebuild
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import fresh_settings
from tests.integration.story import Story
from tests.integration.test_projection_properties import BACKENDS, clock_now, dump


@pytest.mark.parametrize("backend", BACKENDS)
def test_rebuild_beside_a_live_runner_then_swap(backend: str) -> None:
    clock = clock_now()
    rng = random.Random(9)
    kinds = ["register", "grade", "visit", "categories", "transfer", "refer", "accept", "plan", "start"]
    with fresh_settings(backend) as config, bootstrap(config, clock) as app:
        story = Story(app, clock)
        for _ in range(300):
            story.play((rng.choice(kinds), rng.randrange(40), rng.randrange(1, 120)))
        db, reader = open_read_db(config), open_read_db(config)
        live = Runner(app.store, db, config.policy)
        live.catch_up()
        live.follow(poll_seconds=0.02)
        watched = story.children[0]
        stop, seen_missing = threading.Event(), []

        def read_all_the_time() -> None:
            while not stop.is_set():
                if child_row(reader, str(watched)) is None:
                    seen_missing.append(1)

        readers = threading.Thread(target=read_all_the_time)
        readers.start()
        writer_lock = threading.Lock()

        def write_meanwhile() -> None:
            for _ in range(60):
                with writer_lock:
                    story.play((rng.choice(kinds), rng.randrange(40), rng.randrange(1, 120)))

        writer = threading.Thread(target=write_meanwhile)
        writer.start()
        rebuild(app.store, open_read_db(config), config.policy, PROJECTIONS["main"], batch_size=50)
        writer.join()
        live.ensure(app.store.recorder.max_notification_id() or 0)
        stop.set()
        readers.join()
        live.stop()
        assert seen_missing == []  # the child was readable before, during and after the swap
        scratch = Runner(app.store, db, config.policy, suffix="_scratch", batch_size=10_000)
        scratch.catch_up()
        assert dump(db, names=("main",)) == dump(db, "_scratch", names=("main",))
        db.close()
        reader.close()
