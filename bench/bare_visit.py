"""The reference of `bench/http_submit.py`: a bare Litestar + uvicorn route decoding the same visit body.

Run: .venv/bin/python -m bench.bare_visit --port 8001 [--workers 1] [--stack plain]
No auth, no storage: what the framework and the server alone cost per request on this machine. By default it runs
the HTTP implementation and event loop Huhang runs (`mobile_api/main.py`: httptools on uvloop); `--stack plain` runs
uvicorn's pure-Python h11 on asyncio's own loop, the reference issue 16 was measured against when it was filed.
"""

from __future__ import annotations

import argparse
from uuid import UUID, uuid4

import msgspec
import uvicorn
from litestar import Litestar, get, post


class Geo(msgspec.Struct, frozen=True):
    lat: float
    lon: float
    accuracy_m: float | None = None
    crs: str = "wgs84"


class Observations(msgspec.Struct, frozen=True):
    living_conditions: str = ""
    state_of_mind: str = ""
    needs: str = ""
    problems: str = ""


class VisitBody(msgspec.Struct, kw_only=True):
    submission_id: UUID
    child_id: UUID
    visit_type: str
    child_seen: bool
    guardian_present: bool
    geo: Geo | None = None
    observations: Observations = Observations()
    photos: list[str] = []
    notes: str = ""


class VisitAnswer(msgspec.Struct):
    visit_id: str
    child_id: str
    late: bool
    evidence_complete: bool
    missing_photos: list[str]
    flags: list[str]


STACKS = {"same": ("httptools", "uvloop"), "plain": ("h11", "asyncio")}
"""HTTP implementation and event loop: Huhang's own, or uvicorn's pure-Python ones."""


@post("/api/v1/visits", status_code=201)
async def record(data: VisitBody) -> VisitAnswer:
    """Decode the body, answer the visit's shape."""
    return VisitAnswer(str(uuid4()), str(data.child_id), False, True, [], [])


@get("/health")
async def health() -> str:
    return "ok"


def app() -> Litestar:
    return Litestar([record, health])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stack", choices=STACKS, default="same")
    args = parser.parse_args()
    http, loop = STACKS[args.stack]
    uvicorn.run("bench.bare_visit:app", factory=True, host="127.0.0.1", port=args.port, workers=args.workers,
                log_level="warning", http=http, loop=loop)


if __name__ == "__main__":
    main()
