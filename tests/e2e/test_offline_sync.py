"""A device syncs, goes offline while others work (one child transferred away), and syncs again."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import World, child_body
from tests.e2e.server import Api, sub

PLACE = "520302/001/003/02/01"


def sync_all(api: Api, cursor: str | None, limit: int = 2) -> tuple[dict[str, dict[str, Any]], set[str], str]:
    """Follow every page; return the children seen, the removed ids and the last cursor."""
    seen: dict[str, dict[str, Any]] = {}
    removed: set[str] = set()
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = api.get("/api/v1/sync", **params)
        assert page.status_code == 200, page.text
        body = page.json()
        seen.update({c["child_id"]: c for c in body["children"]})
        removed |= set(body["removed"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return seen, removed, cursor


def server_view(api: Api) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        page = api.get("/api/v1/children", limit=500, **({"cursor": cursor} if cursor else {})).json()
        items.update({c["child_id"]: c for c in page["items"]})
        cursor = page["next_cursor"]
        if not cursor:
            return items


def test_device_ends_with_exactly_the_servers_view_of_its_scope(world: World) -> None:
    director, county = world.as_("director"), world.as_("county")
    for _ in range(3):
        county.post("/api/v1/children", child_body(PLACE))
    local, _, cursor = sync_all(director, None)
    assert local.keys() == server_view(director).keys()

    # Offline: others change things, one child leaves the director's scope.
    ids = sorted(local)
    county.post(f"/api/v1/children/{ids[0]}/risk-assessments", sub(level="orange", reasons=["监护缺失"]))
    county.post("/api/v1/visits", sub(child_id=ids[1], visit_type="home", child_seen=True, guardian_present=True))
    county.post(f"/api/v1/children/{ids[2]}/transfer", sub(to_jurisdiction="520302/002/004", reason="随父母迁居"))
    newcomer = county.post("/api/v1/children", child_body(PLACE)).json()["child_id"]

    changed, removed, _ = sync_all(director, cursor)
    local.update(changed)
    for child_id in removed:
        local.pop(child_id, None)
    assert ids[2] in removed and newcomer in changed
    assert local == server_view(director)


def test_cursor_the_server_cannot_honour_is_410(world: World) -> None:
    director = world.as_("director")
    assert director.get("/api/v1/sync", cursor="not-a-cursor").status_code == 410
    assert director.get("/api/v1/sync", cursor="WzEwMDAwMDAwMCwiIl0=").status_code == 410  # beyond the log's end
