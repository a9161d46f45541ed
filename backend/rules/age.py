"""A child's age at a date, and when a child ages out (turns 18): the one home of both.

Ages are counted in China time. A child born on 29 February turns a year older on 1 March in a common
year (the day after 28 February), as `age_on` counts: the birthday has not come while (month, day) is before it.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Final

ADULT_AGE: Final = 18
AGING_OUT_NOTICE: Final = timedelta(days=30)
"""The `aging_out` task appears this long before the 18th birthday."""
CHINA: Final = timezone(timedelta(hours=8))


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age on `day` (negative before birth is not asked: callers check the birth date)."""
    return (day.year - birth_date.year) - ((day.month, day.day) < (birth_date.month, birth_date.day))


def adult_on(birth_date: date) -> date:
    """The 18th birthday: the first day on which `age_on` is 18 (1 March for a 29 February birth in a common year)."""
    year = birth_date.year + ADULT_AGE
    try:
        return birth_date.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def adult_at(birth_date: date) -> datetime:
    """The instant the child turns 18: midnight of the 18th birthday, China time (the SQL form compares with it)."""
    return datetime.combine(adult_on(birth_date), time(0), CHINA)


def is_aged_out(birth_date: date, now: datetime) -> bool:
    """18 or older at `now` (China time): the child leaves due lists until the case is closed."""
    return age_on(birth_date, now.astimezone(CHINA).date()) >= ADULT_AGE


def aging_out_from(birth_date: date) -> datetime:
    """From when the `aging_out` task is on someone's list: 30 days before the 18th birthday."""
    return adult_at(birth_date) - AGING_OUT_NOTICE
