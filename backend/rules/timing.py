"""When a fact may be recorded: not in the future, not too old; late when synced long after."""

from __future__ import annotations

from datetime import datetime

from backend.errors import InvalidInput, OccurredInFuture, OccurredTooLongAgo
from backend.settings import Policy


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
