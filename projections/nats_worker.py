"""Projection workers fed from NATS JetStream: a durable pull consumer per projection.

The checkpoint rule is the local runner's: a message is applied once, in the same transaction as
its rows; a redelivered message (at or below the checkpoint) is acknowledged and skipped. A message
that does not carry its whole event (a claim check, or one whose credentials were taken out) is
resolved from the event store by its position.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from backend.settings import Settings
from backend.store import EventStore
from events import codec
from events.base import Event
from events.envelope import SUBJECT_PREFIX, Envelope
from projections.runner import Runner

log = logging.getLogger("huhang.projections.nats")
_decode = msgspec.json.Decoder(Envelope).decode


def to_event(message: Envelope) -> Event:
    """The stored event again, from its envelope (upcast like any stored event)."""
    state = dict(message.payload)
    state.update(
        type=message.type, originator_id=message.stream_id, originator_version=message.version,
        event_id=message.event_id, schema_version=message.schema_version, meta=message.metadata,
        prev_hash=message.prev_hash, hash=message.hash,
    )
    return codec.decode(codec.EVENT_TYPES[message.type], msgspec.json.encode(state))


class UnresolvedClaim(Exception):
    """A message points to an event the event store does not hold at that position."""


def resolve(store: EventStore, message: Envelope) -> Event:
    """The whole event of a message: from the message itself, or from the event store."""
    if message.claim_check is None and not message.redacted:
        return to_event(message)
    found = store.recorder.select_notifications(start=message.position, limit=1)
    if not found or found[0].id != message.position or str(found[0].originator_id) != message.stream_id:
        raise UnresolvedClaim(f"no event {message.event_id} at position {message.position} in the event store")
    event: Event = store.mapper.to_domain_event(found[0])  # type: ignore[assignment]  # our mapper makes Events
    return event


async def consume(
    runner: Runner, settings: Settings, stop: asyncio.Event, batch: int = 500, wait: float = 0.1
) -> None:
    """Apply messages to one projection until `stop`; a fetch returns what came within `wait` seconds."""
    nc = await nats.connect(settings.nats_url)
    try:
        js = nc.jetstream()
        durable = f"projection-{runner.name}"
        # At most one batch unacknowledged: a batch that failed is redelivered before anything after it.
        config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
                                max_ack_pending=batch, ack_wait=30)
        subscription = await js.pull_subscribe(f"{SUBJECT_PREFIX}.>", durable=durable, stream=settings.nats_stream,
                                               config=config)
        while not stop.is_set():
            try:
                messages = await subscription.fetch(batch, timeout=wait)
            except (TimeoutError, nats.errors.TimeoutError):  # nothing arrived within `wait`
                continue
            await deliver(runner, messages)
    finally:
        await nc.close()


async def deliver(runner: Runner, messages: list[Any]) -> int:
    """Apply a fetched batch, then acknowledge it (a crash before the ack means a redelivery, skipped)."""
    try:
        events = await asyncio.to_thread(_events, runner.store, messages)
        applied = await asyncio.to_thread(runner.apply_delivered, events)
    except Exception:
        for message in messages:
            await message.nak(delay=1)
        raise
    for message in messages:
        await message.ack()
    return applied


def _events(store: EventStore, messages: list[Any]) -> list[tuple[int, Event]]:
    out = []
    for message in messages:
        envelope = _decode(message.data)
        out.append((envelope.position, resolve(store, envelope)))
    return out
