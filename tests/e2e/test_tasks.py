"""The worklist over HTTP (API.md v1.1): each role's next actions, soonest first, with the deadlines of the
design written out here; a task leaves the list when the thing is done."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, World, child_body
from tests.e2e.server import Api, add_users, environment, running_server, sub

PLACE = "520302/001/003/11"


def tasks(world: World, user: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = world.as_(user).get("/api/v1/me/tasks", **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_red_child_is_a_visit_due_in_3_days_for_the_field_workers_not_for_others(world: World) -> None:
    registered_at = datetime.now(UTC) - timedelta(minutes=10)
    child = world.as_("county").post("/api/v1/children", child_body(PLACE, occurred_at=registered_at.isoformat())).json()["child_id"]
    graded_at = datetime.now(UTC) - timedelta(minutes=1)
    graded = world.as_("county").post(f"/api/v1/children/{child}/risk-assessments",
                                      sub(level="red", reasons=["独自在家"], occurred_at=graded_at.isoformat()))
    assert graded.status_code == 201
    for user in ("grid", "director"):
        mine = [t for t in tasks(world, user, kind="visit_due") if t["child_id"] == child]
        assert len(mine) == 1 and mine[0]["priority"] == "red" and mine[0]["overdue"] is False
        assert at(mine[0]["due_at"]) == graded_at + timedelta(days=3)  # red: every 3 days, from the grading
        assert mine[0]["task_id"] == f"visit_due:{child}"
    for user in ("supervisor", "police", "auditor"):
        assert all(t["child_id"] != child for t in tasks(world, user))
    assert all(t["child_id"] != child for t in tasks(world, "director", due_before=(graded_at + timedelta(days=2)).isoformat()))
    visit = world.as_("director").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                             guardian_present=True))
    assert visit.status_code == 201
    moved = [t for t in tasks(world, "director", kind="visit_due") if t["child_id"] == child]
    assert at(moved[0]["due_at"]) > graded_at + timedelta(days=3)  # the next visit, 3 days after this one


def test_a_referral_is_the_departments_to_accept_within_2_hours_for_a_red_child_then_to_complete(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="red", reasons=["受伤"]))
    sent_at = datetime.now(UTC) - timedelta(minutes=1)
    referral = world.as_("county").post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="疑似受侵害",
                                                                 occurred_at=sent_at.isoformat())).json()["referral_id"]
    accept = [t for t in tasks(world, "police") if t.get("referral_id") == referral]
    assert [t["kind"] for t in accept] == ["referral_accept"]
    assert at(accept[0]["due_at"]) == sent_at + timedelta(hours=2) and accept[0]["priority"] == "red"
    assert not [t for t in tasks(world, "education") if t.get("referral_id") == referral]
    assert world.as_("police").post(f"/api/v1/referrals/{referral}/accept", sub(note="受理")).status_code == 201
    complete = [t for t in tasks(world, "police") if t.get("referral_id") == referral]
    assert [t["kind"] for t in complete] == ["referral_complete"]
    assert at(complete[0]["due_at"]) == sent_at + timedelta(days=30)
    done = world.as_("police").post(f"/api/v1/referrals/{referral}/complete", sub(note="结案", outcome="安全"))
    assert done.status_code == 201
    assert not [t for t in tasks(world, "police") if t.get("referral_id") == referral]


def test_a_report_is_to_triage_within_2_hours_if_urgent_24_otherwise_and_leaves_once_triaged(world: World) -> None:
    received_at = datetime.now(UTC) - timedelta(minutes=3)
    made = {}
    for urgency in ("urgent", "normal"):
        made[urgency] = world.as_("county").post("/api/v1/reports", sub(
            source="hotline", reporter={"role": "neighbour"}, description="孩子独自在家", jurisdiction=PLACE,
            urgency=urgency, occurred_at=received_at.isoformat())).json()["report_id"]
    for user in ("supervisor", "director"):
        mine = {t["report_id"]: t for t in tasks(world, user, kind="report_triage")}
        assert at(mine[made["urgent"]]["due_at"]) == received_at + timedelta(hours=2)
        assert at(mine[made["normal"]]["due_at"]) == received_at + timedelta(hours=24)
        assert mine[made["urgent"]]["priority"] == "red"
    assert not [t for t in tasks(world, "grid") if t.get("report_id") in made.values()]
    child = world.as_("county").post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    triaged = world.as_("supervisor").post(f"/api/v1/reports/{made['urgent']}/triage",
                                           sub(child_id=child, decision="monitor"))
    assert triaged.status_code == 201
    left = {t["report_id"] for t in tasks(world, "supervisor", kind="report_triage")}
    assert made["urgent"] not in left and made["normal"] in left


def test_the_list_is_soonest_first_and_pages_without_loss_or_repeat(world: World) -> None:
    county = world.as_("county")
    same_time = (datetime.now(UTC) - timedelta(minutes=2)).isoformat()
    registered_at = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()
    for _ in range(5):  # several tasks due at the same instant: ties settled by task id
        body = child_body(PLACE, categories=["left_behind"], occurred_at=registered_at)
        child = county.post("/api/v1/children", body).json()["child_id"]
        county.post(f"/api/v1/children/{child}/risk-assessments", sub(level="orange", occurred_at=same_time))
    whole = tasks(world, "director", limit=500)
    paged = tasks(world, "director", limit=2)
    assert [t["task_id"] for t in paged] == [t["task_id"] for t in whole]
    assert len({t["task_id"] for t in whole}) == len(whole)
    keys = [(at(t["due_at"]), t["task_id"]) for t in whole]
    assert keys == sorted(keys)
    sync_cursor = world.as_("director").get("/api/v1/sync").json()["cursor"]
    refused = world.as_("director").get("/api/v1/me/tasks", cursor=sync_cursor)
    assert refused.status_code == 400 and refused.json()["code"] == "bad_cursor"


def test_admin_has_no_worklist(world: World) -> None:
    answer = world.as_("admin").get("/api/v1/me/tasks")
    assert answer.status_code == 403 and answer.json()["code"] == "forbidden"


def test_an_orange_child_needs_a_named_worker_whose_visits_then_are_theirs_alone(world: World) -> None:
    county = world.as_("county")
    child = county.post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    county.post(f"/api/v1/children/{child}/risk-assessments", sub(level="orange", reasons=["父母外出"]))
    status = world.as_("director").get(f"/api/v1/children/{child}").json()
    assert "no_owner" in status["flags"] and status["owner"] is None
    assert any(t["child_id"] == child for t in tasks(world, "grid", kind="visit_due"))  # nobody named: the village's

    assigned = world.as_("director").post(f"/api/v1/children/{child}/assignment", sub(owner="director", partner="grid"))
    assert assigned.status_code == 201, assigned.text
    assert assigned.json()["owner"] == "director" and assigned.json()["partner"] == "grid"
    status = world.as_("supervisor").get(f"/api/v1/children/{child}").json()
    assert "no_owner" not in status["flags"] and (status["owner"], status["partner"]) == ("director", "grid")
    assert any(t["child_id"] == child for t in tasks(world, "director", kind="visit_due"))
    assert not any(t["child_id"] == child for t in tasks(world, "grid", kind="visit_due"))  # the owner's now

    for owner, field in (("police", "owner"), ("nobody-here", "owner"), ("director", "partner")):
        body = sub(owner=owner) if field == "owner" else sub(owner="director", partner="director")
        refused = world.as_("director").post(f"/api/v1/children/{child}/assignment", body)
        assert refused.status_code == 422 and refused.json()["extra"]["field"] == field, refused.text

    moved = county.post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/001/004/01", reason="搬家"))
    assert moved.status_code == 201, moved.text
    after = county.get(f"/api/v1/children/{child}").json()
    assert after["owner"] is None and "no_owner" in after["flags"]  # a transfer ends the assignment
    assert not any(t["child_id"] == child for t in tasks(world, "director", kind="visit_due"))


def test_the_last_sync_page_carries_the_worklist_and_unread_notifications_for_offline_use(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="red", reasons=["受伤"]))
    pages = []
    cursor = None
    while True:
        page = world.as_("director").get("/api/v1/sync", limit=5, **({"cursor": cursor} if cursor else {})).json()
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    assert all(p["tasks"] == [] and p["notifications"] == [] for p in pages[:-1])
    assert [t["task_id"] for t in pages[-1]["tasks"]] == [t["task_id"] for t in tasks(world, "director")][:200]
    supervisor = world.as_("supervisor").get("/api/v1/sync", limit=500).json()
    while supervisor["has_more"]:
        supervisor = world.as_("supervisor").get("/api/v1/sync", limit=500, cursor=supervisor["cursor"]).json()
    red = [n for n in supervisor["notifications"] if n["child_id"] == child]
    assert [n["kind"] for n in red] == ["red_graded"] and red[0]["read_at"] is None
    world.as_("supervisor").http.post(f"/api/v1/me/notifications/{red[0]['notification_id']}/read")
    again = world.as_("supervisor").get("/api/v1/sync", cursor=supervisor["cursor"]).json()
    assert not [n for n in again["notifications"] if n["child_id"] == child]  # read: no longer carried


def test_a_case_plan_review_is_a_task_of_its_department_and_director_until_reviewed(world: World) -> None:
    county = world.as_("county")
    child = county.post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    county.post("/api/v1/referrals", sub(child_id=child, to_department="education", reason="辍学风险"))
    review_by = datetime.now(UTC) - timedelta(hours=1)  # already late: the task is overdue
    planned = county.post("/api/v1/interventions", sub(
        child_id=child, type="education_support", plan="返校并每周家访", responsible_department="education",
        goals=[{"text": "两周内返校", "due_date": "2026-12-08"}], review_by=review_by.isoformat()))
    assert planned.status_code == 201, planned.text
    plan_id = planned.json()["intervention_id"]
    for user in ("education", "director"):
        review = [t for t in tasks(world, user, kind="intervention_review") if t["intervention_id"] == plan_id]
        assert len(review) == 1 and at(review[0]["due_at"]) == review_by and review[0]["overdue"] is True
    for user in ("police", "supervisor", "grid"):
        assert not [t for t in tasks(world, user) if t.get("intervention_id") == plan_id]
    stats = world.as_("supervisor").get("/api/v1/stats/summary", jurisdiction=PLACE).json()["tables"]["interventions"]
    row = next(r for r in stats["rows"] if r[1] == "education_support")
    assert row[-1] == 1 and stats["columns"][-1] == "复核逾期 review overdue"

    county.post(f"/api/v1/interventions/{plan_id}/start", sub())
    next_review = datetime.now(UTC) + timedelta(days=14)
    reviewed = world.as_("education").post(f"/api/v1/interventions/{plan_id}/review",
                                           sub(note="已返校", next_review_by=next_review.isoformat()))
    assert reviewed.status_code == 201, reviewed.text
    moved = [t for t in tasks(world, "education") if t.get("intervention_id") == plan_id]
    assert at(moved[0]["due_at"]) == next_review and moved[0]["overdue"] is False
    county.post(f"/api/v1/interventions/{plan_id}/end", sub(outcome="稳定就学"))
    assert not [t for t in tasks(world, "director") if t.get("intervention_id") == plan_id]
    naive = county.post("/api/v1/interventions", sub(child_id=child, type="psychological", plan="每周一次",
                                                     responsible_department="education", review_by="2026-12-01T09:00:00"))
    assert naive.status_code == 422 and naive.json()["extra"]["field"] == "review_by"


def test_a_countys_policy_file_sets_its_deadlines_and_is_served(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"visit_interval_days": {"red": 2}, "accept_within_red_hours": 1}))
    settings = Settings(data_dir=tmp_path / "data")
    add_users(settings, [("county", "supervisor", "520302", None)], PASSWORD)
    with running_server(settings, env={"HUHANG_POLICY_FILE": str(policy)}) as base:
        api = Api(base, "county", PASSWORD)
        vocabulary = api.get("/api/v1/vocabulary").json()
        assert {t["code"]: t["visit_interval_days"] for t in vocabulary["risk_levels"]}["red"] == 2
        assert vocabulary["policy"]["accept_within_red_hours"] == 1 and vocabulary["policy"]["accept_within_hours"] == 24
        child = api.post("/api/v1/children", child_body(PLACE)).json()["child_id"]
        api.post(f"/api/v1/children/{child}/risk-assessments", sub(level="red"))
        sent_at = datetime.now(UTC) - timedelta(minutes=1)
        referral = api.post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="危险",
                                                     occurred_at=sent_at.isoformat())).json()
        assert at(referral["accept_by"]) == sent_at + timedelta(hours=1)
        api.close()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"visit_interval_days": {"red": 400}}))
    refused = subprocess.run([sys.executable, "-m", "mobile_api.cli", "verify"], capture_output=True, text=True,
                             env=environment(settings) | {"HUHANG_POLICY_FILE": str(bad)}, timeout=60)
    assert refused.returncode == 2 and "policy file" in refused.stderr and "Traceback" not in refused.stderr
