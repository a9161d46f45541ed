"""The order of steps: a step may not occur before the step it follows."""

from __future__ import annotations

from datetime import datetime

from backend.errors import OutOfOrder


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
