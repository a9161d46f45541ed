"""The caseload as a roster: the children an import compares rows with, and the export in the template's columns.

Both read the children table page by page (keyset on child id), so a county's caseload never sits in memory
whole. The export shows what the reader may see (backend.disclosure: masked ID numbers, withheld categories)
and notes each child's protected facts in the request's `Shown`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import msgspec

from backend.disclosure import Disclosure, Shown
from backend.identity import Actor
from backend.likeness import Person, Register
from backend.roster import HEADERS
from events.vocabulary import Category, label_zh
from projections.db import ReadDB
from projections.queries import in_scope_sql
from projections.tables import ChildRow
from projections.views import facts_of, row_visible

PAGE: Final = 2000
SEX_ZH: Final = {"male": "男", "female": "女"}
_child = msgspec.json.Decoder(ChildRow)


def children_in(db: ReadDB, scope: str) -> Iterator[ChildRow]:
    """Every child row inside `scope`, by child id, read a page at a time."""
    where, params = in_scope_sql("jurisdiction", scope)
    after = ""
    while True:
        rows = db.query(f"SELECT doc, child_id FROM rm_children WHERE {where} AND child_id > ? "
                        f"ORDER BY child_id LIMIT ?", (*params, after, PAGE))
        for doc, _ in rows:
            yield _child.decode(doc)
        if len(rows) < PAGE:
            return
        after = rows[-1][1]


def known_children(db: ReadDB, actor: Actor) -> Register:
    """The children the actor may see, as people an imported row may repeat."""
    known = Register()
    for row in children_in(db, actor.scope):
        if row_visible(actor, row):
            guardian = row.guardians[0].get("name", "") if row.guardians else ""
            known.add(row.child_id, Person(row.name, row.birth_date, guardian, row.address))
    return known


def roster_line(row: ChildRow, reader: Actor, shown: Shown) -> list[str]:
    """One child in the template's columns, as the reader may see it."""
    d = Disclosure(reader, facts_of(row))
    categories = d.categories(row.categories)
    guardian: dict[str, Any] = row.guardians[0] if row.guardians else {}
    shown.add(row.child_id, d)
    able = guardian.get("able_to_care", True)
    return [
        row.name, SEX_ZH.get(row.sex, row.sex), row.birth_date, d.id_number(row.id_number) or "", row.jurisdiction,
        row.address, "、".join(label_zh(Category, c) for c in categories), guardian.get("name", ""),
        guardian.get("relation", "") if guardian else "", guardian.get("phone") or "",
        ("是" if able else "否") if guardian else "",
    ]


def export_roster(db: ReadDB, reader: Actor, scope: str, target: Path, shown: Shown, now: datetime) -> int:
    """Write the caseload of `scope` as an .xlsx in the template's columns to `target`; the number of children.

    Written with openpyxl's write-only workbook (rows go to disk as they are made). Every cell is a string
    cell: text that starts with `=` stays text, never a formula that a spreadsheet program would run.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    count = 0

    def text_cells(values: list[str]) -> list[WriteOnlyCell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(text_cells(list(HEADERS)))
    for row in children_in(db, scope):
        if row_visible(reader, row):
            sheet.append(text_cells(roster_line(row, reader, shown)))
            count += 1
    book.properties.created = now.replace(tzinfo=None)
    book.save(target)
    return count
