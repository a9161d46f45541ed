"""The scheduler's rules at their home: the stream id a reminder is stored under, and the due-soon moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID

from backend.rules.policy import crossed, due_soon_at
from backend.scheduler import reminder_id
from backend.settings import Policy

DUE = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)
SUBJECT = UUID("6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f")


def test_the_same_reminder_has_the_same_stream_whoever_fires_it_and_in_whatever_offset() -> None:
    beijing = DUE.astimezone(timezone(timedelta(hours=8)))
    assert reminder_id("overdue", "visit_due", SUBJECT, DUE) == reminder_id("overdue", "visit_due", SUBJECT, beijing)


def test_another_kind_subject_or_due_moment_is_another_reminder() -> None:
    first = reminder_id("overdue", "visit_due", SUBJECT, DUE)
    others = {reminder_id("due_soon", "visit_due", SUBJECT, DUE), reminder_id("overdue", "referral_accept", SUBJECT, DUE),
              reminder_id("overdue", "visit_due", UUID(int=1), DUE),
              reminder_id("overdue", "visit_due", SUBJECT, DUE + timedelta(microseconds=1))}
    assert first not in others and len(others) == 4


def test_due_soon_is_the_lead_time_before_the_due_moment() -> None:
    assert due_soon_at(Policy(), DUE) == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    assert due_soon_at(Policy(due_soon_within=timedelta(hours=48)), DUE) == datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


def test_a_moment_is_crossed_by_the_pass_whose_window_it_falls_in() -> None:
    assert crossed(DUE, DUE - timedelta(minutes=1), DUE + timedelta(microseconds=1))
    assert not crossed(DUE, DUE - timedelta(minutes=1), DUE)  # due exactly at the pass: not yet overdue
    assert crossed(DUE, DUE, DUE + timedelta(minutes=1))  # and so the next pass crosses it
    assert not crossed(DUE, DUE + timedelta(microseconds=1), DUE + timedelta(minutes=1))
    assert crossed(DUE - timedelta(days=400), None, DUE)  # no earlier pass
