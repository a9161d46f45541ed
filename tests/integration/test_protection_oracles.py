"""Rules that protect a child, checked over the API in process with a hand-set clock.

Every expected value is written out from DESIGN.md and API.md, not computed by the code under test:
visit intervals (red 3 d, orange 7 d, yellow 30 d, blue 90 d), the late flag (synced more than 24 h
after the visit), the red-level obligation (an active intervention within 24 h of the grading),
ID-number masking (`520302********0025` for everyone but child directors and supervisors), and
who may seal a record (supervisors only).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from backend.identity import SYSTEM
from backend.settings import Settings
from mobile_api.app import create_app
from mobile_api.services import Services
from tests.conftest import Clock

PASSWORD = "oracle-password-1"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # in the past: tokens carry a real `iat`
PLACE = "520302/001/003/01/01"
ID_NUMBER = "520302201406010025"
ID_MASKED = "520302********0025"
OTHER_ID_NUMBER = "520302201406010033"
OTHER_ID_MASKED = "520302********0033"
ACCOUNTS = [
    ("director", "child_director", "520302/001"),
    ("grid", "grid_worker", "520302/001/003"),
    ("supervisor", "supervisor", "520302/001"),
    ("auditor", "auditor", "520302/001"),
]


class Caller:
    """An account speaking to the app (tokens outlive every clock move of these tests)."""

    def __init__(self, client: TestClient[Any], username: str) -> None:
        self.client, self.username = client, username
        body = {"username": username, "password": PASSWORD, "device_id": f"{username}-phone"}
        token = client.post("/api/v1/auth/login", json=body).json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def post(self, path: str, **body: Any) -> Any:
        return self.client.post(path, json={"submission_id": str(uuid4()), **body}, headers=self.headers)

    def get(self, path: str) -> Any:
        return self.client.get(path, headers=self.headers)


class World:
    """The accounts of one town and the clock; helpers that assert each write was taken."""

    def __init__(self, client: TestClient[Any], clock: Clock) -> None:
        self.clock = clock
        self.director, self.grid, self.supervisor, self.auditor = (Caller(client, a[0]) for a in ACCOUNTS)

    def register(self, **overrides: Any) -> str:
        body = dict(name="李娜", sex="female", birth_date="2014-06-01", jurisdiction=PLACE, address="某村 1 号",
                    categories=["left_behind"], occurred_at=self.clock.now.isoformat()) | overrides
        answer = self.director.post("/api/v1/children", **body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["child_id"])

    def status(self, child_id: str, who: Caller | None = None) -> dict[str, Any]:
        answer = (who or self.director).get(f"/api/v1/children/{child_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def grade(self, child_id: str, level: str, at: datetime | None = None) -> None:
        at = at or self.clock.now
        answer = self.supervisor.post(f"/api/v1/children/{child_id}/risk-assessments", level=level, reasons=["走访发现"],
                                      occurred_at=at.isoformat())
        assert answer.status_code == 201, answer.text

    def visit(self, child_id: str, at: datetime) -> dict[str, Any]:
        answer = self.director.post("/api/v1/visits", child_id=child_id, occurred_at=at.isoformat(), visit_type="home",
                                    child_seen=True, guardian_present=True)
        assert answer.status_code == 201, answer.text
        return dict(answer.json())


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app for the module (each test works on children of its own and sets the clock back)."""
    warnings.simplefilter("ignore")
    clock = Clock(START)
    settings = Settings(data_dir=tmp_path_factory.mktemp("oracles"), token_ttl=timedelta(days=400))
    services = Services(settings, clock)
    for username, role, scope in ACCOUNTS:
        services.app.users.add(SYSTEM, username, role, scope, PASSWORD)
    with TestClient(create_app(services.settings, services)) as client:
        yield World(client, clock)


@pytest.fixture
def world(shared: World) -> World:
    shared.clock.now = START
    return shared


# --- next visit due and overdue --------------------------------------------------------------------


def test_child_in_a_category_never_graded_counts_as_blue_due_in_90_days(world: World) -> None:
    child = world.register()
    status = world.status(child)
    assert (status["risk_level"], status["graded"]) == ("blue", False)
    assert status["next_visit_due"] == "2026-05-31T09:00:00+00:00"
    assert status["overdue"] is False and "overdue" not in status["flags"]


def test_child_in_no_category_and_never_graded_has_no_visit_due(world: World) -> None:
    status = world.status(world.register(categories=[]))
    assert (status["risk_level"], status["next_visit_due"], status["overdue"]) == (None, None, False)


@pytest.mark.parametrize(
    ("level", "due"),
    [
        ("red", "2026-03-06T09:00:00+00:00"),
        ("orange", "2026-03-10T09:00:00+00:00"),
        ("yellow", "2026-04-02T09:00:00+00:00"),
    ],
)
def test_grading_up_makes_the_next_visit_due_by_the_new_interval_from_the_grading(world: World, level: str, due: str) -> None:
    child = world.register()
    world.clock.advance(days=1)  # graded 2026-03-03 09:00
    world.grade(child, level)
    assert world.status(child)["next_visit_due"] == due


