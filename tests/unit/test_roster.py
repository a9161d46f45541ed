"""The roster's cells, the likeness score and the streaming readers, with values written out by hand."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from backend.identity import Actor
from backend.likeness import Person, Register, likeness, name_likeness
from backend.roster import HEADERS, CellError, birth_date_cell, categories_cell, id_number_cell, read_row
from backend.spreadsheet import MAX_PART, NotASpreadsheet, SpreadsheetTooLarge, check_zip, encoding_of, rows_of
from backend.xlsx import XlsxError, sheet_rows
from events.vocabulary import Role

DIRECTOR = Actor(id=UUID(int=1), role=Role.CHILD_DIRECTOR, scope="520302/001", username="d")
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize("cell", ["2014-05-17", "2014/5/17", "2014.5.17", "2014年5月17日", "20140517", " 2014 / 05 / 17 ",
                                  41776, 41776.0, "41776", datetime(2014, 5, 17, 0, 0), date(2014, 5, 17)])
def test_a_birth_date_is_read_from_every_way_a_ledger_writes_it(cell: object) -> None:
    assert birth_date_cell(cell) == date(2014, 5, 17)


@pytest.mark.parametrize("cell", ["5月17日", "2014-02-30", "17/05/2014", "", 0, 3_000_000])
def test_a_birth_date_that_is_no_date_is_a_cell_error(cell: object) -> None:
    with pytest.raises(CellError) as refused:
        birth_date_cell(cell)
    assert refused.value.code == "invalid_date"


def test_an_id_number_is_checked_by_the_gb_11643_rule() -> None:
    assert id_number_cell("11010519491231002x", None) == "11010519491231002X"
    assert id_number_cell(" 520302201405170019 ", date(2014, 5, 17)) == "520302201405170019"
    assert id_number_cell(None, None) is None and id_number_cell("", None) is None


@pytest.mark.parametrize(("cell", "code", "words"), [
    (520302201405170019, "id_number_as_number", "数字"),
    (5.20302201405170e17, "id_number_as_number", "数字"),
    ("5.20302E+17", "id_number_as_number", "数字"),
    ("520302201405170000.0", "id_number_as_number", "数字"),
    ("52030220140517001", "invalid_id_number", "18位"),
    ("520302201405170018", "invalid_id_number", "校验位"),
    ("520302201402300017", "invalid_id_number", "不是有效日期"),
    ("520302201405180014", "invalid_id_number", "不符"),
])
def test_a_wrong_id_number_says_what_is_wrong(cell: object, code: str, words: str) -> None:
    with pytest.raises(CellError) as refused:
        id_number_cell(cell, date(2014, 5, 17))
    assert refused.value.code == code and words in refused.value.message


def test_categories_are_read_by_label_code_or_short_label() -> None:
    assert categories_cell("农村留守儿童、困境儿童") == ["in_distress", "left_behind"]
    assert categories_cell("孤儿，orphan ; 孤儿(含散居孤儿)") == ["orphan"]
    with pytest.raises(CellError):
        categories_cell("流浪儿童")


def row(**cells: object) -> list[object]:
    base = {"姓名": "王小明", "性别": "男", "出生日期": "2014-05-17", "身份证号": "520302201405170019",
            "区划编码": "520302/001/003", "家庭住址": "某村1号", "重点群体": "", "监护人姓名": "王大山",
            "监护人关系": "祖父", "监护人电话": "", "监护人能否履责": "否"}
    base.update({k: v for k, v in cells.items()})
    return [base[h] for h in HEADERS]


def test_a_good_row_is_a_registration_with_a_submission_id_from_its_content() -> None:
    read = read_row(2, row(), DIRECTOR, TODAY)
    again = read_row(9, row(), DIRECTOR, TODAY)
    other = read_row(2, row(家庭住址="某村2号"), DIRECTOR, TODAY)
    assert read.errors == [] and read.command is not None and again.command is not None and other.command is not None
    assert read.command.birth_date == date(2014, 5, 17) and read.command.sex == "male"
    assert read.command.guardians[0].able_to_care is False and read.command.guardians[0].relation == "祖父"
    assert read.command.submission_id == again.command.submission_id != other.command.submission_id


def test_a_row_outside_the_scope_a_formula_and_a_long_name() -> None:
    outside = read_row(3, row(区划编码="520302/002/001"), DIRECTOR, TODAY)
    assert [(e.column, e.code) for e in outside.errors] == [("区划编码", "out_of_scope")]
    formula = read_row(4, row(姓名="=1+1"), DIRECTOR, TODAY)
    assert formula.command is not None and formula.command.name == "=1+1"
    long = read_row(5, row(姓名="王" * 65), DIRECTOR, TODAY)
    assert [(e.column, e.code) for e in long.errors] == [("姓名", "too_long")]
    adult = read_row(6, row(出生日期="2000-01-01", 身份证号=""), DIRECTOR, TODAY)
    assert [(e.column, e.code) for e in adult.errors] == [("出生日期", "not_a_child")]


def test_likeness_reads_names_by_their_sound() -> None:
    assert name_likeness("王晓明", "王小明") == 0.95
    assert name_likeness("王小明", "王小明") == 1.0
    same_household = likeness(Person("王晓明", "2014-05-17", "王大山", "某村1号"), Person("王小明", "2014-05-17", "王大山", ""))
    assert same_household == 0.98  # 0.2 + 0.5 × 0.95 + 0.3 × 1, to two places
    assert likeness(Person("王晓明", "2014-05-17", "王大山", ""), Person("王小明", "2014-05-18", "王大山", "")) == 0.0
    assert likeness(Person("王小明", "2014-05-17", "", ""), Person("王小明", "2014-05-17", "", "")) == 0.7


def test_the_register_finds_the_likely_one_and_holds_a_bucket_bounded() -> None:
    known = Register()
    known.add("a", Person("王小明", "2014-05-17", "王大山", "某村1号"))
    assert known.best(Person("王晓明", "2014-05-17", "王大山", "某村1号")) == ("a", 0.98)
    assert known.best(Person("李晓明", "2014-05-17", "王大山", "某村1号")) is None  # another surname's sound
    for i in range(1000):
        known.add(f"row:{i}", Person("王小明", "2014-05-17", "", ""))
    assert len(known.buckets[("2014-05-17", "wang")]) == Register.BUCKET


def hand_xlsx(sheet_xml: bytes, extra: dict[str, bytes] | None = None) -> zipfile.ZipFile:
    out = io.BytesIO()
    ns = b'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("_rels/.rels", b'<Relationships ' + ns + b'><Relationship Id="r" Type="x/officeDocument" '
                         b'Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                         b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                         b'<sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", b'<Relationships ' + ns + b'><Relationship Id="rId1" Type="x" '
                         b'Target="worksheets/first.xml"/></Relationships>')
        archive.writestr("xl/worksheets/first.xml", sheet_xml)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(out.getvalue()))


MAIN = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def test_the_xlsx_reader_gives_formulas_as_text_shared_strings_and_numbers() -> None:
    sheet = ('<worksheet ' + MAIN.decode() + '><sheetData><row r="1"><c r="A1" t="s"><v>1</v></c><c r="C1"><v>41776</v>'
             '</c><c r="D1"><f>SUM(A1:A9)</f><v>12</v></c><c r="E1" t="inlineStr"><is><t>里</t></is></c></row>'
             '<row r="4"><c r="B4" t="b"><v>1</v></c><c r="C4"><v>5.203E+17</v></c></row></sheetData></worksheet>').encode()
    strings = ('<sst ' + MAIN.decode() + '><si><t>a</t></si><si><r><t>王</t></r><r><t>小明</t></r><rPh><t>wang</t></rPh>'
               '</si></sst>').encode()
    rows = list(sheet_rows(hand_xlsx(sheet, {"xl/sharedStrings.xml": strings})))
    assert rows == [(1, ["王小明", None, 41776, "=SUM(A1:A9)", "里"]), (4, [None, True, 5.203e17])]


def test_the_xlsx_reader_refuses_a_document_type_declaration() -> None:
    sheet = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet ' + MAIN + b'><sheetData/></worksheet>'
    with pytest.raises(XlsxError):
        list(sheet_rows(hand_xlsx(sheet)))


def test_a_zip_whose_parts_declare_too_much_is_refused_before_reading(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
        for _ in range(MAX_PART // (1 << 20) + 1):
            part.write(b"\0" * (1 << 20))
    assert bomb.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(SpreadsheetTooLarge):
        check_zip(bomb)


def test_csv_encodings_and_what_is_no_spreadsheet(tmp_path: Path) -> None:
    cases = {"bom.csv": b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d\n", "gbk.csv": "姓名\n".encode("gbk"),
             "utf8.csv": "姓名\n".encode()}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    assert [encoding_of(tmp_path / n) for n in cases] == ["utf-8-sig", "gb18030", "utf-8"]
    assert [r for _, r in rows_of(tmp_path / "gbk.csv")] == [["姓名"]]
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(NotASpreadsheet):
        list(rows_of(tmp_path / "image.png"))
