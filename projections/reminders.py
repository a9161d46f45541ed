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

PASSES_DDL: Final = "CREATE TABLE IF NOT EXISTS rm_reminder_passes (name TEXT PRIMARY KEY, at TEXT NOT NULL)"
"""The moment the last scheduler pass reached (not a projection: a rebuild keeps it)."""


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
    never fires for something already done but not yet projected."""

    def __init__(self, db: ReadDB, policy: Policy, settle: Callable[[], object] = lambda: None, name: str = "main") -> None:
        self.db = db
        self.policy = policy
        self.settle = settle
        self.name = name
        db.execute(PASSES_DDL)

    def due(self, since: datetime | None, until: datetime) -> list[Due]:
        self.settle()
        found: list[Due] = []
        for subject in SUBJECTS:
            found += self._overdue(subject, since, until) + self._due_soon(subject, since, until)
        return found

    def _select(self, s: Subject, window: tuple[str, list[Any]], more: str = "1 = 1",
                values: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        child = s.child or "NULL"
        return self.db.query(f"SELECT {s.key}, {child}, {s.due}, doc FROM {s.table} "
                             f"WHERE {s.where} AND {window[0]} AND {more}", (*window[1], *values))

    def _overdue(self, s: Subject, since: datetime | None, until: datetime) -> list[Due]:
        rows = self._select(s, crossed_sql(s.due, since, until))
        return [_due(s.overdue_kind, s, row) for row in rows]

    def _due_soon(self, s: Subject, since: datetime | None, until: datetime) -> list[Due]:
        """Moments whose lead time began in the window and that are not overdue yet (`overdue` says more)."""
        lead = self.policy.due_soon_within
        window = crossed_sql(s.due, since + lead if since else None, until + lead)
        not_yet, values = overdue_sql(s.due, until)
        found = []
        for row in self._select(s, window, f"NOT ({not_yet})", tuple(values)):
            due = _due(DUE_SOON, s, row)
            if s.started and due_soon_at(self.policy, due.due_at) <= _started(row[3], s.started):
                continue  # its lead time began before the thing itself: the first notice said it all
            found.append(due)
        return found

    def last_pass(self) -> datetime | None:
        found = self.db.query("SELECT at FROM rm_reminder_passes WHERE name = ?", (self.name,))
        return datetime.fromisoformat(found[0][0]) if found else None

    def passed(self, at: datetime) -> None:
        """Record the pass's moment; never move it back (another process may have passed further)."""
        moment = utc_text(at)
        self.db.execute("INSERT INTO rm_reminder_passes (name, at) VALUES (?, ?) ON CONFLICT (name) "
                        "DO UPDATE SET at = excluded.at WHERE rm_reminder_passes.at < excluded.at", (self.name, moment))


def _due(kind: str, s: Subject, row: tuple[Any, ...]) -> Due:
    return Due(kind=kind, subject=s.name, subject_id=UUID(row[0]), child_id=UUID(row[1]) if row[1] else None,
               due_at=datetime.fromisoformat(row[2]))


_started_decoder = msgspec.json.Decoder(dict[str, Any])


def _started(doc: str, field: str) -> datetime:
    return datetime.fromisoformat(_started_decoder.decode(doc)[field])

