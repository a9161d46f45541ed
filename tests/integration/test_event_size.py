"""One event's size is capped on the write path, and the largest write the limits allow stays under the cap."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar
from uuid import UUID, uuid4

import msgspec
import pytest

from backend import limits
from backend.bootstrap import Huhang, bootstrap
from backend.commands import (
    AssessRisk,
    CorrectRecord,
    EventRef,
    GuardianInput,
    HoldConference,
    InterventionStep,
    ObservationsInput,
    PlanIntervention,
    ReceiveReport,
    RecordVisit,
    ReferralStep,
    RegisterChild,
    ReporterInput,
    SendReferral,
    TriageReport,
)
from backend.errors import EventTooLarge
from backend.ledger import ANCHOR_STREAM_ID, Anchors
from backend.settings import Settings
from events.base import Geo, Meta
from events.cases import ReferralProgressNoted
from events.ledger import AnchorRecorded, StreamHead
from mobile_api.errors import STATUS
from tests.conftest import Clock
from tests.integration.contract import DIRECTOR, SUPERVISOR
from tests.integration.workflows import POLICE

C = TypeVar("C", bound=msgspec.Struct)
WIDE = "𠀀"  # four bytes in UTF-8: the widest a character can be once control characters are refused
PLACE = "520302/001/003/01/01"
PHONE = "+" + "9" * 24  # the longest the phone pattern allows
GEO = Geo(lat=-89.123456789, lon=-179.123456789, accuracy_m=12345.678)


def text(n: int) -> str:
    return WIDE * n


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[Huhang]:
    with bootstrap(settings, clock) as app:
        yield app


def valid(command: C) -> C:
    """The command as a client's JSON of it decodes strictly: proof that it keeps within every limit."""
    return msgspec.json.decode(msgspec.json.encode(command), type=type(command), strict=True)


