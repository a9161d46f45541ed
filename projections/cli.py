"""The read side's commands: rebuild (with a progress bar), a standalone projection process, reports."""

from __future__ import annotations

import json
import signal
import sys
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

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
