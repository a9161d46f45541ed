"""The roster template (花名册): its columns, and one spreadsheet row read into a registration or row errors.

A village's ledger arrives as cells typed by whoever kept it: dates as Excel serials or as text in several
ways, ID numbers that Excel turned into numbers (losing their last digits or the X), formulas, blanks left by
merged cells. Each row becomes either a `RegisterChild` or errors naming the row, the column, a code and a
message in Chinese for the person who fixes the sheet. Nothing here evaluates a formula: a cell is its text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final
from uuid import UUID, uuid5

import msgspec

from backend.child import check_birth_date
from backend.commands import RegisterChild
from backend.errors import InvalidInput, InvalidJurisdiction
from backend.identity import Actor
from backend.rules.id_number import birth_date_of, check_digit
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from events.vocabulary import LABELS, Category

ROW_NAMESPACE: Final = UUID("8e0b7f5c-2a41-4c3d-9f6e-5b1a7d2c9e34")


class Column(msgspec.Struct, frozen=True):
    key: str
    header: str
    required: bool
    example: str


COLUMNS: Final = (
    Column("name", "姓名", True, "王小明"),
    Column("sex", "性别", True, "男"),
    Column("birth_date", "出生日期", True, "2014-05-17"),
    Column("id_number", "身份证号", False, "520302201405170019"),
    Column("jurisdiction", "区划编码", True, "520302/001/003/01/01"),
    Column("address", "家庭住址", True, "红花岗区某村3组12号"),
    Column("categories", "重点群体", False, "农村留守儿童、困境儿童"),
    Column("guardian_name", "监护人姓名", False, "王大山"),
    Column("guardian_relation", "监护人关系", False, "祖父"),
    Column("guardian_phone", "监护人电话", False, "13800000000"),
    Column("guardian_able", "监护人能否履责", False, "是"),
)
HEADERS: Final = tuple(c.header for c in COLUMNS)
HEADER_OF: Final = {c.key: c.header for c in COLUMNS}

SEX: Final = {"男": "male", "女": "female", "male": "male", "female": "female"}
YES_NO: Final = {"是": True, "能": True, "否": False, "不能": False, "": True}
CATEGORY_BY_LABEL: Final = {
    name: code for code, (zh, _en) in LABELS[Category].items()
    for name in (code, zh, zh.split("(")[0], zh.replace("(", "（").replace(")", "）"))
}
"""A category as a ledger writes it: its code, its label, or its label without the part in brackets (孤儿)."""
CATEGORY_SEPARATORS: Final = re.compile(r"[、,，;；/\s]+")
TEXT_DATE: Final = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
EXCEL_EPOCH: Final = date(1899, 12, 30)
"""Day 0 of Excel's serial dates (1900 system, after its leap-year bug)."""
NUMBER_AS_TEXT: Final = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$|^\d{15,18}\.0+$")
"""An ID number that passed through a number cell: 5.20302E+17, or digits with a decimal tail."""


class RowError(msgspec.Struct, frozen=True):
    row: int
    column: str
    code: str
    message: str


class Row(msgspec.Struct, frozen=True):
    """One data row read: its number in the sheet (the header is row 1), and the registration or the errors."""

    row: int
    command: RegisterChild | None
    errors: list[RowError]


class CellError(Exception):
    """A cell that cannot be used: the code and the Chinese message for the row error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def template_xlsx() -> bytes:
    """The template: the header row, one example row, and every column formatted as text (so an ID number typed
    into it stays text, with all its digits and its X)."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = "花名册"
    for index, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=index, value=column.header)
        header.font = Font(bold=True)
        example = sheet.cell(row=2, column=index, value=column.example)
        example.number_format = "@"
        letter = header.column_letter
        sheet.column_dimensions[letter].width = 24 if column.key in ("id_number", "jurisdiction", "address") else 14
        sheet.column_dimensions[letter].number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell_text(value: Any) -> str:
    """A cell as the text it shows (a formula is its own text, never a result)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def birth_date_cell(value: Any) -> date:
    """A date typed as a date, an Excel serial, or text: 2014-05-17, 2014/5/17, 2014.5.17, 2014年5月17日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return serial_date(float(value))
    text = cell_text(value)
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return serial_date(float(text))
    found = TEXT_DATE.match(text) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if found is None:
        raise CellError("invalid_date", f"无法识别的日期“{text[:40]}”，请写成 2014-05-17")
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise CellError("invalid_date", f"日期不存在：“{text[:40]}”") from None


def serial_date(serial: float) -> date:
    if not 1 <= serial < 2958466:
        raise CellError("invalid_date", f"日期序号 {serial:g} 不是有效的 Excel 日期")
    return EXCEL_EPOCH + timedelta(days=int(serial))


