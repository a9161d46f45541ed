"""A child's case file over HTTP (API.md v1.1 "Case lifecycle and the personal file"): the report register, the
child's visits, conferences with follow-ups tracked as tasks, the timeline, and the personal file as a PDF —
each with the expected values of the design written out here, and the disclosure table held."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pypdf import PdfReader

from projections.personal_file import FONT_PATHS
from tests.conftest import require_service
from tests.e2e.conftest import PLACE_B, World, child_body
from tests.e2e.server import sub
from tests.media.images import jpeg

PLACE = "520302/001/003/12"
CST = timezone(timedelta(hours=8))


def require_font() -> None:
    """The personal file needs the CJK font the set-up installs (`make test`): skipped on a laptop without it."""
    if not any(path.exists() for path in FONT_PATHS):
        require_service("a CJK font", "install fonts-wqy-microhei (make test does, as root)")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def report(world: World, user: str = "director", **fields: Any) -> dict[str, Any]:
    body = dict(source="hotline", reporter={"role": "neighbour"}, description="邻居反映", jurisdiction=PLACE) | fields
    answer = world.as_(user).post("/api/v1/reports", sub(**body))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def register_items(world: World, user: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        answer = world.as_(user).get("/api/v1/reports", limit=2, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def test_the_report_register_shows_new_fields_and_the_triage_deadline_2h_urgent_24h_otherwise(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    urgent_at, normal_at = now - timedelta(hours=3), now - timedelta(hours=1)
    urgent = report(world, source="sentinel", urgency="urgent", occurred_at=urgent_at.isoformat(),
                    discovered_at=(urgent_at - timedelta(hours=5)).isoformat(), reporter_institution="hotel",
                    sentinel_place="如家酒店花溪店", hotline_ticket=None)
    normal = report(world, occurred_at=normal_at.isoformat(), hotline_ticket="12355-2026-0042")
    found = {r["report_id"]: r for r in register_items(world, "supervisor")}
    u, n = found[urgent["report_id"]], found[normal["report_id"]]
    assert datetime.fromisoformat(u["triage_by"]) == urgent_at + timedelta(hours=2)
    assert u["overdue"] is True and u["status"] == "untriaged"
    assert u["reporter_institution"] == "hotel" and u["sentinel_place"] == "如家酒店花溪店"
    assert datetime.fromisoformat(u["discovered_at"]) == urgent_at - timedelta(hours=5)
    assert datetime.fromisoformat(n["triage_by"]) == normal_at + timedelta(hours=24)
    assert n["overdue"] is False and n["hotline_ticket"] == "12355-2026-0042"
    sentinel = {r["report_id"] for r in register_items(world, "supervisor", source="sentinel", urgency="urgent")}
    assert urgent["report_id"] in sentinel and normal["report_id"] not in sentinel
    child = world.as_("county").post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    triaged = world.as_("director").post(f"/api/v1/reports/{normal['report_id']}/triage",
                                         sub(child_id=child, decision="monitor"))
    assert triaged.status_code == 201, triaged.text
    done = {r["report_id"]: r for r in register_items(world, "director", status="triaged")}
    assert normal["report_id"] in done and urgent["report_id"] not in done
    assert done[normal["report_id"]]["overdue"] is False and done[normal["report_id"]]["child_id"] == child
    window = register_items(world, "auditor", **{"from": (now - timedelta(hours=2)).isoformat(), "to": now.isoformat()})
    assert normal["report_id"] in {r["report_id"] for r in window}
    assert urgent["report_id"] not in {r["report_id"] for r in window}


def test_the_register_refuses_field_workers_and_bad_filters_and_keeps_to_scope(world: World) -> None:
    assert world.as_("grid").get("/api/v1/reports").status_code == 403
    assert world.as_("police").get("/api/v1/reports").status_code == 403
    assert world.as_("supervisor").get("/api/v1/reports", status="lost").status_code == 422
    assert world.as_("supervisor").get("/api/v1/reports", source="rumour").status_code == 422
    late = world.as_("supervisor").get("/api/v1/reports", **{"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"})
    assert late.status_code == 422 and late.json()["code"] == "invalid_input"
    elsewhere = report(world, "county", jurisdiction=PLACE_B)
    assert elsewhere["report_id"] not in {r["report_id"] for r in register_items(world, "supervisor")}
    assert elsewhere["report_id"] in {r["report_id"] for r in register_items(world, "county")}


def test_a_report_discovered_after_it_was_made_is_refused(world: World) -> None:
    now = datetime.now(UTC)
    answer = world.as_("director").post("/api/v1/reports", sub(
        source="mandatory", reporter={"role": "teacher"}, description="x", jurisdiction=PLACE,
        occurred_at=(now - timedelta(hours=1)).isoformat(), discovered_at=now.isoformat()))
    assert answer.status_code == 422 and answer.json()["code"] == "out_of_order"
    bad = world.as_("director").post("/api/v1/reports", sub(
        source="mandatory", reporter={"role": "teacher"}, description="x", jurisdiction=PLACE,
        reporter_institution="casino"))
    assert bad.status_code in (400, 422)


def test_the_vocabulary_serves_reporter_institutions_with_chinese_labels(world: World) -> None:
    terms = {t["code"]: t["zh"] for t in world.as_("grid").get("/api/v1/vocabulary").json()["reporter_institutions"]}
    assert terms == {"school": "学校", "kindergarten": "幼儿园", "hospital": "医疗机构", "hotel": "旅馆/宾馆",
                     "internet_cafe": "网吧", "community": "村(社区)", "police_station": "派出所",
                     "social_org": "社会组织", "other": "其他"}


def test_a_childs_visits_are_listed_oldest_first_and_paged_and_a_child_out_of_scope_does_not_exist(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    now = datetime.now(UTC)
    ids = []
    for hours in (5, 3, 1):
        visit = world.as_("director").post("/api/v1/visits", sub(
            child_id=child, visit_type="home", child_seen=True, guardian_present=True, notes=f"第{hours}",
            occurred_at=(now - timedelta(hours=hours)).isoformat()))
        ids.append(visit.json()["visit_id"])
    first = world.as_("grid").get(f"/api/v1/children/{child}/visits", limit=2).json()
    rest = world.as_("grid").get(f"/api/v1/children/{child}/visits", limit=2, cursor=first["next_cursor"]).json()
    assert [v["visit_id"] for v in first["items"] + rest["items"]] == ids and rest["next_cursor"] is None
    assert first["items"][0]["notes"] == "第5"
    assert world.as_("police_b").get(f"/api/v1/children/{child}/visits").status_code == 404
    assert world.as_("police").get(f"/api/v1/children/{child}/timeline").status_code == 404  # no open matter
    other = world.as_("county").get(f"/api/v1/children/{world.child_b}/visits")
    assert other.status_code == 200
    assert world.as_("grid").get(f"/api/v1/children/{world.child_b}/visits").status_code == 404
    wrong = world.as_("grid").get(f"/api/v1/children/{world.child_a}/visits", cursor=first["next_cursor"])
    assert wrong.status_code == 400 and wrong.json()["code"] == "bad_cursor"  # a cursor is bound to its child


def test_conference_follow_ups_are_tasks_due_by_the_end_of_their_day_china_time_until_done(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE, name="会商儿")).json()["child_id"]
    due = (datetime.now(CST) + timedelta(days=3)).date()
    held = world.as_("supervisor").post(f"/api/v1/children/{child}/conferences", sub(
        participants=["民政", "学校"], decisions=["安排心理辅导"],
        follow_ups=[{"text": "联系学校", "owner": "director", "due_date": due.isoformat()}, "持续关注"]))
    assert held.status_code == 201, held.text
    conference = held.json()["conference_id"]
    listed = world.as_("grid").get(f"/api/v1/children/{child}/conferences").json()["items"]
    assert [c["conference_id"] for c in listed] == [conference]
    assert listed[0]["decisions"] == ["安排心理辅导"]
    assert [(f["index"], f["text"], f["due_date"], f["done_at"]) for f in listed[0]["follow_ups"]] == [
        (0, "联系学校", due.isoformat(), None), (1, "持续关注", None, None)]
    for user in ("director", "supervisor"):
        mine = [t for t in world.as_(user).get("/api/v1/me/tasks", kind="conference_followup", limit=500).json()["items"]
                if t["child_id"] == child]
        assert [(t["conference_id"], t["follow_up_index"], t["title"]) for t in mine] == [(conference, 0, "会商跟进 会商儿")]
        expected = datetime(due.year, due.month, due.day, tzinfo=CST) + timedelta(days=1)
        assert datetime.fromisoformat(mine[0]["due_at"]) == expected and mine[0]["overdue"] is False
    assert world.as_("grid").post(f"/api/v1/conferences/{conference}/follow_ups/0/done", sub()).status_code == 403
    body = sub(note="已联系")
    done = world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/0/done", body)
    assert done.status_code == 201, done.text
    assert done.json() == {"conference_id": conference, "child_id": child, "index": 0, "status": "done"}
    again = world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/0/done", body)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    twice = world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/0/done", sub())
    assert twice.status_code == 409 and twice.json()["code"] == "illegal_transition"
    other = world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/1/done", body)
    assert other.status_code == 409  # the same submission for another follow-up
    missing = world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/7/done", sub())
    assert missing.status_code == 404 and missing.json()["code"] == "follow_up_not_found"
    assert world.as_("police_b").post(f"/api/v1/conferences/{conference}/follow_ups/1/done", sub()).status_code == 403
    tasks = world.as_("director").get("/api/v1/me/tasks", kind="conference_followup", limit=500).json()["items"]
    assert all(t["child_id"] != child for t in tasks)
    shown = world.as_("director").get(f"/api/v1/children/{child}/conferences").json()["items"][0]["follow_ups"]
    assert shown[0]["done_at"] is not None and shown[1]["done_at"] is None


def test_the_timeline_is_every_fact_in_the_order_it_happened(world: World) -> None:
    now = datetime.now(UTC)
    child = world.as_("county").post("/api/v1/children", child_body(
        PLACE, occurred_at=(now - timedelta(hours=6)).isoformat())).json()["child_id"]
    world.as_("director").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                     guardian_present=True, occurred_at=(now - timedelta(hours=2)).isoformat()))
    world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(
        level="orange", reasons=["监护缺失"], occurred_at=(now - timedelta(hours=4)).isoformat()))
    world.as_("supervisor").post(f"/api/v1/children/{child}/conferences", sub(participants=["民政"], decisions=["结对"]))
    world.as_("county").post("/api/v1/referrals", sub(child_id=child, to_department="education", reason="辍学风险"))
    items = world.as_("grid").get(f"/api/v1/children/{child}/timeline").json()["items"]
    kinds = [i["kind"] for i in items]
    assert kinds == ["registration", "grading", "visit", "conference", "referral"]
    assert items[1]["data"]["reasons"] == ["监护缺失"] and items[1]["actor_role"] == "supervisor"
    page = world.as_("grid").get(f"/api/v1/children/{child}/timeline", limit=2).json()
    assert [i["kind"] for i in page["items"]] == ["registration", "grading"] and page["next_cursor"]


def test_the_personal_file_is_a_chinese_pdf_with_the_name_and_the_risk_history_and_is_logged(world: World) -> None:
    require_font()
    now = datetime.now(UTC)
    child = world.as_("county").post("/api/v1/children", child_body(
        PLACE, name="李小花", id_number="520302201501011237", occurred_at=(now - timedelta(hours=5)).isoformat(),
        categories=["left_behind", "crime_victim"])).json()["child_id"]
    for hours, level, reason in ((4, "yellow", "父母外出务工"), (2, "red", "独自在家受伤")):
        graded = world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(
            level=level, reasons=[reason], occurred_at=(now - timedelta(hours=hours)).isoformat()))
        assert graded.status_code == 201, graded.text
    world.as_("director").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                     guardian_present=False, notes="家中无人照看"))
    answer = world.as_("director").get(f"/api/v1/children/{child}/file.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    for expected in ("李小花", "一人一档", "风险等级记录", "黄", "父母外出务工", "红", "独自在家受伤", "家中无人照看",
                     "520302201501011237", "未成年刑事案件受害人"):
        assert expected in text, expected
    audited = pdf_text(world.as_("auditor").get(f"/api/v1/children/{child}/file.pdf").content)
    assert "520302********1237" in audited and "520302201501011237" not in audited  # auditors see it masked
    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"]
    assert {(e["endpoint"], e["actor_role"]) for e in log} >= {("childFilePdf", "child_director"),
                                                               ("childFilePdf", "auditor")}


def test_the_personal_file_is_refused_to_field_workers_and_handlers_and_absent_out_of_scope(world: World) -> None:
    assert world.as_("grid").get(f"/api/v1/children/{world.child_a}/file.pdf").status_code == 403
    assert world.as_("police").get(f"/api/v1/children/{world.child_a}/file.pdf").status_code == 403
    assert world.as_("supervisor").get(f"/api/v1/children/{world.child_b}/file.pdf").status_code == 404
    assert world.as_("auditor").get(f"/api/v1/children/{world.child_b}/file.pdf").status_code == 404
    unknown = world.as_("supervisor").get("/api/v1/children/00000000-0000-4000-8000-000000000000/file.pdf")
    assert unknown.status_code == 404 and unknown.json()["code"] == "child_not_found"


def sealed_child(world: World, name: str) -> str:
    """A child with a sealable category and a police referral, then sealed (犯罪记录封存)."""
    child = world.as_("county").post("/api/v1/children", child_body(
        PLACE, name=name, categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    world.as_("county").post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="SEALED-REASON"))
    world.as_("director").post("/api/v1/reports", sub(source="hotline", reporter={"role": "邻居"}, child_id=child,
                                                      description="SEALED-REPORT", jurisdiction=PLACE))
    sealed = world.as_("supervisor").post(f"/api/v1/children/{child}/seal", sub(reason="SEAL-ORDER-WHY"))
    assert sealed.status_code == 201, sealed.text
    return child


def test_a_sealed_childs_sealed_matters_are_not_in_a_supervisors_pdf_but_are_in_an_auditors(world: World) -> None:
    require_font()
    child = sealed_child(world, "封存儿")
    text = pdf_text(world.as_("supervisor").get(f"/api/v1/children/{child}/file.pdf").content)
    assert "封存儿" in text
    for secret in ("SEALED-REASON", "SEALED-REPORT", "有严重不良行为未成年人", "派出所"):
        assert secret not in text, secret
    assert "categories:sealed" in text  # said to be withheld, not silently dropped
    audited = pdf_text(world.as_("auditor").get(f"/api/v1/children/{child}/file.pdf").content)
    assert "SEALED-REASON" in audited and "有严重不良行为未成年人" in audited


def test_a_sealed_childs_timeline_says_what_is_withheld_and_shows_none_of_it(world: World) -> None:
    child = sealed_child(world, "封存时间线")
    for user in ("grid", "director", "supervisor"):
        answer = world.as_(user).get(f"/api/v1/children/{child}/timeline")
        assert answer.status_code == 200
        for secret in ("SEALED-REASON", "SEALED-REPORT", "serious_misconduct", '"police"'):
            assert secret not in answer.text, (user, secret)
        # the sealing order's reason is words by a supervisor about a child with a sensitive category
        assert ("SEAL-ORDER-WHY" in answer.text) is (user != "grid"), user
        kinds = [i["kind"] for i in answer.json()["items"]]
        assert kinds == ["registration", "withheld", "withheld", "sealing"]  # the police referral, the report
        assert all(i["id"] is None for i in answer.json()["items"] if i["kind"] == "withheld")
    audited = world.as_("auditor").get(f"/api/v1/children/{child}/timeline").text
    assert "SEALED-REASON" in audited and "SEALED-REPORT" in audited and "SEAL-ORDER-WHY" in audited


def test_a_sealed_childs_report_is_not_in_the_register_but_for_auditors_and_no_filter_finds_it(world: World) -> None:
    child = sealed_child(world, "封存台账")
    for user in ("director", "supervisor"):
        for params in ({}, {"source": "hotline"}, {"status": "untriaged"}):
            assert all(r["child_id"] != child for r in register_items(world, user, **params)), (user, params)
    assert any(r["child_id"] == child for r in register_items(world, "auditor"))


def test_a_victims_visit_notes_are_withheld_from_the_grid_worker_in_every_case_file_read(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(
        PLACE, categories=["crime_victim"])).json()["child_id"]
    world.as_("director").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                     guardian_present=True, notes="VICTIM-NOTE"))
    world.as_("supervisor").post(f"/api/v1/children/{child}/conferences", sub(
        participants=["民政"], decisions=["VICTIM-DECISION"], follow_ups=[{"text": "VICTIM-FOLLOW", "due_date": "2030-01-01"}]))
    for path in ("visits", "conferences", "timeline"):
        answer = world.as_("grid").get(f"/api/v1/children/{child}/{path}")
        assert answer.status_code == 200
        for secret in ("VICTIM-NOTE", "VICTIM-DECISION", "VICTIM-FOLLOW", "crime_victim"):
            assert secret not in answer.text, (path, secret)
        assert "text:sensitive" in answer.text, path
    shown = world.as_("director").get(f"/api/v1/children/{child}/timeline").text
    assert "VICTIM-NOTE" in shown and "VICTIM-DECISION" in shown and "crime_victim" in shown


def test_the_personal_file_of_a_child_with_many_visits_stays_small(world: World) -> None:
    require_font()
    child = world.as_("county").post("/api/v1/children", child_body(PLACE, name="多访儿")).json()["child_id"]
    now = datetime.now(UTC)
    for n in range(150):
        visit = world.as_("director").post("/api/v1/visits", sub(
            child_id=child, visit_type="home", child_seen=True, guardian_present=True, notes=f"第{n}次走访 情况稳定",
            photos=[f"{n:064x}"], occurred_at=(now - timedelta(minutes=200 - n)).isoformat()))
        assert visit.status_code == 201, visit.text
    answer = world.as_("supervisor").get(f"/api/v1/children/{child}/file.pdf")
    assert answer.status_code == 200
    assert len(answer.content) < 400_000  # the font subset, not the 5 MB font
    text = pdf_text(answer.content)
    assert "走访记录(共 150 次)" in text and "第149次走访" in text
    timeline = world.as_("supervisor").get(f"/api/v1/children/{child}/timeline", limit=100).json()
    assert len(timeline["items"]) == 100 and timeline["next_cursor"] is not None


STATS_PLACE = "520302/001/003/13"
"""A village of this test's own, so that the counts are exact."""


