"""Commands per second on the write side: SQLite and PostgreSQL, 1/4/16 writers, and batches.

Run: .venv/bin/python -m bench.append [--seconds 3] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import threading
import time
from datetime import date
from uuid import UUID, uuid4

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.commands import AssessRisk, RegisterChild
from backend.identity import Actor
from bench.common import machine, rate, settings_for
from events.base import Meta
from events.children import CategoriesChanged
from events.vocabulary import Role

ACTOR = Actor(id=UUID(int=7), role=Role.SUPERVISOR, scope="520302", username="bench")
LEVELS = ["blue", "yellow", "orange", "red"]


def register_children(app: Huhang, count: int) -> list[UUID]:
    ids = []
    for _ in range(count):
        command = RegisterChild(submission_id=uuid4(), name="测试", sex="female", birth_date=date(2016, 5, 5),
                                jurisdiction="520302/001/001", address="x", categories=["left_behind"])
        ids.append(UUID(app.children.register(ACTOR, "bench", command).result["child_id"]))
    return ids


def commands_per_second(app: Huhang, children: list[UUID], writers: int, seconds: float) -> tuple[int, float]:
    """Each writer grades its own children for `seconds` (one child event + one receipt per command)."""
    done = [0] * writers
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        mine = children[index::writers]
        n = 0
        while time.perf_counter() < stop:
            child = mine[n % len(mine)]
            app.children.assess_risk(ACTOR, "bench", child, AssessRisk(submission_id=uuid4(), level=LEVELS[n % 4]))
            n += 1
        done[index] = n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done), time.perf_counter() - start


def _meta() -> Meta:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return Meta(actor_id=ACTOR.id, actor_role="supervisor", device_id="bench", submission_id=uuid4(),
                occurred_at=now, recorded_at=now)


def raw_appends(app: Huhang, events_per_save: int, saves: int) -> tuple[int, float]:
    """Hash-chained events straight into the store, `events_per_save` per transaction."""
    child = Child.register(uuid4(), _meta(), {"name": "批量", "sex": "male", "birth_date": date(2015, 1, 1),
                                              "jurisdiction": "520302/001", "address": "x"})
    app.store.save(child)
    start = time.perf_counter()
    for _ in range(saves):
        for i in range(events_per_save):
            child.trigger(CategoriesChanged, _meta(), added=["orphan"] if i % 2 else [], removed=[], reason="")
        app.store.save(child)
    return saves * events_per_save, time.perf_counter() - start


def grouped_commands(app: Huhang, children: list[UUID], group: int, rounds: int) -> tuple[int, float]:
    """What group commit would give: `group` commands (child event + receipt each) in one transaction."""
    from backend.ledger import Receipt, receipt_id_for

    loaded = [app.store.load(Child, c) for c in children[:group]]
    start = time.perf_counter()
    for n in range(rounds):
        batch = []
        for child in loaded:
            meta = _meta()
            if child is None:
                continue
            child.assess_risk(meta, LEVELS[n % 4], [], None)
            receipt = Receipt.create(receipt_id_for(meta.submission_id), meta, fingerprint="-", command="bench",
                                     result={})
            batch += [child, receipt]
        app.store.save(*batch)
    return rounds * group, time.perf_counter() - start


def run(backend: str, seconds: float) -> list[str]:
    lines = []
    with settings_for(backend) as settings:
        app = bootstrap(settings)
        children = register_children(app, 64)
        for writers in (1, 4, 16):
            count, spent = commands_per_second(app, children, writers, seconds)
            lines.append(f"| {backend} | commands, {writers} writer(s) | {rate(count, spent)} commands ({rate(2 * count, spent)} events) |")
        count, spent = grouped_commands(app, children, 16, 200)
        lines.append(f"| {backend} | 16 commands grouped in one transaction | {rate(count, spent)} commands |")
        for per_save, saves in ((1, 2000), (100, 100)):
            count, spent = raw_appends(app, per_save, saves if backend == "sqlite" else saves // 2)
            lines.append(f"| {backend} | raw append, {per_save} event(s) per transaction | {rate(count, spent)} events |")
        app.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"bench/append.py on {machine()}")
    print("| store | what | rate |\n|---|---|---|")
    for backend in args.backends.split(","):
        for line in run(backend, args.seconds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
