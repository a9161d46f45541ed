"""Importing a roster: check every row (a dry run stores nothing), then store the valid new ones in batches.

A commit first checks the whole file, to find every error and duplicate and to refuse a file that cannot be
taken (too many rows, wrong headers, unreadable) before anything is stored; the rows it keeps wait on disk
(`RowSpool`) and are then stored, 200 to a transaction through the group commit. Each row's submission id is
derived from its content, so the same file imported again, in any request, replays its rows instead of
registering anyone twice; a row whose ID number is already registered is refused by the number's claim, as a
registration over HTTP is. Likely duplicates are reported, not refused: a person decides (and merges).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any, Final
from uuid import UUID, uuid5

import msgspec

from backend.commands import RegisterChild
from backend.errors import DomainError, DuplicateChild, SubmissionConflict
from backend.id_claims import IdNumberClaim, claim_id_for
from backend.identity import Actor, authorize
from backend.ledger import receipt_id_for
from backend.likeness import Person, Register
from backend.roster import Row, RowError, check_headers, read_row
from backend.spreadsheet import UnreadableSpreadsheet, rows_of
from backend.usecases.children import Children
from backend.usecases.core import Core

IMPORT_NAMESPACE: Final = UUID("b7d3e9a1-6c2f-4e58-8a0b-3f9d1c7e2a65")
BATCH: Final = 200
"""Rows stored in one transaction."""
LISTED: Final = 1000
"""Errors and duplicates listed in the answer at most (their counts are always whole)."""


class Duplicate(msgspec.Struct, frozen=True, omit_defaults=True):
    row: int
    match: str
    score: float
    child_id: str | None = None
    of_row: int | None = None
    """The earlier row of the same file this row repeats (a duplicate within the file)."""
    county: str | None = None
    """The county where the number is registered, when that child is outside the caller's scope."""


class ImportReport(msgspec.Struct, kw_only=True):
    import_id: str
    mode: str
    rows: int = 0
    valid: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = []
    duplicates: list[Duplicate] = []
    error_count: int = 0
    duplicate_count: int = 0


Progress = Callable[[str, int], None]


class Seen(msgspec.Struct):
    """What the rows read so far and the store already hold: people to compare with, ID numbers by first row."""

    register: Register
    numbers: dict[str, int]


def _quiet(phase: str, rows: int) -> None:
    """No progress shown."""