def test_statistics_count_reports_by_institution_and_sentinel_place_with_timeliness_and_small_cells(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    received = now - timedelta(hours=5)
    hotel = [report(world, "county", jurisdiction=STATS_PLACE, source="sentinel", reporter_institution="hotel",
                    sentinel_place="某宾馆", occurred_at=received.isoformat(),
                    discovered_at=(received - timedelta(hours=h)).isoformat()) for h in (1, 3)]
    for _ in range(5):
        report(world, "county", jurisdiction=STATS_PLACE, source="mandatory", reporter_institution="school",
               sentinel_place="某小学", occurred_at=received.isoformat(),
               discovered_at=(received - timedelta(hours=2)).isoformat())
    child = world.as_("county").post("/api/v1/children", child_body(STATS_PLACE)).json()["child_id"]
    triaged = world.as_("county").post(f"/api/v1/reports/{hotel[0]['report_id']}/triage", sub(
        child_id=child, decision="monitor", occurred_at=(received + timedelta(hours=1)).isoformat()))
    assert triaged.status_code == 201, triaged.text
    period = {"jurisdiction": STATS_PLACE, "from": (now - timedelta(days=1)).isoformat(), "to": now.isoformat()}
    tables = world.as_("county").get("/api/v1/stats/summary", **period).json()["tables"]
    institution = {row[1]: row[2:] for row in tables["reports_by_institution"]["rows"]}
    # hotel: discovery to report 1 h and 3 h (median 2.0, p90 1 + 0.9 × 2 = 2.8); one triaged after 1 h
    assert institution["hotel"] == [2, 2.0, 2.8, 1.0, 1.0]
    assert institution["school"] == [5, 2.0, 2.0, None, None]
    assert institution["hospital"] == [0, None, None, None, None]
    timeliness = {row[1]: row[2:] for row in tables["report_timeliness"]["rows"]}
    assert timeliness["sentinel"] == [2, 2.0, 2.8, 1.0, 1.0] and timeliness["all"][0] == 7
    places = {row[0]: row[1:] for row in tables["reports_by_sentinel_place"]["rows"]}
    assert places == {"某宾馆": ["hotel", "<5"], "某小学": ["school", 5]}  # a supervisor: 1 to 4 as "<5"
    audited = world.as_("auditor").get("/api/v1/stats/summary", **period).json()["tables"]
    assert {row[0]: row[2] for row in audited["reports_by_sentinel_place"]["rows"]} == {"某宾馆": 2, "某小学": 5}


def _images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def test_the_personal_file_shows_the_childs_own_photos_and_never_another_childs(world: World) -> None:
    require_font()
    child = world.as_("county").post("/api/v1/children", child_body(PLACE, name="照片儿")).json()["child_id"]
    api = world.as_("county").http
    own = api.post("/api/v1/media", files={"file": ("a.jpg", jpeg(seed=7101), "image/jpeg")}, data={"child_id": child})
    other = api.post("/api/v1/media", files={"file": ("b.jpg", jpeg(seed=7102), "image/jpeg")},
                     data={"child_id": world.child_b})
    assert own.status_code == 201 and other.status_code == 201, (own.text, other.text)
    visit = world.as_("county").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                           guardian_present=True, photos=[own.json()["media_id"]]))
    assert visit.status_code == 201, visit.text
    assert _images(world.as_("supervisor").get(f"/api/v1/children/{child}/file.pdf").content) == 1
    # a visit naming a photo that was stored for a child of another town: its bytes are not this child's file
    naming = world.as_("county").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                            guardian_present=True, photos=[other.json()["media_id"]]))
    assert naming.status_code == 201, naming.text
    assert _images(world.as_("supervisor").get(f"/api/v1/children/{child}/file.pdf").content) == 1


