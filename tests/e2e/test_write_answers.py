"""A write's answer and a read right after it are the same: the same view code makes both.

For each write route the fields its answer shares with the record's read are compared one by one, with the
values that matter written out; a replayed submission answers with the same body as the first arrival, to a caller
who may still see its record (tests/e2e/test_replay_visibility.py: otherwise 404, as the read).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

from tests.e2e.conftest import PLACE_A, World, child_body
from tests.e2e.server import Api, sub
from tests.e2e.test_media import HOME, upload
from tests.media.images import jpeg

CHINA = timezone(timedelta(hours=8))


def new_child(world: World) -> str:
    body = child_body(PLACE_A, home_geo={"lat": HOME[0], "lon": HOME[1], "accuracy_m": 5})
    return str(world.as_("director").post("/api/v1/children", body).json()["child_id"])


def first_and_replay(api: Api, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST twice with the same submission: 201, then 200 replayed with the same body; the body."""
    first = api.post(path, body)
    assert first.status_code == 201, first.text
    again = api.post(path, body)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true", again.text
    assert again.json() == first.json()
    answer: dict[str, Any] = first.json()
    return answer


def shared(answer: dict[str, Any], read: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        assert answer[name] == read[name], (name, answer[name], read[name])


def test_a_visit_whose_photo_is_stored_answers_what_its_read_shows(world: World) -> None:
    director, child = world.as_("director"), new_child(world)
    old_photo = jpeg(taken=datetime.now(CHINA) - timedelta(days=2), gps=HOME, seed=71)
    upload(director, child, old_photo)
    missing = hashlib.sha256(b"not yet uploaded").hexdigest()
    body = sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True,
               photos=[hashlib.sha256(old_photo).hexdigest(), missing],
               geo={"lat": HOME[0], "lon": HOME[1], "accuracy_m": 8})
    answer = first_and_replay(director, "/api/v1/visits", body)
    read = director.get(f"/api/v1/visits/{answer['visit_id']}").json()
    assert answer["flags"] == ["photo_time_mismatch"]
    assert answer["missing_photos"] == [missing] and answer["evidence_complete"] is False
    assert answer["late"] is False
    shared(answer, read, ("visit_id", "child_id", "late", "evidence_complete", "missing_photos", "flags"))


def test_a_far_visit_not_seeing_the_child_answers_its_flags_as_read(world: World) -> None:
    director, child = world.as_("director"), new_child(world)
    body = sub(child_id=child, visit_type="home", child_seen=False, guardian_present=False,
               geo={"lat": HOME[0] + 0.01, "lon": HOME[1], "accuracy_m": 350})
    answer = first_and_replay(director, "/api/v1/visits", body)
    read = director.get(f"/api/v1/visits/{answer['visit_id']}").json()
    assert set(answer["flags"]) == {"child_not_seen", "low_accuracy", "far_from_home"}
    assert answer["evidence_complete"] is True and answer["missing_photos"] == []
    shared(answer, read, ("visit_id", "child_id", "late", "evidence_complete", "missing_photos", "flags"))


