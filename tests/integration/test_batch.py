"""`Core.batch`: submissions of one writer held and stored together, each still through its whole use case."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID, uuid4

import pytest

from backend.bootstrap import Huhang, bootstrap
from backend.child import Child
from backend.commands import AssessRisk, ChangeProfile
from backend.errors import DuplicateChild, SubmissionConflict
from backend.tamper import verify
from backend.usecases.batch import BatchNotStored
from tests.conftest import Clock, fresh_settings
from tests.integration.contract import DIRECTOR, fresh_id_number, registration
from tests.integration.test_projection_properties import BACKENDS


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Huhang]:
    with fresh_settings(request.param) as settings, bootstrap(settings, clock) as huhang:
        yield huhang


def stored(app: Huhang) -> int:
    return app.store.recorder.max_notification_id() or 0


def grading(level: str = "red") -> AssessRisk:
    return AssessRisk(submission_id=uuid4(), level=level, reasons=["疑似受到伤害"])


def test_held_submissions_are_stored_at_the_flush_and_see_each_other(app: Huhang, clock: Clock) -> None:
    with app.core.batch() as batch:
        registered = app.children.register(DIRECTOR, "p", registration(clock))
        child_id = UUID(registered.result["child_id"])
        graded = app.children.assess_risk(DIRECTOR, "p", child_id, grading())  # the child exists only in the batch
        assert (registered.position, graded.position) == (0, 0)
        held = app.core.load(Child, child_id)
        assert held is not None and (held.version, held.risk_level) == (2, "red")
        assert stored(app) == 0
        batch.flush()
        # registration + ID-number claim + receipt, grading + receipt
        assert stored(app) == 5
    child = app.store.load(Child, child_id)
    assert child is not None and (child.version, child.risk_level) == (2, "red")
    assert verify(app.store).ok


def test_the_block_ends_with_a_flush(app: Huhang, clock: Clock) -> None:
    with app.core.batch():
        app.children.register(DIRECTOR, "p", registration(clock))
    assert stored(app) == 3


def test_a_submission_repeated_in_the_batch_or_stored_before_it_replays(app: Huhang, clock: Clock) -> None:
    before = registration(clock)
    first = app.children.register(DIRECTOR, "p", before)
    child_id = UUID(first.result["child_id"])
    command = grading()
    with app.core.batch():
        again = app.children.register(DIRECTOR, "p", before)
        held = app.children.assess_risk(DIRECTOR, "p", child_id, command)
        repeated = app.children.assess_risk(DIRECTOR, "p", child_id, command)
        with pytest.raises(SubmissionConflict):
            app.children.assess_risk(DIRECTOR, "p", child_id, AssessRisk(submission_id=command.submission_id,
                                                                         level="blue"))
    assert again.replayed and again.result == first.result
    assert repeated.replayed and repeated.result == held.result
    assert stored(app) == 3 + 2


def test_a_refused_submission_leaves_the_held_streams_as_they_were(app: Huhang, clock: Clock) -> None:
    taken = fresh_id_number()
    app.children.register(DIRECTOR, "p", registration(clock, id_number=taken))
    with app.core.batch():
        child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock, id_number=None)).result["child_id"])
        # the change is applied to the held child, then refused by the number's claim: the child must not keep it
        with pytest.raises(DuplicateChild):
            app.children.change_profile(DIRECTOR, "p", child_id, ChangeProfile(
                submission_id=uuid4(), changes={"id_number": taken}, reason="办证"))
        held = app.core.load(Child, child_id)
        assert held is not None and (held.version, held.profile["id_number"]) == (1, None)
        app.children.assess_risk(DIRECTOR, "p", child_id, grading("blue"))
    child = app.store.load(Child, child_id)
    assert child is not None and (child.version, child.profile["id_number"], child.risk_level) == (2, None, "blue")
    assert verify(app.store).ok


def test_a_batch_that_meets_another_writer_stores_nothing(app: Huhang, clock: Clock) -> None:
    child_id = UUID(app.children.register(DIRECTOR, "p", registration(clock)).result["child_id"])
    before = stored(app)
    with pytest.raises(BatchNotStored), app.core.batch():
        app.children.register(DIRECTOR, "p", registration(clock))
        app.children.assess_risk(DIRECTOR, "p", child_id, grading())
        with bootstrap(app.settings, clock) as other:  # another process grades the same child meanwhile
            other.children.assess_risk(DIRECTOR, "p", child_id, grading("blue"))
    assert stored(app) == before + 2
    child = app.store.load(Child, child_id)
    assert child is not None and (child.version, child.risk_level) == (2, "blue")


def test_submission_ids_given_by_a_batch_have_no_receipt(app: Huhang, clock: Clock) -> None:
    with app.core.batch() as batch:
        ids = batch.submission_ids(50)
        assert len(set(ids)) == 50
        command = registration(clock, submission_id=ids[0])
        first = app.children.register(DIRECTOR, "p", command)
        assert app.children.register(DIRECTOR, "p", command).replayed
    assert not first.replayed and stored(app) == 3
