"""Notifications on NATS (`huhang.notify.<user_id>`, stream HUHANG_NOTIFY) against a real JetStream server: each
notification once per user it is addressed to, with the documented payload (infra/consumers.md); a window
published again is dropped by `Nats-Msg-Id`; writes succeed while NATS is down and the notifier catches up; a
sealed matter is never pushed to a supervisor, who may not know of it."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import nats
import pytest
from litestar.testing import TestClient

from backend.identity import SYSTEM
from backend.settings import Settings
from mobile_api.app import create_app
from mobile_api.services import Services
from projections.notify import NOTIFY_STREAM, Notifier
from tests.conftest import Clock
from tests.natsd import NatsServer

PASSWORD = "notify-password-1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLACE = "520302/001/003/01/01"
ACCOUNTS = [
    ("director", "child_director", "520302/001/003", None),
    ("supervisor", "supervisor", "520302/001", None),
    ("other_town", "supervisor", "520302/002", None),
    ("police", "department_handler", "520302/001", "police"),
]


class Town:
    def __init__(self, client: TestClient[Any], services: Services) -> None:
        self.client, self.services = client, services
        self.headers: dict[str, dict[str, str]] = {}
        self.ids = {u["username"]: u["id"] for u in services.app.users.list()}
        for name, *_ in ACCOUNTS:
            body = {"username": name, "password": PASSWORD, "device_id": f"{name}-phone"}
            token = client.post("/api/v1/auth/login", json=body).json()["access_token"]
            self.headers[name] = {"Authorization": f"Bearer {token}"}

    def post(self, user: str, path: str, **body: Any) -> dict[str, Any]:
        answer = self.client.post(path, json={"submission_id": str(uuid4()), **body}, headers=self.headers[user])
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def red_child(self, name: str) -> str:
        child = str(self.post("director", "/api/v1/children", name=name, sex="female", birth_date="2014-06-01",
                              jurisdiction=PLACE, address="某村", categories=["left_behind"])["child_id"])
        self.post("supervisor", f"/api/v1/children/{child}/risk-assessments", level="red", reasons=["受伤"])
        return child


@pytest.fixture
def town(tmp_path: Path, natsd: NatsServer) -> Iterator[Town]:
    warnings.simplefilter("ignore")
    settings = Settings(data_dir=tmp_path / "data", token_ttl=timedelta(days=400), remind_every=timedelta(0))
    services = Services(settings, Clock(START))  # NATS is not configured for the server: the test runs the notifier
    for username, role, scope, department in ACCOUNTS:
        services.app.users.add(SYSTEM, username, role, scope, PASSWORD, department)
    with TestClient(create_app(settings, services)) as client:
        yield Town(client, services)


def notifier(town: Town, natsd: NatsServer) -> Notifier:
    settings = msgspec.structs.replace(town.services.settings, nats_url=natsd.url)
    return Notifier(town.services.app.store, town.services.read_db, town.services.app.users, settings)


async def drain(n: Notifier) -> None:
    await n.connect()
    while await n.publish_once():
        pass
    await n.close()


async def published(natsd: NatsServer) -> list[tuple[str, dict[str, Any], str]]:
    """Every message of HUHANG_NOTIFY: (subject, payload, Nats-Msg-Id)."""
    nc = await nats.connect(natsd.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(NOTIFY_STREAM)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            m = await js.get_msg(NOTIFY_STREAM, seq)
            found.append((m.subject, msgspec.json.decode(m.data), (m.headers or {}).get("Nats-Msg-Id", "")))
        return found
    finally:
        await nc.close()


def test_a_red_grading_is_pushed_once_to_each_supervisor_of_its_jurisdiction(town: Town, natsd: NatsServer) -> None:
    child = town.red_child("李娜")
    n = notifier(town, natsd)
    asyncio.run(drain(n))
    messages = asyncio.run(published(natsd))
    assert [s for s, _, _ in messages] == [f"huhang.notify.{town.ids['supervisor']}"]  # not the other town's
    subject, payload, msg_id = messages[0]
    assert set(payload) == {"notification_id", "user_id", "kind", "created_at", "title", "body", "child_id"}
    assert (payload["kind"], payload["child_id"], payload["user_id"]) == ("red_graded", child, town.ids["supervisor"])
    assert "李娜" in payload["title"] and "受伤" not in payload["body"]
    assert msg_id == f"{payload['notification_id']}:{town.ids['supervisor']}"

    async def again() -> None:  # a crash after publishing, before the position was stored: the same window again
        await n.connect()
        await n.publish(n._addressed(list(town.services.app.store.recorder.select_notifications(1, 10**6))))
        await n.close()

    asyncio.run(again())
    assert len(asyncio.run(published(natsd))) == 1
    asyncio.run(drain(n))
    assert len(asyncio.run(published(natsd))) == 1


def test_writes_succeed_while_nats_is_down_and_the_notifications_follow_when_it_is_back(town: Town, natsd: NatsServer) -> None:
    n = notifier(town, natsd)
    asyncio.run(drain(n))
    natsd.stop()
    child = town.red_child("王芳")  # the write is taken with NATS down
    with pytest.raises((OSError, nats.errors.Error, TimeoutError)):
        asyncio.run(drain(n))
    natsd.start()
    asyncio.run(drain(n))
    kinds = [(p["kind"], p["child_id"]) for _, p, _ in asyncio.run(published(natsd))]
    assert kinds.count(("red_graded", child)) == 1


def test_a_sealed_childs_police_referral_overdue_is_pushed_to_police_and_never_to_the_supervisor(
        town: Town, natsd: NatsServer) -> None:
    child = town.red_child("赵强")
    town.post("supervisor", f"/api/v1/children/{child}/seal", reason="封存令", order_reference="(2026)001")
    referral = town.post("supervisor", "/api/v1/referrals", child_id=child, to_department="police", reason="x",
                         urgency="urgent")
    town.services.scheduler.run_pass(datetime.fromisoformat(referral["accept_by"]) + timedelta(seconds=1))
    town.services.settle()
    asyncio.run(drain(notifier(town, natsd)))
    overdue = [(s, p) for s, p, _ in asyncio.run(published(natsd)) if p["kind"] == "referral_overdue"]
    assert [s for s, _ in overdue] == [f"huhang.notify.{town.ids['police']}"]
    inbox = town.client.get("/api/v1/me/notifications", headers=town.headers["supervisor"]).json()["items"]
    assert not [i for i in inbox if i["kind"] == "referral_overdue"]
