"""Age at a date and aging out (backend/rules/age.py): the edges written out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from backend.rules.age import adult_at, adult_on, age_on, aging_out_from, is_aged_out

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(("birth", "day", "age"), [
    (date(2008, 5, 17), date(2026, 5, 16), 17),  # the day before the 18th birthday
    (date(2008, 5, 17), date(2026, 5, 17), 18),  # the birthday itself: 18 that day
    (date(2008, 5, 17), date(2026, 5, 18), 18),
    (date(2008, 5, 17), date(2008, 5, 17), 0),  # born today
    (date(2008, 12, 31), date(2026, 1, 1), 17),
    (date(2008, 1, 1), date(2025, 12, 31), 17),
    (date(2008, 1, 1), date(2026, 1, 1), 18),
    # 29 February: in a common year the birthday comes on 1 March
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2012, 2, 29), date(2030, 2, 28), 17),
    (date(2012, 2, 29), date(2030, 3, 1), 18),
    # and in a leap year on 29 February itself
    (date(2010, 2, 28), date(2028, 2, 28), 18),
    (date(2004, 2, 29), date(2020, 2, 28), 15),
    (date(2004, 2, 29), date(2020, 2, 29), 16),
    (date(2006, 3, 1), date(2024, 2, 29), 17),  # a leap day is before 1 March
    (date(2006, 2, 28), date(2024, 2, 29), 18),
])
def test_age_on_a_date(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


@pytest.mark.parametrize(("birth", "eighteenth"), [
    (date(2008, 5, 17), date(2026, 5, 17)),
    (date(2008, 2, 29), date(2026, 3, 1)),  # 2026 is a common year
    (date(2010, 2, 28), date(2028, 2, 28)),
    (date(2014, 2, 28), date(2032, 2, 28)),
])
def test_the_18th_birthday(birth: date, eighteenth: date) -> None:
    assert adult_on(birth) == eighteenth


def test_aged_out_from_midnight_of_the_18th_birthday_in_china_time() -> None:
    birth = date(2008, 5, 17)
    assert adult_at(birth) == datetime(2026, 5, 16, 16, 0, tzinfo=UTC)  # 00:00 +08:00 on 17 May
    assert not is_aged_out(birth, datetime(2026, 5, 16, 15, 59, 59, 999999, tzinfo=UTC))
    assert is_aged_out(birth, datetime(2026, 5, 16, 16, 0, tzinfo=UTC))
    assert is_aged_out(birth, datetime(2026, 5, 17, 0, 0, tzinfo=BEIJING))
    assert not is_aged_out(birth, datetime(2026, 5, 16, 23, 59, 59, tzinfo=BEIJING))


def test_a_leap_day_child_ages_out_on_1_march_of_a_common_year() -> None:
    birth = date(2008, 2, 29)
    assert not is_aged_out(birth, datetime(2026, 2, 28, 23, 59, 59, tzinfo=BEIJING))
    assert is_aged_out(birth, datetime(2026, 3, 1, 0, 0, tzinfo=BEIJING))


def test_the_aging_out_task_starts_30_days_before_the_18th_birthday() -> None:
    assert aging_out_from(date(2008, 5, 17)) == datetime(2026, 4, 17, 0, 0, tzinfo=BEIJING)
    assert aging_out_from(date(2008, 3, 1)) == datetime(2026, 1, 30, 0, 0, tzinfo=BEIJING)
    assert aging_out_from(date(2008, 2, 29)) == datetime(2026, 1, 30, 0, 0, tzinfo=BEIJING)
