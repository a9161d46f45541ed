"""Canonical encoding, hashing and decoding of events, with upcasters for old versions."""

from __future__ import annotations

import hashlib
import types
import typing
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

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
    """The event's full JSON: self-describing (type, stream, version, every field by name). Stores written before
    the compact form hold this; it is also what an event's size limit counts."""
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
    """An event's full JSON as plain data, exactly as written."""
    return _raw_decoder.decode(data)


def decode(cls: type[Event], data: bytes) -> Event:
    """Decode an event's full JSON as `cls`, upcasting an older schema version on the way."""
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


# -- the stored form ----------------------------------------------------------------------------------------------
#
# A stored event is either its full JSON (every store written before the compact form; it starts with `{`) or
# COMPACT followed by a MessagePack array of the event's fields in declaration order, without what the row's own
# columns hold (stream id, version, type): UUIDs as 16 bytes, the hex digests (`HEX_FIELDS`) as 32 bytes and a
# stream's first link (GENESIS_HASH) as none, a UTC datetime as a MessagePack timestamp (any other offset as its ISO
# text, so that it reads back as written), nested structs as arrays too, and in untyped data (a submission's
# result) each UUID's text as a 16-byte extension. Both forms are read forever; a stored event is never rewritten.
# The hash is defined over the canonical JSON of the state (`canonical_bytes`), rebuilt from the decoded event when
# verifying.
#
# The array's order is the struct's field order: a field is only ever appended (with a default) or a new
# SCHEMA_VERSION is made. tests/unit/test_stored_form.py holds each type's field order and fails on any other change.
# Compact arrays are written at their type's current SCHEMA_VERSION only; the upcasters read the full JSON of older
# versions. A type's next SCHEMA_VERSION must first give its current layout a form of its own to read its compact
# arrays by: until then one is refused (ValueError) rather than read as the new version.

COMPACT: Final = b"\x01"
HEX_FIELDS: Final = frozenset({"hash", "prev_hash", "fingerprint", "root", "sha256"})
"""Top-level string fields that hold a SHA-256 hex digest: stored as its 32 bytes."""
_STREAM_FIELDS: Final = ("originator_id", "originator_version")

_packer = msgspec.msgpack.Encoder(uuid_format="bytes")
UUID_TEXT: Final = 1
"""The MessagePack extension code of a UUID's text inside untyped data (a submission's result): its 16 bytes."""
_ZERO: Final = timedelta(0)
def _hex_in(value: str) -> bytes:
    """A lowercase hex digest's bytes (anything else would read back differently: refused)."""
    data = bytes.fromhex(value)
    if data.hex() != value:
        raise ValueError("not a lowercase hex string")
    return data


def _prev_in(value: str) -> bytes:
    """A stream's first event links to GENESIS_HASH: stored as no bytes."""
    return b"" if value == GENESIS_HASH else _hex_in(value)


def _prev_out(data: bytes) -> str:
    return data.hex() if data else GENESIS_HASH


def _plain_in(value: Any) -> Any:
    """Untyped data as plain data (what the hash covers), each UUID's text in it as its 16 bytes."""
    return _uuids_in(msgspec.to_builtins(value))


def _uuids_in(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) == 36:
            try:
                if str(uuid := UUID(value)) == value:
                    return msgspec.msgpack.Ext(UUID_TEXT, uuid.bytes)
            except ValueError:
                pass
        return value
    if isinstance(value, dict):
        return {k: _uuids_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_uuids_in(v) for v in value]
    return value


def _ext_out(code: int, data: memoryview) -> Any:
    if code != UUID_TEXT or len(data) != 16:
        raise ValueError(f"unknown MessagePack extension {code}")
    h = data.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _time_in(value: datetime | None) -> Any:
    if value is None or value.utcoffset() == _ZERO:
        return value
    return value.isoformat()


