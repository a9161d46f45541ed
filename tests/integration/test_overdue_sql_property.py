"""The SQL form of "overdue" selects exactly the children the one rule (`is_overdue`) calls overdue,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend.rules.policy import is_overdue
from projections.db import ReadDB, open_read_db
from projections.queries import overdue_sql
from projections.tables import utc_text
from tests.conftest import fresh_settings

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
BEIJING = timezone(timedelta(hours=8))

# Written out: due strictly before now is overdue; due exactly now (in any offset) is not; no due date never is.
LITERAL = [
    (None, False),
    (NOW - timedelta(microseconds=1), True),
    (NOW - timedelta(days=3), True),
    (NOW, False),
    (NOW.astimezone(BEIJING), False),
    (NOW + timedelta(microseconds=1), False),
    (datetime(2026, 11, 24, 17, 59, 59, tzinfo=BEIJING), True),
    (datetime(2026, 11, 24, 18, 0, 0, 1, tzinfo=BEIJING), False),
]

offsets = st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))])
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1), timezones=offsets)
near_now = st.integers(min_value=-3, max_value=3).map(lambda us: NOW + timedelta(microseconds=us))
dues = st.lists(st.one_of(st.none(), moments, near_now, near_now.map(lambda d: d.astimezone(BEIJING))), max_size=12)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def probe_db(request: pytest.FixtureRequest) -> Iterator[ReadDB]:
    """A read database with a one-column table of due times (stored as the read model stores them)."""
    with fresh_settings(request.param) as config:
        db = open_read_db(config)
        db.execute("CREATE TABLE overdue_probe (n INTEGER PRIMARY KEY, next_visit_due TEXT)")
        yield db
        db.close()


def selected(db: ReadDB, now: datetime, due_times: list[datetime | None]) -> set[int]:
    """Which of the rows (by index) the SQL predicate calls overdue at `now`."""
    db.execute("DELETE FROM overdue_probe")
    db.executemany("INSERT INTO overdue_probe (n, next_visit_due) VALUES (?, ?)",
                   [(n, utc_text(d)) for n, d in enumerate(due_times)])
    where, params = overdue_sql("next_visit_due", now)
    return {n for (n,) in db.query(f"SELECT n FROM overdue_probe WHERE {where}", params)}


@pytest.mark.parametrize(("due", "overdue"), LITERAL)
def test_overdue_rule_written_out(due: datetime | None, overdue: bool) -> None:
    assert is_overdue(due, NOW) is overdue


def test_sql_overdue_agrees_with_the_written_out_cases(probe_db: ReadDB) -> None:
    for due, overdue in LITERAL:
        assert selected(probe_db, NOW, [due]) == ({0} if overdue else set()), due


@given(due_times=dues, now=st.one_of(st.just(NOW), moments))
@example(due_times=[NOW, NOW - timedelta(microseconds=1), NOW.replace(microsecond=1)], now=NOW.replace(microsecond=0))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_sql_overdue_selects_exactly_what_is_overdue_allows(
    probe_db: ReadDB, due_times: list[datetime | None], now: datetime
) -> None:
    expected = {n for n, d in enumerate(due_times) if is_overdue(d, now)}
    assert selected(probe_db, now, due_times) == expected
