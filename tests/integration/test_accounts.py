"""The account behind a token is kept between requests, and still a user disabled by another process (another
store opened on the same database) is refused at their very next request (API.md: without a valid token, 401; the
e2e `test_no_token_bad_token_and_a_disabled_users_token_are_401` holds a disabled user's token not valid)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from backend.bootstrap import bootstrap
from backend.identity import SYSTEM, user_id_for
from events.vocabulary import Role
from mobile_api.app import create_app
from mobile_api.services import Services
from tests.conftest import Clock, fresh_settings
from tests.integration.test_projection_properties import BACKENDS

PASSWORD = "a-long-password"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_account_disabled_elsewhere_is_refused_at_the_next_request(backend: str) -> None:
    with fresh_settings(backend) as settings:
        with bootstrap(settings) as elsewhere:
            elsewhere.users.add(SYSTEM, "leaving", "grid_worker", "520302/001", PASSWORD)
        services = Services(settings)
        try:
            user_id = user_id_for("leaving")
            first: Any = services.accounts.actor(user_id, 1)
            assert (first.username, first.role, first.scope) == ("leaving", Role.GRID_WORKER, "520302/001")
            assert services.accounts.actor(user_id, 1) == first  # kept: asked again, the same account
            with bootstrap(settings) as elsewhere:
                elsewhere.users.disable(SYSTEM, "leaving", "left the job")
            assert services.accounts.actor(user_id, 1) is None
            assert services.accounts.actor(user_id_for("nobody"), 1) is None
        finally:
            services.close()


NEW_PASSWORD = "a-new-long-password"
NEWER_PASSWORD = "a-newer-long-password"
SAME_SECOND = datetime(2026, 11, 24, 9, 30, 0, 400_000, tzinfo=UTC)
"""Every token of these tests is issued in this one second: a token's `iat` cannot tell them apart."""
ROUTES = [("GET", "/api/v1/me"), ("GET", "/api/v1/children"), ("GET", "/api/v1/me/tasks"),
          ("GET", "/api/v1/me/notifications"), ("GET", "/api/v1/sync"), ("POST", "/api/v1/visits")]
"""Reads and a write a grid worker may call: an old token is refused on each before anything else is looked at."""


def sign_in(client: TestClient[Any], password: str, device: str = "phone-1") -> str:
    answer = client.post("/api/v1/auth/login", json={"username": "mover", "password": password, "device_id": device})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def refused_everywhere(client: TestClient[Any], token: str) -> list[tuple[str, int, str]]:
    """The routes on which `token` was not refused with 401 `unauthenticated` (API.md: without a valid token, 401)."""
    wrong = []
    for method, path in ROUTES:
        answer = client.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                json={"submission_id": str(uuid4())} if method == "POST" else None)
        code = answer.json().get("code", "") if answer.headers.get("content-type", "").startswith("application/json") else ""
        if (answer.status_code, code) != (401, "unauthenticated"):
            wrong.append((path, answer.status_code, code))
    return wrong


def me(client: TestClient[Any], token: str) -> int:
    return int(client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_password_changed_elsewhere_refuses_every_token_issued_before_it(backend: str) -> None:
    """A password changed by another process (an admin's reset there) refuses the tokens issued before it at their
    very next request here, on every route; a token issued after it, in the same second, works."""
    warnings.simplefilter("ignore")
    with fresh_settings(backend) as settings:
        with bootstrap(settings) as elsewhere:
            elsewhere.users.add(SYSTEM, "mover", "grid_worker", "520302/001", PASSWORD)
        services = Services(settings, Clock(SAME_SECOND))
        try:
            with TestClient(create_app(settings, services)) as client:
                before = sign_in(client, PASSWORD)
                assert me(client, before) == 200  # the account is now kept by this process
                with bootstrap(settings) as elsewhere:
                    elsewhere.users.change_password(SYSTEM, "mover", NEW_PASSWORD)
                assert refused_everywhere(client, before) == []
                after = sign_in(client, NEW_PASSWORD)
                assert me(client, after) == 200
                assert me(client, before) == 401
        finally:
            services.close()


@contextmanager
def mover_in_a_frozen_second() -> Iterator[tuple[Services, TestClient[Litestar]]]:
    """A grid worker's account on SQLite, and a client of the app, under a clock that stands still."""
    warnings.simplefilter("ignore")
    with fresh_settings("sqlite") as settings:
        services = Services(settings, Clock(SAME_SECOND))
        try:
            services.app.users.add(SYSTEM, "mover", "grid_worker", "520302/001", PASSWORD)
            with TestClient(create_app(settings, services)) as client:
                yield services, client
        finally:
            services.close()


def test_tokens_issued_in_the_same_second_as_a_change_are_told_apart_and_a_second_change_refuses_the_first_new_one(
) -> None:
    """The clock stands still: the token issued just before the change is refused, the one just after it works;
    after a second change, only a token issued after that one works."""
    with mover_in_a_frozen_second() as (services, client):
        first = sign_in(client, PASSWORD)
        services.app.users.change_password(SYSTEM, "mover", NEW_PASSWORD)
        second = sign_in(client, NEW_PASSWORD)
        assert (me(client, first), me(client, second)) == (401, 200)
        mover = services.app.users.get("mover").as_actor()
        services.app.users.change_password(mover, "mover", NEWER_PASSWORD)  # the user's own change
        third = sign_in(client, NEWER_PASSWORD, device="phone-2")
        assert (me(client, first), me(client, second), me(client, third)) == (401, 401, 200)
        assert refused_everywhere(client, second) == []
        old = client.post("/api/v1/auth/login", json={"username": "mover", "password": NEW_PASSWORD,
                                                       "device_id": "phone-1"})
        assert old.status_code == 401 and old.json()["code"] == "unauthenticated"


def test_a_sign_in_that_checked_the_old_password_just_before_a_change_gets_a_token_refused_at_once() -> None:
    """The race a time would lose: a sign-in checks the old password, the change lands, then the sign-in's token is
    made (its `iat` after the change). It names the credentials it checked, so it is refused at its first request."""
    with mover_in_a_frozen_second() as (services, client):
        checked = services.app.users.authenticate("mover", PASSWORD)
        services.app.users.change_password(SYSTEM, "mover", NEW_PASSWORD)
        token, _ = services.tokens.issue(checked.id, "phone-1", checked.credentials)
        assert refused_everywhere(client, token) == []
        assert me(client, sign_in(client, NEW_PASSWORD)) == 200
