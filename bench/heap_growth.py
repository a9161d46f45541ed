"""Resident memory of `huhang serve` (one worker, SQLite) over a long run of mixed requests: does it level off?

Run: .venv/bin/python -m bench.heap_growth [--rounds 6] [--per-round 1500] [--clients 8]

Each round sends `per-round` requests from `clients` threads, a mix of visits written, children and visits read,
refused writes (bad input, 4xx: exceptions whose tracebacks are reference cycles), failed sign-ins and small photo
uploads; the server's VmRSS is printed after each round. The figure to read is the growth from round to round once
the caches are warm, not the first round.
"""

from __future__ import annotations

import argparse
import io
import itertools
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

import httpx
from PIL import Image

from backend.settings import Settings
from bench.common import machine
from bench.media_memory import memory_kb, server_pid
from tests.e2e.server import add_users, running_server

PASSWORD = "bench-password-1"


def png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (seed % 256, 120, 200)).save(out, "PNG")
    return out.getvalue()


def run(rounds: int, per_round: int, clients: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        add_users(settings, [("director", "child_director", "520302/001", None)], PASSWORD)
        with running_server(settings) as base:
            pid = server_pid(int(base.rsplit(":", 1)[1]))
            http = httpx.Client(base_url=base, timeout=60)
            token = http.post("/api/v1/auth/login", json={"username": "director", "password": PASSWORD,
                                                           "device_id": "bench"}).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            child = http.post("/api/v1/children", headers=headers, json={
                "submission_id": str(uuid4()), "name": "童", "sex": "male", "birth_date": "2015-01-01",
                "jurisdiction": "520302/001/003", "address": "x", "categories": ["left_behind"]}).json()["child_id"]
            print(f"{machine()}; {rounds} rounds × {per_round} requests from {clients} clients;"
                  f" RSS at start {memory_kb(pid)['VmRSS'] // 1024} MB", flush=True)
            counter = itertools.count()

            def one(_: int) -> int:
                n = next(counter)
                kind = n % 10
                with httpx.Client(base_url=base, timeout=60, headers=headers) as c:
                    if kind < 4:
                        return c.post("/api/v1/visits", json={"submission_id": str(uuid4()), "child_id": child,
                                                              "visit_type": "home", "child_seen": True,
                                                              "guardian_present": True}).status_code
                    if kind < 6:
                        return c.get(f"/api/v1/children/{child}").status_code
                    if kind == 6:
                        return c.get(f"/api/v1/children/{child}/visits", params={"limit": 20}).status_code
                    if kind == 7:
                        return c.post("/api/v1/visits", json={"submission_id": "not-a-uuid"}).status_code
                    if kind == 8:
                        return c.post("/api/v1/auth/login", json={"username": f"nobody{n % 50}", "password": "wrong-1",
                                                                  "device_id": f"d{n % 50}"}).status_code
                    return c.post("/api/v1/media", files={"file": ("p.png", png(n), "image/png")},
                                  data={"child_id": child}).status_code

            with ThreadPoolExecutor(clients) as pool:
                for r in range(rounds):
                    statuses = Counter(pool.map(one, range(per_round)))
                    print(f"round {r + 1}: RSS {memory_kb(pid)['VmRSS'] / 1024:.1f} MB; answers {dict(statuses)}",
                          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    run(args.rounds, args.per_round, args.clients)


if __name__ == "__main__":
    main()
