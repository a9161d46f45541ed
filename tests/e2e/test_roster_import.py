"""Registering a child twice, roster imports and the caseload's export, over HTTP against the real server.

Every spreadsheet is built here with openpyxl (or written byte by byte for the hostile ones); the expected
reports are written out from API.md v1.1 "Registering the same child twice, imports and merges".
"""

from __future__ import annotations

import io
import socket
import sqlite3
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook

from backend.rules.id_number import check_digit
from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, USERS, World
from tests.e2e.server import Api, add_users, running_server, sub

HEADER = ["姓名", "性别", "出生日期", "身份证号", "区划编码", "家庭住址", "重点群体", "监护人姓名", "监护人关系", "监护人电话",
          "监护人能否履责"]
VILLAGE = "520302/001/003"


def id_number(region: str, born: str, serial: int) -> str:
    first17 = f"{region}{born}{serial:03d}"
    return first17 + check_digit(first17)


def wrong_check_digit(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def xlsx(rows: list[list[Any]], header: list[str] = HEADER, merge: str | None = None) -> bytes:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows]).encode(encoding) + b"\n"


def upload(api: Api, content: bytes, mode: str = "dry_run", name: str = "roster.xlsx",
           submission_id: str | None = None, timeout: float = 30) -> httpx.Response:
    return api.http.post("/api/v1/imports", files={"file": (name, content, "application/octet-stream")},
                         data={"mode": mode, "submission_id": submission_id or sub()["submission_id"]}, timeout=timeout)


def stored_events(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Settings]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("roster"))
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        world = World(base)
        yield world, settings
        world.close()


def child(name: str, born: str, number: str | None, place: str = VILLAGE, **more: Any) -> dict[str, Any]:
    body = dict(name=name, sex="female", birth_date=born, id_number=number, jurisdiction=place, address="某村 8 号",
                categories=["left_behind"])
    return sub(**(body | more))


# -- the same ID number twice ---------------------------------------------------------------------


def test_a_registered_id_number_is_409_naming_the_child_in_scope(server: tuple[World, Settings]) -> None:
    world, settings = server
    number = id_number("520302", "20150301", 11)
    first = world.as_("director").post("/api/v1/children", child("赵小丽", "2015-03-01", number))
    assert first.status_code == 201
    before = stored_events(settings)
    again = world.as_("supervisor").post("/api/v1/children", child("赵晓丽", "2015-03-01", number))
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate_child"
    assert again.json()["extra"] == {"child_id": first.json()["child_id"]}
    assert stored_events(settings) == before


def test_a_registered_id_number_out_of_scope_is_409_naming_only_the_county(server: tuple[World, Settings]) -> None:
    world, _ = server
    number = id_number("520302", "20150302", 12)
    assert world.as_("county").post("/api/v1/children", child("钱小兰", "2015-03-02", number,
                                                             place="520302/002/001")).status_code == 201
    again = world.as_("director").post("/api/v1/children", child("钱小兰", "2015-03-02", number))
    assert again.status_code == 409
    assert again.json()["extra"] == {"county": "520302"}
    assert "钱小兰" not in again.text and "520302/002" not in again.text


def test_a_retried_registration_still_replays_its_first_answer(server: tuple[World, Settings]) -> None:
    world, _ = server
    body = child("孙小梅", "2015-03-03", id_number("520302", "20150303", 13))
    first = world.as_("director").post("/api/v1/children", body)
    again = world.as_("director").post("/api/v1/children", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["child_id"] == first.json()["child_id"]


def test_two_registrations_of_one_number_at_once_make_one_child(server: tuple[World, Settings]) -> None:
    world, _ = server
    number = id_number("520302", "20150304", 14)
    bodies = [child(f"周小{i}", "2015-03-04", number) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: world.as_("supervisor").post("/api/v1/children", b), bodies))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409]


# -- import: dry run and commit ---------------------------------------------------------------------