def test_next_visit_is_the_last_visit_plus_the_interval_of_the_level(world: World) -> None:
    child = world.register()
    world.grade(child, "yellow")
    world.clock.advance(days=2)
    world.visit(child, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    status = world.status(child)
    assert status["last_visit_at"] == "2026-03-04T08:00:00+00:00"
    assert status["next_visit_due"] == "2026-04-03T08:00:00+00:00"


def test_grading_down_keeps_the_clock_of_the_last_visit(world: World) -> None:
    child = world.register()
    world.grade(child, "red")
    world.clock.advance(days=1)
    world.visit(child, datetime(2026, 3, 3, 8, 0, tzinfo=UTC))
    world.clock.advance(days=1)
    world.grade(child, "yellow")  # 2026-03-04 09:00, lower than red: no new clock
    assert world.status(child)["next_visit_due"] == "2026-04-02T08:00:00+00:00"


def test_overdue_only_after_the_due_time_has_passed(world: World) -> None:
    child = world.register()
    world.grade(child, "red")  # due 2026-03-05 09:00
    world.clock.now = datetime(2026, 3, 5, 8, 59, tzinfo=UTC)
    before = world.status(child)
    assert (before["next_visit_due"], before["overdue"]) == ("2026-03-05T09:00:00+00:00", False)
    assert "overdue" not in before["flags"]
    world.clock.now = datetime(2026, 3, 5, 9, 1, tzinfo=UTC)
    after = world.status(child)
    assert after["overdue"] is True and "overdue" in after["flags"]
    overdue = world.director.get("/api/v1/children?overdue=true&limit=500").json()["items"]
    assert child in [c["child_id"] for c in overdue]


# --- offline arrival ------------------------------------------------------------------------------


def test_an_older_visit_synced_late_does_not_replace_the_last_visit(world: World) -> None:
    child = world.register()
    world.clock.now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    world.visit(child, datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    world.clock.advance(hours=1)
    world.visit(child, datetime(2026, 3, 3, 10, 0, tzinfo=UTC))  # made offline the day before, synced now
    status = world.status(child)
    assert status["last_visit_at"] == "2026-03-04T08:00:00+00:00"
    assert status["next_visit_due"] == "2026-06-02T08:00:00+00:00"


@pytest.mark.parametrize(
    ("synced_after", "late"),
    [
        (timedelta(hours=23, minutes=59, seconds=59), False),
        (timedelta(hours=24), False),  # "more than 24 h": exactly 24 h is not late
        (timedelta(hours=24, seconds=1), True),
        (timedelta(days=4), True),
    ],
)
def test_a_visit_is_late_when_synced_more_than_24_hours_after_it_happened(
    world: World, synced_after: timedelta, late: bool
) -> None:
    child = world.register()
    world.clock.advance(days=5)
    answer = world.visit(child, world.clock.now - synced_after)
    assert answer["late"] is late
    assert ("late" in answer["flags"]) is late


# --- the red-level obligation ---------------------------------------------------------------------


def test_red_child_without_an_intervention_is_flagged_after_24_hours(world: World) -> None:
    child = world.register()
    world.grade(child, "red")  # 2026-03-02 09:00
    world.clock.now = datetime(2026, 3, 3, 8, 59, tzinfo=UTC)
    assert "red_without_intervention" not in world.status(child)["flags"]
    world.clock.now = datetime(2026, 3, 3, 9, 1, tzinfo=UTC)
    assert "red_without_intervention" in world.status(child)["flags"]
    world.clock.now = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert "red_without_intervention" in world.status(child)["flags"]


def test_red_child_with_an_intervention_is_not_flagged(world: World) -> None:
    child = world.register()
    world.grade(child, "red")
    world.clock.advance(hours=2)
    planned = world.director.post("/api/v1/interventions", child_id=child, type="temporary_guardianship",
                                  plan="临时监护", responsible_department="civil_affairs",
                                  occurred_at=world.clock.now.isoformat())
    assert planned.status_code == 201, planned.text
    world.clock.advance(days=2)
    assert "red_without_intervention" not in world.status(child)["flags"]


def test_a_child_no_longer_red_is_not_flagged(world: World) -> None:
    child = world.register()
    world.grade(child, "red")
    world.clock.advance(hours=1)
    world.grade(child, "orange")
    world.clock.advance(days=2)
    assert "red_without_intervention" not in world.status(child)["flags"]


# --- ID number ------------------------------------------------------------------------------------


def test_id_number_in_full_only_for_directors_and_supervisors(world: World) -> None:
    child = world.register(id_number=ID_NUMBER)
    assert world.status(child, world.director)["id_number"] == ID_NUMBER
    assert world.status(child, world.supervisor)["id_number"] == ID_NUMBER
    assert world.status(child, world.grid)["id_number"] == ID_MASKED
    assert world.status(child, world.auditor)["id_number"] == ID_MASKED


def test_audit_history_masks_the_id_number_for_auditors_and_not_for_supervisors(world: World) -> None:
    child = world.register(id_number=OTHER_ID_NUMBER)  # one child per ID number: another child, another number
    path = f"/api/v1/audit/children/{child}/history"

    def registered(who: Caller) -> dict[str, Any]:
        answer = who.get(path)
        assert answer.status_code == 200, answer.text
        items = answer.json()
        entries = items["items"] if isinstance(items, dict) else items
        return dict(next(e for e in entries if e["type"] == "ChildRegistered")["data"])

    assert registered(world.supervisor)["id_number"] == OTHER_ID_NUMBER
    assert registered(world.auditor)["id_number"] == OTHER_ID_MASKED
    assert ID_NUMBER not in world.auditor.get(path).text


# --- sealing --------------------------------------------------------------------------------------


def test_only_a_supervisor_may_seal_a_record(world: World) -> None:
    child = world.register()
    order = {"reason": "法院封存决定", "order_reference": "(2026)黔0302刑初1号"}
    for who in (world.grid, world.director, world.auditor):
        answer = who.post(f"/api/v1/children/{child}/seal", **order)
        assert (answer.status_code, answer.json()["code"]) == (403, "forbidden"), who.username
    assert world.status(child)["sealed"] is False
    sealed = world.supervisor.post(f"/api/v1/children/{child}/seal", **order)
    assert sealed.status_code == 201, sealed.text
    assert world.status(child, world.supervisor)["sealed"] is True
