"""A store written before the compact stored form (every event as its full JSON) opens, verifies, rebuilds and
answers its old submissions with the new code; new events appended to it are compact, and the mixed store
verifies and rebuilds.

tests/fixtures/json-store/huhang.sqlite3 was written by the release before the compact form: the demo county's
generator with 3 children over 2 months (seed 7, the clock ending 2026-11-20 09:00 UTC), then one visit sent
twice (the second a replay) whose `occurred_at` carries +08:00, then an anchor. Its expected facts below are those
that release's rebuild wrote.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from backend.bootstrap import Huhang, bootstrap
from backend.commands import AssessRisk, RecordVisit
from backend.errors import SubmissionConflict
from backend.identity import Actor
from backend.settings import Settings
from backend.tamper import verify
from events.base import Geo
from events.vocabulary import Role
from projections.db import open_read_db
from projections.rebuild import rebuild_together
from projections.registry import PROJECTIONS
from tests.conftest import Clock

FIXTURE = Path(__file__).parent.parent / "fixtures" / "json-store" / "huhang.sqlite3"
EVENTS = 79
FIRST = UUID("629c1b17-6bfb-4823-87ea-aaf0d43f2e8f")  # the child the +08:00 visit was recorded for
SECOND = UUID("fcc05105-0c43-4127-b016-63281de86fb8")
THIRD = UUID("de2549a1-914c-48ff-8f4a-d1d1061577d2")
SUPERVISOR = Actor(id=UUID(int=77), role=Role.SUPERVISOR, scope="520302", username="fixture")
CHINA = timezone(timedelta(hours=8))
OLD_VISIT = RecordVisit(submission_id=UUID(int=0xF1), occurred_at=datetime(2026, 11, 20, 15, 0, tzinfo=CHINA),
                        child_id=FIRST, visit_type="home", child_seen=True, guardian_present=False,
                        geo=Geo(lat=26.5, lon=106.7, accuracy_m=8.0))
OLD_VISIT_RESULT = {"visit_id": "8635715f-cb69-4e32-b541-99622a403e8a", "child_id": str(FIRST), "late": False,
                    "evidence_complete": True, "missing_photos": [], "flags": ["far_from_home"]}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    shutil.copyfile(FIXTURE, tmp_path / "huhang.sqlite3")
    return Settings(data_dir=tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[Huhang]:
    clock = Clock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    with bootstrap(settings, clock) as huhang:
        yield huhang


def first_bytes(settings: Settings) -> list[bytes]:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return [bytes(row[0])[:1] for row in conn.execute("SELECT state FROM stored_events ORDER BY rowid")]


def facts(app: Huhang, settings: Settings) -> dict[str, object]:
    """Rebuild every projection from the first event; what the read models then say."""
    db = open_read_db(settings)
    try:
        rebuild_together(app.store, db, settings.policy, list(PROJECTIONS.values()))
        counts = {table: db.query(f"SELECT COUNT(*) FROM {table}")[0][0]
                  for table in ("rm_children", "rm_visits", "rm_referrals", "rm_interventions", "rm_notices")}
        levels = dict(db.query("SELECT child_id, risk_level FROM rm_children"))
        last_visit = db.query("SELECT json_extract(doc, '$.last_visit_at') FROM rm_children WHERE child_id = ?",
                              (str(FIRST),))[0][0]
    finally:
        db.close()
    return {"counts": counts, "levels": levels, "last_visit_at": last_visit}


def test_the_fixture_is_all_full_json(settings: Settings) -> None:
    assert first_bytes(settings) == [b"{"] * EVENTS


def test_an_old_store_verifies_and_rebuilds_to_what_its_release_wrote(app: Huhang, settings: Settings) -> None:
    result = verify(app.store)
    assert result.ok and result.broken == []
    assert result.events_checked == EVENTS
    assert facts(app, settings) == {
        "counts": {"rm_children": 3, "rm_visits": 18, "rm_referrals": 1, "rm_interventions": 1, "rm_notices": 2},
        "levels": {str(FIRST): "blue", str(SECOND): "blue", str(THIRD): "red"},
        "last_visit_at": "2026-11-20T15:00:00+08:00",
    }


def test_an_old_receipt_answers_its_submission_again_and_refuses_other_content(app: Huhang) -> None:
    again = app.visits.record(SUPERVISOR, "fixture-device", OLD_VISIT)
    assert again.replayed and again.result == OLD_VISIT_RESULT
    with pytest.raises(SubmissionConflict):
        app.visits.record(SUPERVISOR, "fixture-device", RecordVisit(
            submission_id=OLD_VISIT.submission_id, occurred_at=OLD_VISIT.occurred_at, child_id=FIRST,
            visit_type="phone", child_seen=False, guardian_present=False))
    assert app.store.recorder.max_notification_id() == EVENTS


def test_new_events_after_old_ones_are_compact_and_the_mixed_store_verifies_and_rebuilds(
    app: Huhang, settings: Settings
) -> None:
    at = datetime(2026, 11, 21, 16, 30, tzinfo=CHINA)
    visit = app.visits.record(SUPERVISOR, "new-device", RecordVisit(
        submission_id=uuid4(), occurred_at=at, child_id=FIRST, visit_type="home", child_seen=True,
        guardian_present=True, geo=Geo(lat=26.5, lon=106.7, accuracy_m=8.0)))
    app.children.assess_risk(SUPERVISOR, "new-device", SECOND, AssessRisk(
        submission_id=uuid4(), occurred_at=at, level="orange", reasons=["监护能力弱"]))
    replay = app.visits.record(SUPERVISOR, "new-device", RecordVisit(
        submission_id=UUID(int=0xF2), occurred_at=at, child_id=THIRD, visit_type="school", child_seen=True,
        guardian_present=False))
    assert app.visits.record(SUPERVISOR, "new-device", RecordVisit(
        submission_id=UUID(int=0xF2), occurred_at=at, child_id=THIRD, visit_type="school", child_seen=True,
        guardian_present=False)).result == replay.result
    # each submission: its event and its receipt
    assert first_bytes(settings) == [b"{"] * EVENTS + [b"\x01"] * 6
    result = verify(app.store)
    assert result.ok and result.events_checked == EVENTS + 6
    assert facts(app, settings) == {
        "counts": {"rm_children": 3, "rm_visits": 20, "rm_referrals": 1, "rm_interventions": 1, "rm_notices": 2},
        "levels": {str(FIRST): "blue", str(SECOND): "orange", str(THIRD): "red"},
        "last_visit_at": "2026-11-21T16:30:00+08:00",
    }
    assert visit.result["child_id"] == str(FIRST)


def test_the_verifier_names_an_edited_byte_of_a_compact_row(settings: Settings, app: Huhang) -> None:
    app.children.assess_risk(SUPERVISOR, "new-device", SECOND, AssessRisk(
        submission_id=uuid4(), occurred_at=datetime(2026, 11, 21, 16, 30, tzinfo=CHINA), level="yellow"))
    with sqlite3.connect(settings.sqlite_path) as conn:
        (original,) = conn.execute("SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = 3",
                                   (SECOND.hex,)).fetchone()
    original = bytes(original)
    assert original[:1] == b"\x01"
    for index in range(0, len(original), 5):
        edited = original[:index] + bytes([original[index] ^ 0x01]) + original[index + 1:]
        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 3",
                         (edited, SECOND.hex))
        result = verify(app.store, [SECOND])
        assert [(b.stream_id, b.version) for b in result.broken] == [(SECOND, 3)], index
