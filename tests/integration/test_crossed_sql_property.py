"""The scheduler's window: the SQL form (`projections.queries.crossed_sql`) selects exactly the due moments the one
rule (`backend.rules.policy.crossed`, built on `is_overdue`) says a pass from `since` to `until` crossed, on SQLite
and PostgreSQL; and, written out, two passes one after the other cross every moment exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend.rules.policy import crossed
from projections.db import ReadDB, open_read_db
from projections.queries import crossed_sql
from projections.tables import utc_text
from tests.conftest import fresh_settings

SINCE = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(minutes=1)
BEIJING = timezone(timedelta(hours=8))

# Written out: crossed when strictly before `until` and not strictly before `since` (due exactly at `since` was
# not yet overdue at the last pass, so this pass crosses it; due exactly at `until` waits for the next pass).
LITERAL = [
    (None, None, False),
    (SINCE - timedelta(microseconds=1), SINCE, False),
    (SINCE, SINCE, True),
    (SINCE.astimezone(BEIJING), SINCE, True),
    (UNTIL - timedelta(microseconds=1), SINCE, True),
    (UNTIL, SINCE, False),
    (SINCE - timedelta(days=30), None, True),  # no pass before: everything overdue at `until`
    (UNTIL, None, False),
]

offsets = st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5))])
moments = st.datetimes(min_value=datetime(2026, 11, 24, 9, 58), max_value=datetime(2026, 11, 24, 10, 3), timezones=offsets)
edges = st.sampled_from([SINCE, UNTIL]).flatmap(
    lambda edge: st.integers(min_value=-2, max_value=2).map(lambda us: edge + timedelta(microseconds=us)))
dues = st.lists(st.one_of(st.none(), moments, edges, edges.map(lambda d: d.astimezone(BEIJING))), max_size=12)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def probe_db(request: pytest.FixtureRequest) -> Iterator[ReadDB]:
    with fresh_settings(request.param) as config:
        db = open_read_db(config)
        db.execute("CREATE TABLE crossed_probe (n INTEGER PRIMARY KEY, due TEXT)")
        yield db
        db.close()


def selected(db: ReadDB, since: datetime | None, until: datetime, due_times: list[datetime | None]) -> set[int]:
    db.execute("DELETE FROM crossed_probe")
    db.executemany("INSERT INTO crossed_probe (n, due) VALUES (?, ?)", [(n, utc_text(d)) for n, d in enumerate(due_times)])
    where, params = crossed_sql("due", since, until)
    return {n for (n,) in db.query(f"SELECT n FROM crossed_probe WHERE {where}", params)}


@pytest.mark.parametrize(("due", "since", "expected"), LITERAL)
def test_crossed_rule_written_out(due: datetime | None, since: datetime | None, expected: bool) -> None:
    assert (due is not None and crossed(due, since, UNTIL)) is expected


def test_sql_window_agrees_with_the_written_out_cases(probe_db: ReadDB) -> None:
    for due, since, expected in LITERAL:
        assert selected(probe_db, since, UNTIL, [due]) == ({0} if expected else set()), (due, since)


@given(due_times=dues, since=st.one_of(st.none(), st.just(SINCE), moments))
@example(due_times=[SINCE, UNTIL, SINCE - timedelta(microseconds=1)], since=SINCE)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_sql_window_selects_exactly_what_crossed_allows(probe_db: ReadDB, due_times: list[datetime | None],
                                                        since: datetime | None) -> None:
    until = max(UNTIL, since) if since else UNTIL
    expected = {n for n, d in enumerate(due_times) if d is not None and crossed(d, since, until)}
    assert selected(probe_db, since, until, due_times) == expected


@given(due_times=dues, middle=moments)
@settings(max_examples=100, deadline=None, derandomize=True)
def test_consecutive_passes_cross_each_moment_once(due_times: list[datetime | None], middle: datetime) -> None:
    """Passes (none, SINCE], (SINCE, middle], (middle, end]: every moment before the end is crossed by exactly one."""
    end = datetime(2026, 11, 26, tzinfo=UTC)  # after every generated moment, in any offset
    cuts = [None, SINCE, max(middle, SINCE), end]
    for d in (d for d in due_times if d is not None):
        assert sum(crossed(d, a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b is not None) == 1