def _time_out(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _has_any(annotation: Any) -> bool:
    if annotation is Any:
        return True
    return any(_has_any(arg) for arg in typing.get_args(annotation))


def _struct_in(annotation: Any) -> tuple[type[msgspec.Struct], bool] | None:
    """The Struct type of an `S` or `S | None` annotation, and whether None is allowed."""
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation, False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 2 and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        if isinstance(inner, type) and issubclass(inner, msgspec.Struct) and not issubclass(inner, Event):
            return inner, True
    return None


def _is_time(annotation: Any) -> bool:
    return annotation is datetime or annotation == datetime | None


class _Form(msgspec.Struct, frozen=True):
    """How one struct type is stored: the array's layout (a shadow struct msgspec decodes and checks), and the
    source of the expressions that make the array from a value (`pack`) and the value from the decoded shadow
    (`build`), each over the path `@`."""

    shadow: type[msgspec.Struct]
    pack: str
    build: str


_FORMS: dict[type[msgspec.Struct], _Form] = {}
_NAMES: dict[str, Any] = {
    "_hex_in": _hex_in, "_prev_in": _prev_in, "_prev_out": _prev_out, "_time_in": _time_in, "_time_out": _time_out,
    "_plain_in": _plain_in, "_uuid": lambda v: msgspec.convert(v, UUID),
}
"""What the generated `pack` and `build` functions call (and, added by `_form`, each struct type as `_Name`)."""


def _form(cls: type[msgspec.Struct], top: bool) -> _Form:
    """The stored form of `cls` (for an event, `top`: without its stream id and version, hex digests as bytes)."""
    if cls in _FORMS:
        return _FORMS[cls]
    fields: list[tuple[Any, ...]] = []
    packs: list[str] = []
    builds: list[str] = []  # the constructor's keyword arguments
    _NAMES[f"_{cls.__name__}"] = cls
    for info in msgspec.structs.fields(cls):
        name = info.name
        if top and name in _STREAM_FIELDS:
            continue
        default = () if info.required else ((info.default,) if info.default is not msgspec.NODEFAULT
                                            else (msgspec.field(default_factory=info.default_factory),))
        at = f"@.{name}"
        if top and name == "prev_hash":
            fields.append((name, bytes))
            packs.append(f"_prev_in({at})")
            builds.append(f"{name}=_prev_out({at})")
        elif top and name in HEX_FIELDS and info.type is str:
            fields.append((name, bytes, *((bytes.fromhex(info.default),) if default else ())))
            packs.append(f"_hex_in({at})")
            builds.append(f"{name}={at}.hex()")
        elif _is_time(info.type):
            fields.append((name, Any, *default))
            packs.append(f"_time_in({at})")
            builds.append(f"{name}=_time_out({at})")
        elif (nested := _struct_in(info.type)) is not None:
            inner, optional = _form(nested[0], top=False), nested[1]
            fields.append((name, inner.shadow | None if optional else inner.shadow, *default))
            pack, build = inner.pack.replace("@", at), inner.build.replace("@", at)
            packs.append(f"(None if {at} is None else {pack})" if optional else pack)
            builds.append(f"{name}=(None if {at} is None else {build})" if optional else f"{name}={build}")
        elif _has_any(info.type):
            fields.append((name, info.type, *default))
            packs.append(f"_plain_in({at})")
            builds.append(f"{name}={at}")
        else:
            fields.append((name, info.type, *default))
            packs.append(at)
            builds.append(f"{name}={at}")
    if top:
        builds += ["originator_id=_uuid(oid)", "originator_version=version"]
    shadow = msgspec.defstruct(f"Stored{cls.__name__}", fields, array_like=True, kw_only=True, module=__name__)
    _FORMS[cls] = form = _Form(shadow, "[" + ", ".join(packs) + "]", f"_{cls.__name__}(" + ", ".join(builds) + ")")
    return form


def _compiled(cls: type[Event]) -> tuple[Callable[[Event], list[Any]], Callable[[Any, Any, int], Event]]:
    form = _form(cls, top=True)
    source = (f"def pack(e):\n    return {form.pack.replace('@', 'e')}\n"
              f"def build(x, oid, version):\n    return {form.build.replace('@', 'x')}\n")
    scope = dict(_NAMES)
    exec(compile(source, f"<stored form of {cls.__name__}>", "exec"), scope)  # noqa: S102 - made from field names only
    return scope["pack"], scope["build"]


_PACKERS: Final = {cls: _compiled(cls) for cls in EVENT_TYPES.values()}
_unpackers: Final = {cls: msgspec.msgpack.Decoder(_FORMS[cls].shadow, ext_hook=_ext_out)
                     for cls in EVENT_TYPES.values()}


def _compact(event: Event) -> bytes:
    return COMPACT + _packer.encode(_PACKERS[type(event)][0](event))


def _from_compact(cls: type[Event], data: bytes, originator_id: Any, originator_version: int) -> Event:
    stored: Any = _unpackers[cls].decode(data[1:])
    if stored.schema_version != cls.SCHEMA_VERSION:
        raise ValueError(f"no compact form of {cls.__name__} version {stored.schema_version}")
    return _PACKERS[cls][1](stored, originator_id, originator_version)


def pack(event: Event) -> bytes:
    """The stored bytes of a sealed event: its compact form, or its full JSON when the compact form would not read
    back to the same hash. Each event is read back and hashed here: an int held where the type says float, a
    datetime's offset inside a list of structs, would otherwise read back as something else than was hashed."""
    try:
        data = _compact(event)
        back = _from_compact(type(event), data, event.originator_id, event.originator_version)
    except (ValueError, TypeError, OverflowError, msgspec.MsgspecError):
        return encode(event)
    return data if hash_state(msgspec.to_builtins(back)) == event.hash else encode(event)


def stored_fields(cls: type[msgspec.Struct]) -> list[str]:
    """The fields of a struct type in the order its compact form's array holds them (its nested structs' too)."""
    return [f.name for f in msgspec.structs.fields(_form(cls, top=issubclass(cls, Event)).shadow)]


def unpack(cls: type[Event], data: bytes, originator_id: Any, originator_version: int) -> Event:
    """The event in stored bytes of either form; the row's stream id (a UUID or its text) and version complete the
    compact form."""
    if data[:1] == COMPACT:
        return _from_compact(cls, data, originator_id, originator_version)
    return decode(cls, data)


def stored_state(cls: type[Event], data: bytes, originator_id: Any, originator_version: int) -> dict[str, Any]:
    """An event's state as plain data (what its hash covers, with its hash): the full JSON exactly as written, or
    the compact form's event as plain data."""
    if data[:1] == COMPACT:
        state: dict[str, Any] = msgspec.to_builtins(_from_compact(cls, data, originator_id, originator_version))
        return state
    return decode_raw(data)


def canonical_stored(cls: type[Event], data: bytes, originator_id: Any, originator_version: int) -> bool:
    """Whether compact stored bytes are exactly the compact form of the event they decode to (any edited byte that
    still decodes, say a timestamp's nanoseconds, shows here). The full JSON form is checked by its hash alone."""
    if data[:1] != COMPACT:
        return True
    return _compact(_from_compact(cls, data, originator_id, originator_version)) == bytes(data)
