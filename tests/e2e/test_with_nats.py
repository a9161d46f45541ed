"""The server with NATS configured: writes never wait on it; /ready says when it is away; the relay catches up."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, PLACE_A, USERS, World, child_body
from tests.e2e.server import add_users, running_server
from tests.integration.test_relay import stream_messages
from tests.natsd import NatsServer


def test_writes_go_on_while_nats_is_down_and_the_stream_catches_up(tmp_path: Path, natsd: NatsServer) -> None:
    settings = Settings(data_dir=tmp_path / "data", nats_url=natsd.url)
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        world = World(base)
        assert httpx.get(base + "/ready").json()["checks"]["nats"] == "ok"
        natsd.stop()
        try:
            written = [world.as_("director").post("/api/v1/children", child_body(PLACE_A)) for _ in range(5)]
            assert [w.status_code for w in written] == [201] * 5
            ready = httpx.get(base + "/ready")
            assert ready.status_code == 503 and ready.json()["checks"]["nats"].startswith("down")
        finally:
            natsd.start()
        deadline = time.monotonic() + 30
        ids = {w.json()["child_id"] for w in written}
        while time.monotonic() < deadline:
            published = {m.stream_id for m, _ in asyncio.run(stream_messages(natsd))}
            if ids <= published:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the relay did not catch up after NATS came back")
        assert httpx.get(base + "/ready").status_code == 200
        world.close()
