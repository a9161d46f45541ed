"""Withheld facts probed as a hostile but authorised user would: paging, cursors, related streams, write steps on
matters the caller may not see, the access log. Each test here failed when written (regression tests for the fix);
the expected values come from the disclosure table of DESIGN.md §1 Privacy and API.md v1.1, not from the code."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID, uuid4, uuid5

import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, World, child_body
from tests.e2e.server import Api, add_users, sub

INVOLVEMENT_NAMESPACE = UUID("0b7f4f5e-8a55-4c7e-9d1a-3c1f6f2b9e21")
"""The published namespace of one department's involvement stream per child: uuid5(ns, "child|department")."""


def _sealed_child(world: World, place: str, **fields: Any) -> str:
    body = child_body(place, categories=["left_behind", "serious_misconduct"], **fields)
    return str(world.as_("county").post("/api/v1/children", body).json()["child_id"])


def _seal(world: World, child: str) -> None:
    sealed = world.as_("supervisor").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定"))
    assert sealed.status_code == 201, sealed.text


def _refer(world: World, child: str, department: str, reason: str) -> str:
    sent = world.as_("county").post("/api/v1/referrals", sub(child_id=child, to_department=department, reason=reason))
    assert sent.status_code == 201, sent.text
    return str(sent.json()["referral_id"])


