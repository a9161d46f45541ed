"""Notifications over HTTP (API.md v1.1): who is told what, written out here, and read marks."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import PLACE_A, PLACE_B, World, child_body
from tests.e2e.server import sub


def inbox(world: World, user: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = world.as_(user).get("/api/v1/me/notifications", **({"cursor": cursor} if cursor else {}), limit=2)
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def test_a_child_newly_graded_red_is_told_to_the_supervisors_of_its_jurisdiction_once(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE_A, name="红红")).json()["child_id"]
    for level in ("red", "red", "orange"):  # only the first grading to red is news
        world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level=level, reasons=["受伤"]))
    for user in ("supervisor", "county"):  # the town's supervisor and the county's
        mine = [n for n in inbox(world, user) if n["child_id"] == child]
        assert [n["kind"] for n in mine] == ["red_graded"] and "红红" in mine[0]["title"]
        assert mine[0]["read_at"] is None and "受伤" not in mine[0]["body"]  # no free text in a notification
    for user in ("director", "grid", "police", "auditor"):
        assert not [n for n in inbox(world, user) if n.get("child_id") == child]


def test_an_urgent_report_is_told_to_supervisors_and_a_referral_to_its_department(world: World) -> None:
    report = world.as_("county").post("/api/v1/reports", sub(
        source="hotline", reporter={"role": "neighbour"}, description="邻居听到哭喊", jurisdiction=PLACE_A,
        urgency="urgent")).json()["report_id"]
    told = [n for n in inbox(world, "supervisor") if n.get("report_id") == report]
    assert [n["kind"] for n in told] == ["urgent_report"] and "邻居听到哭喊" not in told[0]["body"]
    child = world.as_("county").post("/api/v1/children", child_body(PLACE_A)).json()["child_id"]
    referral = world.as_("county").post("/api/v1/referrals", sub(child_id=child, to_department="police",
                                                                 reason="疑似受侵害")).json()["referral_id"]
    assert [n["kind"] for n in inbox(world, "police") if n.get("referral_id") == referral] == ["referral_received"]
    for user in ("education", "police_b", "supervisor"):
        assert not [n for n in inbox(world, user) if n.get("referral_id") == referral]
    far = world.as_("county").post("/api/v1/children", child_body(PLACE_B)).json()["child_id"]
    world.as_("county").post(f"/api/v1/children/{far}/risk-assessments", sub(level="red"))
    assert not [n for n in inbox(world, "supervisor") if n.get("child_id") == far]  # another town's


def test_the_recipient_marks_a_notification_read_once_and_nobody_else_can(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE_A)).json()["child_id"]
    world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="red"))
    notice = next(n for n in inbox(world, "supervisor") if n["child_id"] == child)
    path = f"/api/v1/me/notifications/{notice['notification_id']}/read"
    assert world.as_("director").http.post(path).status_code == 404  # not addressed to a director
    first = world.as_("supervisor").http.post(path)
    assert first.status_code == 204 and first.content == b""
    assert world.as_("supervisor").http.post(path).status_code == 204  # again: the same
    read = next(n for n in inbox(world, "supervisor") if n["notification_id"] == notice["notification_id"])
    assert read["read_at"] is not None
    unread_for_county = next(n for n in inbox(world, "county") if n["notification_id"] == notice["notification_id"])
    assert unread_for_county["read_at"] is None  # read marks are per recipient
    history = world.as_("auditor").get("/api/v1/audit/verify").json()
    assert history["ok"] is True
