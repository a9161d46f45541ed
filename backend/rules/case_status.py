"""A case's lifecycle (API.md v1.1 "Case lifecycle"): open → closure requested → closed → reopened.

One table of every allowed (status, step) → status; any other step from a status is an illegal transition (409).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from backend.errors import IllegalTransition


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSURE_REQUESTED = "closure_requested"
    CLOSED = "closed"


class Step(StrEnum):
    REQUEST = "request"
    """A child director asks for closure."""
    CLOSE = "close"
    """A supervisor closes at once (also while a request waits: that decides it)."""
    APPROVE = "approve"
    REJECT = "reject"
    REOPEN = "reopen"


TRANSITIONS: Final[dict[tuple[CaseStatus, Step], CaseStatus]] = {
    (CaseStatus.OPEN, Step.REQUEST): CaseStatus.CLOSURE_REQUESTED,
    (CaseStatus.OPEN, Step.CLOSE): CaseStatus.CLOSED,
    (CaseStatus.CLOSURE_REQUESTED, Step.CLOSE): CaseStatus.CLOSED,
    (CaseStatus.CLOSURE_REQUESTED, Step.APPROVE): CaseStatus.CLOSED,
    (CaseStatus.CLOSURE_REQUESTED, Step.REJECT): CaseStatus.OPEN,
    (CaseStatus.CLOSED, Step.REOPEN): CaseStatus.OPEN,
}

_WHY: Final = {
    CaseStatus.OPEN: "the case is open",
    CaseStatus.CLOSURE_REQUESTED: "a closure request is waiting for a supervisor",
    CaseStatus.CLOSED: "the case is closed",
}


def next_status(status: CaseStatus, step: Step) -> CaseStatus:
    """The status after `step`, or IllegalTransition (409) saying why the step does not apply."""
    found = TRANSITIONS.get((status, step))
    if found is None:
        raise IllegalTransition(f"cannot {step.value}: {_WHY[status]}", case_status=status.value)
    return found
