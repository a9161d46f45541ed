"""Bytes per stored event: the write side's tables and indexes over the number of events, per event type.

Run: .venv/bin/python -m bench.storage --children 5000 --data var/bench-storage [--backends sqlite,postgres]
The demo county is generated once into --data through the use cases (as bench/rebuild.py does) and reused.
Counted: `stored_events` with its indexes (SQLite: the pages `dbstat` gives; PostgreSQL:
pg_total_relation_size, which includes TOAST and indexes, after copying the same rows into a fresh schema), over
the number of events. Not counted: the read models (rm_*). Also printed: the stored state's average size per event
type, and the CPU time of reading and decoding the whole log as projections read it.
"""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from backend.bootstrap import bootstrap
from backend.settings import Settings
from bench.common import machine, settings_for
from bench.rebuild import copy_events, ensure_events

WRITE_TABLES = ("stored_events",)
"""The write side's tables (the events table first, named by the recorder on PostgreSQL): each is counted with its
indexes."""


def sqlite_bytes(path: Path) -> dict[str, int]:
    """Bytes on disk (pages) of each write-side table and each of its indexes."""
    with sqlite3.connect(path) as conn:
        marks = ",".join("?" for _ in WRITE_TABLES)
        names = [row[0] for row in conn.execute(
            f"SELECT name FROM sqlite_master WHERE tbl_name IN ({marks}) AND type IN ('table', 'index')", WRITE_TABLES)]
        sizes = {}
        for name in names:
            (size,) = conn.execute("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name = ?", (name,)).fetchone()
            sizes[name] = int(size)
    return sizes


def postgres_bytes(settings: Settings) -> dict[str, int]:
    """pg_total_relation_size (heap, TOAST, indexes) of each write-side table."""
    with bootstrap(settings) as app:
        recorder: Any = app.store.recorder
        schema = recorder.datastore.schema
        sizes = {}
        with recorder.datastore.transaction(commit=False) as cursor:
            for table in (recorder.events_table_name, *WRITE_TABLES[1:]):
                cursor.execute("SELECT pg_total_relation_size(format('%%I.%%I', %s::text, %s::text)::regclass) AS size",
                               (schema, table))
                sizes[table] = int(cursor.fetchone()["size"])
    return sizes


def state_bytes(settings: Settings) -> tuple[int, dict[str, tuple[int, int]]]:
    """The number of events, and per topic: events and the summed length of their stored state."""
    per_topic: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    count = 0
    with bootstrap(settings) as app:
        for note in app.store.notifications():
            entry = per_topic[note.topic]
            entry[0] += 1
            entry[1] += len(note.state)
            count += 1
    return count, {topic: (n, total) for topic, (n, total) in per_topic.items()}


def decode_rate(settings: Settings, topics: list[str], rounds: int = 3) -> tuple[int, float]:
    """Every event read and decoded as projections read them (`positioned_events`, pages of 20,000); the best of
    `rounds` passes: events and seconds of this process's CPU time (wall time on a shared machine says little)."""
    best = float("inf")
    count = 0
    with bootstrap(settings) as app:
        head = app.store.recorder.max_notification_id() or 0
        for _ in range(rounds):
            started = time.process_time()
            position, count = 0, 0
            while position < head:
                page = app.store.positioned_events(position + 1, 20_000, head, topics)
                count += len(page)
                position = page[-1][0] if len(page) == 20_000 else head
            best = min(best, time.process_time() - started)
    return count, best


def report(backend: str, count: int, sizes: dict[str, int]) -> None:
    total = sum(sizes.values())
    parts = ", ".join(f"{name} {size / 2**20:,.1f} MB" for name, size in sizes.items())
    print(f"{backend}: {total / count:,.0f} bytes per event ({total / 2**20:,.1f} MB over {count:,} events: {parts})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=5000)
    parser.add_argument("--data", default="var/bench-rebuild")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    source = Settings(data_dir=Path(args.data))
    print(f"bench/storage.py on {machine()}")
    ensure_events(source, args.children)
    count, per_topic = state_bytes(source)
    print(f"{count:,} events; stored state by type (events, average bytes of state):")
    for topic, (n, total) in sorted(per_topic.items(), key=lambda kv: -kv[1][1]):
        print(f"  {topic.rsplit(':', 1)[-1]}: {n:,} events, {total / n:,.0f} bytes")
    everything = sum(total for _, total in per_topic.values())
    print(f"  all: {everything / count:,.0f} bytes of state per event")
    decoded, seconds = decode_rate(source, sorted(per_topic))
    print(f"read and decoded (positioned_events, best of 3): {decoded:,} events in {seconds:.2f} s of CPU "
          f"= {decoded / seconds:,.0f} events/s")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            report("sqlite", count, sqlite_bytes(source.sqlite_path))
            continue
        with settings_for("postgres") as target:
            copy_events(source, target)
            report("postgres", count, postgres_bytes(target))


if __name__ == "__main__":
    main()