def test_the_case_file_reads_answer_the_same_on_postgresql(postgres_world: World) -> None:
    require_font()
    world = postgres_world
    child = sealed_child(world, "库儿")
    received = datetime.now(UTC) - timedelta(hours=3)
    urgent = report(world, urgency="urgent", occurred_at=received.isoformat(), reporter_institution="school")
    assert {r["report_id"]: r["overdue"] for r in register_items(world, "supervisor")}[urgent["report_id"]] is True
    assert all(r["child_id"] != child for r in register_items(world, "supervisor"))
    assert any(r["child_id"] == child for r in register_items(world, "auditor"))
    due = (datetime.now(CST) - timedelta(days=1)).date()
    held = world.as_("supervisor").post(f"/api/v1/children/{child}/conferences", sub(
        participants=["民政"], decisions=["结对"], follow_ups=[{"text": "联系学校", "due_date": due.isoformat()}]))
    conference = held.json()["conference_id"]
    mine = [t for t in world.as_("director").get("/api/v1/me/tasks", kind="conference_followup").json()["items"]
            if t["conference_id"] == conference]
    assert len(mine) == 1 and mine[0]["overdue"] is True
    assert world.as_("director").post(f"/api/v1/conferences/{conference}/follow_ups/0/done", sub()).status_code == 201
    assert all(t["conference_id"] != conference
               for t in world.as_("director").get("/api/v1/me/tasks", kind="conference_followup").json()["items"])
    kinds = [i["kind"] for i in world.as_("supervisor").get(f"/api/v1/children/{child}/timeline").json()["items"]]
    assert kinds == ["registration", "withheld", "withheld", "sealing", "conference", "conference_follow_up_done"]
    text = pdf_text(world.as_("supervisor").get(f"/api/v1/children/{child}/file.pdf").content)
    assert "库儿" in text and "SEALED-REASON" not in text


