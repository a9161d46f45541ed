"""The worklist and the reminder scheduler over a county of 50,000 children.

Run: .venv/bin/python -m bench.worklist [--children 50000] [--calls 200] [--backends sqlite,postgres]

Read-model rows are written straight into the tables (the queries are measured, not the projection): children
in 200 villages with visits due from 30 days ago to 90 days ahead, 5,000 referrals, 2,000 reports and 2,000 case
plans. It times `/me/tasks` as the query (p50/p95 over repeated calls) and over HTTP against `huhang serve`, for a
supervisor, a child director and a police handler whose scope is the whole county; then scheduler passes: a
steady one (the 60 s since the last), one after an hour without a pass, and a first pass (everything ever crossed,
every reminder fired).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import msgspec

from backend.bootstrap import bootstrap
from backend.identity import Actor
from backend.scheduler import Scheduler
from backend.settings import Settings
from bench.common import machine, settings_for
from events.vocabulary import Role
from projections.db import ReadDB, open_read_db
from projections.reminders import ReadModelDue
from projections.runner import Runner
from projections.tables import (
    CHILDREN,
    INTERVENTIONS,
    REFERRALS,
    REPORTS,
    ChildRow,
    InterventionRow,
    ReferralRow,
    ReportRow,
)
from projections.tasks import KINDS_BY_ROLE, TaskQuery, tasks
from tests.e2e.server import Api, add_users, running_server

COUNTY = "520302"
NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "bench-password-1"
USERS = [("county_sup", "supervisor", COUNTY, None), ("county_dir", "child_director", COUNTY, None),
         ("county_police", "department_handler", COUNTY, "police")]
LEVELS = ["red", "orange", "yellow", "blue", "blue", "blue"]
_encode = msgspec.json.Encoder().encode


def village(rng: random.Random) -> str:
    return f"{COUNTY}/{rng.randint(1, 20):03d}/{rng.randint(1, 10):03d}/01/01"


def children(rng: random.Random, count: int, owners: list[str]) -> list[ChildRow]:
    rows = []
    for i in range(count):
        due = NOW + timedelta(seconds=rng.randint(-30 * 86400, 90 * 86400))
        rows.append(ChildRow(child_id=str(UUID(int=i + 1)), name=f"儿童{i}", sex="female", birth_date="2014-06-01",
                             jurisdiction=village(rng), categories=["left_behind"], risk_level=rng.choice(LEVELS),
                             registered_at=NOW - timedelta(days=200), next_visit_due=due,
                             owner_id=rng.choice(owners) if rng.random() < 0.3 else None, changed_at=i + 1))
    return rows


def cases(rng: random.Random, kids: list[ChildRow]) -> tuple[list[ReferralRow], list[ReportRow], list[InterventionRow]]:
    referrals, reports, plans = [], [], []
    for i in range(5000):
        child = rng.choice(kids)
        sent = NOW - timedelta(seconds=rng.randint(0, 40 * 86400))
        referrals.append(ReferralRow(referral_id=str(uuid4()), child_id=child.child_id, department=rng.choice(["police", "education", "civil_affairs"]),
                                     status=rng.choice(["sent", "accepted", "completed"]), reason="x", urgency="normal",
                                     sent_at=sent, accept_by=sent + timedelta(hours=24), complete_by=sent + timedelta(days=30),
                                     changed_at=len(kids) + i))
    for i in range(2000):
        received = NOW - timedelta(seconds=rng.randint(0, 3 * 86400))
        reports.append(ReportRow(report_id=str(uuid4()), jurisdiction=village(rng), source="hotline", urgency="normal",
                                 received_at=received, triage_by=received + timedelta(hours=24),
                                 triaged_at=received if rng.random() < 0.8 else None, changed_at=len(kids) + 5000 + i))
    for i in range(2000):
        child = rng.choice(kids)
        plans.append(InterventionRow(intervention_id=str(uuid4()), child_id=child.child_id, type="psychological", plan="x",
                                     department="education", status="started", planned_at=NOW - timedelta(days=20),
                                     review_by=NOW + timedelta(seconds=rng.randint(-10 * 86400, 30 * 86400)),
                                     changed_at=len(kids) + 7000 + i))
    return referrals, reports, plans


def fill(db: ReadDB, rng: random.Random, count: int, owners: list[str]) -> None:
    kids = children(rng, count, owners)
    referrals, reports, plans = cases(rng, kids)
    with db.transaction():
        for table, rows in ((CHILDREN, kids), (REFERRALS, referrals), (REPORTS, reports), (INTERVENTIONS, plans)):
            db.executemany(table.upsert_statement(), [table.values(r, _encode) for r in rows])
    if db.is_postgres:
        db.execute("ANALYZE")


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    return f"p50 {statistics.median(ms):.1f} ms, p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms (n={len(ms)})"


def timed(call: Callable[[], object], times: int) -> list[float]:
    call()  # warm
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def run(settings: Settings, backend: str, count: int, calls: int) -> list[str]:
    add_users(settings, USERS, PASSWORD)
    with bootstrap(settings) as app:
        users = {u["username"]: u for u in app.users.list()}
        db = open_read_db(settings)
        Runner(app.store, db, settings.policy).catch_up()  # the tables, and the accounts' events
        started = time.perf_counter()
        fill(db, random.Random(7), count, [users["county_dir"]["id"]])
        lines = [f"{backend}: {count:,} children and their cases written in {time.perf_counter() - started:.1f} s"]
        for name in ("county_sup", "county_dir", "county_police"):
            u = users[name]
            actor = Actor(id=UUID(u["id"]), role=Role(u["role"]), scope=COUNTY, department=u["department"], username=name)
            q = TaskQuery(actor=actor, kinds=KINDS_BY_ROLE[actor.role])
            lines.append(f"  tasks query, {name}: {percentiles(timed(lambda q=q: tasks(db, q, 50, None), calls))}")
        lines += passes(app.core, db, settings)
        db.close()
    with running_server(msgspec.structs.replace(settings, remind_every=timedelta(0))) as base:
        for name, *_ in USERS:
            api = Api(base, name, PASSWORD)
            answer = lambda api=api: api.get("/api/v1/me/tasks", limit=50).raise_for_status()  # noqa: E731
            lines.append(f"  GET /me/tasks over HTTP, {name}: {percentiles(timed(answer, calls))}")
            api.close()
    return lines


def passes(core: object, db: ReadDB, settings: Settings) -> list[str]:
    lines = []
    source = ReadModelDue(db, settings.policy)
    source.seen = 10**9  # the rows were written straight, at made-up positions: a pass has seen them all
    scheduler = Scheduler(core, source)  # type: ignore[arg-type]
    for label, since, until in (("steady pass (60 s window)", NOW, NOW + timedelta(seconds=60)),
                                ("pass after an hour without one", NOW + timedelta(seconds=60), NOW + timedelta(hours=1, seconds=60))):
        source.passed(since)
        started = time.perf_counter()
        due = source.due(since, until)
        selected = time.perf_counter() - started
        fired = scheduler.fire(due, until)
        lines.append(f"  {label}: {len(due)} due, {fired} fired, select {selected * 1000:.1f} ms, "
                     f"whole pass {(time.perf_counter() - started) * 1000:.1f} ms")
    started = time.perf_counter()
    result = scheduler.run_pass(NOW + timedelta(hours=2), from_start=True)
    lines.append(f"  first pass (everything ever crossed): {result.due} due, {result.fired} fired, "
                 f"{time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    again = scheduler.run_pass(NOW + timedelta(hours=2), from_start=True)
    lines.append(f"  the same first pass again: {again.due} due, {again.fired} fired, {time.perf_counter() - started:.2f} s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--backends", default="sqlite")
    args = parser.parse_args()
    print(f"{machine()}, {datetime.now(UTC):%Y-%m-%d}")
    for backend in args.backends.split(","):
        with settings_for(backend) as settings:
            for line in run(settings, backend, args.children, args.calls):
                print(line, flush=True)


if __name__ == "__main__":
    main()
