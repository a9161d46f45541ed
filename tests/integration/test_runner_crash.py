"""A projection process killed (SIGKILL) mid-batch and restarted neither skips nor double-applies an event."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from backend.bootstrap import bootstrap
from backend.settings import Settings
from projections.db import open_read_db
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import fresh_settings
from tests.integration.story import Story
from tests.integration.test_projection_properties import BACKENDS, clock_now, dump


def start_projector(config: Settings) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUHANG_")}
    env["HUHANG_DATA_DIR"] = str(config.data_dir)
    if config.database_url:
        env["HUHANG_DATABASE_URL"] = config.database_url
    return subprocess.Popen(
        [sys.executable, "-m", "mobile_api.cli", "project", "--once", "--batch-size", "3"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def checkpoint(config: Settings) -> int:
    db = open_read_db(config)
    try:
        found = db.query("SELECT position FROM rm_checkpoints WHERE name = 'main'")
        return int(found[0][0]) if found else 0
    except Exception:  # the table may not exist yet while the first process starts
        return 0
    finally:
        db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_projection_killed_mid_batch_and_restarted_equals_a_clean_build(backend: str) -> None:
    rng = random.Random(7)
    clock = clock_now()
    with fresh_settings(backend) as config:
        with bootstrap(config, clock) as app:
            story = Story(app, clock)
            for _ in range(700):
                story.play((rng.choice(["register", "grade", "visit", "visit_offline", "categories", "transfer",
                                        "refer", "accept", "complete", "plan", "start", "end"]),
                            rng.randrange(50), rng.randrange(1, 300)))
            head = app.store.recorder.max_notification_id() or 0
        kills = 0
        for target in (head // 4, head // 2, (3 * head) // 4):
            process = start_projector(config)
            deadline = time.monotonic() + 60
            while checkpoint(config) < target and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.01)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=10)
        assert kills >= 2, "the projector finished before it could be killed mid-run"
        finish = start_projector(config)
        assert finish.wait(timeout=120) == 0, finish.stderr.read().decode() if finish.stderr else ""
        with bootstrap(config, clock) as app:
            db = open_read_db(config)
            assert checkpoint(config) == head
            for projection in PROJECTIONS.values():
                Runner(app.store, db, config.policy, projection, suffix="_clean", batch_size=10_000).catch_up()
            assert dump(db) == dump(db, "_clean")
            db.close()
