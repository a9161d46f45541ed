"""Canonical encoding, hashing and decoding of events, with upcasters for old versions."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final

import msgspec

from events import cases, children, identity, ledger
from events.base import Event

EVENT_TYPES: Final[dict[str, type[Event]]] = {
    cls.__name__: cls
    for module in (children, cases, identity, ledger)
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event
}

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


def _risk_assessed_v1_v2(state: dict[str, Any]) -> dict[str, Any]:
    reason = state.pop("reason", "")
    state["reasons"] = [reason] if reason else []
    return state


UPCASTERS: Final[dict[str, dict[int, Upcaster]]] = {
    "RiskAssessed": {1: _risk_assessed_v1_v2},
}

_encoder = msgspec.json.Encoder()
_canonical = msgspec.json.Encoder(order="sorted")
_raw_decoder = msgspec.json.Decoder(dict[str, Any])
_typed_decoders: dict[type[Event], msgspec.json.Decoder[Any]] = {
    cls: msgspec.json.Decoder(cls) for cls in EVENT_TYPES.values()
}

GENESIS_HASH: Final = "0" * 64

BASE_FIELDS: Final = frozenset(
    {"type", "originator_id", "originator_version", "event_id", "schema_version", "meta", "prev_hash", "hash"}
)
"""The fields every event has (its place, metadata and chain); the rest of its state is its payload."""


def payload_of(state: dict[str, Any]) -> dict[str, Any]:
    """An event's own fields, without the ones every event has."""
    return {k: v for k, v in state.items() if k not in BASE_FIELDS}


def encode(event: Event) -> bytes:
    """The stored bytes of an event."""
    return _encoder.encode(event)


def canonical_bytes(state: dict[str, Any]) -> bytes:
    """Sorted-key JSON of an event's state without its own hash: what the hash covers."""
    body = {k: v for k, v in state.items() if k != "hash"}
    return _canonical.encode(body)


def hash_state(state: dict[str, Any]) -> str:
    """SHA-256 hex over the canonical encoding (which includes `prev_hash`)."""
    return hashlib.sha256(canonical_bytes(state)).hexdigest()


def seal(event: Event, prev_hash: str) -> Event:
    """The event with `prev_hash` set and its `hash` computed: the next link in its stream."""
    linked = msgspec.structs.replace(event, prev_hash=prev_hash, hash="")
    digest = hash_state(msgspec.to_builtins(linked))
    return msgspec.structs.replace(linked, hash=digest)


def decode_raw(data: bytes) -> dict[str, Any]:
    """The stored state as plain data, exactly as written (for verification)."""
    return _raw_decoder.decode(data)


def decode(cls: type[Event], data: bytes) -> Event:
    """Decode stored bytes as `cls`, upcasting an older schema version on the way."""
    steps = UPCASTERS.get(cls.__name__)
    if not steps:
        decoded: Event = _typed_decoders[cls].decode(data)
        return decoded
    state = _raw_decoder.decode(data)
    version = int(state.get("schema_version", 1))
    while version < cls.SCHEMA_VERSION:
        state = steps[version](state)
        version += 1
    state["schema_version"] = version
    return msgspec.convert(state, cls)
