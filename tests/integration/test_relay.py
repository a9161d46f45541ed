"""The relay and NATS-fed projections against a real NATS JetStream server."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import nats
import pytest

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.relay import Relay
from backend.settings import Settings
from events.base import Meta
from events.envelope import Envelope
from projections.db import open_read_db
from projections.nats_worker import consume
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.conftest import Clock
from tests.integration.story import Story
from tests.integration.test_projection_properties import clock_now, dump
from tests.natsd import NatsServer


def settings_for(tmp_path: Path, server: NatsServer) -> Settings:
    return Settings(data_dir=tmp_path / "data", nats_url=server.url)


def raw_events(app: Huhang, count: int) -> None:
    """`count` events appended straight to the store, in transactions of ten."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    meta = Meta(actor_id=None, actor_role="system", device_id="t", submission_id=uuid4(), occurred_at=now, recorded_at=now)
    for _ in range(count // 10):
        children = [Child.register(uuid4(), meta, {"name": "x", "sex": "male", "birth_date": date(2015, 1, 1),
                                                    "jurisdiction": "520302/001", "address": "x"}) for _ in range(10)]
        app.store.save(*children)


async def stream_messages(server: NatsServer, stream: str = "HUHANG_EVENTS") -> list[tuple[Envelope, dict[str, str]]]:
    """Every message in the stream, in stream order."""
    nc = await nats.connect(server.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream)
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(stream, seq)
            out.append((msgspec.json.decode(message.data, type=Envelope), dict(message.headers or {})))
        return out
    finally:
        await nc.close()


async def relay_until_caught_up(relay: Relay) -> None:
    await relay.connect()
    while await relay.publish_once():
        pass
    await relay.close()


def log_positions(app: Huhang) -> list[tuple[int, str]]:
    return [(n.id, str(n.originator_id)) for n in app.store.recorder.select_notifications(start=1, limit=10**7)]


def test_relay_publishes_exactly_the_log_in_order(tmp_path: Path, natsd: NatsServer) -> None:
    config = settings_for(tmp_path, natsd)
    with bootstrap(config) as app:
        raw_events(app, 300)
        asyncio.run(relay_until_caught_up(Relay(app.store, config, window=64)))
        messages = asyncio.run(stream_messages(natsd))
        assert [(m.position, m.stream_id) for m, _ in messages] == log_positions(app)
        assert all(headers["Nats-Msg-Id"] == m.event_id for m, headers in messages)
        assert messages[0][0].type == "ChildRegistered" and messages[0][0].payload["name"] == "x"


def test_crash_between_publish_and_checkpoint_republishes_and_jetstream_deduplicates(tmp_path: Path, natsd: NatsServer) -> None:
    config = settings_for(tmp_path, natsd)
    with bootstrap(config) as app:
        raw_events(app, 200)
        crashing = Relay(app.store, config, window=50)

        def crash(_: Any) -> None:
            raise SystemExit("killed after publishing, before the checkpoint")

        crashing.tracking.insert_tracking = crash  # type: ignore[method-assign]
        with pytest.raises(SystemExit):
            asyncio.run(relay_until_caught_up(crashing))
        assert len(asyncio.run(stream_messages(natsd))) == 50  # published, but the position was never stored
        asyncio.run(relay_until_caught_up(Relay(app.store, config, window=50)))
        messages = asyncio.run(stream_messages(natsd))
        assert [m.position for m, _ in messages] == [p for p, _ in log_positions(app)]


def test_relay_process_killed_repeatedly_leaves_each_event_once(tmp_path: Path, natsd: NatsServer) -> None:
    config = settings_for(tmp_path, natsd)
    with bootstrap(config) as app:
        raw_events(app, 3000)
        expected = [p for p, _ in log_positions(app)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUHANG_")}
    env.update(HUHANG_DATA_DIR=str(config.data_dir), HUHANG_NATS_URL=natsd.url)
    rng = random.Random(3)
    for _ in range(3):
        process = subprocess.Popen([sys.executable, "-m", "mobile_api.cli", "relay", "--window", "40"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.0, 2.0))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    with bootstrap(config) as app:
        asyncio.run(relay_until_caught_up(Relay(app.store, config, window=40)))
    assert [m.position for m, _ in asyncio.run(stream_messages(natsd))] == expected


def test_nats_down_during_5000_writes_ends_with_exactly_5000_messages(tmp_path: Path, natsd: NatsServer) -> None:
    config = settings_for(tmp_path, natsd)
    with bootstrap(config) as app:
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        relay = Relay(app.store, config, window=100, ack_timeout=2)
        thread = threading.Thread(target=loop.run_until_complete, args=(relay.run(stop, idle=0.05, max_backoff=0.5),))
        thread.start()
        try:
            for n in range(10):
                raw_events(app, 500)  # the writes go on whether NATS is there or not
                if n == 3:
                    natsd.stop()
                if n == 7:
                    natsd.start()
            deadline = time.monotonic() + 60
            while relay.position() < (app.store.recorder.max_notification_id() or 0) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            loop.call_soon_threadsafe(stop.set)
            thread.join(timeout=30)
        messages = asyncio.run(stream_messages(natsd))
        assert len(messages) == 5000
        assert [m.position for m, _ in messages] == [p for p, _ in log_positions(app)]


def test_nats_fed_projection_equals_the_locally_built_one(tmp_path: Path, natsd: NatsServer) -> None:
    clock: Clock = clock_now()
    config = settings_for(tmp_path, natsd)
    rng = random.Random(5)
    with bootstrap(config, clock) as app:
        story = Story(app, clock)
        for _ in range(150):
            story.play((rng.choice(["register", "grade", "visit", "categories", "transfer", "refer", "accept", "plan"]),
                        rng.randrange(20), rng.randrange(1, 200)))
        asyncio.run(relay_until_caught_up(Relay(app.store, config)))
        db = open_read_db(config)
        for projection in PROJECTIONS.values():
            Runner(app.store, db, config.policy, projection).catch_up()
        fed = [Runner(app.store, db, config.policy, p, suffix="_nats") for p in PROJECTIONS.values()]
        head = app.store.recorder.max_notification_id() or 0

        async def feed() -> None:
            stop = asyncio.Event()
            tasks = [asyncio.create_task(consume(r, config, stop, batch=37)) for r in fed]
            while min(r.checkpoint() for r in fed) < head:
                await asyncio.sleep(0.05)
            stop.set()
            await asyncio.gather(*tasks)

        asyncio.run(asyncio.wait_for(feed(), timeout=60))
        assert dump(db, "_nats") == dump(db)
        db.close()