def batched(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def person_of(command: RegisterChild) -> Person:
    guardian = command.guardians[0].name if command.guardians else ""
    return Person(command.name, command.birth_date.isoformat(), guardian, command.address)


class RowSpool:
    """The rows a commit will store, kept on disk between the check and the store (memory stays flat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.out = path.open("wb")
        self.encoder = msgspec.msgpack.Encoder()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *_: object) -> None:
        self.out.close()
        self.path.unlink(missing_ok=True)

    def put(self, row: Row) -> None:
        frame = self.encoder.encode(row)
        self.out.write(len(frame).to_bytes(4, "big") + frame)

    def rows(self) -> Iterator[Row]:
        self.out.flush()
        decoder = msgspec.msgpack.Decoder(Row)
        with self.path.open("rb") as source:
            while size := source.read(4):
                yield decoder.decode(source.read(int.from_bytes(size, "big")))


class Imports:
    """Dry runs and commits of roster files."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def run(self, actor: Actor, device_id: str, path: Path, submission_id: UUID, *, commit: bool,
            known: Register, progress: Progress = _quiet) -> ImportReport:
        """Check the file (and, with `commit`, store its valid new rows); `known` holds the caller's children."""
        authorize(actor, "child.import")
        report = ImportReport(import_id=str(uuid5(IMPORT_NAMESPACE, str(submission_id))),
                              mode="commit" if commit else "dry_run")
        seen = Seen(known, {})
        with RowSpool(path.with_name(path.name + ".rows")) as spool:
            for rows in batched(self.read(actor, path), BATCH):
                with self.core.assuming_absent(self.claim_ids(rows)):
                    for row in rows:
                        if self.check(actor, row, report, seen) and commit:
                            spool.put(row)
                progress("check", report.rows)
            if commit:
                self.store(actor, device_id, spool.rows(), report, progress)
        return report

    def read(self, actor: Actor, path: Path) -> Iterator[Row]:
        """The file's data rows, read; its header checked first."""
        today = self.core.clock().date()
        rows = rows_of(path)
        try:
            _, header = next(rows)
        except StopIteration:
            raise UnreadableSpreadsheet("the file has no rows") from None
        check_headers(header)
        for number, values in rows:
            yield read_row(number, values, actor, today)

    def check(self, actor: Actor, row: Row, report: ImportReport, seen: Seen) -> bool:
        """Count the row, note its errors, and whether it repeats a child known or an earlier row; whether a
        commit is to store it (valid, and its ID number neither registered nor on an earlier row)."""
        report.rows += 1
        if row.command is None:
            report.error_count += len(row.errors)
            report.errors.extend(row.errors[: max(0, LISTED - len(report.errors))])
            return False
        report.valid += 1
        duplicate = self.exact(actor, row, seen.numbers) or self.likely(row, seen.register)
        if duplicate is not None:
            report.duplicate_count += 1
            if len(report.duplicates) < LISTED:
                report.duplicates.append(duplicate)
            return duplicate.match != "id_number"
        return True

    def exact(self, actor: Actor, row: Row, numbers: dict[str, int]) -> Duplicate | None:
        """The row's ID number already registered (to whom, if the caller may know) or on an earlier row."""
        command = row.command
        if command is None or not command.id_number:
            return None
        earlier = numbers.get(command.id_number)
        if earlier is not None:
            return Duplicate(row.row, "id_number", 1.0, of_row=earlier)
        numbers[command.id_number] = row.row
        claim = self.core.load(IdNumberClaim, claim_id_for(self.children.claim_key, command.id_number),
                               for_update=False)
        if claim is None or claim.child_id is None:
            return None
        extra: dict[str, Any] = self.children.duplicate(actor, claim.child_id).extra
        return Duplicate(row.row, "id_number", 1.0, child_id=extra.get("child_id"), county=extra.get("county"))

    @staticmethod
    def likely(row: Row, known: Register) -> Duplicate | None:
        """The known child or earlier row most like this one, when likely the same child."""
        if row.command is None:
            return None
        person = person_of(row.command)
        best = known.best(person)
        known.add(f"row:{row.row}", person)
        if best is None:
            return None
        ref, score = best
        if ref.startswith("row:"):
            return Duplicate(row.row, "likely", score, of_row=int(ref[4:]))
        return Duplicate(row.row, "likely", score, child_id=ref)

    def store(self, actor: Actor, device_id: str, rows: Iterator[Row], report: ImportReport,
              progress: Progress) -> None:
        """Register the rows the check kept, `BATCH` to a transaction."""
        for batch in batched(rows, BATCH):
            self.store_batch(actor, device_id, batch, report)
            progress("store", report.created)
        report.skipped = report.valid - report.created
        progress("store", report.valid)

    def claim_ids(self, rows: Sequence[Row]) -> list[UUID]:
        return [claim_id_for(self.children.claim_key, r.command.id_number) for r in rows
                if r.command is not None and r.command.id_number]

    def store_batch(self, actor: Actor, device_id: str, rows: Sequence[Row], report: ImportReport) -> None:
        items = [(row.command, self.children.registration(actor, row.command)) for row in rows
                 if row.command is not None]
        streams = self.claim_ids(rows) + [receipt_id_for(command.submission_id) for command, _ in items]
        with self.core.assuming_absent(streams):
            answers = self.core.submit_batch("child.register", actor, device_id, items)
        for row, answer in zip(rows, answers, strict=True):
            if isinstance(answer, DomainError):
                if not isinstance(answer, (DuplicateChild, SubmissionConflict)):
                    report.errors.append(RowError(row.row, "", answer.code, answer.detail))
                    report.error_count += 1
                    report.valid -= 1
            elif not answer.replayed:
                report.created += 1
