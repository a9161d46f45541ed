"""Peak memory of `huhang serve` while 16 clients upload a 7000×7000 single-colour PNG (160 KB) at once.

Run: .venv/bin/python -m bench.media_memory [--clients 16] [--side 7000] [--rounds 2]

The server is a real process; its peak resident set is read from the kernel (VmHWM), so nothing is missed
between samples.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import uuid4

import httpx
from PIL import Image

from backend.settings import Settings
from bench.common import machine
from tests.e2e.server import add_users, running_server

PASSWORD = "bench-password-1"


def png(side: int, seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (seed % 256, 120, 200)).save(out, "PNG")
    return out.getvalue()


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of a process and its children, in kB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0])
    return fields


def server_pid(port: int) -> int:
    """The pid of the process listening on `port` (the server started by `running_server`)."""
    inode = None
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
                inode = parts[9]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
        except OSError:
            continue
    raise RuntimeError("server process not found")


def run(clients: int, side: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        add_users(settings, [("director", "child_director", "520302/001", None)], PASSWORD)
        with running_server(settings) as base:
            pid = server_pid(int(base.rsplit(":", 1)[1]))
            http = httpx.Client(base_url=base, timeout=120)
            token = http.post("/api/v1/auth/login", json={"username": "director", "password": PASSWORD,
                                                           "device_id": "bench"}).json()["access_token"]
            http.headers["Authorization"] = f"Bearer {token}"
            child = http.post("/api/v1/children", json={
                "submission_id": str(uuid4()), "name": "童", "sex": "male", "birth_date": "2015-01-01",
                "jurisdiction": "520302/001/003", "address": "x", "categories": ["left_behind"]}).json()["child_id"]
            before = memory_kb(pid)
            photos = [png(side, n) for n in range(clients * rounds)]
            print(f"{machine()}; {clients} clients × {rounds} rounds; {side}×{side} PNG of {len(photos[0]) // 1024} KB;"
                  f" server RSS before {before['VmRSS'] // 1024} MB")

            def send(photo: bytes) -> int:
                with httpx.Client(base_url=base, timeout=120, headers=dict(http.headers)) as one:
                    return one.post("/api/v1/media", files={"file": ("p.png", photo, "image/png")},
                                    data={"child_id": child}).status_code

            statuses: Counter[int] = Counter()
            started = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                for r in range(rounds):
                    statuses.update(pool.map(send, photos[r * clients:(r + 1) * clients]))
            elapsed = time.perf_counter() - started
            after = memory_kb(pid)
            print(f"answers {dict(statuses)} in {elapsed:.1f} s; peak RSS {after['VmHWM'] // 1024} MB;"
                  f" RSS after {after['VmRSS'] // 1024} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--side", type=int, default=7000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    run(args.clients, args.side, args.rounds)


if __name__ == "__main__":
    main()