def village_rows(region: str = "520302") -> list[list[Any]]:
    return [
        ["吴小红", "女", "2014-05-17", id_number(region, "20140517", 21), VILLAGE, "某村3组12号", "农村留守儿童、困境儿童",
         "吴大山", "祖父", "13800000000", "是"],
        ["郑小刚", "男", 41777, id_number(region, "20140518", 22), VILLAGE + "/01", "某村3组13号", "", "郑大", "父亲", "", "否"],
        ["冯小雨", "女", "2014/5/19", None, VILLAGE, "某村3组14号", "孤儿", "冯奶奶", "祖母", "", ""],
        ["陈小雪", "女", "2014年5月20日", id_number(region, "20140520", 24), VILLAGE, "某村3组15号", "", "", "", "", ""],
    ]


def test_a_dry_run_reports_every_row_and_stores_nothing(server: tuple[World, Settings]) -> None:
    world, settings = server
    rows = village_rows() + [
        ["吴晓红", "女", "2014-05-17", None, VILLAGE, "某村3组12号", "", "吴大山", "祖父", "", ""],  # likely row 2
        ["郑小刚", "男", "2014-05-18", id_number("520302", "20140518", 22), VILLAGE, "x", "", "", "", "", ""],
        ["褚小明", "男", "2014-05-21", 520302201405210015, VILLAGE, "某村", "", "", "", "", ""],
        ["卫小明", "男", "2014-05-22", "5.20302E+17", VILLAGE, "某村", "", "", "", "", ""],
        ["蒋小明", "男", "2014-05-23", wrong_check_digit(id_number("520302", "20140523", 1)), VILLAGE, "某村", "", "", "",
         "", ""],
        ["沈小明", "男", "2014-05-24", None, "520402/001/001", "某村", "", "", "", "", ""],
        ["韩小明", "男", "5月25日", None, VILLAGE, "某村", "", "", "", "", ""],
        ["杨小明", "男", "2014-05-26", None, VILLAGE, "某村", "流浪儿童", "", "", "", ""],
    ]
    before = stored_events(settings)
    answer = upload(world.as_("supervisor"), xlsx(rows))
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert stored_events(settings) == before
    counts = (report["mode"], report["rows"], report["valid"], report["created"], report["skipped"])
    assert counts == ("dry_run", 12, 6, 0, 0), report["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (8, "身份证号", "id_number_as_number"),
        (9, "身份证号", "id_number_as_number"),
        (10, "身份证号", "invalid_id_number"),
        (11, "区划编码", "out_of_scope"),
        (12, "出生日期", "invalid_date"),
        (13, "重点群体", "unknown_category"),
    ]
    assert all(e["message"] for e in report["errors"])
    assert report["duplicates"] == [{"row": 6, "match": "likely", "score": 0.98, "of_row": 2},
                                    {"row": 7, "match": "id_number", "score": 1.0, "of_row": 3}]


def test_a_commit_stores_the_valid_rows_once_however_often_the_file_comes(server: tuple[World, Settings]) -> None:
    world, _ = server
    content = xlsx(village_rows("520303"))
    first = upload(world.as_("director"), content, mode="commit")
    assert first.status_code == 201, first.text
    assert (first.json()["created"], first.json()["skipped"], first.json()["errors"]) == (4, 0, [])
    again = upload(world.as_("director"), content, mode="commit")
    assert (again.status_code, again.json()["created"], again.json()["skipped"]) == (201, 0, 4)
    numbered = [d for d in again.json()["duplicates"] if d["match"] == "id_number"]
    assert [d["row"] for d in numbered] == [2, 3, 5] and all(d["child_id"] for d in numbered)
    caseload = world.as_("director").get("/api/v1/children", limit=500).json()["items"]
    assert sorted(c["name"] for c in caseload if c["name"] in ("吴小红", "郑小刚", "冯小雨", "陈小雪")) == \
        ["冯小雨", "吴小红", "郑小刚", "陈小雪"]


def test_the_same_file_committed_twice_at_once_creates_each_child_once(server: tuple[World, Settings]) -> None:
    world, _ = server
    content = xlsx([[f"何小{i}", "男", "2013-06-01", id_number("520304", "20130601", i), VILLAGE, f"何村{i}号", "", "",
                     "", "", ""] for i in range(1, 41)])
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda u: upload(world.as_(u), content, mode="commit"), ["director", "supervisor"]))
    assert [a.status_code for a in answers] == [201, 201]
    assert sum(a.json()["created"] for a in answers) == 40
    assert sum(a.json()["skipped"] for a in answers) == 40


