"""A roster committed through the use case on every backend: rows stored in batches (one existence query for their
claims and receipts), the same file again storing nothing, and a number registered meanwhile refused by its claim."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

from openpyxl import Workbook

from backend.bootstrap import Huhang
from backend.likeness import Register
from backend.roster import HEADERS
from backend.rules.id_number import check_digit
from tests.conftest import Clock
from tests.integration.backends import PostgresBackend, SQLiteBackend
from tests.integration.contract import DIRECTOR, SUPERVISOR, registration


def born(serial: int) -> date:
    return date(2012, 1, 1) + timedelta(days=serial)


def number(serial: int) -> str:
    first17 = f"520302{born(serial):%Y%m%d}{serial % 1000:03d}"
    return first17 + check_digit(first17)


def roster(folder: Path, rows: int) -> Path:
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.append(list(HEADERS))
    for i in range(rows):
        sheet.append([f"林小{i}", "女", born(i).isoformat(), number(i), "520302/001/003", f"林村{i}号", "", "", "", "", ""])
    path = folder / "roster.xlsx"
    book.save(path)
    return path


class RosterContract:
    def test_a_roster_of_several_batches_is_stored_once(self, app: Huhang, clock: Clock, tmp_path: Path) -> None:
        path = roster(tmp_path, 450)  # three batches of at most 200
        app.children.register(DIRECTOR, "p", registration(clock, id_number=number(7), birth_date=born(7)))
        first = app.imports.run(SUPERVISOR, "cli", path, uuid4(), commit=True, known=Register())
        assert (first.rows, first.valid, first.created, first.skipped) == (450, 450, 449, 1)
        assert [(d.row, d.match) for d in first.duplicates] == [(9, "id_number")]
        again = app.imports.run(SUPERVISOR, "cli", path, uuid4(), commit=True, known=Register())
        assert (again.created, again.skipped, again.duplicate_count) == (0, 450, 450)

    def test_a_dry_run_stores_nothing(self, app: Huhang, tmp_path: Path) -> None:
        before = app.store.recorder.max_notification_id()
        report = app.imports.run(SUPERVISOR, "cli", roster(tmp_path, 30), uuid4(), commit=False, known=Register())
        assert (report.valid, report.created) == (30, 0)
        assert app.store.recorder.max_notification_id() == before


class TestSQLite(SQLiteBackend, RosterContract):
    pass


class TestPostgres(PostgresBackend, RosterContract):
    pass
