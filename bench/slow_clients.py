"""300 slow clients against `huhang serve`: half send a header line every 10 s, half a body byte every 10 s.

Run: .venv/bin/python -m bench.slow_clients [--clients 300] [--every 10] [--seconds 60]

Prints how many connections the server cut off and when, and how long an ordinary request took meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from backend.settings import Settings
from bench.common import machine
from tests.e2e.server import running_server

BODY_HEAD = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 100000\r\n\r\n")


async def slow_client(host: str, port: int, body: bool, every: float, until: float) -> float | None:
    """Seconds until the server closed the connection, or None if it was still open at `until`."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(BODY_HEAD if body else b"GET /health HTTP/1.1\r\nHost: x\r\n")
    n = 0
    try:
        while time.monotonic() < until:
            try:
                if await asyncio.wait_for(reader.read(4096), timeout=every) == b"":
                    return time.monotonic() - started
                return time.monotonic() - started  # an answer (408) comes just before the close
            except TimeoutError:
                n += 1
                writer.write(b" " if body else f"X-Slow-{n}: {n}\r\n".encode())
                await writer.drain()
        return None
    except OSError:
        return time.monotonic() - started
    finally:
        writer.close()


async def ordinary(base: str, until: float) -> list[float]:
    times = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while time.monotonic() < until:
            started = time.monotonic()
            await client.get("/health")
            times.append(time.monotonic() - started)
            await asyncio.sleep(1)
    return times


async def attack(base: str, clients: int, every: float, seconds: float) -> None:
    host, port = base.removeprefix("http://").split(":")
    until = time.monotonic() + seconds
    tasks = [slow_client(host, int(port), n % 2 == 1, every, until) for n in range(clients)]
    closed, latencies = await asyncio.gather(asyncio.gather(*tasks), ordinary(base, until))
    for kind, picked in (("header", closed[0::2]), ("body", closed[1::2])):
        cut = sorted(c for c in picked if c is not None)
        when = f"after {cut[0]:.1f}–{cut[-1]:.1f} s" if cut else ""
        print(f"{kind} trickle: {len(cut)} of {len(picked)} cut off {when}")
    print(f"/health meanwhile: median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--every", type=float, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    print(f"{machine()}; {args.clients} clients, a piece every {args.every:.0f} s, for {args.seconds:.0f} s")
    with tempfile.TemporaryDirectory() as folder:
        with running_server(Settings(data_dir=Path(folder))) as base:
            asyncio.run(attack(base, args.clients, args.every, args.seconds))


if __name__ == "__main__":
    main()
