"""The published consumer contract is exactly what the code generates."""

from __future__ import annotations

import json
from pathlib import Path

from events.codec import EVENT_TYPES
from events.envelope import AGGREGATE_OF, json_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "infra" / "envelope.schema.json"


def test_envelope_schema_file_matches_the_struct() -> None:
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == json_schema()


def test_every_event_type_has_an_aggregate_subject() -> None:
    assert set(EVENT_TYPES) == set(AGGREGATE_OF)
