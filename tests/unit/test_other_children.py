"""What a notification and a task keep when the child they name has left the reader's sight (the rule itself is
`backend.disclosure.names_child`, written out in test_disclosure.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from backend.disclosure import ChildFacts, Disclosure, Whereabouts
from backend.identity import Actor
from events.vocabulary import Role
from projections.notices import WITHHELD_TITLE, NoticeRow, notice_view
from projections.tasks import Task, task_view

READER = Actor(id=UUID("00000000-0000-0000-0000-0000000000aa"), role=Role.SUPERVISOR, scope="520302/001")
CHILD = "00000000-0000-0000-0000-0000000000cc"
REFERRAL = "00000000-0000-0000-0000-0000000000dd"
AT = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def _notice() -> NoticeRow:
    return NoticeRow(notice_id="00000000-0000-0000-0000-0000000000ee", kind="referral_overdue", created_at=AT,
                     audience="supervisor", jurisdiction="520302/001/003", title="受理转介 迁出的孩子：逾期未受理",
                     body="期限 2026-03-03T03:00:00+00:00。", child_id=CHILD, referral_id=REFERRAL,
                     task_id=f"referral_accept:{REFERRAL}")


def _seeing(place: str) -> Disclosure:
    return Disclosure(READER, ChildFacts(), {CHILD: Whereabouts(jurisdiction=place)}.get)


def test_a_notice_about_a_child_in_sight_is_shown_whole() -> None:
    view = notice_view(_notice(), _seeing("520302/001/003/01"))
    assert (view["child_id"], view["referral_id"], view["task_id"], view["title"], view["withheld"]) == (
        CHILD, REFERRAL, f"referral_accept:{REFERRAL}", "受理转介 迁出的孩子：逾期未受理", [])


def test_a_notice_about_a_child_transferred_away_keeps_its_kind_and_time_and_loses_the_child() -> None:
    view = notice_view(_notice(), _seeing("520302/002/001/01"))
    assert {k: view[k] for k in ("kind", "created_at", "child_id", "referral_id", "task_id", "title", "body",
                                 "withheld")} == {
        "kind": "referral_overdue", "created_at": "2026-03-02T03:00:00Z", "child_id": None, "referral_id": None,
        "task_id": None, "title": WITHHELD_TITLE, "body": "", "withheld": ["child_id:out_of_scope"]}


def test_a_notice_about_no_child_is_shown_whole() -> None:
    row = _notice()
    row.child_id = None
    assert notice_view(row, _seeing("520302/002/001/01"))["withheld"] == []


def test_a_triage_task_names_its_child_only_in_sight() -> None:
    task = Task(task_id="report_triage:r1", kind="report_triage", due_at=AT, priority=None, title="研判报告 热线",
                child_id=CHILD, report_id="r1")
    away = task_view(task, _seeing("520302/002/001/01"))
    assert (away["child_id"], away["report_id"], away["title"], away["withheld"]) == (
        None, "r1", "研判报告 热线", ["child_id:out_of_scope"])
    assert task_view(task, _seeing("520302/001/003"))["child_id"] == CHILD
