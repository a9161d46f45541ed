"""A child's case file for the people who work it: its visits, its conferences, and every fact as one timeline.

Each is shown as the reader may see it (`backend.disclosure`); the web console asks the same functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec

from backend.disclosure import ChildFacts, Disclosure, Locate
from backend.identity import Actor
from backend.settings import Policy
from events import codec
from events.base import Event
from events.cases import DepartmentMatterClosed, DepartmentMatterOpened, ReferralSent
from events.children import RiskAssessed
from projections.audit import protect, sealed_streams
from projections.db import ReadDB
from projections.personal_file import FileContent
from projections.queries import locator
from projections.tables import ChildRow, ConferenceRow, InterventionRow, ReferralRow, VisitRow, utc_text
from projections.views import child_status, facts_of, referral_view, visit_view

After = tuple[str, str] | None
"""Keyset position: (time as UTC text, id)."""

_visit = msgspec.json.Decoder(VisitRow)
_conference = msgspec.json.Decoder(ConferenceRow)


def _page(db: ReadDB, table: str, time_column: str, key: str, child_id: str, limit: int, after: After) -> list[tuple[Any, ...]]:
    """One child's rows of a table, oldest first, after (time, id)."""
    at, last = after or ("", "")
    return db.query(
        f"SELECT doc, {time_column}, {key} FROM {table} WHERE child_id = ? "
        f"AND ({time_column} > ? OR ({time_column} = ? AND {key} > ?)) ORDER BY {time_column}, {key} LIMIT ?",
        (child_id, at, at, last, limit + 1),
    )


def child_visits(db: ReadDB, child_id: str, limit: int, after: After) -> tuple[list[VisitRow], After]:
    """The child's visits in the order they occurred."""
    rows = _page(db, "rm_visits", "occurred_at", "visit_id", child_id, limit, after)
    return [_visit.decode(r[0]) for r in rows[:limit]], (rows[limit - 1][1], rows[limit - 1][2]) if len(rows) > limit else None


def child_conferences(db: ReadDB, child_id: str, limit: int, after: After) -> tuple[list[ConferenceRow], After]:
    """The child's case conferences in the order they were held."""
    rows = _page(db, "rm_conferences", "held_at", "conference_id", child_id, limit, after)
    items = [_conference.decode(r[0]) for r in rows[:limit]]
    return items, (rows[limit - 1][1], rows[limit - 1][2]) if len(rows) > limit else None


def conference_view(row: ConferenceRow, child: ChildRow, reader: Actor) -> tuple[dict[str, Any], Disclosure]:
    """A conference as this reader may see it: decisions and follow-ups are words written about the child."""
    d = Disclosure(reader, facts_of(child))
    author = row.actor_id
    follow_ups = []
    for index, item in enumerate(row.follow_ups):
        text = d.free_text(item["text"], author_id=author)
        follow_ups.append({"index": index, "text": text, "owner": item.get("owner") if text is not None else None,
                           "due_date": item.get("due_date"), "done_at": item.get("done_at")})
    view = {
        "conference_id": row.conference_id,
        "child_id": row.child_id,
        "held_at": row.held_at.isoformat(),
        "participants": row.participants,
        "decisions": [t for t in (d.free_text(x, author_id=author) for x in row.decisions) if t is not None],
        "follow_ups": follow_ups,
        "withheld": sorted(d.withheld),
    }
    return view, d


KINDS: Final[dict[str, str]] = {
    "ChildRegistered": "registration", "ProfileChanged": "profile", "CorrectionRecorded": "correction",
    "CategoriesChanged": "categories", "ChildTransferred": "transfer", "RiskAssessed": "grading",
    "RecordSealed": "sealing", "ChildAssigned": "assignment", "VisitRecorded": "visit", "PhotoStored": "photo",
    "ReportReceived": "report", "ReportTriaged": "triage", "ReferralSent": "referral",
    "ReferralAccepted": "referral_accepted", "ReferralDeclined": "referral_declined",
    "ReferralProgressNoted": "referral_progress", "ReferralCompleted": "referral_completed",
    "ReferralEscalated": "referral_escalated", "InterventionPlanned": "intervention",
    "InterventionStarted": "intervention_started", "InterventionReviewed": "intervention_reviewed",
    "InterventionEnded": "intervention_ended", "CaseConferenceHeld": "conference",
    "ConferenceFollowUpDone": "conference_follow_up_done", "ClosureRequested": "closure_requested",
    "ClosureRejected": "closure_rejected", "CaseClosed": "closure", "CaseReopened": "reopening",
    "DuplicateMerged": "merge",
}
"""Event type → the kind of fact the timeline names; a type not listed shows as its own name in snake case."""

BOOKKEEPING: Final = (DepartmentMatterOpened, DepartmentMatterClosed)
"""Who may see the child while a matter is open: the referral or intervention itself is the fact shown."""


def timeline_events(events: list[Event]) -> list[Event]:
    """The facts of a case file in the order they happened (the order recorded among simultaneous ones)."""
    facts = [e for e in events if not isinstance(e, BOOKKEEPING)]
    return sorted(facts, key=lambda e: (utc_text(e.meta.occurred_at) or "", utc_text(e.meta.recorded_at) or ""))


