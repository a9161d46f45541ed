"""Time and size of the personal file (一人一档) PDF for a child with many visits, photos on every visit.

Run: .venv/bin/python -m bench.personal_file [--visits 50 200 1000]

Only the rendering is measured (the views it is made from are the same reads as every route's): each visit has
three 320 px JPEG thumbnails, of which the most recent visits' are embedded.
"""

from __future__ import annotations

import argparse
import io
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image

from bench.common import machine
from projections.personal_file import FileContent, render

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def thumbnail(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (seed % 256, 120, 200)).save(out, "JPEG", quality=80)
    return out.getvalue()


def content(visits: int) -> FileContent:
    status = {"name": "王小明", "sex": "male", "birth_date": "2015-01-01", "id_number": "520302********1234",
              "jurisdiction": "520302/001/003/01/02", "address": "某村 1 号", "risk_level": "orange",
              "next_visit_due": "2026-03-09T02:30:00+00:00", "categories": ["left_behind"], "withheld": [],
              "guardians": [{"relation": "祖母", "name": "王奶奶", "phone": None, "able_to_care": True}]}
    grading = [{"at": (T0 + timedelta(days=d)).isoformat(), "level": "orange", "reasons": ["监护缺失"], "withheld": []}
               for d in range(10)]
    shown: list[dict[str, Any]] = [
        {"occurred_at": (T0 + timedelta(hours=n)).isoformat(), "visit_type": "home", "child_seen": True,
         "photos": [f"{n}-{i}" for i in range(3)], "notes": f"第{n}次走访，家中整洁，情绪稳定",
         "observations": {"needs": "学习用品"}, "withheld": []} for n in range(visits)]
    return FileContent(status, grading, shown, [], [], [], T0, "bench")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visits", type=int, nargs="+", default=[50, 200, 1000])
    args = parser.parse_args()
    print(machine())
    images = {f"{n}-{i}": thumbnail(n * 3 + i) for n in range(max(args.visits)) for i in range(3)}
    for visits in args.visits:
        started = time.perf_counter()
        pdf = render(content(visits), images.get)
        seconds = time.perf_counter() - started
        print(f"{visits} visits: {seconds * 1000:.0f} ms, {len(pdf) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
