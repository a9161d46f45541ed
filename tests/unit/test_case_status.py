"""A case's lifecycle: every (status, step) written out with what it leads to, or that it is refused (409)."""

from __future__ import annotations

import pytest

from backend.errors import IllegalTransition
from backend.rules.case_status import CaseStatus, Step, next_status

OPEN, ASKED, CLOSED = "open", "closure_requested", "closed"
# API.md v1.1: a director asks, a supervisor approves or rejects, a supervisor may close at once; reopening a closed
# case. Everything else is an illegal transition.
WRITTEN_OUT = {
    (OPEN, "request"): ASKED,
    (OPEN, "close"): CLOSED,
    (OPEN, "approve"): None,  # nothing asked
    (OPEN, "reject"): None,
    (OPEN, "reopen"): None,  # not closed
    (ASKED, "request"): None,  # asked already
    (ASKED, "close"): CLOSED,  # a supervisor closing decides the request
    (ASKED, "approve"): CLOSED,
    (ASKED, "reject"): OPEN,
    (ASKED, "reopen"): None,
    (CLOSED, "request"): None,
    (CLOSED, "close"): None,  # closing a closed case
    (CLOSED, "approve"): None,
    (CLOSED, "reject"): None,
    (CLOSED, "reopen"): OPEN,
}


def test_the_table_covers_every_status_and_step() -> None:
    assert set(WRITTEN_OUT) == {(s.value, t.value) for s in CaseStatus for t in Step}


@pytest.mark.parametrize(("status", "step"), sorted(WRITTEN_OUT))
def test_each_step_from_each_status(status: str, step: str) -> None:
    expected = WRITTEN_OUT[(status, step)]
    if expected is None:
        with pytest.raises(IllegalTransition) as refused:
            next_status(CaseStatus(status), Step(step))
        assert refused.value.extra == {"case_status": status}
    else:
        assert next_status(CaseStatus(status), Step(step)) == expected