def id_number_cell(value: Any, born: date | None) -> str | None:
    """The ID number checked with the GB 11643 rule, or a CellError saying in Chinese what is wrong."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("id_number_as_number",
                        "身份证号被保存为数字，末几位或末位的X已经丢失；请把该列设为“文本”格式后重新填写")
    text = cell_text(value).replace(" ", "").upper()
    if not text:
        return None
    if NUMBER_AS_TEXT.match(text):
        raise CellError("id_number_as_number",
                        f"身份证号“{text[:24]}”是数字格式，末几位或末位的X已经丢失；请把该列设为“文本”格式后重新填写")
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise CellError("invalid_id_number", f"身份证号应为18位（17位数字加1位数字或X），此处为{len(text)}位")
    if check_digit(text[:17]) != text[17]:
        raise CellError("invalid_id_number", "身份证号校验位不符（GB 11643），请核对是否录错")
    try:
        written = birth_date_of(text)
    except ValueError:
        raise CellError("invalid_id_number", "身份证号中的出生日期不是有效日期") from None
    if born is not None and written != born:
        raise CellError("invalid_id_number",
                        f"身份证号中的出生日期 {written.isoformat()} 与出生日期列 {born.isoformat()} 不符")
    return text


def categories_cell(value: Any) -> list[str]:
    codes = []
    for part in CATEGORY_SEPARATORS.split(cell_text(value)):
        if not part:
            continue
        if part not in CATEGORY_BY_LABEL:
            raise CellError("unknown_category", f"未知的重点群体“{part[:20]}”")
        codes.append(CATEGORY_BY_LABEL[part])
    return sorted(set(codes))


def check_headers(header: Sequence[Any]) -> None:
    """The first row must name the template's columns, in its order (extra columns after them are ignored)."""
    found = tuple(cell_text(h).lstrip("\ufeff") for h in header[: len(HEADERS)])
    if found != HEADERS:
        raise WrongHeaders(
            f"the first row must be the template's headers: {'、'.join(HEADERS)}", found=list(found),
            expected=list(HEADERS),
        )


class WrongHeaders(InvalidInput):
    code = "wrong_headers"


def read_row(number: int, values: Sequence[Any], actor: Actor, today: date) -> Row:
    """One data row as a registration (occurred now), or its errors; out-of-scope places are errors too."""
    cells = dict(zip((c.key for c in COLUMNS), list(values) + [None] * (len(COLUMNS) - len(values)), strict=False))
    errors: list[RowError] = []
    fields: dict[str, Any] = {}

    def take(key: str, parse: Any) -> None:
        try:
            fields[key] = parse(cells[key])
        except CellError as exc:
            errors.append(RowError(number, HEADER_OF[key], exc.code, exc.message))

    for column in COLUMNS:
        if column.required and not cell_text(cells[column.key]):
            errors.append(RowError(number, column.header, "required", f"“{column.header}”必填（合并单元格只有第一行有值）"))
    if errors:
        return Row(number, None, errors)
    take("birth_date", birth_date_cell)
    take("id_number", lambda v: id_number_cell(v, fields.get("birth_date")))
    take("sex", lambda v: _choice(v, SEX, "invalid_sex", "性别应为“男”或“女”"))
    take("jurisdiction", lambda v: _place(v, actor))
    take("categories", categories_cell)
    take("guardian_able", lambda v: _choice(v, YES_NO, "invalid_yes_no", "监护人能否履责应为“是”或“否”"))
    if "birth_date" in fields:
        take("birth_date", lambda _: _child_age(fields["birth_date"], today))
    if errors:
        return Row(number, None, errors)
    return _command(number, cells, fields)


def _choice(value: Any, choices: dict[str, Any], code: str, message: str) -> Any:
    text = cell_text(value)
    if text not in choices:
        raise CellError(code, message)
    return choices[text]


def _place(value: Any, actor: Actor) -> str:
    try:
        place = parse_jurisdiction(cell_text(value))
    except InvalidJurisdiction:
        raise CellError("invalid_jurisdiction", "区划编码应为6位县级代码加“/”分隔的数字段，如 520302/001/003") from None
    if actor.id is not None and not within_scope(place, actor.scope):
        raise CellError("out_of_scope", f"区划 {place} 不在您的管辖范围（{actor.scope}）内")
    return place


def _child_age(born: date, today: date) -> date:
    try:
        check_birth_date(born, today)
    except InvalidInput:
        raise CellError("not_a_child", "出生日期在未来，或已满18周岁") from None
    return born


def _command(number: int, cells: dict[str, Any], fields: dict[str, Any]) -> Row:
    guardian_name = cell_text(cells["guardian_name"])
    guardians = []
    if guardian_name:
        guardians.append({"relation": cell_text(cells["guardian_relation"]) or "监护人", "name": guardian_name,
                          "phone": cell_text(cells["guardian_phone"]) or None, "able_to_care": fields["guardian_able"]})
    body = {
        "name": cell_text(cells["name"]), "sex": fields["sex"], "birth_date": fields["birth_date"].isoformat(),
        "id_number": fields["id_number"], "jurisdiction": fields["jurisdiction"],
        "address": cell_text(cells["address"]), "categories": fields["categories"], "guardians": guardians,
    }
    submission_id = uuid5(ROW_NAMESPACE, msgspec.json.encode(body, order="sorted").decode())
    try:
        command = msgspec.convert(body | {"submission_id": str(submission_id)}, RegisterChild)
    except msgspec.ValidationError as exc:
        return Row(number, None, [_limit_error(number, str(exc))])
    return Row(number, command, [])


FIELD_COLUMN: Final = {"name": "name", "address": "address", "guardians[0].name": "guardian_name",
                       "guardians[0].relation": "guardian_relation", "guardians[0].phone": "guardian_phone"}


def _limit_error(number: int, message: str) -> RowError:
    """A cell over its bound (length, control characters, a phone's shape), named by its column."""
    path = message.rsplit("$.", 1)[-1].rstrip("`") if "$." in message else ""
    column = HEADER_OF[FIELD_COLUMN.get(path, "name")]
    if "length" in message:
        return RowError(number, column, "too_long", f"“{column}”过长")
    return RowError(number, column, "invalid_text", f"“{column}”含有不允许的字符或格式不对")
