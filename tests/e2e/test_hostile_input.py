"""Hostile input over a real server: every case answers its 4xx and code, stores nothing, and the chains still verify."""

from __future__ import annotations

import base64
import json
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, PLACE_A, World, child_body
from tests.e2e.server import add_users, environment, running_server, sub
from tests.media.images import jpeg


def forged(value: Any) -> str:
    """A cursor as the server used to write them: base64 of JSON, which anyone could make."""
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


FORGED_CURSORS = [
    forged([{"a": 1}, "x"]),
    forged([[1], "x"]),
    forged([18446744073709551616, "x"]),
    forged([-(2**63) - 1, ""]),
    forged([0, "x"]),
    forged(["\u0000", "x"]),
    forged([-18446744073709551616]),
    forged([-5]),
    forged(["x"]),
    "not-a-cursor",
    "%%%",
    "a" * 5000,
]

LISTS = [
    ("supervisor", "/api/v1/children", {}, 400, "bad_cursor"),
    ("supervisor", "/api/v1/referrals", {}, 400, "bad_cursor"),
    ("auditor", "/api/v1/audit/access-log", {"child_id": "{a}"}, 400, "bad_cursor"),
    ("supervisor", "/api/v1/audit/children/{a}/history", {}, 400, "bad_cursor"),
    ("director", "/api/v1/sync", {}, 410, "cursor_expired"),
]

DEEP = b"[" * 100_000 + b"]" * 100_000

