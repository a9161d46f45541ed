"""A visit's evidence flags do not depend on how far the projection had got when its photos arrived:
whatever the order of visit, photo and projection, the visit row carries the flags DESIGN.md §3 asks
for, and a rebuild from the events gives the same rows as the live projection."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from backend.commands import RecordVisit, RegisterChild
from backend.photo import Photo, photo_stream_id
from backend.usecases.photos import PhotoFacts
from events.base import Geo, Meta
from events.cases import ExifPosition
from mobile_api.services import Services
from projections.queries import child_row, visit_row
from projections.runner import Runner
from projections.written import visit_as_recorded
from tests.conftest import Clock, fresh_settings
from tests.integration.story import SUPERVISOR
from tests.integration.test_projection_properties import BACKENDS, clock_now, dump

HOME = (26.5783, 106.7135)
AT_HOME = Geo(lat=HOME[0], lon=HOME[1], accuracy_m=8)


@pytest.fixture(params=BACKENDS)
def services(request: pytest.FixtureRequest) -> Iterator[tuple[Services, Clock]]:
    """The real composition root, its projection not following the log: the test decides when it catches up."""
    clock = clock_now()
    with fresh_settings(request.param) as config:
        built = Services(config, clock)
        try:
            yield built, clock
        finally:
            built.close()


def register(s: Services) -> UUID:
    command = RegisterChild(submission_id=uuid4(), name="童", sex="female", birth_date=date(2014, 1, 1),
                            jurisdiction="520302/001/001", address="x", categories=["left_behind"],
                            home_geo=Geo(lat=HOME[0], lon=HOME[1], accuracy_m=5))
    outcome = s.app.children.register(SUPERVISOR, "d", command)
    s.project(outcome)
    return UUID(outcome.result["child_id"])


def record_visit(s: Services, child: UUID, sha: str) -> dict[str, object]:
    """The visit's answer: its row as the read side's projectors make it as of its recording."""
    command = RecordVisit(submission_id=uuid4(), occurred_at=s.clock(), geo=AT_HOME, child_id=child,
                          visit_type="home", child_seen=True, guardian_present=True, photos=[sha])
    visit_id = UUID(s.app.visits.record(SUPERVISOR, "d", command).result["visit_id"])
    row, _ = visit_as_recorded(s.app.store, s.settings.policy, visit_id, child)
    return {"visit_id": row.visit_id, "flags": row.flags, "missing_photos": row.missing_photos,
            "evidence_complete": not row.missing_photos}


def store_photo(s: Services, child: UUID, seed: int) -> str:
    """A photo taken at home two days before now: its time disagrees with a visit made now (window 12 h)."""
    sha = f"{seed:02x}" * 32
    facts = PhotoFacts(sha256=sha, size=10, content_type="image/jpeg", width=4, height=3,
                       taken_at=s.clock() - timedelta(days=2), exif_lat=HOME[0], exif_lon=HOME[1])
    s.app.photos.record(SUPERVISOR, "d", child, facts, lambda: None)
    return sha


def test_photo_stored_before_the_projection_saw_its_visit_still_flags_the_visit(
    services: tuple[Services, Clock],
) -> None:
    s, _ = services
    child = register(s)
    sha = "5a" * 32
    visit = record_visit(s, child, sha)  # stored, not yet projected
    store_photo(s, child, 0x5A)
    s.runner.catch_up()
    row = visit_row(s.read_db, str(visit["visit_id"]))
    assert row is not None
    assert row.missing_photos == [] and row.flags == ["photo_time_mismatch"]
    status = child_row(s.read_db, str(child))
    assert status is not None and status.last_visit_flags == ["photo_time_mismatch"]


def test_every_order_gives_the_same_flags_and_a_rebuild_gives_the_live_rows(services: tuple[Services, Clock]) -> None:
    s, clock = services
    child = register(s)
    visits = []
    # 1. the photo stored and projected, then the visit: the answer knows the photo.
    store_photo(s, child, 1)
    s.runner.catch_up()
    first = record_visit(s, child, "01" * 32)
    assert first["flags"] == ["photo_time_mismatch"] and first["evidence_complete"] is True
    visits.append(first["visit_id"])
    s.runner.catch_up()
    # 2. the visit projected, then its photo.
    clock.advance(hours=1)
    second = record_visit(s, child, "02" * 32)
    assert second["flags"] == [] and second["missing_photos"] == ["02" * 32]
    visits.append(second["visit_id"])
    s.runner.catch_up()
    store_photo(s, child, 2)
    s.runner.catch_up()
    # 3. the visit and its photo both stored before the projection saw either.
    clock.advance(hours=1)
    visits.append(record_visit(s, child, "03" * 32)["visit_id"])
    store_photo(s, child, 3)
    s.runner.catch_up()
    for visit_id in visits:
        row = visit_row(s.read_db, str(visit_id))
        assert row is not None and row.flags == ["photo_time_mismatch"] and row.missing_photos == [], visit_id
    scratch = Runner(s.app.store, s.runner.db, s.settings.policy, suffix="_scratch", batch_size=10_000)
    scratch.catch_up()
    assert dump(s.runner.db, names=("main",)) == dump(s.runner.db, "_scratch", names=("main",))


def test_flags_an_older_photo_event_carries_are_ignored(services: tuple[Services, Clock]) -> None:
    """Before evidence flags were derived, PhotoStored carried `visit_flags`; such an event still decodes, and
    the visit's flags come from the facts alone."""
    s, _ = services
    child = register(s)
    sha = "0a" * 32
    visit_id = str(record_visit(s, child, sha)["visit_id"])
    s.runner.catch_up()
    now = s.clock()
    meta = Meta(actor_id=SUPERVISOR.id, actor_role="supervisor", device_id="d", submission_id=uuid4(),
                occurred_at=now, recorded_at=now)
    older = Photo.create(photo_stream_id(child, sha), meta, child_id=child, sha256=sha, size=10,
                         content_type="image/jpeg", width=4, height=3, taken_at=now,
                         exif_geo=ExifPosition(lat=HOME[0], lon=HOME[1]),
                         visit_flags={visit_id: ["photo_position_mismatch"]})
    s.app.store.save(older)
    s.runner.catch_up()
    row = visit_row(s.read_db, visit_id)
    assert row is not None and row.missing_photos == [] and row.flags == []
