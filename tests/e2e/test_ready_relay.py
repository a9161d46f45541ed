"""`/ready` reports the relay's lag, and a relay that does not move while behind as not ready."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.server import add_users, running_server
from tests.integration.test_relay_bus import PASSWORDS, started
from tests.natsd import NatsServer, production_authorization


@pytest.fixture
def production_natsd(tmp_path: Path) -> Iterator[NatsServer]:
    yield from started(tmp_path / "nats-prod", production_authorization(), PASSWORDS)


def ready_until(base: str, wanted: int, seconds: float = 60) -> dict[str, Any]:
    """Poll /ready until it answers `wanted` (bounded); the last body."""
    deadline = time.monotonic() + seconds
    while True:
        answer = httpx.get(base + "/ready", timeout=5)
        if answer.status_code == wanted or time.monotonic() > deadline:
            assert answer.status_code == wanted, answer.text
            return dict(answer.json())
        time.sleep(0.2)


def test_a_relay_that_cannot_publish_is_reported_stalled(tmp_path: Path, production_natsd: NatsServer) -> None:
    # The department's account answers like any NATS server, but may not publish events: the relay stays behind.
    settings = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("dept-police", "police-pw"))
    add_users(settings, [("zhang", "child_director", "520302/001", None)], "a long enough password")
    with running_server(settings, env={"HUHANG_RELAY_STALL_SECONDS": "1"}) as base:
        body = ready_until(base, 503)
    assert body["checks"]["nats"] == "ok"
    assert body["checks"]["relay"].startswith("stalled: ")
    assert body["relay"]["stalled"] is True
    assert body["relay"]["lag"] >= 1 and body["relay"]["position"] == 0


def test_a_relay_that_has_caught_up_is_ready_with_no_lag(tmp_path: Path, production_natsd: NatsServer) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_url=production_natsd.url_for("huhang-relay", "relay-pw"))
    add_users(settings, [("zhang", "child_director", "520302/001", None)], "a long enough password")
    with running_server(settings, env={"HUHANG_RELAY_STALL_SECONDS": "1"}) as base:
        deadline = time.monotonic() + 60
        body = ready_until(base, 200)
        while body["relay"]["lag"] and time.monotonic() < deadline:
            body = ready_until(base, 200)
    assert body["checks"]["relay"] == "ok"
    assert body["relay"]["lag"] == 0 and body["relay"]["position"] == body["relay"]["head"] >= 1
