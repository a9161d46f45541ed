"""Audit over HTTP: privacy by role, the access log, as-of on both bases, verification, statistics."""

from __future__ import annotations

import io
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import openpyxl

from backend.settings import Settings
from tests.e2e.conftest import PLACE_A, World, child_body
from tests.e2e.server import sub


def register(world: World, user: str, **overrides: Any) -> str:
    answer = world.as_(user).post("/api/v1/children", child_body(PLACE_A, **overrides))
    assert answer.status_code == 201, answer.text
    return str(answer.json()["child_id"])


def test_sealed_matters_are_withheld_from_all_but_auditors_and_every_showing_is_logged(world: World) -> None:
    child = register(world, "supervisor", categories=["left_behind", "serious_misconduct"])
    sent = world.as_("supervisor").post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="涉案"))
    assert sent.status_code == 201
    assert world.as_("supervisor").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定")).status_code == 201

    seen_by_supervisor = world.as_("supervisor").get(f"/api/v1/children/{child}").json()
    assert seen_by_supervisor["categories"] == ["left_behind"]
    # The open police referral of a sealed child is a sealed matter: its id is withheld from open_referrals too.
    assert seen_by_supervisor["withheld"] == ["categories:sealed", "referrals:sealed"] and seen_by_supervisor["sealed"]
    assert seen_by_supervisor["open_referrals"] == []
    history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history").json()["items"]
    # A sealed matter's place in the timeline says that something is withheld, not what: not even its type or id.
    assert not any(e["type"] == "ReferralSent" for e in history)
    referral = next(e for e in history if e["type"] == "Withheld")
    assert referral["data"] == {"withheld": "sealed"} and referral["stream_id"] == "withheld"

    seen_by_auditor = world.as_("auditor").get(f"/api/v1/children/{child}").json()
    assert "serious_misconduct" in seen_by_auditor["categories"] and seen_by_auditor["withheld"] == []
    audit_history = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history").json()["items"]
    assert next(e for e in audit_history if e["type"] == "ReferralSent")["data"]["to_department"] == "police"

    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child).json()["items"]
    assert [(e["actor_role"], e["endpoint"], e["kinds"]) for e in log] == [
        # The supervisor's history showed their own words (the sealing order's reason) about a child with a
        # sensitive category: a ✔ showing of a sensitive fact, recorded like any other.
        ("supervisor", "childHistory", ["sensitive"]),
        ("auditor", "getChild", ["sealed"]),
        # History also shows free text (the referral's and the sealing order's reasons) about a child with a
        # sensitive category: a sensitive fact by the disclosure table, so it is logged as such.
        ("auditor", "childHistory", ["sealed", "sensitive"]),
    ]


def test_sensitive_categories_are_withheld_from_grid_workers_and_logged_when_shown(world: World) -> None:
    child = register(world, "director", categories=["crime_victim"])
    grid_view = world.as_("grid").get(f"/api/v1/children/{child}").json()
    assert grid_view["categories"] == [] and grid_view["withheld"] == ["categories:sensitive"]
    director_view = world.as_("director").get(f"/api/v1/children/{child}").json()
    assert director_view["categories"] == ["crime_victim"]
    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child).json()["items"]
    assert [(e["actor_role"], e["kinds"]) for e in log] == [("child_director", ["sensitive"])]


def test_as_of_answers_what_was_known_and_what_had_happened(world: World) -> None:
    child = register(world, "director")
    now = datetime.now(UTC)
    visited_at = now - timedelta(hours=30)
    answer = world.as_("director").post("/api/v1/visits", sub(child_id=child, visit_type="home", child_seen=True,
                                                              guardian_present=True, occurred_at=visited_at.isoformat()))
    assert answer.json()["late"] is True
    between = now.isoformat().replace("+00:00", "Z")
    known = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/as-of", at=between, basis="recorded").json()
    happened = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/as-of", at=between, basis="occurred").json()
    assert known["last_visit_at"] is None
    assert datetime.fromisoformat(happened["last_visit_at"]) == visited_at
    before = (now - timedelta(days=2)).isoformat().replace("+00:00", "Z")
    assert world.as_("supervisor").get(f"/api/v1/audit/children/{child}/as-of", at=before).status_code == 404


def test_verify_names_the_stream_of_an_edited_row(world: World, sqlite_settings: Settings) -> None:
    child = register(world, "director")
    world.as_("director").post(f"/api/v1/children/{child}/risk-assessments", sub(level="yellow"))
    assert world.as_("auditor").get("/api/v1/audit/verify", child_id=child).json()["ok"] is True
    with sqlite3.connect(sqlite_settings.sqlite_path) as conn:
        key = child.replace("-", "")
        state = conn.execute("SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 2", (key,)).fetchone()[0]
        conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 2",
                     (bytes(state).replace(b"\xa6yellow", b"\xa4blue"), key))  # the level, a MessagePack string
    result = world.as_("auditor").get("/api/v1/audit/verify", child_id=child).json()
    assert result["ok"] is False
    assert [(b["stream_id"], b["version"]) for b in result["broken"]] == [(child, 2)]


def test_statistics_as_json_csv_and_a_real_spreadsheet(world: World) -> None:
    supervisor = world.as_("supervisor")
    summary = supervisor.get("/api/v1/stats/summary", jurisdiction="520302/001").json()
    by_risk = {row[1]: row[2] for row in summary["tables"]["children_by_risk"]["rows"]}
    listed = supervisor.get("/api/v1/children", limit=500).json()["items"]
    assert sum(by_risk.values()) == len(listed)
    csv_answer = supervisor.get("/api/v1/stats/summary", format="csv")
    assert csv_answer.headers["content-type"].startswith("text/csv") and "儿童类别" in csv_answer.content.decode("utf-8-sig")
    xlsx = supervisor.get("/api/v1/stats/summary", format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert {"children_by_category", "visits", "referrals", "coverage"} <= set(book.sheetnames)
    assert book["visits"]["A2"].value == "指标"
    assert supervisor.get("/api/v1/stats/summary", jurisdiction="520302/002").status_code == 404


def test_a_report_triaged_to_another_child_stays_in_the_history_of_the_child_it_named(world: World) -> None:
    named = register(world, "supervisor")
    linked = register(world, "supervisor")
    report = world.as_("supervisor").post("/api/v1/reports", sub(
        source="hotline", reporter={"role": "neighbour"}, description="邻居报告", jurisdiction=PLACE_A,
        child_id=named)).json()["report_id"]
    triaged = world.as_("supervisor").post(f"/api/v1/reports/{report}/triage", sub(child_id=linked, decision="monitor"))
    assert triaged.status_code == 201, triaged.text
    for child in (named, linked):
        history = world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
        assert {"ReportReceived", "ReportTriaged"} <= {e["type"] for e in history}, child
