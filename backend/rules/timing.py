"""When a fact may be recorded: not in the future, not too old, not before what it follows; late when synced long after."""

from __future__ import annotations

from datetime import datetime

from backend.errors import InvalidInput, OccurredInFuture, OccurredTooLongAgo, OutOfOrder
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


def check_follows(occurred_at: datetime, previous_at: datetime | None, previous: str) -> None:
    """Refuse a step dated before the step it follows (`previous`, at `previous_at`); the same instant is allowed.

    A referral is accepted no earlier than it was sent, completed no earlier than accepted; an
    intervention starts no earlier than planned; a report is triaged no earlier than received.
    """
    if previous_at is not None and occurred_at < previous_at:
        raise OutOfOrder(
            f"occurred_at {occurred_at.isoformat()} is before {previous} ({previous_at.isoformat()})",
            field="occurred_at",
            follows=previous_at.isoformat(),
        )
