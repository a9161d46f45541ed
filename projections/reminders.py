"""What crossed a threshold between two scheduler passes: SQL over the read models by the one `is_overdue` rule
(`projections.queries.crossed_sql`), for each kind of task that has a due moment. Cheap because each kind's due
column is indexed and a pass selects only the window since the last one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import msgspec

from backend.rules.policy import due_soon_at
from backend.scheduler import DUE_SOON, OVERDUE, REFERRAL_OVERDUE, Due
from backend.settings import Policy
from projections.db import ReadDB
from projections.queries import crossed_sql, overdue_sql
from projections.tables import utc_text
from projections.tasks import INTERVENTION_REVIEW, REFERRAL_ACCEPT, REFERRAL_COMPLETE, REPORT_TRIAGE, VISIT_DUE

PASSES_DDL: Final = ("CREATE TABLE IF NOT EXISTS rm_reminder_passes "
                     "(name TEXT PRIMARY KEY, at TEXT NOT NULL, position BIGINT NOT NULL)")
"""How far the last scheduler pass reached: its moment, and the log position the read models had then (not a
projection: a rebuild keeps it)."""


class Subject(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of due moment: its table and columns, and the kind its passing fires."""

    name: str
    table: str
    due: str
    key: str
    child: str | None
    where: str = "1 = 1"
    started: str | None = None
    """A row's start time in its document: `due_soon` fires only when its moment falls after the start."""
    overdue_kind: str = OVERDUE


SUBJECTS: Final = (
    Subject(name=VISIT_DUE, table="rm_children", due="next_visit_due", key="child_id", child="child_id"),
    Subject(name=REFERRAL_ACCEPT, table="rm_referrals", due="due_by", key="referral_id", child="child_id",
            where="status = 'sent'", started="sent_at", overdue_kind=REFERRAL_OVERDUE),
    Subject(name=REFERRAL_COMPLETE, table="rm_referrals", due="due_by", key="referral_id", child="child_id",
            where="status = 'accepted'", started="sent_at"),
    Subject(name=REPORT_TRIAGE, table="rm_reports", due="triage_due", key="report_id", child=None,
            started="received_at"),
    Subject(name=INTERVENTION_REVIEW, table="rm_interventions", due="review_due", key="intervention_id",
            child="child_id"),
)


class ReadModelDue:
    """The scheduler's `DueSource` over the read models. `settle` brings them up to the log first, so a pass
    never fires for something already done but not yet projected.

    A pass selects the due moments its window crossed, and also the rows changed since the last pass whose moment
    had already passed: a fact synced late (a referral made offline hours ago) has its deadline behind the window."""

    def __init__(self, db: ReadDB, policy: Policy, settle: Callable[[], object] = lambda: None, name: str = "main") -> None:
        self.db = db
        self.policy = policy
        self.settle = settle
        self.name = name
        self.seen = 0
        db.execute(PASSES_DDL)

    def due(self, since: datetime | None, until: datetime) -> list[Due]:
        self.settle()
        checkpoint = self.db.query("SELECT position FROM rm_checkpoints WHERE name = 'main'")
        self.seen = int(checkpoint[0][0]) if checkpoint else 0
        changed = self._last()[1] if since is not None else 0
        found: list[Due] = []
        for subject in SUBJECTS:
            found += self._overdue(subject, since, until, changed) + self._due_soon(subject, since, until, changed)
        return found

    def _select(self, s: Subject, window: tuple[str, list[Any]], changed: int, until: datetime,
                more: tuple[str, list[Any]] = ("1 = 1", [])) -> list[tuple[Any, ...]]:
        """Rows of the subject in the window, or changed since the last pass and already past `until`'s edge."""
        child = s.child or "NULL"
        late, late_params = overdue_sql(s.due, until)
        return self.db.query(
            f"SELECT {s.key}, {child}, {s.due}, doc FROM {s.table} WHERE {s.where} AND {more[0]} "
            f"AND (({window[0]}) OR (changed_at > ? AND {late}))",
            (*more[1], *window[1], changed, *late_params))

    def _overdue(self, s: Subject, since: datetime | None, until: datetime, changed: int) -> list[Due]:
        rows = self._select(s, crossed_sql(s.due, since, until), changed, until)
        return [_due(s.overdue_kind, s, row) for row in rows]

    def _due_soon(self, s: Subject, since: datetime | None, until: datetime, changed: int) -> list[Due]:
        """Moments whose lead time began in the window and that are not overdue yet (`overdue` says more)."""
        lead = self.policy.due_soon_within
        window = crossed_sql(s.due, since + lead if since else None, until + lead)
        not_yet, values = overdue_sql(s.due, until)
        found = []
        for row in self._select(s, window, changed, until + lead, (f"NOT ({not_yet})", values)):
            due = _due(DUE_SOON, s, row)
            if s.started and due_soon_at(self.policy, due.due_at) <= _started(row[3], s.started):
                continue  # its lead time began before the thing itself: the first notice said it all
            found.append(due)
        return found

    def _last(self) -> tuple[datetime | None, int]:
        found = self.db.query("SELECT at, position FROM rm_reminder_passes WHERE name = ?", (self.name,))
        return (datetime.fromisoformat(found[0][0]), int(found[0][1])) if found else (None, 0)

    def last_pass(self) -> datetime | None:
        return self._last()[0]

    def passed(self, at: datetime) -> None:
        """Record the pass's moment and the log position it saw; never move them back (another process may have
        passed further)."""
        self.db.execute(
            "INSERT INTO rm_reminder_passes (name, at, position) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "at = CASE WHEN rm_reminder_passes.at < excluded.at THEN excluded.at ELSE rm_reminder_passes.at END, "
            "position = CASE WHEN rm_reminder_passes.position < excluded.position THEN excluded.position "
            "ELSE rm_reminder_passes.position END",
            (self.name, utc_text(at), self.seen))


def _due(kind: str, s: Subject, row: tuple[Any, ...]) -> Due:
    return Due(kind=kind, subject=s.name, subject_id=UUID(row[0]), child_id=UUID(row[1]) if row[1] else None,
               due_at=datetime.fromisoformat(row[2]))


_started_decoder = msgspec.json.Decoder(dict[str, Any])


def _started(doc: str, field: str) -> datetime:
    return datetime.fromisoformat(_started_decoder.decode(doc)[field])
