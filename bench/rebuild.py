"""Rebuild every projection from a demo county's events; peak memory; as-of latency for a busy child.

Run: .venv/bin/python -m bench.rebuild --children 50000 --data var/bench-1m [--backends sqlite,postgres]
The demo county is generated once into --data (about 20 events per child) and reused afterwards.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4

import msgspec

from backend.bootstrap import bootstrap
from backend.commands import AssessRisk, RecordVisit, RegisterChild
from backend.demo import demo_clock, generate
from backend.identity import Actor
from backend.settings import Settings
from backend.store import EventStore
from bench.common import machine, settings_for
from events.vocabulary import Role
from projections.audit import as_of, child_events
from projections.db import open_read_db
from projections.rebuild import rebuild, rebuild_together
from projections.registry import PROJECTIONS
from projections.runner import Runner

ACTOR = Actor(id=UUID(int=31), role=Role.SUPERVISOR, scope="520302", username="bench")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def ensure_events(settings: Settings, children: int) -> int:
    with bootstrap(settings) as app:
        count = app.store.recorder.max_notification_id() or 0
    if count:
        return count
    clock = demo_clock()
    started = time.perf_counter()
    with bootstrap(settings, clock) as app:
        generate(app, clock, children, seed=11, months=6)
        count = app.store.recorder.max_notification_id() or 0
    spent = time.perf_counter() - started
    print(f"generated {count:,} events for {children:,} children in {spent:,.0f} s ({count / spent:,.0f} events/s)")
    return count


def copy_events(source: Settings, target: Settings, batch: int = 500) -> None:
    """The same stored events, byte for byte, into another store (to compare backends on one history).

    Batches stay small: one insert of 5,000 events (≈ 6 MB of parameters) hung in psycopg's pipeline
    mode here, the server waiting to read while the client waited for results.
    """
    with bootstrap(source) as src, bootstrap(target) as dst:
        start = 1
        while page := src.store.recorder.select_notifications(start=start, limit=batch):
            dst.store.recorder.insert_events(list(page))
            start = page[-1].id + 1


def raw_read(store: EventStore) -> tuple[int, float]:
    """The reference: every `stored_events` row of the log read and its state decoded with msgspec, untyped (the
    full JSON of older stores, the MessagePack array of the compact form)."""
    json, pack, plain = msgspec.json.decode, msgspec.msgpack.decode, store.msgspec_mapper.plain_state
    started = time.perf_counter()
    count = 0
    for note in store.notifications():
        state = plain(note.state)
        json(state) if state[:1] == b"{" else pack(state[1:])
        count += 1
    return count, time.perf_counter() - started


def rebuild_phase(settings: Settings) -> None:
    """Run in a child process so that its peak memory is its own. Each rebuild follows a raw read of the
    same log, in the same run; its ratio is log events covered per second over the raw read's rate."""
    samples: list[float] = []
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        total = app.store.recorder.max_notification_id() or 0
        for projection in PROJECTIONS.values():
            read, read_time = raw_read(app.store)
            print(f"  reference: {read:,} events read and decoded with msgspec in {read_time:.1f} s "
                  f"= {read / read_time:,.0f} events/s")
            next_sample = 100_000

            def progress(position: int) -> None:
                nonlocal next_sample
                if position >= next_sample:
                    samples.append(rss_mb())
                    next_sample += 100_000

            started = time.perf_counter()
            applied = rebuild(app.store, db, settings.policy, projection, progress)
            spent = time.perf_counter() - started
            print(f"  {projection.name}: {applied:,} of {total:,} events in {spent:.1f} s = {applied / spent:,.0f} events/s "
                  f"({total / spent:,.0f} log events/s, {total / spent / (read / read_time):.1%} of the reference)")
        read, read_time = raw_read(app.store)
        print(f"  reference: {read:,} events read and decoded with msgspec in {read_time:.1f} s "
              f"= {read / read_time:,.0f} events/s")
        started = time.perf_counter()
        together = rebuild_together(app.store, db, settings.policy, list(PROJECTIONS.values()))
        spent = time.perf_counter() - started
        print(f"  all in one pass ({', '.join(together)}): {sum(together.values()):,} applications of {total:,} events "
              f"in {spent:.1f} s ({total / spent:,.0f} log events/s, {total / spent / (read / read_time):.1%} of the reference)")
        db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    shown = ", ".join(f"{s:.0f}" for s in samples[:: max(1, len(samples) // 8)])
    print(f"  RSS every 100k events (MB): {shown}; peak {peak:.0f} MB")


def as_of_latency(settings: Settings, events: int = 1000) -> None:
    """A child with `events` events of its own and its visits; median and p95 of an as-of replay."""
    now = datetime.now(UTC)
    clock = lambda: now  # noqa: E731 - a fixed clock for setup
    with bootstrap(settings, clock) as app:
        child = UUID(app.children.register(ACTOR, "b", RegisterChild(
            submission_id=uuid4(), name="忙", sex="male", birth_date=datetime(2015, 1, 1).date(),
            jurisdiction="520302/001/001", address="x", categories=["left_behind"])).result["child_id"])
        for n in range(events - 1):
            at = now - timedelta(minutes=events - n)
            if n % 2:
                app.visits.record(ACTOR, "b", RecordVisit(submission_id=uuid4(), occurred_at=at, child_id=child,
                                                          visit_type="home", child_seen=True, guardian_present=True))
            else:
                app.children.assess_risk(ACTOR, "b", child, AssessRisk(submission_id=uuid4(), occurred_at=at,
                                                                        level=["blue", "yellow"][n % 4 // 2]))
        db = open_read_db(settings)
        Runner(app.store, db, settings.policy).catch_up()
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            as_of(child_events(app.store, db, child), now - timedelta(minutes=events // 2), "recorded", settings.policy, child)
            timings.append((time.perf_counter() - started) * 1000)
        db.close()
    timings.sort()
    print(f"  as-of for a child with {events} events: median {statistics.median(timings):.1f} ms, "
          f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--data", default="var/bench-rebuild")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--phase", default="all", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    source = Settings(data_dir=Path(args.data))
    if args.phase == "rebuild":
        rebuild_phase(Settings(data_dir=Path(args.data), database_url=args.database_url))
        return
    print(f"bench/rebuild.py on {machine()}")
    count = ensure_events(source, args.children)
    for backend in args.backends.split(","):
        print(f"{backend}: rebuild of {count:,} events")
        if backend == "sqlite":
            subprocess.run([sys.executable, "-m", "bench.rebuild", "--phase", "rebuild", "--data", args.data], check=True)
            as_of_latency(source)
            continue
        with settings_for("postgres") as target:
            copy_events(source, target)
            subprocess.run([sys.executable, "-m", "bench.rebuild", "--phase", "rebuild", "--data", str(target.data_dir),
                            "--database-url", target.database_url or ""], check=True)
            as_of_latency(target)


if __name__ == "__main__":
    main()
