"""A changed password, over HTTP against the real server: every token issued before the change is refused at its
very next request (API.md: without a valid token, 401 `unauthenticated`) on every route, the console's session
(which holds the same kind of token) included, whoever changed it and from whichever process; a token issued after
the change works. The password is changed here, in another process than the server's, on the same store."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from backend.bootstrap import bootstrap
from backend.identity import SYSTEM
from backend.settings import Settings
from tests.e2e.conftest import World
from tests.e2e.console.client import signed_in
from tests.e2e.server import Api, sub

FIRST, SECOND, THIRD = "first-password-1", "second-password-2", "third-password-3"


def change_password(settings: Settings, username: str, password: str, by_self: bool = False) -> None:
    """What an admin's reset (or, `by_self`, the user's own change) records, from another process than the server."""
    with bootstrap(settings) as app:
        actor = app.users.get(username).as_actor() if by_self else SYSTEM
        app.users.change_password(actor, username, password)


def routes(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Reads and writes a town supervisor may call, on a child they see."""
    child = world.child_a
    return [
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/children", None),
        ("GET", f"/api/v1/children/{child}", None),
        ("GET", f"/api/v1/children/{child}/timeline", None),
        ("GET", "/api/v1/referrals", None),
        ("GET", "/api/v1/me/tasks", None),
        ("GET", "/api/v1/sync", None),
        ("GET", f"/api/v1/audit/children/{child}/history", None),
        ("GET", "/api/v1/stats/summary", None),
        ("POST", f"/api/v1/children/{child}/risk-assessments", sub(level="orange", reasons=["旧令牌"])),
        ("POST", f"/api/v1/children/{child}/profile", sub(school="旧令牌小学")),
    ]


def not_refused(world: World, token: str) -> list[tuple[str, int, str]]:
    """The routes on which `token` was not refused with 401 `unauthenticated`."""
    wrong = []
    with httpx.Client(base_url=world.base, timeout=30, headers={"Authorization": f"Bearer {token}"}) as client:
        for method, path, body in routes(world):
            answer = client.request(method, path, json=body)
            code = answer.json().get("code") if answer.headers.get("content-type", "").startswith("application/json") else None
            if (answer.status_code, code) != (401, "unauthenticated"):
                wrong.append((path, answer.status_code, str(code)))
    return wrong


def history(world: World) -> list[str]:
    items = world.as_("county").get(f"/api/v1/audit/children/{world.child_a}/history", limit=500).json()["items"]
    return [e["event_id"] for e in items]


@pytest.fixture
def changer(world: World, sqlite_settings: Settings, request: pytest.FixtureRequest) -> Iterator[str]:
    """A town supervisor of its own (console and API alike), signed in with FIRST."""
    username = f"changer-{request.node.name[-20:].strip('[]_')}"
    with bootstrap(sqlite_settings) as app:
        app.users.add(SYSTEM, username, "supervisor", "520302/001", FIRST)
    yield username


def test_an_admins_reset_refuses_the_old_token_on_every_route_and_stores_nothing(
        world: World, sqlite_settings: Settings, changer: str) -> None:
    old = Api(world.base, changer, FIRST)
    assert not_refused(world, old.token) == [(path, 200 if m == "GET" else 201, "None") for m, path, _ in routes(world)]
    before = history(world)
    change_password(sqlite_settings, changer, SECOND)
    assert not_refused(world, old.token) == []
    assert history(world) == before  # the refused writes stored nothing
    new = Api(world.base, changer, SECOND)
    assert new.get("/api/v1/me").status_code == 200
    assert not_refused(world, old.token) == []  # a new token does not bring the old one back
    wrong = httpx.post(world.base + "/api/v1/auth/login", json={"username": changer, "password": FIRST, "device_id": "x"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "unauthenticated"
    old.close()
    new.close()


def test_a_console_session_ends_with_a_password_change_and_its_cookie_is_no_bearer_token_either(
        world: World, sqlite_settings: Settings, changer: str) -> None:
    """The console's cookie holds the same kind of token as the API's: changed password, no session, and the cookie's
    token is refused on the API too; signing in again with the new password opens a session."""
    browser = signed_in(world.base, changer, FIRST)
    assert browser.get("/console/").status_code == 200
    cookie = browser.cookies["huhang_console"]
    assert not_refused(world, cookie) != []  # good before the change
    change_password(sqlite_settings, changer, SECOND, by_self=True)
    page = browser.get("/console/")
    assert page.status_code == 303 and page.headers["location"] == "/console/login"
    assert browser.get(f"/console/children/{world.child_a}").status_code == 303
    assert not_refused(world, cookie) == []
    again = signed_in(world.base, changer, SECOND)
    assert again.get("/console/").status_code == 200
    browser.close()
    again.close()


def test_a_token_of_a_password_changed_twice_is_refused_after_each_change(
        world: World, sqlite_settings: Settings, changer: str) -> None:
    first = Api(world.base, changer, FIRST, device="phone-a")
    change_password(sqlite_settings, changer, SECOND)
    second = Api(world.base, changer, SECOND, device="phone-b")
    assert (first.get("/api/v1/me").status_code, second.get("/api/v1/me").status_code) == (401, 200)
    change_password(sqlite_settings, changer, THIRD, by_self=True)
    third = Api(world.base, changer, THIRD, device="phone-c")
    assert not_refused(world, first.token) == [] and not_refused(world, second.token) == []
    assert third.get("/api/v1/me").status_code == 200
    for api in (first, second, third):
        api.close()


def test_a_password_change_refuses_only_that_users_tokens(world: World, sqlite_settings: Settings, changer: str) -> None:
    other = world.as_("supervisor")
    assert other.get("/api/v1/me").status_code == 200
    change_password(sqlite_settings, changer, SECOND)
    assert other.get("/api/v1/me").status_code == 200


def every_bearer_operation(world: World) -> list[tuple[str, str]]:
    """Each operation the OpenAPI document says needs the bearer token, with its path filled in."""
    document = httpx.get(world.base + "/schema/openapi.json").json()
    filled = {"child_id": world.child_a, "index": "0", "media_id": "0" * 64}
    found = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and operation.get("security"):
                path = template
                for name in re.findall(r"{(\w+)}", template):
                    path = path.replace("{" + name + "}", filled.get(name, str(uuid4())))
                found.append((method.upper(), path))
    return found


def test_the_old_token_is_refused_on_every_operation_of_the_document(
        world: World, sqlite_settings: Settings, changer: str) -> None:
    """Not a sample of routes: every operation that takes a bearer token, reads and writes (photo and roster uploads
    included), refuses it with 401 `unauthenticated` before looking at anything else."""
    old = Api(world.base, changer, FIRST)
    operations = every_bearer_operation(world)
    assert len(operations) > 50
    change_password(sqlite_settings, changer, SECOND)
    wrong = []
    for method, path in operations:
        answer = old.http.request(method, path, json=sub() if method == "POST" else None)
        code = answer.json().get("code") if answer.headers.get("content-type", "").startswith("application/json") else None
        if (answer.status_code, code) != (401, "unauthenticated"):
            wrong.append((method, path, answer.status_code, code))
    assert wrong == []
    old.close()
