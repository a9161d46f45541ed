"""When a fact may be recorded: not in the future, not too old; late when synced long after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from backend.errors import InvalidInput, OccurredInFuture, OccurredTooLongAgo, PeriodTooLong, TimeOutOfRange
from backend.settings import Policy

EARLIEST: Final = datetime(1900, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
"""Times asked about lie between these: no record is older, and arithmetic on them never overflows."""
LONGEST_PERIOD: Final = timedelta(days=5 * 366)
"""A statistics period covers at most five years."""


def check_moment(moment: datetime, field: str) -> datetime:
    """A time given in a query: with a UTC offset, and between EARLIEST and LATEST."""
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a UTC offset", field=field)
    if not EARLIEST <= moment < LATEST:
        raise TimeOutOfRange(f"{field} must lie between {EARLIEST:%Y} and {LATEST:%Y}", field=field)
    return moment


def check_period(start: datetime, end: datetime) -> None:
    """A period starts before it ends and covers at most five years."""
    if start >= end:
        raise InvalidInput("from must be before to", field="from")
    if end - start > LONGEST_PERIOD:
        raise PeriodTooLong("a period covers at most five years", field="from")


def check_occurred_at(policy: Policy, occurred_at: datetime, now: datetime) -> None:
    """Refuse a device time more than the tolerance ahead of the server, or older than the maximum age."""
    if occurred_at.tzinfo is None:
        raise InvalidInput("occurred_at needs a UTC offset", field="occurred_at")
    if occurred_at - now > policy.future_tolerance:
        raise OccurredInFuture(
            f"occurred_at is more than {policy.future_tolerance} ahead of the server clock",
            field="occurred_at",
        )
    if now - occurred_at > policy.max_age:
        raise OccurredTooLongAgo(
            f"occurred_at is older than the maximum age of {policy.max_age.days} days",
            field="occurred_at",
        )


def is_late(policy: Policy, occurred_at: datetime, recorded_at: datetime) -> bool:
    """Recorded more than `late_after` after it occurred (an offline visit synced days later)."""
    return recorded_at - occurred_at > policy.late_after
