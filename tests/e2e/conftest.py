"""The server world for end-to-end tests: accounts, two children (one per town), a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.settings import Settings
from tests.conftest import new_schema, schema_url
from tests.e2e.server import Api, add_users, running_server, sub

PASSWORD = "e2e-password-1"
TOWN_A = "520302/001"
TOWN_B = "520302/002"
PLACE_A = "520302/001/003/01/02"
PLACE_B = "520302/002/001/01/01"

USERS: list[tuple[str, str, str, str | None]] = [
    ("county", "supervisor", "520302", None),
    ("grid", "grid_worker", "520302/001/003", None),
    ("director", "child_director", "520302/001/003", None),
    ("supervisor", "supervisor", TOWN_A, None),
    ("police", "department_handler", TOWN_A, "police"),
    ("education", "department_handler", TOWN_A, "education"),
    ("auditor", "auditor", TOWN_A, None),
    ("admin", "admin", "520302", None),
    ("police_b", "department_handler", TOWN_B, "police"),
]


def child_body(place: str, **overrides: Any) -> dict[str, Any]:
    fields = dict(name="王小明", sex="male", birth_date="2015-01-01", jurisdiction=place, address="某村 1 号",
                  categories=["left_behind"], home_geo={"lat": 27.7, "lon": 106.9, "accuracy_m": 10})
    return sub(**(fields | overrides))


class World:
    """A running server with accounts signed in, and one child in each town."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.apis: dict[str, Api] = {}
        self.child_a = self.as_("county").post("/api/v1/children", child_body(PLACE_A)).json()["child_id"]
        self.child_b = self.as_("county").post("/api/v1/children", child_body(PLACE_B)).json()["child_id"]

    def as_(self, username: str) -> Api:
        if username not in self.apis:
            self.apis[username] = Api(self.base, username, PASSWORD, device=f"{username}-phone")
        return self.apis[username]

    def close(self) -> None:
        for api in self.apis.values():
            api.close()


@pytest.fixture(scope="module")
def sqlite_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=Path(tmp_path_factory.mktemp("server")))


@pytest.fixture(scope="module")
def world(sqlite_settings: Settings) -> Iterator[World]:
    add_users(sqlite_settings, USERS, PASSWORD)
    with running_server(sqlite_settings) as base:
        w = World(base)
        yield w
        w.close()


@pytest.fixture(scope="module")
def postgres_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with new_schema("e2e") as schema:
        settings = Settings(data_dir=Path(tmp_path_factory.mktemp("pg-server")), database_url=schema_url(schema))
        add_users(settings, USERS, PASSWORD)
        with running_server(settings) as base:
            w = World(base)
            yield w
            w.close()
