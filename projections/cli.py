"""The read side's commands: rebuild (with a progress bar), a standalone projection process, reports, roster imports."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from backend.bootstrap import bootstrap
from backend.identity import Actor
from backend.settings import Settings
from events.vocabulary import Role
from projections.db import open_read_db
from projections.rebuild import rebuild_together
from projections.registry import PROJECTIONS
from projections.runner import Runner
from projections.stats import as_csv, as_json, as_xlsx, summary

CHINA = timezone(timedelta(hours=8))


def rebuild_command(settings: Settings, names: list[str]) -> int:
    unknown = [n for n in names if n not in PROJECTIONS]
    if unknown:
        print(f"unknown projection(s): {', '.join(unknown)}; known: {', '.join(PROJECTIONS)}", file=sys.stderr)
        return 2
    chosen = [PROJECTIONS[name] for name in names or list(PROJECTIONS)]
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        total = app.store.recorder.max_notification_id() or 0
        label = ", ".join(p.name for p in chosen)
        columns = (TextColumn(f"rebuild {label}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]:>10} events/s"), TimeRemainingColumn())
        with Progress(*columns) as progress:
            task = progress.add_task(label, total=total, rate="-")
            started = datetime.now()

            def advance(position: int) -> None:
                seconds = max((datetime.now() - started).total_seconds(), 1e-6)
                progress.update(task, completed=position, rate=f"{position / seconds:,.0f}")

            # One pass over the log for all of them: each event is read and decoded once.
            applied = rebuild_together(app.store, db, settings.policy, chosen, advance)
        for name, count in applied.items():
            print(f"{name}: {count} events applied and swapped in")
        db.close()
    return 0


def project_command(
    settings: Settings, poll: float, once: bool, batch_size: int = 2000, names: list[str] | None = None
) -> int:
    """Follow the log and keep the projections (all by default) current, until interrupted (or once)."""
    chosen = [PROJECTIONS[n] for n in names] if names else list(PROJECTIONS.values())
    with bootstrap(settings) as app:
        runners = [Runner(app.store, open_read_db(settings), settings.policy, p, batch_size=batch_size) for p in chosen]
        if once:
            for runner in runners:
                print(f"{runner.name}: {runner.catch_up()} events applied")
            return 0
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        for runner in runners:
            runner.follow(poll)
        print("following the log; stop with Ctrl-C", flush=True)
        stop.wait()
        for runner in runners:
            runner.stop()
    return 0


def parse_moment(text: str) -> datetime:
    """A date or time; without an offset it is China time."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=CHINA)


def report_command(settings: Settings, jurisdiction: str, start: str, end: str, fmt: str, out: str) -> int:
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        for projection in PROJECTIONS.values():
            Runner(app.store, db, settings.policy, projection).catch_up()
        # The operator's report is the auditor's view: every cell, sealed ones included.
        reader = Actor(id=None, role=Role.AUDITOR, scope=jurisdiction)
        tables = summary(db, jurisdiction, parse_moment(start), parse_moment(end), datetime.now(CHINA), reader)
        db.close()
    target = Path(out)
    if fmt == "xlsx":
        target.write_bytes(as_xlsx(tables, f"{jurisdiction} {start} — {end}"))
    elif fmt == "csv":
        target.write_bytes(as_csv(tables))
    else:
        target.write_text(json.dumps(as_json(tables), ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {target} ({len(tables)} tables)")
    return 0


def project_from_nats(settings: Settings, names: list[str]) -> int:
    """One NATS-fed worker per projection (all by default), until interrupted."""
    import asyncio

    from backend.runtime import run_until_signalled
    from projections.nats_worker import consume

    if not settings.nats_url:
        print("set HUHANG_NATS_URL to project from NATS", file=sys.stderr)
        return 2
    chosen = [PROJECTIONS[n] for n in names] if names else list(PROJECTIONS.values())

    async def work(stop: asyncio.Event) -> None:
        with bootstrap(settings) as app:
            runners = [Runner(app.store, open_read_db(settings), settings.policy, p) for p in chosen]
            await asyncio.gather(*(consume(r, settings, stop) for r in runners))

    run_until_signalled(work)
    return 0


def import_command(settings: Settings, file: str, username: str, commit: bool) -> int:
    """Import a roster as the named account would over HTTP, with a progress bar; 1 if any row has an error."""
    from rich.console import Console
    from rich.progress import SpinnerColumn, TimeElapsedColumn
    from rich.table import Table

    from backend.errors import UserNotFound
    from backend.identity import user_id_for
    from backend.user import User
    from projections.roster import known_children

    console = Console()
    with bootstrap(settings) as app:
        user = app.core.load(User, user_id_for(username), for_update=False)
        if user is None or user.disabled:
            raise UserNotFound(f"no active account {username!r}")
        db = open_read_db(settings)
        runners = [Runner(app.store, db, settings.policy, p) for p in PROJECTIONS.values()]
        for runner in runners:
            runner.catch_up()
        columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.completed} 行 rows"),
                   TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            tasks = {"check": bar.add_task("检查 checking", total=None),
                     "store": bar.add_task("登记 storing", total=None, visible=commit)}
            report = app.imports.run(user.as_actor(), "cli", Path(file), uuid4(), commit=commit,
                                     known=known_children(db, user.as_actor()),
                                     progress=lambda phase, rows: bar.update(tasks[phase], completed=rows))
        for runner in runners:
            runner.catch_up()
        db.close()
    console.print(f"{report.mode}: {report.rows} 行 rows, {report.valid} 有效 valid, {report.created} 新登记 created, "
                  f"{report.skipped} 跳过 skipped, {report.error_count} 错误 errors, {report.duplicate_count} 重复 duplicates")
    if report.errors:
        table = Table("行 row", "列 column", "code", "说明 message")
        for error in report.errors[:50]:
            table.add_row(str(error.row), error.column, error.code, error.message)
        console.print(table)
    return 1 if report.error_count else 0
def remind_command(settings: Settings, at: str | None, from_start: bool) -> int:
    """One scheduler pass (as the server runs every HUHANG_REMIND_SECONDS), at `at` or now."""
    from backend.scheduler import Scheduler
    from projections.reminders import ReadModelDue

    moment = datetime.fromisoformat(at) if at else None
    if moment is not None and moment.tzinfo is None:
        print("--at needs an offset (e.g. 2026-11-24T08:00:00+08:00)", file=sys.stderr)
        return 2
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        runner = Runner(app.store, db, settings.policy)
        result = Scheduler(app.core, ReadModelDue(db, settings.policy, runner.catch_up)).run_pass(
            moment, from_start=from_start)
        runner.catch_up()  # the inbox shows what was fired when this returns
        db.close()
    since = result.since.isoformat() if result.since else "the start"
    print(f"reminders from {since} to {result.at.isoformat()}: {result.due} due, {result.fired} fired")
    return 0
