"""Demo generation alone: a county made through the full use cases, timed, in events per second.

Run: .venv/bin/python -m bench.demo_write --children 2000 [--backends sqlite,postgres] [--profile 25]

Each run generates into a fresh store (a temporary SQLite folder or a temporary PostgreSQL schema): accounts,
then `--children` children with six months of their work (registrations, gradings, visits, referrals,
interventions, reports), every command through its use case (rules, receipt, hash chain). With `--profile N`
the generation runs under cProfile and the N costliest functions (by their own time, then cumulative) are printed. The
accounts are made first, all with the county's one password, hashed once (`Users.add_many`); their span is shown apart.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from typing import Any

from backend.bootstrap import bootstrap
from backend.demo import demo_clock, generate
from bench.common import machine, settings_for


class Timed:
    """The span of calls to one callable (the accounts, made first), wall and process CPU time."""

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call, self.calls = call, 0
        self.started = self.ended = self.started_cpu = self.ended_cpu = 0.0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self.calls:
            self.started, self.started_cpu = time.perf_counter(), time.process_time()
        try:
            return self.call(*args, **kwargs)
        finally:
            self.calls += 1
            self.ended, self.ended_cpu = time.perf_counter(), time.process_time()

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def cpu(self) -> float:
        return self.ended_cpu - self.started_cpu


def run(backend: str, children: int, seed: int, profile: int) -> None:
    with settings_for(backend) as settings:
        clock = demo_clock()
        with bootstrap(settings, clock) as app:
            profiler = cProfile.Profile() if profile else None
            accounts = Timed(app.users.add_many)
            app.users.add_many = accounts  # type: ignore[method-assign]
            started_cpu, started = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            made_accounts, commands, skipped = generate(app, clock, children, seed=seed, months=6)
            if profiler:
                profiler.disable()
            spent, cpu = time.perf_counter() - started, time.process_time() - started_cpu
            events = app.store.recorder.max_notification_id() or 0
        work, work_cpu, made = spent - accounts.seconds, cpu - accounts.cpu, events - len(made_accounts)
        refused = ", ".join(f"{n} {code}" for code, n in sorted(skipped.items())) or "none"
        print(f"{backend}: {events:,} events, {commands:,} commands for {children:,} children in {spent:.1f} s "
              f"= {events / spent:,.0f} events/s (CPU {cpu:.1f} s); refused: {refused}\n"
              f"  of which {len(made_accounts)} accounts (one password hash) {accounts.seconds:.1f} s (CPU {accounts.cpu:.1f} s);\n"
              f"  the children's {made:,} events in {work:.1f} s = {made / work:,.0f} events/s ({commands / work:,.0f} "
              f"commands/s), CPU {work_cpu:.1f} s = {made / work_cpu:,.0f} events per CPU second", flush=True)
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(profile)
            stats.sort_stats("cumulative").print_stats(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--children", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--profile", type=int, default=0, help="print this many of the costliest functions")
    args = parser.parse_args()
    print(f"demo generation, {args.children:,} children, seed {args.seed}; {machine()}")
    for backend in args.backends.split(","):
        run(backend, args.children, args.seed, args.profile)


if __name__ == "__main__":
    main()