def _all_pages(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    pages, cursor = [], None
    while True:
        answer = api.get(path, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        pages.append(answer.json())
        cursor = answer.json()["next_cursor"]
        if not cursor:
            return pages


def _cursor_text(cursor: str | None) -> str:
    """What an opaque cursor carries, as anyone holding it can read it."""
    if not cursor:
        return ""
    try:
        return base64.urlsafe_b64decode(cursor.encode()).decode(errors="replace")
    except ValueError:
        return cursor


@pytest.fixture(scope="module")
def sealed_police_matter(world: World) -> dict[str, str]:
    """A sealed child whose police referral was accepted, worked on and completed by the police, then sealed."""
    child = _sealed_child(world, "520302/001/003/21")
    referral = _refer(world, child, "police", "SEALED-POLICE-REASON")
    police = world.as_("police")
    for step, body in [("accept", sub(note="SEALED-ACCEPT-NOTE")), ("progress", sub(note="SEALED-PROGRESS-NOTE")),
                       ("complete", sub(note="SEALED-DONE-NOTE", outcome="SEALED-OUTCOME"))]:
        answer = police.post(f"/api/v1/referrals/{referral}/{step}", body)
        assert answer.status_code == 201, answer.text
    _seal(world, child)
    return {"child": child, "referral": referral}


def test_history_read_page_by_page_withholds_a_sealed_referral_as_the_whole_history_does(
    world: World, sealed_police_matter: dict[str, str]
) -> None:
    """Table: sealed matters (justice-department referrals of a sealed child) ✘ for a supervisor, on every page."""
    child = sealed_police_matter["child"]
    supervisor = world.as_("supervisor")
    whole = supervisor.get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    paged = [e for page in _all_pages(supervisor, f"/api/v1/audit/children/{child}/history", limit=1) for e in page["items"]]
    assert [e["event_id"] for e in paged] == [e["event_id"] for e in whole]
    shown = json.dumps(paged, ensure_ascii=False)
    for marker in ("SEALED-ACCEPT-NOTE", "SEALED-PROGRESS-NOTE", "SEALED-DONE-NOTE", "SEALED-OUTCOME", '"police"'):
        assert marker not in shown, f"history paged one by one showed {marker}"
    assert [e["data"] for e in paged] == [e["data"] for e in whole]


def test_history_does_not_name_a_sealed_referral_or_its_department(world: World, sealed_police_matter: dict[str, str]) -> None:
    """Everyone else sees that something is withheld, not what: no referral id, no stream that names the police."""
    child, referral = sealed_police_matter["child"], sealed_police_matter["referral"]
    history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert referral not in json.dumps(history)
    police_stream = str(uuid5(INVOLVEMENT_NAMESPACE, f"{child}|police"))
    assert police_stream not in json.dumps(history), "the involvement stream id names the police department"
    auditor = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert referral in json.dumps(auditor)


def test_a_supervisor_cannot_act_on_a_sealed_referral_nor_tell_it_from_none(world: World) -> None:
    """Sealed matters ✘ for supervisors, and "may act only on what they can see": a sealed police referral answers
    a supervisor's step as an unknown referral does (404), and nothing is stored."""
    child = _sealed_child(world, "520302/001/003/22")
    referral = _refer(world, child, "police", "SEALED-REASON-2")
    _seal(world, child)
    supervisor = world.as_("supervisor")
    unknown = supervisor.post(f"/api/v1/referrals/{uuid4()}/complete", sub(note="x", outcome="y"))
    assert unknown.status_code == 404
    before_accept = supervisor.post(f"/api/v1/referrals/{referral}/complete", sub(note="x", outcome="y"))
    assert (before_accept.status_code, before_accept.json()["code"]) == (404, unknown.json()["code"]), before_accept.text
    assert world.as_("police").post(f"/api/v1/referrals/{referral}/accept", sub(note="受理")).status_code == 201
    history = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    completed = supervisor.post(f"/api/v1/referrals/{referral}/complete", sub(note="x", outcome="SUPERVISOR-OUTCOME"))
    assert completed.status_code == 404, completed.text
    assert child not in completed.text and "police" not in completed.text
    after = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert len(after) == len(history), "a refused step stored nothing"


def test_a_referral_page_and_its_cursor_answer_as_if_a_withheld_referral_did_not_exist(world: World) -> None:
    """A list filtered on a withheld value answers as if nothing matched: no page is cut short by a withheld
    referral, and no cursor carries one's id."""
    place = "520302/001/003/23"
    plain = str(world.as_("county").post("/api/v1/children", child_body(place)).json()["child_id"])
    visible = {_refer(world, plain, "police", "plain")}
    withheld = set()
    for _ in range(6):  # ids are random: enough sealed police referrals to land on both sides of the visible ones
        child = _sealed_child(world, place)
        withheld.add(_refer(world, child, "police", "SEALED"))
        _seal(world, child)
    visible.add(_refer(world, plain, "police", "plain"))
    supervisor = world.as_("supervisor")
    every = {r["referral_id"] for r in supervisor.get("/api/v1/referrals", department="police", limit=500).json()["items"]}
    assert visible <= every and not withheld & every
    pages = _all_pages(supervisor, "/api/v1/referrals", department="police", limit=1)
    for page in pages:
        carried = _cursor_text(page["next_cursor"])
        assert not any(r in carried for r in withheld), "a cursor carries the id of a withheld referral"
    assert [len(p["items"]) for p in pages] == [1] * len(every), "a page cut short, or a page more, by a withheld referral"


def test_a_handler_shown_their_departments_referral_reason_about_a_victim_is_logged(world: World) -> None:
    """Free text by others about a child with a sensitive category, shown to a handler (own department's referral ✔):
    every showing of a ✔ sensitive fact is recorded."""
    child = str(world.as_("county").post("/api/v1/children", child_body("520302/001/003/24", categories=["crime_victim"]))
                .json()["child_id"])
    referral = _refer(world, child, "police", "VICTIM-POLICE-REASON")
    shown = [r for r in world.as_("police").get("/api/v1/referrals", limit=500).json()["items"] if r["referral_id"] == referral]
    assert shown and shown[0]["reason"] == "VICTIM-POLICE-REASON"
    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"]
    mine = [e for e in log if e["actor_role"] == "department_handler" and e["endpoint"] == "listReferrals"]
    assert mine and "sensitive" in mine[-1]["kinds"]


def test_a_replayed_write_that_shows_a_sensitive_category_is_logged(world: World) -> None:
    """A replay stores no event; it is a showing like a read: one access event for the sensitive category shown."""
    child = str(world.as_("county").post("/api/v1/children", child_body("520302/001/003/25", categories=["crime_victim"]))
                .json()["child_id"])
    director = world.as_("director")
    body = sub(add=["idle_minor"], reason="辍学")
    assert director.post(f"/api/v1/children/{child}/categories", body).status_code == 201
    auditor = world.as_("auditor")
    before = len(auditor.get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"])
    replayed = director.post(f"/api/v1/children/{child}/categories", body)
    assert replayed.status_code == 200 and "crime_victim" in replayed.json()["categories"]
    after = auditor.get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"][before:]
    assert [e["kinds"] for e in after if e["actor_role"] == "child_director"] == [["sensitive"]]


def test_the_reason_of_a_sealed_category_change_is_withheld_from_a_supervisor(world: World) -> None:
    """Sealed matters (sealable categories) ✘ for supervisors: a change of a sealable category, once sealed, shows
    neither the code nor the words that say why it was made."""
    child = str(world.as_("county").post("/api/v1/children", child_body("520302/001/003/26")).json()["child_id"])
    added = world.as_("director").post(f"/api/v1/children/{child}/categories",
                                       sub(add=["serious_misconduct"], reason="SEALABLE-WHY 多次盗窃被训诫"))
    assert added.status_code == 201, added.text
    _seal(world, child)
    history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert "SEALABLE-WHY" not in json.dumps(history, ensure_ascii=False)
    auditor = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert "SEALABLE-WHY" in json.dumps(auditor, ensure_ascii=False)


def test_free_text_written_about_a_victim_stays_withheld_after_the_category_is_removed(world: World) -> None:
    """Free text by others about a child with a sensitive category ✘ for a grid worker; removing the category later
    does not make what was written about the victim readable (what was withheld stays withheld)."""
    child = str(world.as_("county").post("/api/v1/children", child_body("520302/001/003/27", categories=["crime_victim"]))
                .json()["child_id"])
    visit = world.as_("director").post("/api/v1/visits", sub(
        child_id=child, visit_type="home", child_seen=True, guardian_present=True, notes="VICTIM-ERA-NOTE",
        observations={"state_of_mind": "VICTIM-ERA-OBS"})).json()["visit_id"]
    grid = world.as_("grid")
    assert "VICTIM-ERA" not in grid.get(f"/api/v1/visits/{visit}").text
    removed = world.as_("director").post(f"/api/v1/children/{child}/categories",
                                         sub(remove=["crime_victim"], add=["left_behind"], reason="结案"))
    assert removed.status_code == 201, removed.text
    assert "VICTIM-ERA" not in grid.get(f"/api/v1/visits/{visit}").text


def test_nothing_is_logged_as_shown_when_no_text_was_shown(world: World) -> None:
    """The access log names what was shown: a visit with no words in it shows no sensitive free text."""
    child = str(world.as_("county").post("/api/v1/children", child_body("520302/001/003/28", categories=["crime_victim"]))
                .json()["child_id"])
    visit = world.as_("grid").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                          guardian_present=True)).json()["visit_id"]
    auditor = world.as_("auditor")
    before = len(auditor.get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"])
    seen = world.as_("supervisor").get(f"/api/v1/visits/{visit}").json()
    assert seen["notes"] == "" and not any(seen["observations"].values())
    after = auditor.get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"][before:]
    assert [e for e in after if e["endpoint"] == "getVisit"] == []


def test_a_replay_tells_nothing_new_about_a_child_that_has_left_the_callers_scope(world: World) -> None:
    """A child outside the caller's scope does not exist for the caller (never a hint): a replayed registration
    does not report a sealing order made after the child moved away."""
    grid = world.as_("grid")
    body = child_body("520302/001/003/29", name="迁出儿")
    child = grid.post("/api/v1/children", body).json()["child_id"]
    moved = world.as_("county").post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001", reason="搬家"))
    assert moved.status_code == 201, moved.text
    assert grid.get(f"/api/v1/children/{child}").status_code == 404
    assert world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="封存")).status_code == 201
    replayed = grid.post("/api/v1/children", body)
    assert replayed.status_code == 404 or replayed.json()["sealed"] is False, replayed.text


