from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import msgspec

from events import codec
from events.base import Meta
from events.children import RiskAssessed
from events.vocabulary import LABELS


def test_every_code_has_both_labels() -> None:
    for vocabulary, labels in LABELS.items():
        assert set(labels) == {m.value for m in vocabulary}
        assert all(zh and en for zh, en in labels.values())


def _meta() -> Meta:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    return Meta(actor_id=uuid4(), actor_role="child_director", device_id="d", submission_id=uuid4(), occurred_at=at, recorded_at=at)


def test_stored_bytes_round_trip_and_hash_verifies_from_raw_state() -> None:
    event = RiskAssessed(originator_id=uuid4(), originator_version=1, event_id=uuid4(), meta=_meta(), level="red", reasons=["危险"])
    sealed = codec.seal(event, codec.GENESIS_HASH)
    stored = codec.encode(sealed)
    assert codec.decode(RiskAssessed, stored) == sealed
    assert codec.hash_state(codec.decode_raw(stored)) == sealed.hash


def test_any_change_to_content_changes_the_hash() -> None:
    event = RiskAssessed(originator_id=uuid4(), originator_version=1, event_id=uuid4(), meta=_meta(), level="red", reasons=[])
    state = msgspec.to_builtins(codec.seal(event, codec.GENESIS_HASH))
    tampered = dict(state, level="blue")
    assert codec.hash_state(tampered) != state["hash"]


def test_version_1_risk_assessment_is_read_as_version_2() -> None:
    v1 = {
        "type": "RiskAssessed",
        "originator_id": str(uuid4()),
        "originator_version": 2,
        "event_id": str(uuid4()),
        "schema_version": 1,
        "meta": msgspec.to_builtins(_meta()),
        "prev_hash": "a" * 64,
        "hash": "b" * 64,
        "level": "orange",
        "reason": "监护人外出",
    }
    event = codec.decode(RiskAssessed, msgspec.json.encode(v1))
    assert isinstance(event, RiskAssessed)
    assert event.reasons == ["监护人外出"] and event.schema_version == 2
    assert event.hash == "b" * 64  # the stored hash is kept: the chain is verified over the stored form
