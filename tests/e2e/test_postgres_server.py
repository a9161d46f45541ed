"""The same server on PostgreSQL: the access matrix, idempotent writes and offline sync."""

from __future__ import annotations

from tests.e2e.conftest import PLACE_A, World, child_body
from tests.e2e.test_access_matrix import run_matrix
from tests.e2e.test_offline_sync import server_view, sync_all


def test_access_matrix_on_postgres(postgres_world: World) -> None:
    assert run_matrix(postgres_world) == []


def test_replay_and_sync_on_postgres(postgres_world: World) -> None:
    director = postgres_world.as_("director")
    body = child_body(PLACE_A)
    first, again = director.post("/api/v1/children", body), director.post("/api/v1/children", body)
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    local, _, _ = sync_all(director, None)
    assert local == server_view(director)