def test_a_police_handler_sees_their_own_referral_of_a_sealed_child_in_its_timeline_and_nothing_else_sealed(
        world: World) -> None:
    child = sealed_child(world, "封存警方")
    answer = world.as_("police").get(f"/api/v1/children/{child}/timeline")
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [i["kind"] for i in items] == ["registration", "referral", "withheld", "sealing"]  # the report stays sealed
    assert items[1]["data"]["reason"] == "SEALED-REASON" and items[1]["data"]["to_department"] == "police"
    assert "serious_misconduct" not in answer.text and "SEALED-REPORT" not in answer.text
    assert world.as_("education").get(f"/api/v1/children/{child}/timeline").status_code == 404
    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"]
    assert any(e["endpoint"] == "childTimeline" and e["actor_role"] == "department_handler" and "sealed" in e["kinds"]
               for e in log)


def test_a_closed_cases_follow_ups_leave_the_worklist_and_its_file_keeps_them(world: World) -> None:
    child = world.as_("county").post("/api/v1/children", child_body(PLACE, name="结案儿")).json()["child_id"]
    held = world.as_("supervisor").post(f"/api/v1/children/{child}/conferences", sub(
        participants=["民政"], decisions=["结对"], follow_ups=[{"text": "联系学校", "due_date": "2030-01-01"}]))
    conference = held.json()["conference_id"]

    def followups() -> list[str]:
        items = world.as_("director").get("/api/v1/me/tasks", kind="conference_followup", limit=500).json()["items"]
        return [t["conference_id"] for t in items]

    assert conference in followups()
    closed = world.as_("supervisor").post(f"/api/v1/children/{child}/closure", sub(reason="moved_away", note="迁出"))
    assert closed.status_code == 201, closed.text
    assert conference not in followups()
    kinds = [i["kind"] for i in world.as_("supervisor").get(f"/api/v1/children/{child}/timeline").json()["items"]]
    assert kinds == ["registration", "conference", "closure"]
    assert world.as_("supervisor").get(f"/api/v1/children/{child}/conferences").json()["items"][0]["conference_id"] == conference
