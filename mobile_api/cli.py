"""The `huhang` command: accounts, demo data, anchors, verification, serving."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from typing import Any

from backend.bootstrap import bootstrap
from backend.demo import demo_clock, generate, iter_accounts
from backend.errors import DomainError
from backend.identity import SYSTEM
from backend.settings import PolicyError, Settings
from backend.tamper import record_anchor, verify


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    with bootstrap(settings) as app:
        if args.users_command == "add":
            user = app.users.add(SYSTEM, args.username, args.role, args.scope, _password(args), args.department)
            print(f"added {user['username']} ({user['role']} @ {user['scope']}) id {user['id']}")
        elif args.users_command == "disable":
            app.users.disable(SYSTEM, args.username, args.reason)
            print(f"disabled {args.username}")
        else:
            for u in app.users.list():
                state = "disabled" if u["disabled"] else "enabled"
                dept = u["department"] or "-"
                print(f"{u['username']:24} {u['role']:20} {u['scope']:24} {dept:20} {state}")
    return 0


def cmd_demo_data(args: argparse.Namespace, settings: Settings) -> int:
    clock = demo_clock()
    with bootstrap(settings, clock) as app:
        if app.store.recorder.max_notification_id():
            print("demo data goes into an empty store; this one has events already", file=sys.stderr)
            return 2
        accounts, commands, skipped = generate(app, clock, args.children, args.seed, args.months)
    refused = ", ".join(f"{n} {code}" for code, n in skipped.items()) or "none"
    print(f"demo county loaded: {args.children} children, {commands} commands (refused: {refused}).")
    print("Logins (username, password, role):")
    for line in iter_accounts(accounts):
        print("  " + line)
    return 0


def cmd_anchor(args: argparse.Namespace, settings: Settings) -> int:
    with bootstrap(settings) as app:
        anchor = record_anchor(app.store)
    print(f"anchor {anchor.originator_version}: {len(anchor.heads)} streams, root {anchor.root}")
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    with bootstrap(settings) as app:
        result = verify(app.store)
    print(f"checked {result.events_checked} events in {result.streams_checked} streams")
    for b in result.broken:
        print(f"BROKEN stream {b.stream_id} version {b.version}: {b.reason}")
    print("ok" if result.ok else "tampering found")
    return 0 if result.ok else 1


def cmd_claim_id_numbers(args: argparse.Namespace, settings: Settings) -> int:
    with bootstrap(settings) as app:
        claimed, duplicates = app.children.claim_registered()
    print(f"claimed {claimed} ID numbers; {duplicates} children share a number with a child registered before them")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from mobile_api.main import serve  # the edge is loaded only to serve

    serve(settings, args.host, args.port, args.workers, args.demo)
    return 0


def cmd_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from projections.cli import rebuild_command  # the read side is loaded only when asked for

    return rebuild_command(settings, args.names)


def cmd_project(args: argparse.Namespace, settings: Settings) -> int:
    from projections.cli import project_command, project_from_nats

    if args.source == "nats":
        return project_from_nats(settings, args.names)
    return project_command(settings, args.poll, args.once, args.batch_size, args.names)


def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from backend.relay import Relay
    from backend.runtime import run_until_signalled

    if not settings.nats_url:
        print("set HUHANG_NATS_URL to relay events to NATS", file=sys.stderr)
        return 2

    async def relay(stop: Any) -> None:
        from projections.db import open_read_db
        from projections.notify import Notifier

        with bootstrap(settings) as app:
            db = open_read_db(settings)
            await asyncio.gather(Relay(app.store, settings, window=args.window).run(stop),
                                 Notifier(app.store, db, app.users, settings).run(stop))
            db.close()

    run_until_signalled(relay)
    return 0


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    from projections.cli import remind_command

    return remind_command(settings, args.at, args.from_start)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from projections.cli import report_command

    return report_command(settings, args.jurisdiction, args.from_, args.to, args.format, args.out)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from projections.cli import import_command

    return import_command(settings, args.file, args.as_, args.commit)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="huhang", description="Huhang child-protection backend")
    sub = p.add_subparsers(dest="command", required=True)
    users = sub.add_parser("users", help="manage accounts").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="add an account")
    add.add_argument("username")
    add.add_argument("--role", required=True)
    add.add_argument("--scope", required=True)
    add.add_argument("--department")
    add.add_argument("--password-stdin", action="store_true")
    users.add_parser("list", help="list accounts")
    disable = users.add_parser("disable", help="disable an account")
    disable.add_argument("username")
    disable.add_argument("--reason", default="")
    demo = sub.add_parser("demo-data", help="fill the store with a demo county")
    demo.add_argument("--children", type=int, default=300)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--months", type=int, default=6)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load the demo county into an empty store and print logins")
    rebuild = sub.add_parser("rebuild", help="rebuild projections from the first event, then swap them in")
    rebuild.add_argument("names", nargs="*", help="projections to rebuild (default: all)")
    project = sub.add_parser("project", help="run the projections as a standalone process following the log")
    project.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    project.add_argument("--once", action="store_true", help="catch up once and exit")
    project.add_argument("--batch-size", type=int, default=2000, help="events per transaction")
    project.add_argument("--source", choices=["log", "nats"], default="log", help="follow the log, or NATS JetStream")
    project.add_argument("names", nargs="*", help="projections (default: all); with --source nats, one worker each")
    relay = sub.add_parser("relay", help="publish every event, and each user's notifications, to NATS JetStream")
    relay.add_argument("--window", type=int, default=500, help="events published before waiting for their acks")
    report = sub.add_parser("report", help="write the statistics summary for a jurisdiction and period")
    report.add_argument("--jurisdiction", required=True)
    report.add_argument("--from", dest="from_", required=True, help="start date or time (China time if no offset)")
    report.add_argument("--to", required=True, help="end date or time (exclusive)")
    report.add_argument("--format", choices=["xlsx", "csv", "json"], default="xlsx")
    report.add_argument("--out", required=True)
    roster = sub.add_parser("import", help="check a roster (.xlsx or .csv in the template's columns); --commit stores it")
    roster.add_argument("file")
    roster.add_argument("--as", dest="as_", required=True, help="the account whose scope and role the import uses")
    roster.add_argument("--commit", action="store_true", help="register the valid new rows (default: a dry run)")
    sub.add_parser("claim-id-numbers", help="claim the ID numbers of children registered by an earlier release")
    remind = sub.add_parser("remind", help="one scheduler pass: fire the reminders due since the last pass")
    remind.add_argument("--at", help="the pass's moment, RFC 3339 (default: now)")
    remind.add_argument("--from-start", action="store_true",
                        help="everything crossed by then, not only since the last pass (nothing fires twice)")
    sub.add_parser("anchor", help="anchor every stream head (Merkle root)")
    sub.add_parser("verify", help="verify every hash chain and anchor")
    return p


COMMANDS = {
    "users": cmd_users,
    "demo-data": cmd_demo_data,
    "anchor": cmd_anchor,
    "verify": cmd_verify,
    "serve": cmd_serve,
    "rebuild": cmd_rebuild,
    "project": cmd_project,
    "report": cmd_report,
    "relay": cmd_relay,
    "import": cmd_import,
    "claim-id-numbers": cmd_claim_id_numbers,
    "remind": cmd_remind,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        try:
            settings = Settings.from_env()
        except PolicyError as refused:  # a county's policy file that cannot be used: say why, start nothing
            print(refused, file=sys.stderr)
            return 2
        return COMMANDS[args.command](args, settings)
    except DomainError as exc:
        print(f"error ({exc.code}): {exc.detail}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