def stored_events(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def largest_child(clock: Clock) -> RegisterChild:
    guardian = GuardianInput(relation=text(limits.LABEL_MAX), name=text(limits.NAME_MAX), phone=PHONE)
    return RegisterChild(
        submission_id=uuid4(), occurred_at=clock.now, geo=GEO, name=text(limits.NAME_MAX), sex="female",
        birth_date=date(2015, 1, 1), id_number=None, jurisdiction=PLACE, address=text(limits.ADDRESS_MAX),
        household_position=text(limits.CODE_MAX), home_geo=GEO, categories=["left_behind", "orphan"],
        guardians=[guardian] * limits.GUARDIANS_MAX,
    )


def test_an_event_of_exactly_the_cap_is_taken_and_one_byte_more_is_refused() -> None:
    t0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
    meta = Meta(actor_id=uuid4(), actor_role="department_handler", device_id="d", submission_id=uuid4(),
                occurred_at=t0, recorded_at=t0)
    empty = ReferralProgressNoted(originator_id=uuid4(), originator_version=2, event_id=uuid4(), meta=meta,
                                  note="", prev_hash="0" * 64, hash="0" * 64)
    room = 65536 - len(msgspec.json.encode(empty))
    limits.check_event_size(msgspec.structs.replace(empty, note="x" * room))
    with pytest.raises(EventTooLarge) as refused:
        limits.check_event_size(msgspec.structs.replace(empty, note="x" * (room + 1)))
    assert refused.value.code == "event_too_large" and refused.value.extra == {"size": 65537, "limit": 65536}


def test_an_anchor_naming_every_stream_is_not_capped() -> None:
    """An anchor grows with the store, not with what anyone sent: 2,000 streams make one of about 230 KB."""
    t0 = datetime(2026, 11, 1, 9, tzinfo=UTC)
    meta = Meta(actor_id=None, actor_role="system", device_id="server", submission_id=uuid4(), occurred_at=t0,
                recorded_at=t0)
    heads = [StreamHead(stream_id=uuid4(), version=3, hash="f" * 64) for _ in range(2000)]
    anchor = Anchors(ANCHOR_STREAM_ID).trigger(AnchorRecorded, meta, root="0" * 64, heads=heads,
                                               up_to_notification_id=1)
    assert limits.encoded_size(anchor) > limits.MAX_EVENT_BYTES


def test_an_event_too_large_answers_413() -> None:
    assert next(status for cls, status in STATUS if isinstance(EventTooLarge("x"), cls)) == 413


def test_a_write_that_would_make_an_event_over_the_cap_stores_nothing(app: Huhang, settings: Settings,
                                                                      clock: Clock) -> None:
    child = UUID(app.children.register(DIRECTOR, "p", largest_child(clock)).result["child_id"])
    before = stored_events(settings)
    oversized = RecordVisit(submission_id=uuid4(), child_id=child, visit_type="home", child_seen=True,
                            guardian_present=True, notes="记" * 30_000)  # built in code: no decoder checked it
    with pytest.raises(EventTooLarge):
        app.visits.record(DIRECTOR, "p", oversized)
    assert stored_events(settings) == before


def test_the_largest_write_of_every_command_fits_in_an_event(app: Huhang, clock: Clock) -> None:
    """Every text and list at its limit, in 4-byte characters: each command is taken, each event fits."""
    def sub() -> dict[str, object]:
        return {"submission_id": uuid4(), "occurred_at": clock.now, "geo": GEO}

    child = UUID(app.children.register(DIRECTOR, "p", valid(largest_child(clock))).result["child_id"])
    app.children.assess_risk(DIRECTOR, "p", child, valid(AssessRisk(
        **sub(), level="red", reasons=[text(limits.ITEM_MAX)] * limits.REASONS_MAX)))
    observation = text(limits.OBSERVATION_MAX)
    app.visits.record(DIRECTOR, "p", valid(RecordVisit(
        **sub(), child_id=child, visit_type="home", child_seen=False, guardian_present=True,
        observations=ObservationsInput(living_conditions=observation, state_of_mind=observation, needs=observation,
                                       problems=observation),
        photos=[f"{i:064x}" for i in range(limits.PHOTOS_MAX)], notes=text(limits.TEXT_MAX),
        follow_up=text(limits.OBSERVATION_MAX))))
    report = app.reports.receive(DIRECTOR, "p", valid(ReceiveReport(
        **sub(), source="hotline", description=text(limits.TEXT_MAX), jurisdiction=PLACE, urgency="urgent",
        reporter=ReporterInput(role=text(limits.LABEL_MAX), name=text(limits.NAME_MAX), phone=PHONE))))
    app.reports.triage(DIRECTOR, "p", UUID(report.result["report_id"]), valid(TriageReport(
        **sub(), registration=largest_child(clock), decision="refer", refer_to="police", reason=text(limits.TEXT_MAX))))
    referral = UUID(app.referrals.send(DIRECTOR, "p", valid(SendReferral(
        **sub(), child_id=child, to_department="police", reason=text(limits.TEXT_MAX)))).result["referral_id"])
    step = {"note": text(limits.TEXT_MAX), "outcome": text(limits.TEXT_MAX)}
    app.referrals.accept(POLICE, "p", referral, valid(ReferralStep(**sub(), **step)))
    app.referrals.complete(POLICE, "p", referral, valid(ReferralStep(**sub(), **step)))
    plan = UUID(app.interventions.plan(DIRECTOR, "p", valid(PlanIntervention(
        **sub(), child_id=child, type="psychological", plan=text(limits.TEXT_MAX),
        responsible_department="health"))).result["intervention_id"])
    app.interventions.end(DIRECTOR, "p", plan, valid(InterventionStep(**sub(), **step)))
    item = text(limits.ITEM_MAX)
    app.interventions.hold_conference(SUPERVISOR, "p", child, valid(HoldConference(
        **sub(), participants=[text(limits.NAME_MAX)] * limits.PARTICIPANTS_MAX,
        decisions=[item] * limits.DECISIONS_MAX, follow_ups=[item] * limits.DECISIONS_MAX)))
    guardian = {"relation": text(limits.LABEL_MAX), "name": text(limits.NAME_MAX), "phone": PHONE}
    app.children.correct(DIRECTOR, "p", child, valid(CorrectRecord(
        **sub(), corrects=EventRef(event_id=app.store.stream(child)[0].event_id), reason=text(limits.TEXT_MAX),
        changes={"name": text(limits.NAME_MAX), "address": text(limits.ADDRESS_MAX), "household_position": text(64),
                 "guardians": [guardian] * limits.GUARDIANS_MAX, "home_geo": msgspec.to_builtins(GEO)})))
    largest = max(limits.encoded_size(app.store.mapper.to_domain_event(n)) for n in app.store.notifications())
    assert 40_000 < largest <= limits.MAX_EVENT_BYTES
