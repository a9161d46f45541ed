"""One follower per database: of two processes' runners following one projection, one holds the lease and applies
the log, the other only notes how far it got (and still reads its own writes); when the holder stops, the other
takes over."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from uuid import UUID, uuid4

import pytest

from backend.bootstrap import bootstrap
from backend.commands import RegisterChild
from backend.identity import Actor
from events.vocabulary import Role
from projections.db import open_read_db
from projections.queries import child_row
from projections.runner import Runner
from tests.conftest import fresh_settings
from tests.integration.test_projection_properties import BACKENDS

DIRECTOR = Actor(id=UUID(int=77), role=Role.CHILD_DIRECTOR, scope="520302/001", username="director")


def register(app: object) -> tuple[str, int]:
    command = RegisterChild(submission_id=uuid4(), name="小明", sex="male", birth_date=date(2016, 1, 1),
                            jurisdiction="520302/001/001", address="x", categories=["left_behind"])
    outcome = app.children.register(DIRECTOR, "phone", command)  # type: ignore[attr-defined]
    return str(outcome.result["child_id"]), outcome.position


def within(seconds: float, check: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return check()


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_runner_leads_the_other_follows_and_takes_over(backend: str) -> None:
    with fresh_settings(backend) as config, bootstrap(config) as app:
        first = Runner(app.store, open_read_db(config), config.policy)
        second = Runner(app.store, open_read_db(config), config.policy)
        first.follow(poll_seconds=0.02)
        assert within(5, lambda: first.leading)
        second.follow(poll_seconds=0.02)
        child, position = register(app)
        assert within(5, lambda: first.position >= position and second.position >= position)
        assert (first.leading, second.leading) == (True, False)
        assert child_row(second.db, child) is not None

        later, position = register(app)
        second.ensure(position)  # not leading, it reads its own write all the same
        assert child_row(second.db, later) is not None

        first.stop()
        first.db.close()
        assert within(5, lambda: second.leading)
        last, position = register(app)
        assert within(5, lambda: second.position >= position)
        assert child_row(second.db, last) is not None
        second.stop()
        second.db.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_leading_follower_is_woken_once_the_writes_are_far_enough_ahead(backend: str) -> None:
    """Services.project wakes the runners when WAKE_BEHIND answered positions wait (a visit is two), so a stream of
    writes is projected in batches of about that size, not one batch per poll. Not sooner, and never a follower that
    does not lead (another process applies the log)."""
    with fresh_settings(backend) as config, bootstrap(config) as app:
        leader = Runner(app.store, open_read_db(config), config.policy)
        other = Runner(app.store, open_read_db(config), config.policy)
        leader.follow(poll_seconds=3600)  # only woken: the first round takes the lease
        assert within(5, lambda: leader.leading)
        other.follow(poll_seconds=3600)
        assert within(5, lambda: other.position == leader.position)
        start = leader.position
        child, position = register(app)  # a registration without an ID number is two positions: child, receipt
        assert position - start == 2

        leader.wake_if_behind(position, behind=3)  # 2 ahead: not yet
        other.wake_if_behind(position, behind=1)  # not leading: nothing to do
        time.sleep(0.3)
        assert (leader.position, other.position) == (start, start)

        leader.wake_if_behind(position, behind=2)
        assert within(5, lambda: leader.position >= position)
        assert child_row(leader.db, child) is not None
        time.sleep(0.3)
        assert other.position == start  # it learns how far the leader got at its own next round
        for runner in (leader, other):
            runner.stop()
            runner.db.close()
