"""A write is answered without waiting for the read models; the next read waits instead, so a writer reads its
own write whichever worker answers, and a runner notes how far another worker's runner applied the log."""

from __future__ import annotations

import contextvars
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from backend.bootstrap import bootstrap
from backend.commands import RecordVisit, RegisterChild
from backend.identity import Actor
from events.vocabulary import Role
from mobile_api.services import Services
from projections.db import open_read_db
from projections.queries import visit_row
from projections.runner import Runner
from tests.conftest import fresh_settings
from tests.integration.test_projection_properties import BACKENDS

DIRECTOR = Actor(id=UUID(int=77), role=Role.CHILD_DIRECTOR, scope="520302/001", username="director")


def register(app: Any) -> UUID:
    command = RegisterChild(submission_id=uuid4(), name="小明", sex="male", birth_date=date(2016, 1, 1),
                            jurisdiction="520302/001/001", address="x", categories=["left_behind"])
    return UUID(app.children.register(DIRECTOR, "phone", command).result["child_id"])


def visit(app: Any, child_id: UUID) -> Any:
    return app.visits.record(DIRECTOR, "phone", RecordVisit(submission_id=uuid4(), child_id=child_id,
                                                            visit_type="home", child_seen=True, guardian_present=True))


def in_a_new_request(read: Any) -> Any:
    """Each request runs in its own context (as the server runs them)."""
    return contextvars.Context().run(read)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_visit_answered_without_projecting_is_read_back_by_the_next_read(backend: str) -> None:
    with fresh_settings(backend) as settings:
        services = Services(settings)
        try:
            outcome = visit(services.app, register(services.app))
            services.project(outcome)
            assert services.runner.checkpoint() < outcome.position  # the answer did not wait for the read models
            row = in_a_new_request(lambda: visit_row(services.read_db, outcome.result["visit_id"]))
            assert row is not None and row.child_id == outcome.result["child_id"]
        finally:
            services.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_write_answered_by_another_worker_is_read_back_here(backend: str) -> None:
    with fresh_settings(backend) as settings:
        services = Services(settings)
        try:
            with bootstrap(settings) as other_worker:
                outcome = visit(other_worker, register(other_worker))
            row = in_a_new_request(lambda: visit_row(services.read_db, outcome.result["visit_id"]))
            assert row is not None and row.child_id == outcome.result["child_id"]
        finally:
            services.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_runner_notes_how_far_another_runner_applied_the_log(backend: str) -> None:
    with fresh_settings(backend) as settings, bootstrap(settings) as app:
        visit(app, register(app))
        head = app.store.recorder.max_notification_id() or 0
        here, there = open_read_db(settings), open_read_db(settings)
        try:
            mine, theirs = Runner(app.store, here, settings.policy), Runner(app.store, there, settings.policy)
            theirs.catch_up()
            assert mine.position == 0
            assert mine.run_batch() == 0  # nothing left to apply ...
            assert mine.position == head  # ... and a reader waiting on this runner for `head` is answered
        finally:
            here.close()
            there.close()


