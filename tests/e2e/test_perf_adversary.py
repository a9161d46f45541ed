"""The compact stored form, receipts re-derived as answers, the kept account and the runner lease, probed as a
hostile user and a failing dependency would, over HTTP against a real server. Expected values come from DESIGN.md §3
and API.md (v1 conventions: writes, scope; v1.1: what a withheld fact looks like), not from the code."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.conftest import World, child_body
from tests.e2e.server import sub


def _visit(child: str) -> dict[str, Any]:
    return sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True, notes="看望")


def test_twenty_concurrent_arrivals_of_one_submission_store_one_visit_and_answer_one_body(world: World) -> None:
    """DESIGN.md §3: the same submission arriving many times stores one set of events and answers with the original
    result: one 201, nineteen 200 replays, all with the same body, and the child has one visit."""
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/41")).json()["child_id"]
    body = _visit(child)
    token = world.as_("grid").token

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=world.base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            return c.post("/api/v1/visits", json=body)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    visits = world.as_("grid").get(f"/api/v1/children/{child}/visits").json()["items"]
    assert [v["visit_id"] for v in visits] == [answers[0].json()["visit_id"]]


def test_one_submission_id_for_another_command_or_other_content_is_409(world: World) -> None:
    """API.md: the same submission_id with different content is 409, whichever route it arrives on."""
    grid = world.as_("grid")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/42")).json()["child_id"]
    body = _visit(child)
    assert grid.post("/api/v1/visits", body).status_code == 201
    other = grid.post("/api/v1/visits", body | {"notes": "另一段"})
    assert other.status_code == 409, other.text
    elsewhere = grid.post(f"/api/v1/children/{child}/profile", {"submission_id": body["submission_id"],
                                                                  "address": "某村 2 号"})
    assert elsewhere.status_code == 409, elsewhere.text
    by_another = world.as_("director").post("/api/v1/visits", body)
    assert by_another.status_code == 409, by_another.text
    assert len(grid.get(f"/api/v1/children/{child}/visits").json()["items"]) == 1


def test_a_visit_replayed_after_its_child_was_closed_still_replays(world: World) -> None:
    """A replay answers the original result even when the same command would now be refused (child closed)."""
    grid = world.as_("grid")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/43")).json()["child_id"]
    body = _visit(child)
    first = grid.post("/api/v1/visits", body)
    assert first.status_code == 201, first.text
    closed = world.as_("supervisor").post(f"/api/v1/children/{child}/closure", sub(reason="moved_away", note="迁出"))
    assert closed.status_code == 201 and closed.json()["case_status"] == "closed", closed.text
    assert grid.post("/api/v1/visits", _visit(child)).status_code in (409, 422)
    again = grid.post("/api/v1/visits", body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()


def test_a_police_referral_replayed_after_the_child_was_sealed_is_not_named_to_a_supervisor(world: World) -> None:
    """DESIGN.md §1 disclosure table: a justice department's referral about a sealed child is a sealed matter, which
    a supervisor may not know of (the referral list leaves it out). API.md v1.1: no route tells a withheld fact,
    a write's answer included; the kept child's answer applies a sealing made since to a replay too."""
    supervisor = world.as_("supervisor")
    child = world.as_("county").post("/api/v1/children", child_body(
        "520302/001/003/44", categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    body = sub(child_id=child, to_department="police", reason="涉罪", urgency="normal")
    first = supervisor.post("/api/v1/referrals", body)
    assert first.status_code == 201, first.text
    sealed = world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定"))
    assert sealed.status_code == 201, sealed.text
    listed = supervisor.get("/api/v1/referrals", limit=500).json()["items"]
    assert first.json()["referral_id"] not in {r["referral_id"] for r in listed}
    again = supervisor.post("/api/v1/referrals", body)
    assert again.status_code == 404 and again.json()["code"] == "referral_not_found", again.text
    assert "police" not in again.text and first.json()["referral_id"] not in again.text, again.text
