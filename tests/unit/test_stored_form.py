"""The compact stored form: what it holds, that it reads back to the same event and hash, and that its layout
only ever grows at the end."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import msgspec
import pytest

from events import codec
from events.base import Event, Geo, Meta
from events.cases import Observations, ReferralSent, VisitRecorded
from events.children import ChildRegistered, CorrectionRecorded, RiskAssessed
from events.ledger import SubmissionAccepted

CHINA = timezone(timedelta(hours=8))
STREAM = UUID("12345678-1234-5678-1234-567812345678")

# The array layout of each stored type as the compact form was introduced. A stored array is read by position, so
# a type's fields may only be appended (with a default); anything else is a new SCHEMA_VERSION with an upcaster.
# A new event type adds its line here.
LAYOUTS = {
    "AnchorRecorded": "event_id schema_version meta prev_hash hash root heads up_to_notification_id",
    "CaseClosed": "event_id schema_version meta prev_hash hash reason note approves merged_into",
    "CaseConferenceHeld": "event_id schema_version meta prev_hash hash child_id participants decisions follow_ups "
                          "follow_up_items",
    "CaseReopened": "event_id schema_version meta prev_hash hash reason",
    "CategoriesChanged": "event_id schema_version meta prev_hash hash added removed reason",
    "ChildAssigned": "event_id schema_version meta prev_hash hash owner_id owner partner_id partner",
    "ChildRegistered": "event_id schema_version meta prev_hash hash name sex birth_date id_number jurisdiction address "
                       "household_position home_geo categories guardians",
    "ChildTransferred": "event_id schema_version meta prev_hash hash from_jurisdiction to_jurisdiction reason",
    "ClosureRejected": "event_id schema_version meta prev_hash hash rejects note",
    "ClosureRequested": "event_id schema_version meta prev_hash hash reason note",
    "ConferenceFollowUpDone": "event_id schema_version meta prev_hash hash index note",
    "CorrectionRecorded": "event_id schema_version meta prev_hash hash corrects_event_id changes reason",
    "DepartmentMatterClosed": "event_id schema_version meta prev_hash hash child_id department matter_id",
    "DepartmentMatterOpened": "event_id schema_version meta prev_hash hash child_id department matter_id",
    "DuplicateMerged": "event_id schema_version meta prev_hash hash duplicate_child_id note",
    "IdNumberClaimed": "event_id schema_version meta prev_hash hash child_id",
    "IdNumberReleased": "event_id schema_version meta prev_hash hash child_id",
    "InterventionEnded": "event_id schema_version meta prev_hash hash note outcome",
    "InterventionPlanned": "event_id schema_version meta prev_hash hash child_id intervention_type plan "
                           "responsible_department goals review_by",
    "InterventionReviewed": "event_id schema_version meta prev_hash hash note next_review_by",
    "InterventionStarted": "event_id schema_version meta prev_hash hash note",
    "NotificationRead": "event_id schema_version meta prev_hash hash user_id notification_id",
    "PasswordChanged": "event_id schema_version meta prev_hash hash password_hash",
    "PhotoStored": "event_id schema_version meta prev_hash hash child_id sha256 size content_type width height taken_at "
                   "exif_geo visit_flags",
    "ProfileChanged": "event_id schema_version meta prev_hash hash changes reason superseded",
    "ProtectedDataShown": "event_id schema_version meta prev_hash hash children endpoint",
    "RecordSealed": "event_id schema_version meta prev_hash hash reason order_reference",
    "ReferralAccepted": "event_id schema_version meta prev_hash hash note",
    "ReferralCompleted": "event_id schema_version meta prev_hash hash note outcome",
    "ReferralDeclined": "event_id schema_version meta prev_hash hash reason",
    "ReferralEscalated": "event_id schema_version meta prev_hash hash reason deadline",
    "ReferralProgressNoted": "event_id schema_version meta prev_hash hash note",
    "ReferralSent": "event_id schema_version meta prev_hash hash child_id to_department reason urgency accept_by "
                    "complete_by report_id accept_within_hours complete_within_days",
    "ReminderFired": "event_id schema_version meta prev_hash hash kind subject subject_id child_id due_at lead_hours",
    "ReportReceived": "event_id schema_version meta prev_hash hash source reporter description jurisdiction child_id "
                      "urgency triage_within_hours discovered_at reporter_institution sentinel_place hotline_ticket",
    "ReportTriaged": "event_id schema_version meta prev_hash hash child_id decision refer_to referral_id",
    "RiskAssessed": "event_id schema_version meta prev_hash hash level reasons based_on_version current conflicting "
                    "visit_interval_days",
    "SensitiveDataViewed": "event_id schema_version meta prev_hash hash child_id kinds endpoint",
    "SubmissionAccepted": "event_id schema_version meta prev_hash hash fingerprint command result event_ids",
    "UserDisabled": "event_id schema_version meta prev_hash hash reason",
    "UserRegistered": "event_id schema_version meta prev_hash hash username role scope department password_hash",
    "VisitRecorded": "event_id schema_version meta prev_hash hash child_id visit_type child_seen guardian_present "
                     "observations photos notes follow_up flags",
}
NESTED = {
    Meta: "actor_id actor_role device_id submission_id occurred_at recorded_at geo late",
    Geo: "lat lon accuracy_m crs",
    Observations: "living_conditions state_of_mind needs problems",
}


def test_every_event_type_has_its_layout_and_layouts_only_grow_at_the_end() -> None:
    assert set(LAYOUTS) == set(codec.EVENT_TYPES)
    for name, cls in codec.EVENT_TYPES.items():
        frozen = LAYOUTS[name].split()
        assert codec.stored_fields(cls)[: len(frozen)] == frozen, name
    for struct, layout in NESTED.items():
        assert codec.stored_fields(struct)[: len(layout.split())] == layout.split()


def meta(at: datetime = datetime(2026, 11, 1, 8, 30, 0, 123456, tzinfo=UTC), geo: Geo | None = None) -> Meta:
    return Meta(actor_id=UUID(int=1), actor_role="grid_worker", device_id="phone-7", submission_id=UUID(int=2),
                occurred_at=at, recorded_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC), geo=geo, late=False)


def sealed(event: Event) -> Event:
    return codec.seal(event, "ab" * 32)


EXAMPLES = [
    sealed(RiskAssessed(originator_id=STREAM, originator_version=3, event_id=UUID(int=3), meta=meta(), level="red",
                        reasons=["危险"])),
    sealed(VisitRecorded(originator_id=STREAM, originator_version=4, event_id=UUID(int=4),
                         meta=meta(datetime(2026, 11, 1, 16, 30, tzinfo=CHINA), Geo(lat=26.5, lon=106.7, accuracy_m=8.0)),
                         child_id=UUID(int=5), visit_type="home", child_seen=True, guardian_present=False,
                         observations=Observations(needs="学习用品"), notes="入户走访", flags=["far_from_home"])),
    sealed(ReferralSent(originator_id=STREAM, originator_version=1, event_id=UUID(int=6), meta=meta(),
                        child_id=UUID(int=5), to_department="police", reason="r", urgency="urgent",
                        accept_by=datetime(2026, 11, 2, 8, 0, tzinfo=CHINA), complete_by=datetime(2026, 11, 9, tzinfo=UTC),
                        accept_within_hours=24.0)),
    sealed(ChildRegistered(originator_id=STREAM, originator_version=1, event_id=UUID(int=7), meta=meta(), name="王小明",
                           sex="male", birth_date=date(2015, 1, 1), jurisdiction="520302/001/001", address="x",
                           home_geo=Geo(lat=27.7, lon=106.9), categories=["left_behind"])),
    sealed(SubmissionAccepted(originator_id=STREAM, originator_version=1, event_id=UUID(int=8), meta=meta(),
                              fingerprint="cd" * 32, command="visit.record",
                              result={"visit_id": UUID(int=9), "at": datetime(2026, 11, 1, tzinfo=CHINA), "flags": []})),
    sealed(CorrectionRecorded(originator_id=STREAM, originator_version=9, event_id=UUID(int=10), meta=meta(),
                              corrects_event_id=UUID(int=4), changes={"notes": "改正", "n": 1.5}, reason="typo")),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type_name)
def test_compact_form_reads_back_to_the_same_state_and_hash(event: Event) -> None:
    data = codec.pack(event)
    assert data[:1] == b"\x01" and len(data) < len(codec.encode(event)) / 2
    for stream in (STREAM, STREAM.hex, str(STREAM)):  # the row's column: a UUID (PostgreSQL) or its text (SQLite)
        back = codec.unpack(type(event), data, stream, event.originator_version)
        assert msgspec.to_builtins(back) == msgspec.to_builtins(event) | (
            {"result": msgspec.to_builtins(event.result)} if isinstance(event, SubmissionAccepted) else {})
        state = codec.stored_state(type(event), data, stream, event.originator_version)
        assert codec.hash_state(state) == state["hash"] == event.hash
        assert codec.canonical_stored(type(event), data, stream, event.originator_version)


def test_the_compact_form_leaves_out_what_the_row_holds_and_spells_no_field_name() -> None:
    data = codec.pack(EXAMPLES[0])
    for absent in (b"RiskAssessed", STREAM.bytes, b"originator", b"meta", b"level", bytes.fromhex(EXAMPLES[0].hash).hex().encode()):
        assert absent not in data
    assert bytes.fromhex(EXAMPLES[0].hash) in data and UUID(int=3).bytes in data


def test_an_offset_is_kept_as_written() -> None:
    back = codec.unpack(VisitRecorded, codec.pack(EXAMPLES[1]), STREAM, 4)
    assert msgspec.to_builtins(back.meta)["occurred_at"] == "2026-11-01T16:30:00+08:00"
    assert msgspec.to_builtins(back.meta)["recorded_at"] == "2026-11-01T09:00:00Z"


def test_what_the_compact_form_cannot_carry_exactly_is_stored_as_full_json() -> None:
    odd = codec.seal(RiskAssessed(originator_id=STREAM, originator_version=2, event_id=UUID(int=3), meta=meta(),
                                  level="red", reasons=[]), "not a hex digest")
    data = codec.pack(odd)
    assert data == codec.encode(odd)
    assert codec.unpack(RiskAssessed, data, STREAM, 2) == odd


def test_the_full_json_of_older_stores_still_reads() -> None:
    event = EXAMPLES[0]
    assert codec.unpack(RiskAssessed, codec.encode(event), None, 0) == event
    assert codec.stored_state(RiskAssessed, codec.encode(event), None, 0) == msgspec.to_builtins(event)


def caught(cls: type[Event], data: bytes, version: int) -> bool:
    """What the chain verifier checks of one stored event alone."""
    try:
        state = codec.stored_state(cls, data, STREAM, version)
        return codec.hash_state(state) != state["hash"] or not codec.canonical_stored(cls, data, STREAM, version)
    except (msgspec.MsgspecError, ValueError, TypeError):
        return True


@pytest.mark.parametrize("event", EXAMPLES[:2], ids=lambda e: e.type_name)
def test_every_edited_byte_of_the_compact_form_is_caught(event: Event) -> None:
    data = codec.pack(event)
    for index in range(len(data)):
        for flip in (0x01, 0x80, 0xFF):
            edited = data[:index] + bytes([data[index] ^ flip]) + data[index + 1:]
            assert caught(type(event), edited, event.originator_version), (index, flip)
