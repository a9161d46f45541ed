"""The rules of the case file at their homes: a day's deadline, a conference's follow-ups, old events decoding
unchanged, the timeline's order, and a register line's `overdue` — expected values written out here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import msgspec
import pytest

from backend.conference import Conference
from backend.disclosure import ChildFacts, Disclosure
from backend.errors import FollowUpNotFound, IllegalTransition, OutOfOrder
from backend.identity import Actor
from backend.rules.policy import day_due, is_overdue
from events import codec
from events.base import Meta
from events.cases import (
    CaseConferenceHeld,
    DepartmentMatterOpened,
    FollowUp,
    Observations,
    ReportReceived,
    VisitRecorded,
)
from events.vocabulary import Role
from projections.casefile import timeline_events
from projections.register import RegisterQuery, _clauses, report_entry
from projections.tables import ReportRow

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


def meta(at: datetime = T0, recorded: datetime | None = None) -> Meta:
    return Meta(actor_id=uuid4(), actor_role="supervisor", device_id="d", submission_id=uuid4(), occurred_at=at,
                recorded_at=recorded or at)


def test_a_day_deadline_ends_at_midnight_china_time() -> None:
    due = day_due(date(2026, 3, 17))
    assert due == datetime(2026, 3, 17, 16, 0, tzinfo=UTC)  # 2026-03-18 00:00 +08:00
    assert not is_overdue(due, datetime(2026, 3, 17, 15, 59, 59, tzinfo=UTC))
    assert not is_overdue(due, due)
    assert is_overdue(due, datetime(2026, 3, 17, 16, 0, 1, tzinfo=UTC))
    assert day_due(date(2026, 12, 31)) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # over the year's end


def conference(**fields: object) -> Conference:
    given = {"child_id": uuid4(), "participants": ["民政"], "decisions": ["结对"]} | fields
    return Conference.create(uuid4(), meta(), **given)


def test_a_follow_up_is_done_once_and_only_if_it_exists_and_not_before_the_conference() -> None:
    held = conference(follow_up_items=[FollowUp(text="联系学校", due_date=date(2026, 11, 8)), FollowUp(text="复核")])
    with pytest.raises(FollowUpNotFound):
        held.follow_up_done(meta(T0 + timedelta(hours=1)), 2, "")
    with pytest.raises(FollowUpNotFound):
        held.follow_up_done(meta(T0 + timedelta(hours=1)), -1, "")
    with pytest.raises(OutOfOrder):
        held.follow_up_done(meta(T0 - timedelta(minutes=1)), 0, "")
    held.follow_up_done(meta(T0), 1, "已复核")  # the same instant as the conference is allowed
    with pytest.raises(IllegalTransition):
        held.follow_up_done(meta(T0 + timedelta(hours=2)), 1, "")
    held.follow_up_done(meta(T0 + timedelta(hours=2)), 0, "")


def test_a_conference_recorded_with_plain_text_follow_ups_numbers_them_too() -> None:
    held = conference(follow_ups=["两周后复核"])
    held.follow_up_done(meta(T0 + timedelta(days=1)), 0, "")
    with pytest.raises(FollowUpNotFound):
        conference().follow_up_done(meta(T0 + timedelta(days=1)), 0, "")


def _stored(kind: str, **payload: object) -> bytes:
    return msgspec.json.encode({
        "type": kind, "originator_id": str(uuid4()), "originator_version": 1, "event_id": str(uuid4()),
        "meta": msgspec.to_builtins(meta()), "prev_hash": "a" * 64, "hash": "b" * 64, **payload,
    })


def test_reports_and_conferences_stored_before_the_new_fields_decode_unchanged() -> None:
    old_report = codec.decode(ReportReceived, _stored(
        "ReportReceived", source="hotline", reporter={"role": "邻居"}, description="d", jurisdiction="520302/001"))
    assert isinstance(old_report, ReportReceived)
    assert (old_report.discovered_at, old_report.reporter_institution, old_report.sentinel_place,
            old_report.hotline_ticket) == (None, None, None, None)
    old_conference = codec.decode(CaseConferenceHeld, _stored(
        "CaseConferenceHeld", child_id=str(uuid4()), participants=["民政"], decisions=["d"], follow_ups=["复核"]))
    assert isinstance(old_conference, CaseConferenceHeld)
    assert old_conference.follow_ups == ["复核"] and old_conference.follow_up_items == []


def _visit(occurred: datetime, recorded: datetime) -> VisitRecorded:
    return VisitRecorded(originator_id=uuid4(), originator_version=1, event_id=uuid4(), meta=meta(occurred, recorded),
                         child_id=uuid4(), visit_type="home", child_seen=True, guardian_present=True,
                         observations=Observations())


def test_the_timeline_is_in_the_order_things_happened_and_leaves_out_bookkeeping() -> None:
    synced_late = _visit(T0, T0 + timedelta(days=4))  # made offline on Monday, synced on Friday
    later = _visit(T0 + timedelta(days=1), T0 + timedelta(days=1))
    same_time_recorded_first = _visit(T0, T0 + timedelta(hours=1))
    matter = DepartmentMatterOpened(originator_id=uuid4(), originator_version=1, event_id=uuid4(), meta=meta(),
                                    child_id=uuid4(), department="police", matter_id=uuid4())
    ordered = timeline_events([later, synced_late, matter, same_time_recorded_first])
    assert ordered == [same_time_recorded_first, synced_late, later]


def _row(urgency: str, received: datetime, triaged: datetime | None) -> ReportRow:
    hours = 2 if urgency == "urgent" else 24
    return ReportRow(report_id=str(uuid4()), jurisdiction="520302/001", source="hotline", urgency=urgency,
                     received_at=received, triaged_at=triaged, triage_by=received + timedelta(hours=hours))


def _line(row: ReportRow, now: datetime) -> dict[str, object]:
    return report_entry(row, now, Disclosure(Actor(id=uuid4(), role=Role.SUPERVISOR, scope="520302"), ChildFacts()))


def test_a_register_line_is_overdue_only_while_untriaged_past_its_deadline() -> None:
    assert _line(_row("urgent", T0, None), T0 + timedelta(hours=2))["overdue"] is False  # due exactly now
    assert _line(_row("urgent", T0, None), T0 + timedelta(hours=2, seconds=1))["overdue"] is True
    assert _line(_row("normal", T0, None), T0 + timedelta(hours=23))["overdue"] is False
    late = _line(_row("normal", T0, T0 + timedelta(hours=30)), T0 + timedelta(hours=31))
    assert late["overdue"] is False and late["status"] == "triaged"


def test_the_register_withholds_sealed_childrens_reports_from_all_but_auditors() -> None:
    for role, hidden in ((Role.CHILD_DIRECTOR, True), (Role.SUPERVISOR, True), (Role.AUDITOR, False)):
        clauses, _ = _clauses(RegisterQuery(reader=Actor(id=uuid4(), role=role, scope="520302")))
        assert any("sealed = '1'" in c for c in clauses) is hidden, role
