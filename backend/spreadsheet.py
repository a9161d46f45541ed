"""Reading an uploaded roster, row by row, without trusting it: .xlsx (streamed) or .csv (UTF-8 or GBK).

An .xlsx is a zip of XML parts. Before anything parses it, the zip's directory is checked: the sizes its
parts declare bound what decompression will produce (Python's zipfile stops at the declared size and fails
the CRC past it), so a zip bomb is refused by its declared sizes, and a part that lies is cut off there.
The sheet is then streamed by backend.xlsx (rows are parsed as its XML is read; memory stays flat), without
evaluating anything: a formula cell reads as its formula text.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final
from xml.parsers import expat

from backend.errors import InvalidInput, TooLarge, UnsupportedMediaType
from backend.xlsx import XlsxError, sheet_rows

MAX_ROWS: Final = 50_000
"""Data rows one import may have (a county's roster is imported village by village or town by town)."""
MAX_UNZIPPED: Final = 400 * 1024 * 1024
"""What all parts of an .xlsx may decompress to together (a 50,000-row roster is well under 100 MB)."""
MAX_PART: Final = 256 * 1024 * 1024
"""What one part (the sheet's XML, the shared strings) may decompress to."""
MAX_PARTS: Final = 500
MAX_CELL_CHARS: Final = 32_767
"""Excel's own limit on one cell; a CSV field past it is not a roster."""
ZIP_MAGIC: Final = b"PK\x03\x04"
OLE_MAGIC: Final = bytes.fromhex("d0cf11e0a1b11ae1")


class NotASpreadsheet(UnsupportedMediaType):
    code = "not_a_spreadsheet"


class SpreadsheetTooLarge(TooLarge):
    code = "spreadsheet_too_large"


class TooManyRows(TooLarge):
    code = "too_many_rows"


class UnreadableSpreadsheet(InvalidInput):
    code = "unreadable_spreadsheet"


def rows_of(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """Every row of the file's first sheet with its number (the header is 1), as cell values; blank rows are left
    out; past `MAX_ROWS` data rows the file is refused."""
    with path.open("rb") as head:
        start = head.read(8)
    rows: Iterator[tuple[int, Sequence[Any]]]
    if start.startswith(ZIP_MAGIC):
        rows = xlsx_rows(path)
    elif start.startswith(OLE_MAGIC):
        raise NotASpreadsheet("this is an old .xls workbook: save it as .xlsx (Excel 2007 or later) or .csv")
    else:
        rows = csv_rows(path)
    count = 0
    for number, row in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        count += 1
        if count > MAX_ROWS + 1:
            raise TooManyRows(f"a roster may have at most {MAX_ROWS} rows; split the file", limit=MAX_ROWS)
        yield number, row


def check_zip(path: Path) -> None:
    """Refuse an .xlsx whose parts would decompress past the limits, before any of it is decompressed."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotASpreadsheet(f"the file is not a readable .xlsx ({type(exc).__name__})") from None
    if len(parts) > MAX_PARTS:
        raise SpreadsheetTooLarge(f"the workbook has {len(parts)} parts, more than {MAX_PARTS}")
    if any(p.file_size > MAX_PART for p in parts) or sum(p.file_size for p in parts) > MAX_UNZIPPED:
        raise SpreadsheetTooLarge(
            f"the workbook would decompress to more than {MAX_UNZIPPED // 2**20} MB (at most {MAX_PART // 2**20} MB a part)"
        )


def xlsx_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """The first sheet's rows with their numbers, streamed; a workbook that cannot be read is refused plainly."""
    check_zip(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise NotASpreadsheet(f"the file is not a readable .xlsx ({type(exc).__name__})") from None
    with archive:
        rows = sheet_rows(archive)
        while True:
            try:
                numbered = next(rows)
            except StopIteration:
                return
            except KeyError as exc:  # a part the workbook names is missing
                raise NotASpreadsheet(f"the file is not an .xlsx workbook (no part {exc})") from None
            except (XlsxError, expat.ExpatError, zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise UnreadableSpreadsheet(f"the workbook cannot be read ({type(exc).__name__}: {exc})"[:300]) from None
            yield numbered


def encoding_of(path: Path) -> str:
    """UTF-8 (with or without a BOM) when the text decodes as UTF-8, else GB18030 (which reads GBK and GB2312)."""
    with path.open("rb") as f:
        sample = f.read(1 << 16)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in sample:
        raise NotASpreadsheet("the file is neither an .xlsx workbook nor CSV text")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def csv_rows(path: Path) -> Iterator[tuple[int, Sequence[Any]]]:
    """A CSV's rows, decoded as `encoding_of` says; a field longer than a cell may be refuses the file."""
    encoding = encoding_of(path)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        reader = csv.reader(_bounded_lines(text))
        number = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                raise UnreadableSpreadsheet(f"the CSV cannot be read at line {reader.line_num} ({exc})") from None
            number += 1
            yield number, row


def _bounded_lines(text: io.TextIOWrapper) -> Iterator[str]:
    """The text's lines, each at most a cell's limit past what csv itself bounds: a 10 MB line is refused, not held."""
    while line := text.readline(MAX_CELL_CHARS * 4):
        if len(line) >= MAX_CELL_CHARS * 4 and not line.endswith("\n"):
            raise UnreadableSpreadsheet(f"a line of the CSV is longer than {MAX_CELL_CHARS * 4} characters")
        yield line