def timeline(events: list[Event], page: slice, reader: Actor, child: ChildFacts, locate: Locate | None = None
             ) -> tuple[list[dict[str, Any]], Disclosure]:
    """One page of the timeline (`events` from `timeline_events`), each item with what of it was withheld; and the
    disclosure of the whole page, for the access log.

    What a sealing order covers is decided over the whole file, so that every page withholds the same; `locate`
    finds the other children the events name (a merge's kept child or duplicate).
    """
    total = Disclosure(reader, child)
    covered = sealed_streams(events, child)
    departments = {e.originator_id: e.to_department for e in events if isinstance(e, ReferralSent)}
    items = []
    for event in events[page]:
        d = Disclosure(reader, child, locate)
        withheld = event.originator_id in covered and _sealed_for(d, departments.get(event.originator_id))
        items.append(timeline_item(event, d, withheld))
        total.withheld |= d.withheld
        total.disclosed |= d.disclosed
    return items, total


def _sealed_for(d: Disclosure, department: str | None) -> bool:
    """A stream the sealing order covers stays sealed for this reader, unless it is a referral the table lets them
    see (a justice department's handler, their own department's)."""
    return department is None or not d.matter(department)


def timeline_item(event: Event, d: Disclosure, sealed_matter: bool) -> dict[str, Any]:
    """One fact: when it happened and was recorded, what kind, by which role, and its content as the reader may see it.

    A sealed matter the reader may not know of says only that something is withheld, and when it was recorded.
    """
    if sealed_matter and (stand_in := d.sealed_record()) is not None:
        moment = event.meta.recorded_at.isoformat()
        return {"at": moment, "recorded_at": moment, "kind": "withheld", "id": None, "actor_role": None,
                "late": False, "data": stand_in, "withheld": sorted(d.withheld)}
    name = type(event).__name__
    data = protect(event, _payload(event), d, sealed_matter)
    return {
        "at": event.meta.occurred_at.isoformat(),
        "recorded_at": event.meta.recorded_at.isoformat(),
        "kind": KINDS.get(name, name),
        "id": str(event.originator_id),
        "actor_role": event.meta.actor_role,
        "late": event.meta.late,
        "data": data,
        "withheld": sorted(d.withheld),
    }


def _payload(event: Event) -> dict[str, Any]:
    return codec.payload_of(msgspec.to_builtins(event))


_referral = msgspec.json.Decoder(ReferralRow)
_intervention = msgspec.json.Decoder(InterventionRow)


def _all(db: ReadDB, sql: str, child_id: str, decoder: msgspec.json.Decoder[Any]) -> list[Any]:
    return [decoder.decode(r[0]) for r in db.query(sql, (child_id,))]


def risk_history(events: list[Event], d: Disclosure) -> list[dict[str, Any]]:
    """Every grading in the order it occurred, reasons as the reader may see them."""
    history = []
    for e in sorted((e for e in events if isinstance(e, RiskAssessed)), key=lambda e: e.meta.occurred_at):
        shown = [r for r in (d.free_text(x, author_id=e.meta.actor_id) for x in e.reasons) if r is not None]
        withheld = ["text:sensitive"] if len(shown) < len(e.reasons) else []
        history.append({"at": e.meta.occurred_at.isoformat(), "level": e.level, "reasons": shown, "withheld": withheld})
    return history


def file_content(db: ReadDB, events: list[Event], row: ChildRow, now: datetime, policy: Policy, reader: Actor
                 ) -> tuple[FileContent, Disclosure]:
    """Everything the personal file shows, each part disclosed as its own read would be; and what was shown."""
    status, total = child_status(row, now, policy, reader, locate=locator(db))
    parts: list[Disclosure] = []
    visits = []
    for v in _all(db, "SELECT doc FROM rm_visits WHERE child_id = ? ORDER BY occurred_at, visit_id", row.child_id, _visit):
        view, d = visit_view(v, row, reader)
        visits.append(msgspec.to_builtins(view))
        parts.append(d)
    referrals = []
    for r in _all(db, "SELECT doc FROM rm_referrals WHERE child_id = ? ORDER BY referral_id", row.child_id, _referral):
        shown, d = referral_view(r, row, now, reader)
        parts.append(d)
        if shown is not None:
            referrals.append(msgspec.to_builtins(shown))
    interventions = [intervention_view(i, row, reader, parts) for i in
                     _all(db, "SELECT doc FROM rm_interventions WHERE child_id = ?", row.child_id, _intervention)]
    conferences = []
    for c in _all(db, "SELECT doc FROM rm_conferences WHERE child_id = ? ORDER BY held_at", row.child_id, _conference):
        view, d = conference_view(c, row, reader)
        conferences.append(view)
        parts.append(d)
    grading = Disclosure(reader, facts_of(row))
    history = risk_history(events, grading)
    for d in (*parts, grading):
        total.withheld |= d.withheld
        total.disclosed |= d.disclosed
    content = FileContent(status, history, visits, [r for r in referrals if r is not None],
                          [i for i in interventions if i is not None], conferences, now, reader.username)
    return content, total


def intervention_view(row: InterventionRow, child: ChildRow, reader: Actor, parts: list[Disclosure]
                      ) -> dict[str, Any] | None:
    """An intervention as this reader may see it (its plan and outcome are words by its department)."""
    d = Disclosure(reader, facts_of(child))
    parts.append(d)
    if not d.matter(row.department):
        return None
    view: dict[str, Any] = msgspec.to_builtins(row)
    view["plan"] = d.free_text(row.plan, department=row.department)
    view["outcome"] = d.free_text(row.outcome, department=row.department)
    return view
