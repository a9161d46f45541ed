"""Visits posted over HTTP to `huhang serve` from 1, 16 and 64 concurrent clients (this process is the load).

Run: .venv/bin/python -m bench.http_submit [--seconds 20] [--backends sqlite,postgres] [--workers 1] [--clients 1,16,64]
The references are `bench/bare_visit.py` (a bare Litestar + uvicorn route) on Huhang's own HTTP stack (httptools on
uvloop) and on uvicorn's pure-Python one (h11 on asyncio, what issue 16's reference ran on when it was filed), each
loaded by the same generator in the same run; Huhang's ratio is given against both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

from backend.settings import Settings
from bench.common import machine, settings_for
from tests.e2e.server import Api, add_users, free_port, running_server, wait_until_up

PASSWORD = "bench-password-1"


def body(child_id: str) -> dict[str, object]:
    return {
        "submission_id": str(uuid4()), "child_id": child_id, "visit_type": "home", "child_seen": True,
        "guardian_present": True, "geo": {"lat": 27.7, "lon": 106.9, "accuracy_m": 8},
        "observations": {"living_conditions": "良好", "state_of_mind": "稳定", "needs": "无", "problems": "无"},
        "notes": "入户走访",
    }


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the load generator must cost less than the server it measures."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port, self.token = host, port, token

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def post(self, path: str, payload: bytes) -> int:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        self.writer.close()


async def load(base: str, token: str, children: list[str], clients: int, seconds: float) -> tuple[int, list[float], Counter[int]]:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    failures: Counter[int] = Counter()
    connections = [Connection(host, int(port), token) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))
    stop = time.perf_counter() + seconds

    async def client(index: int) -> None:
        n = index
        while time.perf_counter() < stop:
            payload = json.dumps(body(children[n % len(children)])).encode()
            start = time.perf_counter()
            status = await connections[index].post("/api/v1/visits", payload)
            latencies.append(time.perf_counter() - start)
            if status != 201:
                failures[status] += 1
            n += clients

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    spent = time.perf_counter() - started
    for c in connections:
        c.close()
    return int(len(latencies) / spent), latencies, failures


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else float("nan")


@contextlib.contextmanager
def reference_server(workers: int, stack: str = "same") -> Iterator[str]:
    """The bare Litestar + uvicorn route of `bench/bare_visit.py` in its own process."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.bare_visit", "--port", str(port), "--workers", str(workers),
                             "--stack", stack],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, proc, Path(os.devnull))
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def row(name: str, workers: int, clients: int, rate: int, latencies: list[float], failures: Counter[int],
        *references: int) -> str:
    errors = ", ".join(f"{n}× {status}" for status, n in sorted(failures.items())) or "0"
    ratios = [f"{rate / reference:.1%}" for reference in references] or ["—"]
    ratios += ["—"] * (2 - len(ratios))
    return (f"| {name} | {workers} | {clients} | {rate:,} | {percentile(latencies, 50):.1f} | "
            f"{percentile(latencies, 95):.1f} | {percentile(latencies, 99):.1f} | {errors} | {' | '.join(ratios)} |")


def run(settings: Settings, backend: str, seconds: float, workers: int, client_counts: list[int]) -> Iterator[str]:
    """For each number of clients, Huhang and then the bare reference, one after the other in the same run."""
    add_users(settings, [("bench", "child_director", "520302/001", None)], PASSWORD)
    extra = ("--workers", str(workers)) if workers > 1 else ()
    with running_server(settings, *extra) as base, reference_server(workers) as bare, \
            reference_server(workers, "plain") as plain:
        api = Api(base, "bench", PASSWORD)
        children = [
            api.post("/api/v1/children", {"submission_id": str(uuid4()), "name": "测试", "sex": "male",
                                          "birth_date": "2016-01-01", "jurisdiction": "520302/001/001",
                                          "address": "x", "categories": ["left_behind"]}).json()["child_id"]
            for _ in range(50)
        ]
        for clients in client_counts:
            rate, latencies, failures = asyncio.run(load(base, api.token, children, clients, seconds))
            ref_rate, ref_latencies, ref_failures = asyncio.run(load(bare, api.token, children, clients, seconds))
            plain_rate, plain_latencies, plain_failures = asyncio.run(load(plain, api.token, children, clients, seconds))
            yield row(backend, workers, clients, rate, latencies, failures, ref_rate, plain_rate)
            yield row("bare Litestar (httptools, uvloop)", workers, clients, ref_rate, ref_latencies, ref_failures)
            yield row("bare Litestar (h11, asyncio)", workers, clients, plain_rate, plain_latencies, plain_failures)
        api.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--clients", default="1,16,64")
    args = parser.parse_args()
    print(f"bench/http_submit.py on {machine()}, {args.seconds:.0f} s per row; each Huhang row is followed by the "
          "bare references in the same run, and its ratios are Huhang's rate over each reference's")
    print("| server | workers | clients | visits/s | p50 ms | p95 ms | p99 ms | errors | of httptools reference "
          "| of h11 reference |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    counts = [int(c) for c in args.clients.split(",")]
    for backend in args.backends.split(","):
        with settings_for(backend) as settings:
            for line in run(settings, backend, args.seconds, args.workers, counts):
                print(line, flush=True)


if __name__ == "__main__":
    main()
