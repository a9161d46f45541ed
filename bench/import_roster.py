"""A county's roster of 20,000 children imported from one .xlsx: a dry run, then a commit, on SQLite.

Run: .venv/bin/python -m bench.import_roster [--rows 20000]
The file is written with openpyxl's write-only workbook; each phase runs through the use case the HTTP route
and `huhang import` call, with the register of known children read from the projections (then projected).
Peak RSS is the process's high-water mark, sampled after each phase.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from backend.bootstrap import bootstrap
from backend.identity import Actor
from backend.roster import HEADERS
from backend.rules.id_number import check_digit
from backend.settings import Settings
from bench.common import machine
from events.vocabulary import Role
from projections.db import open_read_db
from projections.registry import PROJECTIONS
from projections.roster import known_children
from projections.runner import Runner

SUPERVISOR = Actor(id=uuid4(), role=Role.SUPERVISOR, scope="520302", username="bench")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["小明", "晓红", "子涵", "欣怡", "浩然", "雨桐", "梓轩", "思雨", "宇航", "佳怡"]


def write_roster(path: Path, rows: int, seed: int = 1) -> None:
    from openpyxl import Workbook

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(list(HEADERS))
    for i in range(rows):
        born = f"20{rng.randint(9, 21):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        first17 = f"{520302 + i // 1000:06d}{born.replace('-', '')}{i % 1000:03d}"
        village = f"520302/{rng.randint(1, 12):03d}/{rng.randint(1, 20):03d}"
        sheet.append([rng.choice(SURNAMES) + rng.choice(GIVEN), rng.choice("男女"), born, first17 + check_digit(first17),
                      village, f"{village} 第{rng.randint(1, 60)}号", "农村留守儿童", rng.choice(SURNAMES) + "某",
                      "祖父", f"138{rng.randrange(10**8):08d}", "是"])
    book.save(path)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    print(f"bench/import_roster.py on {machine()}")
    with tempfile.TemporaryDirectory(prefix="huhang-import-bench-") as folder:
        data = Path(folder)
        roster = data / "roster.xlsx"
        started = time.perf_counter()
        write_roster(roster, args.rows)
        print(f"{args.rows} rows written to .xlsx ({roster.stat().st_size / 2**20:.1f} MB) in "
              f"{time.perf_counter() - started:.1f} s; peak RSS {peak_mb():.0f} MB")
        settings = Settings(data_dir=data / "store")
        with bootstrap(settings) as app:
            read_db = open_read_db(settings)
            runner = Runner(app.store, open_read_db(settings), settings.policy, PROJECTIONS["main"])
            for mode in ("dry_run", "commit", "commit"):
                started = time.perf_counter()
                report = app.imports.run(SUPERVISOR, "bench", roster, uuid4(), commit=mode == "commit",
                                         known=known_children(read_db, SUPERVISOR))
                stored = time.perf_counter() - started
                runner.ensure(app.store.recorder.max_notification_id() or 0)
                total = time.perf_counter() - started
                print(f"{mode:8} rows {report.rows} valid {report.valid} created {report.created} skipped "
                      f"{report.skipped} errors {report.error_count} duplicates {report.duplicate_count}: "
                      f"{stored:.1f} s (+ projection {total - stored:.1f} s = {total:.1f} s, "
                      f"{report.rows / total:.0f} rows/s); peak RSS {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
