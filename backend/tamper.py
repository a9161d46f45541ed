"""Tamper evidence: anchors (a Merkle root over every stream head) and the chain verifier."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID, uuid4

import msgspec
from eventsourcing.persistence import StoredEvent

from backend.ledger import ANCHOR_STREAM_ID, Anchors
from backend.store import EventStore
from events import codec
from events.base import Meta
from events.ledger import AnchorRecorded, StreamHead


class Broken(msgspec.Struct, frozen=True):
    """The first problem found in one stream."""

    stream_id: UUID
    version: int
    reason: str


class Verification(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    streams_checked: int
    events_checked: int
    broken: list[Broken]


def merkle_root(heads: Iterable[StreamHead]) -> str:
    """SHA-256 Merkle root over heads sorted by stream id (an odd node is paired with itself)."""
    level = [
        hashlib.sha256(f"{h.stream_id}:{h.version}:{h.hash}".encode()).digest()
        for h in sorted(heads, key=lambda h: str(h.stream_id))
    ]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0].hex()


def record_anchor(store: EventStore, now: datetime | None = None) -> AnchorRecorded:
    """Append an anchor holding every stream's current head and its Merkle root."""
    heads: dict[UUID, StreamHead] = {}
    last_id = 0
    for n in store.notifications():
        last_id = n.id
        if n.originator_id == ANCHOR_STREAM_ID:
            continue
        state = store.msgspec_mapper.stored_state(n)
        heads[n.originator_id] = StreamHead(
            stream_id=n.originator_id, version=n.originator_version, hash=str(state.get("hash", ""))
        )
    at = now or datetime.now(UTC)
    meta = Meta(
        actor_id=None, actor_role="system", device_id="server", submission_id=uuid4(), occurred_at=at, recorded_at=at
    )
    anchors = store.load(Anchors, ANCHOR_STREAM_ID) or Anchors(ANCHOR_STREAM_ID)
    event = anchors.trigger(
        AnchorRecorded,
        meta,
        root=merkle_root(heads.values()),
        heads=list(heads.values()),
        up_to_notification_id=last_id,
    )
    store.save(anchors)
    return event


class ChainWalker:
    """Walks events stream by stream, naming the first broken link of each stream."""

    def __init__(self, store: EventStore, anchored: dict[tuple[UUID, int], str]) -> None:
        self.store = store
        self.anchored = anchored
        self.heads: dict[UUID, tuple[int, str]] = {}
        self.broken: dict[UUID, Broken] = {}
        self.seen_anchored: set[tuple[UUID, int]] = set()
        self.events = 0

    def check(self, row: StoredEvent) -> None:
        stream = row.originator_id
        self.events += 1
        if stream in self.broken:
            return
        problem = self._problem(row)
        if problem:
            self.broken[stream] = Broken(stream, row.originator_version, problem)

    def _problem(self, row: StoredEvent) -> str | None:
        stream, version = row.originator_id, row.originator_version
        try:
            mapper = self.store.msgspec_mapper
            state = mapper.stored_state(row)
            canonical = mapper.canonical_stored(row)
        except (msgspec.MsgspecError, ValueError, TypeError) as exc:  # undecryptable or undecodable: tampered
            return f"stored state cannot be read: {type(exc).__name__}"
        last_version, last_hash = self.heads.get(stream, (0, codec.GENESIS_HASH))
        self.heads[stream] = (version, str(state.get("hash")))
        if str(state.get("originator_id")) != str(stream) or state.get("originator_version") != version:
            return "the row's stream or version differs from the event it holds"
        if version != last_version + 1:
            return f"missing version(s) {last_version + 1}..{version - 1}"
        if state.get("prev_hash") != last_hash:
            return "prev_hash does not match the previous event's hash"
        if codec.hash_state(state) != state.get("hash"):
            return "content does not match its hash"
        if not canonical:
            return "stored bytes differ from the stored form of the event they hold"
        expected = self.anchored.get((stream, version))
        if expected is not None:
            self.seen_anchored.add((stream, version))
            if expected != state["hash"]:
                return "hash differs from the one anchored"
        return None

    def finish(self) -> Verification:
        """Anchored versions never seen were deleted: each names its stream."""
        for stream, version in sorted(set(self.anchored) - self.seen_anchored, key=str):
            if stream not in self.broken:
                have = self.heads.get(stream, (0, ""))[0]
                self.broken[stream] = Broken(stream, version, f"anchored version {version} is gone (stream ends at {have})")
        broken = sorted(self.broken.values(), key=lambda b: (str(b.stream_id), b.version))
        return Verification(
            ok=not broken, streams_checked=len(self.heads), events_checked=self.events, broken=broken
        )


def anchored_heads(store: EventStore) -> tuple[dict[tuple[UUID, int], str], list[Broken]]:
    """Every (stream, version) an anchor vouches for, and anchors whose root does not match."""
    anchored: dict[tuple[UUID, int], str] = {}
    bad: list[Broken] = []
    for row in store.recorder.select_events(ANCHOR_STREAM_ID):
        try:
            event = store.msgspec_mapper.to_domain_event(row)
        except (msgspec.MsgspecError, ValueError, TypeError):
            continue  # the chain walk reports an unreadable anchor
        if merkle_root(event.heads) != event.root:
            bad.append(Broken(ANCHOR_STREAM_ID, event.originator_version, "anchor root does not match its heads"))
        for head in event.heads:
            anchored[(head.stream_id, head.version)] = head.hash
    return anchored, bad


def verify(store: EventStore, stream_ids: Iterable[UUID] | None = None) -> Verification:
    """Walk every stream (or the given ones): links, hashes, versions, and the anchors' heads."""
    anchored, bad_anchors = anchored_heads(store)
    if stream_ids is not None:
        wanted = set(stream_ids)
        anchored = {k: v for k, v in anchored.items() if k[0] in wanted}
        walker = ChainWalker(store, anchored)
        for stream_id in wanted:
            for row in store.recorder.select_events(stream_id):
                walker.check(row)
        return walker.finish()
    walker = ChainWalker(store, anchored)
    for row in store.notifications():
        walker.check(row)
    result = walker.finish()
    if bad_anchors:
        return msgspec.structs.replace(result, ok=False, broken=bad_anchors + result.broken)
    return result