def test_rows_for_another_county_are_errors_and_nothing_is_stored(server: tuple[World, Settings]) -> None:
    world, settings = server
    rows = [["吕小明", "男", "2014-01-01", None, "520402/001/001", "别县某村", "", "", "", "", ""],
            ["施小明", "男", "2014-01-02", None, "520302/002/001", "另一镇", "", "", "", "", ""]]
    before = stored_events(settings)
    answer = upload(world.as_("director"), xlsx(rows), mode="commit")
    assert answer.status_code == 201
    assert [(e["row"], e["code"]) for e in answer.json()["errors"]] == [(2, "out_of_scope"), (3, "out_of_scope")]
    assert answer.json()["created"] == 0
    assert stored_events(settings) == before


def test_a_grid_worker_may_not_import(server: tuple[World, Settings]) -> None:
    world, _ = server
    assert upload(world.as_("grid"), xlsx(village_rows())).status_code == 403


# -- formats ----------------------------------------------------------------------------------------


def test_csv_in_utf8_with_a_bom_and_in_gbk_read_the_same(server: tuple[World, Settings]) -> None:
    world, _ = server
    rows = [["朱小燕", "女", "2012-02-02", "", VILLAGE, "朱家村1号", "困境儿童", "朱大", "父亲", "", "是"]]
    for content in (b"\xef\xbb\xbf" + csv_bytes(rows), csv_bytes(rows, "gbk"), csv_bytes(rows)):
        report = upload(world.as_("director"), content, name="roster.csv").json()
        assert (report["rows"], report["valid"], report["errors"]) == (1, 1, [])


def test_a_formula_is_text_never_evaluated(server: tuple[World, Settings]) -> None:
    world, _ = server
    rows = [["=1+1", "男", "2012-03-03", None, VILLAGE, '=HYPERLINK("http://x","点")', "", "", "", "", ""]]
    report = upload(world.as_("director"), xlsx(rows), mode="commit").json()
    assert (report["created"], report["errors"]) == (1, [])
    names = [c["name"] for c in world.as_("director").get("/api/v1/children", limit=500).json()["items"]]
    assert "=1+1" in names


def test_merged_cells_leave_the_rows_below_the_first_without_a_value(server: tuple[World, Settings]) -> None:
    world, _ = server
    rows = [["许小一", "男", "2012-04-01", None, VILLAGE, "许村", "", "", "", "", ""],
            ["许小二", "男", "2012-04-02", None, None, "许村", "", "", "", "", ""]]
    report = upload(world.as_("director"), xlsx(rows, merge="E2:E3")).json()
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [(3, "区划编码", "required")]


# -- bad files ----------------------------------------------------------------------------------------


def test_bad_files_are_refused_with_a_code_and_store_nothing(server: tuple[World, Settings]) -> None:
    world, settings = server
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            zeros = b"0" * (1 << 20)
            for _ in range(300):
                part.write(zeros)
    wrong_header = xlsx([["a"]], header=["name", "sex"])
    cases = [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, 415, "not_a_spreadsheet"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 200, 415, "not_a_spreadsheet"),
        (b"PK\x03\x04 this is not a zip at all", 415, "not_a_spreadsheet"),
        (bomb.getvalue(), 413, "spreadsheet_too_large"),
        (wrong_header, 422, "wrong_headers"),
        (b"", 422, "unreadable_spreadsheet"),
        (",".join(HEADER).encode() + b"\n" + b"x" * (10 * 1024 * 1024) + b"\n", 422, "unreadable_spreadsheet"),
    ]
    before = stored_events(settings)
    for content, status, code in cases:
        answer = upload(world.as_("supervisor"), content, mode="commit")
        assert (answer.status_code, answer.json()["code"]) == (status, code), answer.text[:200]
    assert stored_events(settings) == before


CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
                 b'+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
                 b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override '
                 b'PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                 b'spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
             b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
            b'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="s" '
            b'sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
                 b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def inline_row(number: int, values: list[str]) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in values)
    return f'<row r="{number}">{cells}</row>'.encode()


def hand_written_xlsx(data_rows: int, row: list[str]) -> bytes:
    """An .xlsx written byte by byte (openpyxl would take minutes for a million rows): inline strings, one sheet."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData>')
            sheet.write(inline_row(1, HEADER))
            body = inline_row(0, row).replace(b' r="0"', b"")
            for start in range(0, data_rows, 10_000):
                sheet.write(body * min(10_000, data_rows - start))
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def test_a_million_rows_are_refused_past_the_limit_before_any_is_stored(server: tuple[World, Settings]) -> None:
    world, settings = server
    before = stored_events(settings)
    row = ["孔小明", "男", "2012-05-05", "", VILLAGE, "孔村"]
    million = upload(world.as_("supervisor"), hand_written_xlsx(1_000_000, row), mode="commit")
    # its sheet would decompress to ~290 MB: refused by the zip's declared sizes, before a row is parsed
    assert (million.status_code, million.json()["code"]) == (413, "spreadsheet_too_large"), million.text[:300]
    # every row up to the limit is checked before the one past it is met: minutes on a busy machine
    one_too_many = upload(world.as_("supervisor"), hand_written_xlsx(50_001, row), mode="commit", timeout=600)
    assert (one_too_many.status_code, one_too_many.json()["code"]) == (413, "too_many_rows"), one_too_many.text[:300]
    assert one_too_many.json()["extra"] == {"limit": 50_000}
    assert stored_events(settings) == before


def test_a_body_past_the_import_limit_is_413_before_it_is_read(server: tuple[World, Settings]) -> None:
    world, _ = server
    host, port = world.base.removeprefix("http://").split(":")
    head = (f"POST /api/v1/imports HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {world.as_('supervisor').token}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {60 * 1024 * 1024}\r\n\r\n--x\r\n")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(head.encode())
        answer = ""
        while "}" not in answer and (piece := connection.recv(65536)):
            answer += piece.decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert '"code":"too_large"' in answer


def test_ten_megabytes_in_one_xlsx_cell_is_a_row_error(server: tuple[World, Settings]) -> None:
    world, _ = server
    content = xlsx([["邹" * (10 * 1024 * 1024 // 3), "男", "2012-06-06", None, VILLAGE, "邹村", "", "", "", "", ""]])
    report = upload(world.as_("director"), content).json()
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [(2, "姓名", "too_long")]


# -- template and export -----------------------------------------------------------------------------


def test_the_template_has_the_headers_and_an_example_row_that_imports_cleanly(server: tuple[World, Settings]) -> None:
    world, _ = server
    answer = world.as_("director").get("/api/v1/imports/template.xlsx")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    rows = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == HEADER and len(rows) == 2
    report = upload(world.as_("director"), answer.content).json()
    assert (report["valid"], report["errors"]) == (1, [])


def exported(api: Api, jurisdiction: str) -> tuple[bytes, list[list[Any]]]:
    answer = api.get("/api/v1/exports/children.xlsx", jurisdiction=jurisdiction)
    assert answer.status_code == 200, answer.text
    rows = [list(r) for r in load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
            .iter_rows(values_only=True)]
    return answer.content, rows


def test_an_export_imported_back_is_every_row_an_exact_duplicate(server: tuple[World, Settings]) -> None:
    world, _ = server
    for i in range(1, 4):
        number = id_number("520305", "20110707", i)
        assert world.as_("director").post("/api/v1/children", child(f"曹小{i}", "2011-07-07", number,
                                                                     place=VILLAGE + "/02")).status_code == 201
    content, rows = exported(world.as_("supervisor"), VILLAGE + "/02")
    assert rows[0] == HEADER and len(rows) == 4
    assert sorted(r[3] for r in rows[1:]) == [id_number("520305", "20110707", i) for i in range(1, 4)]
    report = upload(world.as_("supervisor"), content).json()
    assert (report["rows"], report["valid"], report["errors"]) == (3, 3, [])
    assert [(d["row"], d["match"], d["score"]) for d in report["duplicates"]] == \
        [(2, "id_number", 1.0), (3, "id_number", 1.0), (4, "id_number", 1.0)]


def test_an_auditor_export_masks_id_numbers_and_a_supervisor_does_not_see_sealed_categories(
    server: tuple[World, Settings]
) -> None:
    world, _ = server
    number = id_number("520302", "20100808", 31)
    body = child("魏小军", "2010-08-08", number, place=VILLAGE + "/03", categories=["serious_misconduct"])
    child_id = world.as_("supervisor").post("/api/v1/children", body).json()["child_id"]
    assert world.as_("supervisor").post(f"/api/v1/children/{child_id}/seal",
                                        sub(reason="犯罪记录封存", order_reference="(2026)黔0302刑封1号")).status_code == 201
    _, audited = exported(world.as_("auditor"), VILLAGE + "/03")
    _, supervised = exported(world.as_("supervisor"), VILLAGE + "/03")
    assert audited[1][3] == "520302********" + number[-4:]
    assert audited[1][6] == "有严重不良行为未成年人"
    assert supervised[1][3] == number
    assert supervised[1][6] in (None, "")  # an empty cell: the sealed category is withheld
    log = world.as_("auditor").get("/api/v1/audit/access-log", child_id=child_id).json()["items"]
    assert any(entry["endpoint"] == "export" and entry["actor_role"] == "auditor" for entry in log)


def test_an_export_outside_the_scope_is_404_and_formulas_stay_text(server: tuple[World, Settings]) -> None:
    world, _ = server
    assert world.as_("supervisor").get("/api/v1/exports/children.xlsx", jurisdiction="520302/002").status_code == 404
    world.as_("director").post("/api/v1/children", child("=SUM(A1:A9)", "2010-09-09", None, place=VILLAGE + "/04"))
    content, rows = exported(world.as_("supervisor"), VILLAGE + "/04")
    assert rows[1][0] == "=SUM(A1:A9)"
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_a_row_whose_number_is_registered_elsewhere_names_only_the_county(server: tuple[World, Settings]) -> None:
    world, _ = server
    number = id_number("520302", "20090909", 41)
    assert world.as_("county").post("/api/v1/children", child("褚小北", "2009-09-09", number,
                                                             place="520302/002/001")).status_code == 201
    rows = [["褚小北", "女", "2009-09-09", number, VILLAGE, "某村", "", "", "", "", ""]]
    answer = upload(world.as_("director"), xlsx(rows), mode="commit")
    assert answer.json()["duplicates"] == [{"row": 2, "match": "id_number", "score": 1.0, "county": "520302"}]
    assert (answer.json()["created"], answer.json()["skipped"]) == (0, 1)
    assert "520302/002" not in answer.text


def test_a_form_without_its_parts_or_with_an_unknown_mode_is_refused_plainly(server: tuple[World, Settings]) -> None:
    world, _ = server
    api = world.as_("director")
    content = xlsx([])
    cases = [
        api.http.post("/api/v1/imports", files={"file": ("r.xlsx", content)}, data={"mode": "commit"}),
        api.http.post("/api/v1/imports", data={"submission_id": sub()["submission_id"]}),
        api.http.post("/api/v1/imports", files={"file": ("r.xlsx", content)},
                      data={"mode": "replace_all", "submission_id": sub()["submission_id"]}),
        api.http.post("/api/v1/imports", files={"file": ("r.xlsx", content), "other": ("o.xlsx", content)},
                      data={"submission_id": sub()["submission_id"]}),
        api.http.post("/api/v1/imports", json={"file": "x", "submission_id": sub()["submission_id"]}),
    ]
    assert all(400 <= a.status_code < 500 and a.json()["code"] for a in cases), [(a.status_code, a.text) for a in cases]


def test_a_header_only_file_reports_no_rows(server: tuple[World, Settings]) -> None:
    world, _ = server
    report = upload(world.as_("director"), xlsx([])).json()
    assert (report["rows"], report["valid"], report["errors"], report["duplicates"]) == (0, 0, [], [])