def referral_read(api: Api, referral_id: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = api.get("/api/v1/referrals", limit=500).json()["items"]
    return next(r for r in items if r["referral_id"] == referral_id)


def test_each_referral_step_answers_what_the_referral_list_shows(world: World) -> None:
    director, police, child = world.as_("director"), world.as_("police"), new_child(world)
    sent = first_and_replay(director, "/api/v1/referrals",
                            sub(child_id=child, to_department="police", reason="邻居反映", urgency="normal"))
    read = referral_read(director, sent["referral_id"])
    assert (sent["status"], sent["to_department"], sent["version"]) == ("sent", "police", 1)
    assert (read["status"], read["department"]) == ("sent", "police")
    shared(sent, read, ("referral_id", "child_id", "status", "accept_by", "complete_by"))
    referral = sent["referral_id"]
    for step, status, version in (("accept", "accepted", 2), ("progress", "accepted", 3), ("complete", "completed", 4)):
        body = sub(note="已处理") | ({"outcome": "已结案"} if step == "complete" else {})
        # the completion closes the police's matter: its retry still answers, the matter being theirs (the list
        # shows it), though the child itself is no longer theirs to read (tests/e2e/test_replay_visibility.py)
        answer = first_and_replay(police, f"/api/v1/referrals/{referral}/{step}", body)
        read = referral_read(director, referral)
        assert (answer["status"], answer["version"]) == (status, version)
        assert answer["to_department"] == read["department"] == "police"
        shared(answer, read, ("referral_id", "child_id", "status", "accept_by", "complete_by"))


def test_intervention_steps_answer_as_the_child_reads(world: World) -> None:
    director, child = world.as_("director"), new_child(world)
    planned = first_and_replay(director, "/api/v1/interventions",
                               sub(child_id=child, type="psychological", plan="每周一次", responsible_department="health"))
    assert (planned["status"], planned["reviews"], planned["version"]) == ("planned", 0, 1)
    assert planned["intervention_id"] in director.get(f"/api/v1/children/{child}").json()["active_interventions"]
    intervention = planned["intervention_id"]
    for step, status, reviews, version in (("start", "started", 0, 2), ("review", "started", 1, 3), ("end", "ended", 1, 4)):
        body = sub(note="好转") | ({"outcome": "结束"} if step == "end" else {})
        answer = first_and_replay(director, f"/api/v1/interventions/{intervention}/{step}", body)
        assert (answer["intervention_id"], answer["child_id"], answer["type"]) == (intervention, child, "psychological")
        assert (answer["status"], answer["reviews"], answer["version"]) == (status, reviews, version)
    assert intervention not in director.get(f"/api/v1/children/{child}").json()["active_interventions"]


CHILD_FIELDS = ("child_id", "jurisdiction", "categories", "version", "sealed", "owner", "partner", "case_status",
                "closure_reason", "merged_into", "withheld")


def test_each_child_write_answers_what_the_child_reads(world: World) -> None:
    director, supervisor, child = world.as_("director"), world.as_("supervisor"), new_child(world)
    graded = first_and_replay(director, f"/api/v1/children/{child}/risk-assessments",
                              sub(level="orange", reasons=["独居"]))
    read = director.get(f"/api/v1/children/{child}").json()
    assert (graded["risk_level"], read["risk_level"], graded["version"]) == ("orange", "orange", 2)
    shared(graded, read, CHILD_FIELDS)
    changed = first_and_replay(director, f"/api/v1/children/{child}/categories", sub(add=["in_distress"]))
    read = director.get(f"/api/v1/children/{child}").json()
    assert sorted(changed["categories"]) == ["in_distress", "left_behind"] and changed["version"] == 3
    shared(changed, read, (*CHILD_FIELDS, "risk_level"))
    assigned = first_and_replay(supervisor, f"/api/v1/children/{child}/assignment", sub(owner="director"))
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert (assigned["owner"], assigned["version"]) == ("director", 4)
    shared(assigned, read, (*CHILD_FIELDS, "risk_level"))
    moved = first_and_replay(supervisor, f"/api/v1/children/{child}/transfer",
                             sub(to_jurisdiction="520302/001/004/01/01", reason="搬家"))
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert moved["jurisdiction"] == "520302/001/004/01/01"
    shared(moved, read, (*CHILD_FIELDS, "risk_level"))
    profile = first_and_replay(supervisor, f"/api/v1/children/{child}/profile",
                               sub(school="某小学", phone="13800000000"))
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert (profile["school"], profile["phone"]) == ("某小学", "13800000000")
    shared(profile, read, (*CHILD_FIELDS, "risk_level", "school", "phone", "household_position", "guardians"))
    closed = first_and_replay(supervisor, f"/api/v1/children/{child}/closure", sub(reason="moved_away"))
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert closed["case_status"] == "closed"
    shared(closed, read, (*CHILD_FIELDS, "risk_level"))


def test_triage_answers_the_child_as_read(world: World) -> None:
    director, supervisor, child = world.as_("director"), world.as_("supervisor"), new_child(world)
    report = director.post("/api/v1/reports", sub(source="walk_in", reporter={"role": "neighbour"},
                                                 description="孩子独自在家", jurisdiction=PLACE_A, child_id=child))
    assert report.status_code == 201, report.text
    answer = first_and_replay(supervisor, f"/api/v1/reports/{report.json()['report_id']}/triage",
                              sub(decision="refer", child_id=child, refer_to="civil_affairs"))
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert answer["child"]["child_id"] == child and answer["referral_id"] in read["open_referrals"]
    shared(answer["child"], read, ("child_id", "jurisdiction", "categories", "version", "sealed", "owner", "partner",
                                   "withheld"))


def test_a_replay_after_the_photo_arrived_still_answers_as_the_first_arrival(world: World) -> None:
    director, child = world.as_("director"), new_child(world)
    photo = jpeg(taken=datetime.now(CHINA) - timedelta(days=2), gps=HOME, seed=72)
    sha = hashlib.sha256(photo).hexdigest()
    body = sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True, photos=[sha],
               geo={"lat": HOME[0], "lon": HOME[1], "accuracy_m": 8})
    first = director.post("/api/v1/visits", body)
    assert first.status_code == 201, first.text
    assert (first.json()["missing_photos"], first.json()["flags"]) == ([sha], [])
    upload(director, child, photo)
    read = director.get(f"/api/v1/visits/{first.json()['visit_id']}").json()
    assert (read["missing_photos"], read["flags"]) == ([], ["photo_time_mismatch"])
    again = director.post("/api/v1/visits", body)
    assert again.status_code == 200 and again.json() == first.json()


def test_a_stale_write_is_refused_with_the_child_as_read(world: World) -> None:
    director, supervisor, child = world.as_("director"), world.as_("supervisor"), new_child(world)
    director.post(f"/api/v1/children/{child}/risk-assessments", sub(level="yellow"))
    refused = supervisor.post(f"/api/v1/children/{child}/transfer",
                              sub(to_jurisdiction="520302/001/004/01/01", reason="搬家", expected_version=1))
    assert refused.status_code == 409, refused.text
    current = refused.json()["extra"]["current"]
    read = supervisor.get(f"/api/v1/children/{child}").json()
    assert (current["version"], current["risk_level"], current["jurisdiction"]) == (2, "yellow", PLACE_A)
    shared(current, read, (*CHILD_FIELDS, "risk_level"))
