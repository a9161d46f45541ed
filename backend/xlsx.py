"""A streaming reader of an .xlsx workbook's first sheet: cells as the file stores them, nothing evaluated.

openpyxl's read-only mode streams too, but builds objects for every cell (about 1 ms a row); here expat
hands each cell's parts to a few callbacks, and rows are yielded as the sheet's XML is fed in chunks. A
formula cell reads as `=` and its formula text (its cached result is ignored), a shared string as its text,
a number as a number (the roster decides what a number means in its column). A document type declaration
is refused: a spreadsheet never has one, and entity tricks need one.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from typing import IO, Any, Final
from xml.parsers import expat

MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
CHUNK: Final = 1 << 16
COLUMN: Final = re.compile(r"([A-Z]{1,3})")


class XlsxError(ValueError):
    """The workbook's structure is not what an .xlsx has."""


def _parser() -> Any:
    parser = expat.ParserCreate(namespace_separator="|")

    def no_doctype(*_: Any) -> None:
        raise XlsxError("a document type declaration in a workbook part")

    parser.StartDoctypeDeclHandler = no_doctype
    parser.EntityDeclHandler = no_doctype
    return parser


def _elements(archive: zipfile.ZipFile, name: str) -> list[tuple[str, dict[str, str]]]:
    """The start tags of a small part (workbook, relationships), in order."""
    found: list[tuple[str, dict[str, str]]] = []
    parser = _parser()
    parser.StartElementHandler = lambda tag, attrs: found.append((tag, attrs))
    with archive.open(name) as part:
        parser.ParseFile(part)
    return found


def first_sheet(archive: zipfile.ZipFile) -> str:
    """The part name of the workbook's first sheet, as workbook.xml and its relationships say."""
    roots = [a for t, a in _elements(archive, "_rels/.rels") if t == f"{PKG_REL}|Relationship"
             and a.get("Type", "").endswith("/officeDocument")]
    if not roots:
        raise XlsxError("no workbook in the package")
    workbook = roots[0]["Target"].lstrip("/")
    sheets = [a for t, a in _elements(archive, workbook) if t == f"{MAIN}|sheet"]
    if not sheets:
        raise XlsxError("the workbook has no sheet")
    rel_id = sheets[0].get(f"{REL}|id")
    folder, base = posixpath.split(workbook)
    rels = _elements(archive, posixpath.join(folder, "_rels", base + ".rels"))
    targets = [a["Target"] for t, a in rels if t == f"{PKG_REL}|Relationship" and a.get("Id") == rel_id]
    if not targets:
        raise XlsxError("the first sheet's part is not named")
    target = targets[0]
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def shared_strings(archive: zipfile.ZipFile) -> list[str]:
    """The workbook's shared strings (phonetic guides left out), or none when it has no such part."""
    name = next((n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if name is None:
        return []
    strings: list[str] = []
    text: list[str] = []
    depth = {"si": 0, "t": 0, "rph": 0}
    parser = _parser()

    def start(tag: str, _: dict[str, str]) -> None:
        local = tag.rsplit("|", 1)[-1].lower()
        if local in depth:
            depth[local] += 1

    def end(tag: str) -> None:
        local = tag.rsplit("|", 1)[-1].lower()
        if local in depth:
            depth[local] -= 1
        if local == "si":
            strings.append("".join(text))
            text.clear()

    def chars(data: str) -> None:
        if depth["t"] and not depth["rph"]:
            text.append(data)

    parser.StartElementHandler, parser.EndElementHandler, parser.CharacterDataHandler = start, end, chars
    with archive.open(name) as part:
        _feed(parser, part)
    return strings


def _feed(parser: Any, part: IO[bytes]) -> None:
    while chunk := part.read(CHUNK):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


class _Sheet:
    """Callbacks that turn the sheet's XML into rows of cell values."""

    def __init__(self, strings: list[str]) -> None:
        self.strings = strings
        self.done: list[tuple[int, list[Any]]] = []
        self.row: list[Any] | None = None
        self.row_number = 0
        self.kind = ""
        self.column = 0
        self.value: list[str] = []
        self.formula: list[str] | None = None
        self.into: list[str] | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        local = tag.rsplit("|", 1)[-1]
        if local == "row":
            self.row_number = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row_number + 1
            self.row = []
        elif local == "c" and self.row is not None:
            self.kind = attrs.get("t", "n")
            ref = COLUMN.match(attrs.get("r", ""))
            self.column = _column_index(ref.group(1)) if ref else len(self.row)
            self.value, self.formula = [], None
        elif local in ("v", "t"):
            self.into = self.value
        elif local == "f":
            self.formula = []
            self.into = self.formula

    def end(self, tag: str) -> None:
        local = tag.rsplit("|", 1)[-1]
        if local in ("v", "t", "f"):
            self.into = None
        elif local == "c" and self.row is not None:
            if self.column < 16384:
                self.row.extend([None] * (self.column - len(self.row)))
                self.row.append(self.cell())
        elif local == "row" and self.row is not None:
            self.done.append((self.row_number, self.row))
            self.row = None

    def chars(self, data: str) -> None:
        if self.into is not None:
            self.into.append(data)

    def cell(self) -> Any:
        """The cell's value as stored: a formula as its text, never its cached result."""
        if self.formula is not None:
            return "=" + "".join(self.formula)
        text = "".join(self.value)
        if self.kind == "s":
            index = int(text) if text.isdigit() else -1
            if not 0 <= index < len(self.strings):
                raise XlsxError(f"a cell names shared string {text[:12]!r}, which the workbook does not have")
            return self.strings[index]
        if self.kind in ("inlineStr", "str", "e"):
            return text
        if self.kind == "b":
            return text == "1"
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text and "E" not in text.upper() else number


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def sheet_rows(archive: zipfile.ZipFile) -> Iterator[tuple[int, list[Any]]]:
    """The first sheet's rows with their numbers, as its XML is read chunk by chunk."""
    sheet = _Sheet(shared_strings(archive))
    parser = _parser()
    parser.StartElementHandler, parser.EndElementHandler = sheet.start, sheet.end
    parser.CharacterDataHandler = sheet.chars
    parser.buffer_text = True
    with archive.open(first_sheet(archive)) as part:
        while chunk := part.read(CHUNK):
            parser.Parse(chunk, False)
            yield from sheet.done
            sheet.done.clear()
        parser.Parse(b"", True)
        yield from sheet.done
