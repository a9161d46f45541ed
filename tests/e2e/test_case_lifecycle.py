"""A case from open to closed and back, profile changes, merging a duplicate and aging out, over HTTP against the
real server (API.md v1.1 "Case lifecycle" and "Registering the same child twice, imports and merges"); the
expected values are written out here. Each test works in a village of its own, so counts are exact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from backend.bootstrap import bootstrap
from backend.settings import Settings
from projections.db import open_read_db
from projections.registry import PROJECTIONS
from projections.runner import Runner
from tests.e2e.conftest import PASSWORD, USERS, World, child_body
from tests.e2e.server import add_users, running_server, sub
from tests.integration.test_projection_properties import dump

BEIJING = timezone(timedelta(hours=8))


def new_child(world: World, place: str, **fields: Any) -> str:
    answer = world.as_("county").post("/api/v1/children", child_body(place, **fields))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["child_id"])


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def status(world: World, child: str, user: str = "county") -> dict[str, Any]:
    answer = world.as_(user).get(f"/api/v1/children/{child}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def all_items(world: World, user: str, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = world.as_(user).get(path, limit=500, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def ids(items: list[dict[str, Any]], key: str = "child_id") -> set[str]:
    return {str(i.get(key)) for i in items}


def stats_rows(world: World, place: str, table: str) -> dict[str, Any]:
    answer = world.as_("county").get("/api/v1/stats/summary", jurisdiction=place, **{"from": ago(days=80), "to": ago(seconds=-60)})
    assert answer.status_code == 200, answer.text
    return {row[1]: row[2] for row in answer.json()["tables"][table]["rows"]}


def overdue_child(world: World, place: str) -> str:
    """A yellow child graded 40 days ago and never visited: its visit was due 10 days ago."""
    child = new_child(world, place, occurred_at=ago(days=45))
    graded = world.as_("county").post(f"/api/v1/children/{child}/risk-assessments",
                                      sub(level="yellow", reasons=["学习困难"], occurred_at=ago(days=40)))
    assert graded.status_code == 201, graded.text
    return child


def test_a_closure_asked_and_approved_takes_the_child_out_of_due_lists_tasks_and_figures_and_reopening_brings_it_back(
    world: World,
) -> None:
    place = "520302/001/003/21"
    child = overdue_child(world, place)
    assert status(world, child)["overdue"] is True and status(world, child)["case_status"] == "open"
    assert child in ids(all_items(world, "director", "/api/v1/children", overdue="true"))
    assert f"visit_due:{child}" in ids(all_items(world, "director", "/api/v1/me/tasks"), "task_id")
    before_closure = datetime.now(UTC).isoformat()

    asked = world.as_("director").post(f"/api/v1/children/{child}/closure", sub(reason="moved_away", note="随母亲迁往外省"))
    assert asked.status_code == 201, asked.text
    assert asked.json()["case_status"] == "closure_requested" and asked.json()["closure_reason"] == "moved_away"
    assert status(world, child)["overdue"] is True  # asked, not closed: still due
    approvals = [t for t in all_items(world, "supervisor", "/api/v1/me/tasks") if t["kind"] == "closure_approval"]
    assert [t["task_id"] for t in approvals if t["child_id"] == child] == [f"closure_approval:{child}"]
    assert not [t for t in all_items(world, "director", "/api/v1/me/tasks") if t["kind"] == "closure_approval"]
    notices = [n for n in all_items(world, "supervisor", "/api/v1/me/notifications") if n["kind"] == "closure_requested"]
    assert [n["child_id"] for n in notices if n["child_id"] == child] == [child]
    assert stats_rows(world, place, "closures")["closure_requested"] == 1

    approved = world.as_("supervisor").post(f"/api/v1/children/{child}/closure/approve", sub(note="核实已迁出"))
    assert approved.status_code == 201, approved.text
    closed = status(world, child)
    assert (closed["case_status"], closed["closure_reason"], closed["next_visit_due"], closed["overdue"]) == (
        "closed", "moved_away", None, False)
    assert "overdue" not in closed["flags"]
    assert child not in ids(all_items(world, "director", "/api/v1/children", overdue="true"))
    assert child not in ids(all_items(world, "director", "/api/v1/children", due_before=ago(seconds=-86400 * 400)))
    assert child in ids(all_items(world, "director", "/api/v1/children"))  # still in the caseload, as closed
    assert child not in ids(all_items(world, "director", "/api/v1/me/tasks"))
    assert child not in ids(all_items(world, "supervisor", "/api/v1/me/tasks"))
    visits = stats_rows(world, place, "visits")
    assert (visits["children"], visits["children_overdue_now"]) == (0, 0)
    closures = stats_rows(world, place, "closures")
    assert (closures["moved_away"], closures["closure_requested"], closures["deceased"]) == (1, 0, 0)
    assert stats_rows(world, place, "children_by_category")["left_behind"] == 0  # the active caseload only

    history = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert [e["type"] for e in history][-2:] == ["ClosureRequested", "CaseClosed"]
    then = world.as_("auditor").get(f"/api/v1/audit/children/{child}/as-of", at=before_closure).json()
    assert then["case_status"] == "open" and then["overdue"] is True

    reopened = world.as_("director").post(f"/api/v1/children/{child}/reopen", sub(reason="随母亲返回本村"))
    assert reopened.status_code == 201 and reopened.json()["case_status"] == "open"
    again = status(world, child)
    assert again["overdue"] is True and again["closure_reason"] is None
    assert child in ids(all_items(world, "director", "/api/v1/children", overdue="true"))
    assert stats_rows(world, place, "visits")["children"] == 1


def test_illegal_transitions_are_409_and_store_nothing(world: World) -> None:
    place = "520302/001/003/22"
    child = new_child(world, place)
    supervisor, director = world.as_("supervisor"), world.as_("director")
    for path, body in [("/closure/approve", sub(note="")), ("/closure/reject", sub(note="")), ("/reopen", sub(reason="x"))]:
        refused = supervisor.post(f"/api/v1/children/{child}{path}", body)
        assert (refused.status_code, refused.json()["code"]) == (409, "illegal_transition"), path
    assert director.post(f"/api/v1/children/{child}/closure", sub(reason="other")).status_code == 201
    twice = director.post(f"/api/v1/children/{child}/closure", sub(reason="other"))
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    assert supervisor.post(f"/api/v1/children/{child}/closure", sub(reason="risk_resolved")).status_code == 201
    closed_again = supervisor.post(f"/api/v1/children/{child}/closure", sub(reason="risk_resolved"))
    assert (closed_again.status_code, closed_again.json()["code"]) == (409, "illegal_transition")
    assert status(world, child)["version"] == 3  # registered, asked, closed: the refusals stored nothing
    unknown = supervisor.post(f"/api/v1/children/{new_child(world, place)}/closure", sub(reason="bored"))
    assert unknown.status_code == 422
    no_reason = supervisor.post(f"/api/v1/children/{child}/reopen", sub(reason="  "))
    assert (no_reason.status_code, no_reason.json()["extra"]["field"]) == (422, "reason")


def test_hostile_callers_of_the_lifecycle(world: World) -> None:
    place = "520302/001/003/23"
    child = new_child(world, place)
    grid_close = world.as_("grid").post(f"/api/v1/children/{child}/closure", sub(reason="deceased"))
    assert grid_close.status_code == 403
    body = sub(reason="risk_resolved", note="风险消除")
    asked = world.as_("director").post(f"/api/v1/children/{child}/closure", body)
    assert asked.status_code == 201
    for path in ("/closure/approve", "/closure/reject"):  # a director cannot decide their own request
        assert world.as_("director").post(f"/api/v1/children/{child}{path}", sub(note="")).status_code == 403
    replay = world.as_("director").post(f"/api/v1/children/{child}/closure", body)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == asked.json()
    changed = world.as_("director").post(f"/api/v1/children/{child}/closure", body | {"reason": "deceased"})
    assert (changed.status_code, changed.json()["code"]) == (409, "submission_conflict")
    other_town = new_child(world, "520302/002/001/01/07")
    for user, path in [("supervisor", "/closure"), ("director", "/closure"), ("supervisor", "/reopen")]:
        outside = world.as_(user).post(f"/api/v1/children/{other_town}{path}", sub(reason="moved_away"))
        assert outside.status_code == 404, (user, path)
    assert status(world, child)["case_status"] == "closure_requested"


def test_what_happened_after_a_closure_is_refused_and_what_happened_before_it_is_kept(world: World) -> None:
    place = "520302/001/003/24"
    child = new_child(world, place, occurred_at=ago(days=3))
    closed = world.as_("supervisor").post(f"/api/v1/children/{child}/closure",
                                          sub(reason="moved_away", occurred_at=ago(days=1)))
    assert closed.status_code == 201
    visit = dict(child_id=child, visit_type="home", child_seen=True, guardian_present=True)
    after = world.as_("director").post("/api/v1/visits", sub(**visit))
    assert (after.status_code, after.json()["code"]) == (409, "child_closed")
    before = world.as_("director").post("/api/v1/visits", sub(**visit, occurred_at=ago(days=2)))  # made offline
    assert before.status_code == 201 and before.json()["late"] is True
    refused = {
        "risk-assessments": sub(level="red"),
        "categories": sub(add=["idle_minor"], reason="辍学"),
        "profile": sub(phone="13900001111"),
        "assignment": sub(owner="director"),
        "conferences": sub(participants=["民政"], decisions=["跟进"]),
    }
    for path, body in refused.items():
        answer = world.as_("supervisor").post(f"/api/v1/children/{child}/{path}", body)
        assert (answer.status_code, answer.json()["code"]) == (409, "child_closed"), path
    referral = world.as_("supervisor").post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="x"))
    assert (referral.status_code, referral.json()["code"]) == (409, "child_closed")
    for decision, expected in [({"decision": "refer", "refer_to": "police"}, 409), ({"decision": "monitor"}, 201)]:
        report = world.as_("director").post("/api/v1/reports", sub(
            source="hotline", reporter={"role": "neighbour"}, description="又见孩子独自在家", jurisdiction=place))
        triaged = world.as_("director").post(f"/api/v1/reports/{report.json()['report_id']}/triage",
                                             sub(child_id=child, **decision))
        assert triaged.status_code == expected, triaged.text  # a report is kept; no one is sent to a closed case
    shown = status(world, child)
    assert shown["last_visit_at"] is not None and shown["next_visit_due"] is None and shown["overdue"] is False


def test_profile_changes_follow_the_late_rule_and_show_what_a_caller_may_see(world: World) -> None:
    place = "520302/001/003/25"
    child = new_child(world, place, occurred_at=ago(days=10), categories=["crime_victim", "left_behind"])
    newer = world.as_("grid").post(f"/api/v1/children/{child}/profile", sub(
        address="某镇某街 8 号", phone="13900002222", school="某镇中心小学", occurred_at=ago(days=2)))
    assert newer.status_code == 201, newer.text
    answer = newer.json()
    assert (answer["address"], answer["phone"], answer["school"], answer["superseded"]) == (
        "某镇某街 8 号", "13900002222", "某镇中心小学", [])
    assert answer["categories"] == ["left_behind"] and answer["withheld"] == ["categories:sensitive"]  # grid worker
    older = world.as_("director").post(f"/api/v1/children/{child}/profile", sub(
        address="某村老屋", household_position="长子", occurred_at=ago(days=5)))
    assert older.status_code == 201 and older.json()["superseded"] == ["address"]
    shown = status(world, child, "grid")
    assert (shown["address"], shown["household_position"], shown["phone"], shown["school"]) == (
        "某镇某街 8 号", "长子", "13900002222", "某镇中心小学")
    history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    changes = [e["data"] for e in history if e["type"] == "ProfileChanged"]
    assert [c["changes"].get("address") for c in changes] == ["某镇某街 8 号", "某村老屋"]
    empty = world.as_("director").post(f"/api/v1/children/{child}/profile", sub())
    assert empty.status_code == 422
    bad_phone = world.as_("director").post(f"/api/v1/children/{child}/profile", sub(phone="call me"))
    assert bad_phone.status_code == 422
    unknown = world.as_("director").post(f"/api/v1/children/{child}/profile", sub(name="别的名字"))
    assert unknown.status_code == 422  # the name is corrected, not changed in life
    assert world.as_("auditor").post(f"/api/v1/children/{child}/profile", sub(phone="13900003333")).status_code == 403


def test_a_merged_duplicate_is_closed_pointing_to_the_kept_child_and_sync_says_so(world: World) -> None:
    place = "520302/001/003/26"
    kept = new_child(world, place)
    duplicate = new_child(world, place, name="王晓明")
    start = world.as_("director").get("/api/v1/sync").json()
    cursor = start["cursor"]
    while start["has_more"]:
        start = world.as_("director").get("/api/v1/sync", cursor=cursor).json()
        cursor = start["cursor"]

    assert world.as_("director").post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate)).status_code == 403
    merged = world.as_("supervisor").post(f"/api/v1/children/{kept}/merge",
                                          sub(duplicate_child_id=duplicate, note="同一儿童重复登记"))
    assert merged.status_code == 201, merged.text
    assert merged.json()["merged"] == {"child_id": duplicate, "case_status": "closed", "closure_reason": "duplicate",
                                       "merged_into": kept}
    gone = status(world, duplicate)
    assert (gone["case_status"], gone["closure_reason"], gone["merged_into"]) == ("closed", "duplicate", kept)
    assert status(world, kept)["case_status"] == "open" and status(world, kept)["merged_into"] is None
    feed = world.as_("director").get("/api/v1/sync", cursor=cursor).json()
    synced = {c["child_id"]: c for c in feed["children"]}
    assert synced[duplicate]["merged_into"] == kept and synced[duplicate]["case_status"] == "closed"
    kept_history = world.as_("auditor").get(f"/api/v1/audit/children/{kept}/history").json()["items"]
    assert kept_history[-1]["type"] == "DuplicateMerged" and kept_history[-1]["data"]["duplicate_child_id"] == duplicate
    dup_history = world.as_("auditor").get(f"/api/v1/audit/children/{duplicate}/history").json()["items"]
    assert [e["type"] for e in dup_history] == ["ChildRegistered", "CaseClosed"]
    assert dup_history[-1]["data"]["merged_into"] == kept

    third = new_child(world, place)
    refusals = [
        (kept, kept, 422, "merge_into_self"),
        (third, duplicate, 409, "already_merged"),  # the duplicate again
        (duplicate, third, 409, "already_merged"),  # into a merged record
    ]
    for into, dup, code, name in refusals:
        answer = world.as_("supervisor").post(f"/api/v1/children/{into}/merge", sub(duplicate_child_id=dup))
        assert (answer.status_code, answer.json()["code"]) == (code, name), answer.text
    reopen = world.as_("supervisor").post(f"/api/v1/children/{duplicate}/reopen", sub(reason="误合并"))
    assert (reopen.status_code, reopen.json()["code"]) == (409, "already_merged")
    closed = new_child(world, place)
    assert world.as_("supervisor").post(f"/api/v1/children/{closed}/closure", sub(reason="deceased")).status_code == 201
    into_closed = world.as_("supervisor").post(f"/api/v1/children/{closed}/merge", sub(duplicate_child_id=third))
    assert (into_closed.status_code, into_closed.json()["code"]) == (409, "child_closed")
    other_town = new_child(world, "520302/002/001/01/08")
    for into, dup in [(kept, other_town), (other_town, third)]:  # both must be in the supervisor's scope
        across = world.as_("supervisor").post(f"/api/v1/children/{into}/merge", sub(duplicate_child_id=dup))
        assert across.status_code == 404
    assert status(world, third)["case_status"] == "open" and status(world, other_town)["case_status"] == "open"


def birth_turning_18_in(days: int) -> date:
    """A birth date whose 18th birthday (China time) is `days` from today (never 29 February)."""
    birthday = datetime.now(BEIJING).date() + timedelta(days=days)
    if (birthday.month, birthday.day) == (2, 29):
        birthday += timedelta(days=1)
    return birthday.replace(year=birthday.year - 18)


def test_a_child_about_to_turn_18_is_an_aging_out_task_and_past_it_leaves_the_due_lists_until_closed(world: World) -> None:
    place = "520302/001/003/27"
    soon_birth = birth_turning_18_in(10)
    soon = new_child(world, place, birth_date=soon_birth.isoformat())
    later = new_child(world, place, birth_date=birth_turning_18_in(40).isoformat())
    director_tasks = {t["task_id"]: t for t in all_items(world, "director", "/api/v1/me/tasks", kind="aging_out")}
    task = director_tasks[f"aging_out:{soon}"]
    assert datetime.fromisoformat(task["due_at"]) == datetime(soon_birth.year + 18, soon_birth.month, soon_birth.day,
                                                              tzinfo=BEIJING)
    assert task["overdue"] is False and f"aging_out:{later}" not in director_tasks
    assert f"aging_out:{soon}" not in ids(all_items(world, "grid", "/api/v1/me/tasks"), "task_id")  # owner or directors
    assert world.as_("director").post(f"/api/v1/children/{soon}/assignment", sub(owner="grid")).status_code == 201
    assert f"aging_out:{soon}" in ids(all_items(world, "grid", "/api/v1/me/tasks"), "task_id")
    assert f"aging_out:{soon}" not in ids(all_items(world, "director", "/api/v1/me/tasks"), "task_id")

    past_birth = birth_turning_18_in(-20)  # registered 60 days ago, at 17; 18 since 20 days
    past = new_child(world, place, birth_date=past_birth.isoformat(), occurred_at=ago(days=60))
    world.as_("county").post(f"/api/v1/children/{past}/risk-assessments",
                             sub(level="yellow", reasons=["x"], occurred_at=ago(days=50))).raise_for_status()
    shown = status(world, past)
    assert "aged_out" in shown["flags"] and "overdue" not in shown["flags"]
    assert (shown["overdue"], shown["next_visit_due"], shown["case_status"]) == (False, None, "open")
    assert past not in ids(all_items(world, "director", "/api/v1/children", overdue="true"))
    assert f"visit_due:{past}" not in ids(all_items(world, "director", "/api/v1/me/tasks"), "task_id")
    aging = {t["task_id"]: t for t in all_items(world, "director", "/api/v1/me/tasks", kind="aging_out")}
    assert aging[f"aging_out:{past}"]["overdue"] is True
    assert stats_rows(world, place, "visits")["children_aged_out"] == 1
    closed = world.as_("supervisor").post(f"/api/v1/children/{past}/closure", sub(reason="aged_out"))
    assert closed.status_code == 201
    assert "aged_out" not in status(world, past)["flags"]
    assert f"aging_out:{past}" not in ids(all_items(world, "director", "/api/v1/me/tasks"), "task_id")
    assert stats_rows(world, place, "closures")["aged_out"] == 1


def test_a_rebuild_from_the_log_gives_the_same_rows_as_the_server_built(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    add_users(settings, [*USERS, ("county_c", "supervisor", "520303", None)], PASSWORD)
    with running_server(settings) as base:
        world = World(base)
        place = "520302/001/003/28"
        child, duplicate, other = (new_child(world, place, occurred_at=ago(days=5)) for _ in range(3))
        elsewhere = world.as_("county_c").post("/api/v1/children", child_body("520303/001/001")).json()["child_id"]
        for user, into, dup in [("county", other, elsewhere), ("county_c", elsewhere, other)]:  # across counties
            across = world.as_(user).post(f"/api/v1/children/{into}/merge", sub(duplicate_child_id=dup))
            assert across.status_code == 404, across.text
        steps = [
            ("director", f"/api/v1/children/{child}/closure", sub(reason="moved_away")),
            ("supervisor", f"/api/v1/children/{child}/closure/reject", sub(note="继续")),
            ("director", f"/api/v1/children/{child}/closure", sub(reason="risk_resolved")),
            ("supervisor", f"/api/v1/children/{child}/closure/approve", sub(note="同意")),
            ("director", f"/api/v1/children/{child}/reopen", sub(reason="返回")),
            ("grid", f"/api/v1/children/{other}/profile", sub(address="新", occurred_at=ago(days=1))),
            ("grid", f"/api/v1/children/{other}/profile", sub(address="旧", school="某小学", occurred_at=ago(days=3))),
            ("supervisor", f"/api/v1/children/{other}/merge", sub(duplicate_child_id=duplicate)),
            ("director", f"/api/v1/children/{other}/closure", sub(reason="aged_out")),
        ]
        for user, path, body in steps:
            answer = world.as_(user).post(path, body)
            assert answer.status_code == 201, (path, answer.text)
        new_child(world, place, birth_date=birth_turning_18_in(5).isoformat())
        world.close()
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        for projection in PROJECTIONS.values():
            Runner(app.store, db, settings.policy, projection, suffix="_scratch").catch_up()
        live, rebuilt = dump(db), dump(db, "_scratch")
        db.close()
    assert live == rebuilt
    assert live["rm_children"][duplicate]["merged_into"] == other
    assert live["rm_children"][other]["address"] == "新" and live["rm_children"][other]["school"] == "某小学"
    assert live["rm_children"][child]["case_status"] == "open"
    assert live["rm_cov_places"][duplicate]["open"] is False
    assert live["rm_children"][elsewhere]["case_status"] == "open"
