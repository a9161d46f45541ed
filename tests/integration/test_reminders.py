"""The scheduler's reminders in process with a hand-set clock: what fires when, to whom, exactly once.

Expected values are written out from DESIGN.md and API.md v1.1: red visits every 3 days, a red child's referral
accepted within 2 h, `due_soon` 24 h before (the default lead time), `overdue` once past (strictly after the due
moment), `referral_overdue` to the department's handlers and escalated to the jurisdiction's supervisors."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic
from litestar.testing import TestClient

from backend.identity import SYSTEM
from backend.scheduler import Due, Scheduler
from backend.settings import Settings
from events.ledger import ReminderFired
from mobile_api.app import create_app
from mobile_api.services import Services
from projections.reminders import ReadModelDue
from tests.conftest import Clock

PASSWORD = "reminder-password-1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PLACE = "520302/001/003/01/01"
ACCOUNTS = [
    ("director", "child_director", "520302/001/003", None),
    ("grid", "grid_worker", "520302/001/003", None),
    ("supervisor", "supervisor", "520302/001", None),
    ("police", "department_handler", "520302/001", "police"),
    ("auditor", "auditor", "520302/001", None),
]


class Caller:
    def __init__(self, client: TestClient[Any], username: str) -> None:
        self.client = client
        body = {"username": username, "password": PASSWORD, "device_id": f"{username}-phone"}
        self.headers = {"Authorization": f"Bearer {client.post('/api/v1/auth/login', json=body).json()['access_token']}"}

    def post(self, path: str, **body: Any) -> Any:
        answer = self.client.post(path, json={"submission_id": str(uuid4()), **body}, headers=self.headers)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def inbox(self) -> list[dict[str, Any]]:
        answer = self.client.get("/api/v1/me/notifications", params={"limit": 500}, headers=self.headers)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])


class World:
    def __init__(self, client: TestClient[Any], services: Services, clock: Clock) -> None:
        self.services, self.clock = services, clock
        self.users = {name: Caller(client, name) for name, *_ in ACCOUNTS}

    def __getattr__(self, name: str) -> Caller:
        return self.users[name]

    def red_child(self, **body: Any) -> str:
        fields = dict(name="李娜", sex="female", birth_date="2014-06-01", jurisdiction=PLACE, address="某村 1 号",
                      categories=["left_behind"], occurred_at=self.clock.now.isoformat()) | body
        child = str(self.director.post("/api/v1/children", **fields)["child_id"])
        self.supervisor.post(f"/api/v1/children/{child}/risk-assessments", level="red", reasons=["独自在家"],
                             occurred_at=self.clock.now.isoformat())
        return child

    def fresh_scheduler(self) -> None:
        """A scheduler with no pass behind it (each test's passes start from its own first one)."""
        due = ReadModelDue(self.services.read_db, self.services.settings.policy, self.services.settle, name=str(uuid4()))
        self.scheduler = Scheduler(self.services.app.core, due)

    def pass_at(self, at: datetime, **options: Any) -> int:
        result = self.scheduler.run_pass(at, **options)
        self.services.settle()
        return result.fired

    def about(self, user: str, child: str, kind: str | None = None) -> list[dict[str, Any]]:
        return [n for n in self.users[user].inbox() if n.get("child_id") == child and (kind is None or n["kind"] == kind)]

    def reminders(self) -> list[ReminderFired]:
        store = self.services.app.store
        return [store.mapper.to_domain_event(n) for n in store.notifications(topics=[get_topic(ReminderFired)])]


@pytest.fixture
def world(shared: World) -> World:
    shared.clock.now = START
    shared.fresh_scheduler()
    return shared


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    warnings.simplefilter("ignore")
    clock = Clock(START)
    settings = Settings(data_dir=tmp_path_factory.mktemp("reminders"), token_ttl=timedelta(days=400),
                        remind_every=timedelta(0))
    services = Services(settings, clock)
    for username, role, scope, department in ACCOUNTS:
        services.app.users.add(SYSTEM, username, role, scope, PASSWORD, department)
    with TestClient(create_app(services.settings, services)) as client:
        yield World(client, services, clock)


def test_an_owned_red_childs_visit_is_due_soon_after_2_days_and_overdue_after_3_to_its_owner_once(world: World) -> None:
    child = world.red_child()
    world.director.post(f"/api/v1/children/{child}/assignment", owner="director", occurred_at=START.isoformat())
    world.pass_at(START)  # the last pass: the grading's moment
    world.pass_at(START + timedelta(days=2) - timedelta(seconds=1))
    assert world.about("director", child, "due_soon") == []
    world.pass_at(START + timedelta(days=2, seconds=1))  # due at START + 3 d; 24 h before: START + 2 d
    soon = world.about("director", child, "due_soon")
    assert len(soon) == 1 and soon[0]["task_id"] == f"visit_due:{child}" and "李娜" in soon[0]["title"]
    assert world.about("grid", child) == []  # owned: told to the owner alone
    world.pass_at(START + timedelta(days=3))
    assert world.about("director", child, "overdue") == []  # due exactly now is not yet overdue
    world.pass_at(START + timedelta(days=3, microseconds=1))
    assert len(world.about("director", child, "overdue")) == 1
    assert world.pass_at(START + timedelta(days=4), from_start=True) == 0  # everything again: nothing new
    assert len(world.about("director", child, "overdue")) == 1 and len(world.about("director", child, "due_soon")) == 1


def test_a_red_childs_referral_not_accepted_in_2_hours_is_escalated_once_and_counted(world: World) -> None:
    child = world.red_child(name="张伟")
    referral = world.supervisor.post("/api/v1/referrals", child_id=child, to_department="police", reason="疑似受侵害",
                                     urgency="urgent", occurred_at=START.isoformat())["referral_id"]
    world.pass_at(START)
    world.pass_at(START + timedelta(hours=2))
    assert world.about("police", child, "referral_overdue") == []
    world.pass_at(START + timedelta(hours=2, seconds=1))
    for user in ("police", "supervisor"):
        told = world.about(user, child, "referral_overdue")
        assert len(told) == 1 and told[0]["task_id"] == f"referral_accept:{referral}", user
        assert "疑似受侵害" not in told[0]["title"] + told[0]["body"]  # no free text in a notification
    assert world.about("director", child, "referral_overdue") == [] == world.about("grid", child, "referral_overdue")
    assert world.about("police", child, "due_soon") == []  # its 24 h lead began before the referral: not sent
    assert world.pass_at(START + timedelta(hours=3), from_start=True) == 0
    assert len(world.about("supervisor", child, "referral_overdue")) == 1
    answer = world.supervisor.client.get("/api/v1/stats/summary", params={"jurisdiction": PLACE},
                                         headers=world.supervisor.headers).json()["tables"]["referrals"]
    police = next(r for r in answer["rows"] if r[1] == "police")
    assert police[answer["columns"].index("已升级 escalated")] == 1


def test_a_referral_accepted_in_time_is_never_escalated(world: World) -> None:
    child = world.red_child(name="赵敏")
    referral = world.supervisor.post("/api/v1/referrals", child_id=child, to_department="police", reason="x",
                                     urgency="urgent", occurred_at=START.isoformat())["referral_id"]
    world.clock.now = START + timedelta(hours=1)
    world.police.post(f"/api/v1/referrals/{referral}/accept", note="受理", occurred_at=world.clock.now.isoformat())
    world.pass_at(START + timedelta(hours=5), from_start=True)
    assert world.about("police", child, "referral_overdue") == [] == world.about("supervisor", child, "referral_overdue")


def test_a_reminder_fired_for_what_was_done_meanwhile_tells_nobody(world: World) -> None:
    """The pass read the referral as waiting; it was accepted before the reminder was projected."""
    child = world.red_child(name="钱进")
    referral = world.supervisor.post("/api/v1/referrals", child_id=child, to_department="police", reason="x",
                                     urgency="urgent", occurred_at=START.isoformat())
    world.police.post(f"/api/v1/referrals/{referral['referral_id']}/accept", note="受理", occurred_at=START.isoformat())
    stale = Due(kind="referral_overdue", subject="referral_accept", subject_id=referral["referral_id"],
                due_at=datetime.fromisoformat(referral["accept_by"]), child_id=child)
    assert world.scheduler.fire([stale], START + timedelta(hours=3)) == 1
    world.services.settle()
    assert world.about("police", child) == [n for n in world.about("police", child) if n["kind"] == "referral_received"]
    assert world.about("supervisor", child, "referral_overdue") == []


def test_two_schedulers_firing_at_once_store_each_reminder_once(world: World) -> None:
    children = [world.red_child(name=f"并发{i}") for i in range(5)]
    at = START + timedelta(days=3, seconds=1)
    schedulers = [Scheduler(world.services.app.core, ReadModelDue(world.services.read_db, world.services.settings.policy,
                                                                   world.services.settle, name=f"race-{i}"))
                  for i in range(2)]
    before = len(world.reminders())
    fired: list[int] = []
    threads = [threading.Thread(target=lambda s=s: fired.append(s.run_pass(at, from_start=True).fired)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = world.reminders()[before:]
    keys = [(e.kind, e.subject, e.subject_id, e.due_at) for e in stored]
    assert len(keys) == len(set(keys)) == sum(fired)
    world.services.settle()
    for child in children:
        assert len(world.about("grid", child, "overdue")) == 1  # unowned: the jurisdiction's field workers
        assert len(world.about("director", child, "overdue")) == 1


def test_a_referral_synced_after_its_deadline_passed_is_escalated_by_the_next_pass(world: World) -> None:
    """Its deadline lies behind the window of the next pass: the pass also looks at what changed since the last."""
    child = world.red_child(name="孙丽")
    world.pass_at(START + timedelta(hours=5))
    world.clock.now = START + timedelta(hours=6)  # synced now, made offline 5 hours ago: due 2 hours after that
    world.supervisor.post("/api/v1/referrals", child_id=child, to_department="police", reason="x", urgency="urgent",
                          occurred_at=(START + timedelta(hours=1)).isoformat())
    world.pass_at(START + timedelta(hours=6, minutes=1))
    assert len(world.about("supervisor", child, "referral_overdue")) == 1
    world.pass_at(START + timedelta(hours=6, minutes=2))
    assert len(world.about("supervisor", child, "referral_overdue")) == 1
