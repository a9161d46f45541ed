"""The SQL form of "aged out" (`projections.queries.aged_out_sql` over the read model's `adult_at` column) selects
exactly the children the one rule (`backend.rules.age.is_aged_out`) calls aged out, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend.rules.age import is_aged_out
from projections.db import ReadDB, open_read_db
from projections.queries import aged_out_sql
from projections.tables import CHILDREN, ChildRow
from tests.conftest import fresh_settings

BEIJING = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 1, 0, 0, tzinfo=BEIJING)

# Written out: 18 on the birthday from midnight China time; a 29 February child turns 18 on 1 March of 2026.
LITERAL = [
    (date(2008, 3, 1), True),
    (date(2008, 2, 29), True),
    (date(2008, 3, 2), False),
    (date(2010, 1, 1), False),
    (date(2001, 1, 1), True),
]

offsets = st.sampled_from([UTC, BEIJING, timezone(timedelta(hours=-5))])
moments = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2034, 1, 1), timezones=offsets)
births = st.dates(min_value=date(2004, 1, 1), max_value=date(2016, 12, 31))
near_midnight = st.integers(min_value=-2, max_value=2).map(lambda us: NOW + timedelta(microseconds=us))


def adult_column(birth: date) -> str:
    """The `adult_at` column exactly as the read model writes it for a child born on `birth`."""
    row = ChildRow(child_id="x", name="x", sex="male", birth_date=birth.isoformat(), jurisdiction="x",
                   registered_at=NOW)
    value: str = CHILDREN.columns["adult_at"](row)
    return value


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def probe_db(request: pytest.FixtureRequest) -> Iterator[ReadDB]:
    with fresh_settings(request.param) as config:
        db = open_read_db(config)
        db.execute("CREATE TABLE aged_probe (n INTEGER PRIMARY KEY, adult_at TEXT)")
        yield db
        db.close()


def selected(db: ReadDB, now: datetime, birth_dates: list[date]) -> set[int]:
    db.execute("DELETE FROM aged_probe")
    db.executemany("INSERT INTO aged_probe (n, adult_at) VALUES (?, ?)",
                   [(n, adult_column(b)) for n, b in enumerate(birth_dates)])
    where, params = aged_out_sql("adult_at", now)
    return {n for (n,) in db.query(f"SELECT n FROM aged_probe WHERE {where}", params)}


@pytest.mark.parametrize(("birth", "aged_out"), LITERAL)
def test_aged_out_written_out(birth: date, aged_out: bool) -> None:
    assert is_aged_out(birth, NOW) is aged_out


def test_sql_aged_out_agrees_with_the_written_out_cases(probe_db: ReadDB) -> None:
    for birth, aged_out in LITERAL:
        assert selected(probe_db, NOW, [birth]) == ({0} if aged_out else set()), birth


@given(birth_dates=st.lists(births, max_size=12), now=st.one_of(moments, near_midnight))
@example(birth_dates=[date(2008, 2, 29), date(2008, 3, 1), date(2008, 2, 28)], now=NOW - timedelta(microseconds=1))
@example(birth_dates=[date(2008, 2, 29), date(2008, 3, 1)], now=NOW)
@settings(max_examples=150, deadline=None, derandomize=True)
def test_sql_aged_out_selects_exactly_what_the_rule_allows(probe_db: ReadDB, birth_dates: list[date], now: datetime) -> None:
    expected = {n for n, b in enumerate(birth_dates) if is_aged_out(b, now)}
    assert selected(probe_db, now, birth_dates) == expected
