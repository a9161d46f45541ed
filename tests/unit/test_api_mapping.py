"""The controllers' mapping, in process: statuses, bodies, headers and error shapes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from litestar.testing import TestClient

from backend.identity import SYSTEM
from backend.settings import Settings
from mobile_api.app import create_app
from mobile_api.services import Services
from tests.conftest import Clock

PASSWORD = "unit-password-1"


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient[Any]]:
    warnings.simplefilter("ignore")
    services = Services(Settings(data_dir=tmp_path), clock)
    services.app.users.add(SYSTEM, "director", "child_director", "520302/001", PASSWORD)
    services.app.users.add(SYSTEM, "grid", "grid_worker", "520302/001/003", PASSWORD)
    with TestClient(create_app(services.settings, services)) as test_client:
        yield test_client


def login(client: TestClient[Any], username: str) -> dict[str, str]:
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD, "device_id": "d"})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def registration(**overrides: Any) -> dict[str, Any]:
    return {"submission_id": str(uuid4()), "name": "李娜", "sex": "female", "birth_date": "2014-06-01",
            "id_number": "520302201406010025", "jurisdiction": "520302/001/003/01/01", "address": "x",
            "categories": ["in_distress"]} | overrides


def test_registration_answer_equals_the_status_read_back(client: TestClient[Any]) -> None:
    headers = login(client, "director")
    created = client.post("/api/v1/children", json=registration(), headers=headers)
    assert created.status_code == 201
    read = client.get(f"/api/v1/children/{created.json()['child_id']}", headers=headers)
    assert read.json() == created.json()


def test_id_number_is_masked_for_roles_that_do_not_need_it(client: TestClient[Any]) -> None:
    created = client.post("/api/v1/children", json=registration(), headers=login(client, "director")).json()
    assert created["id_number"] == "520302201406010025"
    seen_by_grid = client.get(f"/api/v1/children/{created['child_id']}", headers=login(client, "grid")).json()
    assert seen_by_grid["id_number"] == "520302********0025"


def test_domain_errors_map_to_status_and_code(client: TestClient[Any]) -> None:
    headers = login(client, "director")
    child = client.post("/api/v1/children", json=registration(), headers=headers).json()
    transfer = client.post(f"/api/v1/children/{child['child_id']}/transfer",
                           json={"submission_id": str(uuid4()), "to_jurisdiction": "520302/002", "reason": "x"}, headers=headers)
    assert (transfer.status_code, transfer.json()["code"]) == (403, "forbidden")
    unknown = client.get(f"/api/v1/children/{uuid4()}", headers=headers)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "child_not_found")
    bad_id = client.post("/api/v1/children", json=registration(id_number="520302201406010024"), headers=headers)
    assert (bad_id.status_code, bad_id.json()["code"], bad_id.json()["extra"]["field"]) == (422, "invalid_id_number", "id_number")


def test_stale_order_dependent_command_answers_409_with_the_current_state(client: TestClient[Any]) -> None:
    headers = login(client, "director")
    child = client.post("/api/v1/children", json=registration(), headers=headers).json()
    path = f"/api/v1/children/{child['child_id']}"
    client.post(f"{path}/risk-assessments", json={"submission_id": str(uuid4()), "level": "yellow"}, headers=headers)
    stale = client.post(f"{path}/corrections", headers=headers, json={
        "submission_id": str(uuid4()), "corrects": {"event_id": str(uuid4())}, "changes": {"name": "x"},
        "reason": "r", "expected_version": 1})
    assert stale.status_code == 409 and stale.json()["extra"]["current"]["version"] == 2


def test_wrong_password_is_401_without_saying_which_part(client: TestClient[Any]) -> None:
    answer = client.post("/api/v1/auth/login", json={"username": "director", "password": "nope", "device_id": "d"})
    assert (answer.status_code, answer.json()["detail"]) == (401, "wrong username or password")
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "nope", "device_id": "d"})
    assert unknown.json()["detail"] == answer.json()["detail"]


def test_expired_token_is_refused(client: TestClient[Any], clock: Clock) -> None:
    headers = login(client, "director")
    clock.advance(hours=13)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_vocabulary_has_labels_and_intervals(client: TestClient[Any]) -> None:
    vocabulary = client.get("/api/v1/vocabulary", headers=login(client, "grid")).json()
    red = next(t for t in vocabulary["risk_levels"] if t["code"] == "red")
    assert red == {"code": "red", "zh": "红", "en": "Red: immediate danger", "visit_interval_days": 3}
    assert {t["code"] for t in vocabulary["departments"]} >= {"police", "civil_affairs", "education"}


def test_a_failing_read_side_does_not_turn_a_stored_write_into_an_error(client: TestClient[Any]) -> None:
    services = client.app.state.services

    def broken(position: int, timeout: float = 10.0) -> None:
        raise RuntimeError("the read model database is gone")

    services.runner.ensure = broken
    headers = login(client, "director")
    body = registration()
    first = client.post("/api/v1/children", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/children", json=body, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
