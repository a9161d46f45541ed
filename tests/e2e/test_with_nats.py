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


def test_the_server_pushes_a_red_grading_to_the_supervisors_of_its_town_once(tmp_path: Path, natsd: NatsServer) -> None:
    """`huhang serve` with NATS: the notification reaches `huhang.notify.<user_id>` of the town's supervisor and
    the county's (USERS), once each, with no other recipient."""
    import nats

    from tests.e2e.server import sub

    settings = Settings(data_dir=tmp_path / "data", nats_url=natsd.url)
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        world = World(base)
        child = world.child_a
        world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="red"))
        ids = {name: world.as_(name).get("/api/v1/me").json()["id"] for name in ("supervisor", "county")}

        async def pushed() -> list[tuple[str, dict[str, object]]]:
            import msgspec

            nc = await nats.connect(natsd.url)
            try:
                js = nc.jetstream()
                info = await js.stream_info("HUHANG_NOTIFY")
                found = []
                if not info.state.messages:  # created, nothing published yet (sequence 0 is no message)
                    return found
                for seq in range(info.state.first_seq, info.state.last_seq + 1):
                    m = await js.get_msg("HUHANG_NOTIFY", seq)
                    found.append((m.subject, msgspec.json.decode(m.data)))
                return found
            except nats.js.errors.NotFoundError:
                return []
            finally:
                await nc.close()

        deadline = time.monotonic() + 30
        while len(messages := [m for m in asyncio.run(pushed()) if m[1]["child_id"] == child]) < 2:
            assert time.monotonic() < deadline, "no push within 30 s"
            time.sleep(0.2)
        time.sleep(1)  # the notifier's next rounds publish nothing more
        messages = [m for m in asyncio.run(pushed()) if m[1]["child_id"] == child]
        assert sorted(s for s, _ in messages) == sorted(f"huhang.notify.{i}" for i in ids.values())
        assert {p["kind"] for _, p in messages} == {"red_graded"}
        world.close()