def test_statistics_for_a_scope_narrower_than_a_village_count_only_children_in_that_scope(
    world: World, sqlite_settings: Settings
) -> None:
    """Statistics without a child are limited to the caller's jurisdiction: an auditor of one group of a village
    with no child in it is not told how many children the whole village has, nor how many were visited."""
    add_users(sqlite_settings, [("group_auditor", "auditor", "520302/001/003/07/01", None)], PASSWORD)
    world.as_("county").post("/api/v1/children", child_body("520302/001/003/30"))
    auditor = Api(world.base, "group_auditor", PASSWORD)
    try:
        answer = auditor.get("/api/v1/stats/summary")
        assert answer.status_code == 200, answer.text
        tables = answer.json()["tables"]
        assert next(r for r in tables["visits"]["rows"] if r[1] == "children")[2] == 0
        assert [row for row in tables["coverage"]["rows"] if row[2] != 0] == []
    finally:
        auditor.close()


def test_a_jurisdiction_with_a_line_break_in_a_segment_is_refused(world: World) -> None:
    """Segments are 1 to 4 digits: "003\\n" is not one. Accepted, it files a child inside the town's scope but
    outside the village's, so the village's own director and grid worker never see the child."""
    answer = world.as_("supervisor").post("/api/v1/children", child_body("520302/001/003\n/01"))
    assert answer.status_code == 422, answer.text
