"""Visit intervals, referral deadlines and the red-level obligation, from the configured policy."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from backend.settings import Policy
from events.vocabulary import RISK_ORDER, RiskLevel, Urgency

CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
"""Where the work happens: a day's deadline ends at midnight there (China has one time zone and no summer time)."""


def effective_level(level: str | None, categories: list[str]) -> RiskLevel | None:
    """The level that sets obligations: a child in any category never graded counts as blue."""
    if level:
        return RiskLevel(level)
    return RiskLevel.BLUE if categories else None


def next_visit_due(
    policy: Policy,
    level: RiskLevel | None,
    last_visit_at: datetime | None,
    graded_up_at: datetime | None,
    registered_at: datetime,
) -> datetime | None:
    """When the next visit is due.

    The last visit (never visited: registration) plus the interval of the current level. A grading
    to a higher level after the last visit restarts the clock: the next visit is due by the new
    interval from that grading.
    """
    if level is None:
        return None
    interval = policy.visit_intervals[level]
    start = last_visit_at or registered_at
    if graded_up_at is not None and graded_up_at > start:
        start = graded_up_at
    return start + interval


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """Past its due time (a visit, a task): strictly before now — due exactly now is not yet overdue."""
    return due is not None and due < now


def is_higher(new: str, old: str | None) -> bool:
    """True when `new` is a more serious level than `old` (no level counts as below blue)."""
    if old is None:
        return True
    return RISK_ORDER[RiskLevel(new)] > RISK_ORDER[RiskLevel(old)]


def referral_deadlines(policy: Policy, sent_at: datetime, child_level: str | None) -> tuple[datetime, datetime]:
    """(accept_by, complete_by) for a referral sent at `sent_at` about a child at `child_level`."""
    accept = policy.accept_within_red if child_level == RiskLevel.RED else policy.accept_within
    return sent_at + accept, sent_at + policy.complete_within


def triage_due(policy: Policy, received_at: datetime, urgency: str) -> datetime:
    """When a report must be triaged (研判): 2 hours after it was received if urgent, else 24 hours."""
    return received_at + (policy.triage_within_urgent if urgency == Urgency.URGENT else policy.triage_within)


def crossed(threshold: datetime, since: datetime | None, until: datetime) -> bool:
    """Whether a threshold was crossed between two scheduler passes: overdue (`is_overdue`) at `until` and not yet
    at `since` (no earlier pass: only overdue at `until`)."""
    return is_overdue(threshold, until) and not (since is not None and is_overdue(threshold, since))


def due_soon_at(policy: Policy, due: datetime) -> datetime:
    """When a due moment's `due_soon` reminder fires: the policy's lead time before it."""
    return due - policy.due_soon_within


def visit_interval(policy: Policy, level: str) -> timedelta | None:
    """The visit interval of a level named by its code (None for a code that is not a level)."""
    return {str(k): v for k, v in policy.visit_intervals.items()}.get(level)


def day_due(day: date) -> datetime:
    """A deadline given as a day (a conference follow-up's due date): due by the end of that day, China time."""
    return datetime.combine(day + timedelta(days=1), time(0), CHINA_STANDARD_TIME)