# (user, method, path, request keyword arguments, status, code)
CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("supervisor", "GET", "/api/v1/children", {"params": {"due_before": "9999-12-31T23:59:59-14:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/children", {"params": {"due_before": "0001-01-01T00:00:00+14:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/audit/children/{a}/as-of", {"params": {"at": "9999-12-31T23:59:59-14:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/audit/children/{a}/as-of", {"params": {"at": "0001-01-01T00:00:00+14:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/stats/summary",
     {"params": {"from": "0001-01-01T00:00:00+14:00", "to": "9999-12-31T23:59:59-14:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/stats/summary", {"params": {"to": "0001-01-01T00:00:00+00:00"}}, 422, "time_out_of_range"),
    ("supervisor", "GET", "/api/v1/stats/summary",
     {"params": {"from": "2019-01-01T00:00:00+08:00", "to": "2026-01-01T00:00:00+08:00"}}, 422, "period_too_long"),
    ("supervisor", "POST", "/api/v1/children", {"content": DEEP}, 400, "malformed_body"),
    ("supervisor", "POST", "/api/v1/children", {"content": b'{"name": "\xff"}'}, 400, "malformed_body"),
    ("supervisor", "POST", "/api/v1/visits", {"content": b"\xff\xfe\x00"}, 400, "malformed_body"),
    ("supervisor", "GET", "/api/v1/stats/summary", {"params": {"jurisdiction": "520302/001/０04", "format": "csv"}},
     422, "invalid_jurisdiction"),
    ("supervisor", "GET", "/api/v1/stats/summary", {"params": {"jurisdiction": "520302/0\n01", "format": "csv"}},
     422, "invalid_jurisdiction"),
    ("supervisor", "GET", "/api/v1/stats/summary", {"params": {"jurisdiction": "520302/001/01\n/02", "format": "xlsx"}},
     422, "invalid_jurisdiction"),
    ("supervisor", "POST", "/api/v1/children", {"json": child_body("520302/001/003/０１")}, 422, "invalid_jurisdiction"),
    ("supervisor", "POST", "/api/v1/children", {"json": child_body("520302/001/003/01\n/02")}, 422, "invalid_jurisdiction"),
    ("supervisor", "POST", "/api/v1/children", {"json": child_body("520302/001/003\r\n/01")}, 422, "invalid_jurisdiction"),
    ("supervisor", "POST", "/api/v1/children", {"json": child_body("５２０３０２/001")}, 422, "invalid_jurisdiction"),
    ("supervisor", "GET", "/api/v1/children", {"params": {"jurisdiction": "520302/00١"}}, 422, "invalid_jurisdiction"),
    ("", "POST", "/api/v1/auth/login", {"json": {"username": "director", "password": PASSWORD, "device_id": "d" * 129}},
     422, "invalid_device_id"),
    ("", "POST", "/api/v1/auth/login", {"json": {"username": "director", "password": PASSWORD, "device_id": "dev\x00'; --"}},
     422, "invalid_device_id"),
    ("", "POST", "/api/v1/auth/login", {"json": {"username": "director", "password": PASSWORD, "device_id": ""}},
     422, "invalid_device_id"),
    ("", "POST", "/api/v1/auth/login", {"json": {"username": "director", "password": PASSWORD, "device_id": "手机"}},
     422, "invalid_device_id"),
]


def stored_events(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def send(world: World, user: str, method: str, path: str, kwargs: dict[str, Any]) -> httpx.Response:
    path = path.format(a=world.child_a, b=world.child_b)
    if "params" in kwargs:
        kwargs = kwargs | {"params": {k: v.format(a=world.child_a) for k, v in kwargs["params"].items()}}
    if "content" in kwargs:
        kwargs = kwargs | {"headers": {"Content-Type": "application/json"}}
    client = world.as_(user).http if user else httpx.Client(base_url=world.base, timeout=30)
    return client.request(method, path, **kwargs)


def refused(answer: httpx.Response, status: int, code: str) -> None:
    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text[:300]
    assert "Traceback" not in answer.text


@pytest.mark.parametrize(("user", "method", "path", "kwargs", "status", "code"), CASES,
                         ids=[f"{c[1]} {c[2]} {str(c[3])[:60]}" for c in CASES])
def test_hostile_request_is_refused_with_its_code_and_stores_nothing(
    world: World, sqlite_settings: Settings, user: str, method: str, path: str, kwargs: dict[str, Any], status: int,
    code: str,
) -> None:
    before = stored_events(sqlite_settings)
    refused(send(world, user, method, path, kwargs), status, code)
    assert stored_events(sqlite_settings) == before


@pytest.mark.parametrize(("user", "path", "params", "status", "code"), LISTS, ids=[c[1] for c in LISTS])
def test_forged_cursors_are_refused_by_every_list(
    world: World, sqlite_settings: Settings, user: str, path: str, params: dict[str, str], status: int, code: str
) -> None:
    before = stored_events(sqlite_settings)
    for cursor in FORGED_CURSORS:
        refused(send(world, user, "GET", path, {"params": params | {"cursor": cursor}}), status, code)
    assert stored_events(sqlite_settings) == before


@pytest.mark.parametrize(("user", "path", "params", "status", "code"), LISTS, ids=[c[1] for c in LISTS])
def test_forged_cursors_are_refused_on_postgresql_too(
    postgres_world: World, user: str, path: str, params: dict[str, str], status: int, code: str
) -> None:
    """PostgreSQL refused some forged values its own way (text compared with a number, a NUL in text)."""
    for cursor in FORGED_CURSORS:
        refused(send(postgres_world, user, "GET", path, {"params": params | {"cursor": cursor}}), status, code)


def test_a_cursor_is_bound_to_the_list_it_came_from(world: World) -> None:
    county, director = world.as_("county"), world.as_("director")
    sync_cursor = director.get("/api/v1/sync").json()["cursor"]
    refused(county.get("/api/v1/children", cursor=sync_cursor), 400, "bad_cursor")
    refused(county.get("/api/v1/referrals", cursor=sync_cursor), 400, "bad_cursor")
    children_cursor = county.get("/api/v1/children", limit=1).json()["next_cursor"]
    assert children_cursor
    refused(director.get("/api/v1/sync", cursor=children_cursor), 410, "cursor_expired")
    refused(county.get("/api/v1/audit/children/" + world.child_a + "/history", cursor=children_cursor), 400, "bad_cursor")
    graded = world.as_("supervisor").post(f"/api/v1/children/{world.child_a}/risk-assessments",
                                          sub(level="yellow", reasons=["watch"], occurred_at=datetime.now(UTC).isoformat()))
    assert graded.status_code == 201, graded.text
    cursor_a = county.get(f"/api/v1/audit/children/{world.child_a}/history", limit=1).json()["next_cursor"]
    assert cursor_a
    refused(county.get(f"/api/v1/audit/children/{world.child_b}/history", cursor=cursor_a), 400, "bad_cursor")
    assert county.get(f"/api/v1/audit/children/{world.child_a}/history", cursor=cursor_a).status_code == 200


def test_an_altered_cursor_is_refused(world: World) -> None:
    county = world.as_("county")
    cursor = county.get("/api/v1/children", limit=1).json()["next_cursor"]
    payload, _, mac = cursor.partition(".")
    flipped = ("B" if mac[0] == "A" else "A") + mac[1:]
    refused(county.get("/api/v1/children", cursor=f"{payload}.{flipped}"), 400, "bad_cursor")
    assert county.get("/api/v1/children", cursor=cursor).status_code == 200


def test_every_answer_says_nosniff_and_api_answers_are_not_cached(world: World) -> None:
    anonymous = httpx.Client(base_url=world.base, timeout=30)
    answers = [anonymous.get("/health"), anonymous.get("/schema/openapi.json"), anonymous.get("/api/v1/me"),
               anonymous.get("/nothing-here"), world.as_("county").get("/api/v1/children"),
               world.as_("county").get(f"/api/v1/children/{world.child_a}")]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff", answer.url
    for answer in answers[2:]:
        if answer.url.path.startswith("/api/v1"):
            assert "no-store" in answer.headers["cache-control"], answer.url


def test_a_405_names_the_allowed_methods(world: World) -> None:
    answer = world.as_("county").http.put("/api/v1/children", json={})
    assert answer.status_code == 405 and answer.json()["code"] == "method_not_allowed"
    assert set(answer.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_csv_download_names_its_charset_once(world: World) -> None:
    answer = world.as_("county").get("/api/v1/stats/summary", format="csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"


def test_an_upload_with_two_files_is_refused_plainly(world: World, sqlite_settings: Settings) -> None:
    before = stored_events(sqlite_settings)
    photo = jpeg()
    answer = world.as_("director").http.post(
        "/api/v1/media", data={"child_id": world.child_a},
        files=[("file", ("a.jpg", photo, "image/jpeg")), ("file", ("b.jpg", photo, "image/jpeg"))],
    )
    refused(answer, 400, "multiple_files")
    assert stored_events(sqlite_settings) == before


def test_the_data_file_and_media_folder_are_private(world: World, sqlite_settings: Settings) -> None:
    assert stat.S_IMODE(sqlite_settings.sqlite_path.stat().st_mode) == 0o600
    assert stat.S_IMODE((sqlite_settings.data_dir / "media").stat().st_mode) == 0o700
    assert stat.S_IMODE((sqlite_settings.data_dir / "token.secret").stat().st_mode) == 0o600


def test_made_up_names_from_one_address_lock_nobody_else_out(world: World) -> None:
    for n in range(8):
        answer = httpx.post(world.base + "/api/v1/auth/login",
                            json={"username": f"nobody{n}", "password": "guess-guess", "device_id": "attacker"})
        assert answer.status_code == 401
    real = httpx.post(world.base + "/api/v1/auth/login",
                      json={"username": "grid", "password": PASSWORD, "device_id": "grid-phone-2"})
    assert real.status_code == 200


def test_wrong_passwords_from_one_device_do_not_lock_the_account_on_its_owners_device(world: World) -> None:
    statuses = [
        httpx.post(world.base + "/api/v1/auth/login",
                   json={"username": "education", "password": "wrong-guess", "device_id": "attacker"}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [401] * 5 and statuses[-1] == 429
    owner = httpx.post(world.base + "/api/v1/auth/login",
                       json={"username": "education", "password": PASSWORD, "device_id": "education-phone"})
    assert owner.status_code == 200


@pytest.fixture(scope="module")
def address_limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, str]]:
    """A server whose per-address ceiling is 6 failures, and a user on it."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("throttle"), login_address_limit=6)
    add_users(settings, [("field", "grid_worker", PLACE_A, None)], PASSWORD)
    with running_server(settings) as base:
        yield settings, base


def test_forwarded_for_is_not_trusted_unless_configured(address_limited: tuple[Settings, str]) -> None:
    """Without trusted proxies, X-Forwarded-For cannot spread one address's failures over made-up ones."""
    _, base = address_limited
    for n in range(6):
        answer = httpx.post(base + "/api/v1/auth/login", headers={"X-Forwarded-For": f"10.0.0.{n}"},
                            json={"username": f"nobody{n}", "password": "guess-guess", "device_id": f"d{n}"})
        assert answer.status_code == 401
    blocked = httpx.post(base + "/api/v1/auth/login", headers={"X-Forwarded-For": "10.0.0.99"},
                         json={"username": "field", "password": PASSWORD, "device_id": "field-phone"})
    assert blocked.status_code == 429 and blocked.json()["code"] == "too_many_attempts"
    assert int(blocked.headers["Retry-After"]) > 0


def test_the_chains_still_verify_after_all_of_it(world: World, sqlite_settings: Settings) -> None:
    result = subprocess.run([sys.executable, "-m", "mobile_api.cli", "verify"], env=environment(sqlite_settings),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok" in result.stdout
