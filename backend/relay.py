"""The outbox relay: every event of the log to NATS JetStream, in order, exactly once in the stream.

It publishes asynchronously in windows, stores its position (the library's tracking recorder) only
after JetStream acknowledged the whole window, and sets `Nats-Msg-Id` to the event id so that a
window published again after a crash or an outage is de-duplicated by the server.

Nothing the bus refuses may stall it: an event larger than the server's `max_payload` goes out as a
claim check (the envelope without payload, naming where the whole event is read). Credentials are
taken out of every envelope. A department's referrals and interventions are published a second time
on that department's own subjects, which its NATS account alone may read (infra/consumers.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol
from uuid import UUID

import msgspec
import nats
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from nats.js.api import StorageType, StreamConfig

from backend.settings import Settings
from backend.store import EventStore
from events import codec
from events.envelope import (
    AGGREGATE_OF,
    DEPARTMENT_AGGREGATES,
    DEPARTMENT_PREFIX,
    SUBJECT_PREFIX,
    ClaimCheck,
    Envelope,
    department_stream,
    department_subject,
    redact,
    subject_for,
)
from events.vocabulary import Department

log = logging.getLogger("huhang.relay")
RELAY = "relay"
HEADERS_ROOM = 512
"""Bytes kept free under `max_payload` for the message's headers (the server counts them too)."""
_encoder = msgspec.json.Encoder()


def envelope(n: Notification, state: dict[str, Any]) -> Envelope:
    """The published form of a stored event, credentials taken out."""
    meta = state["meta"]
    payload, redacted = redact(codec.payload_of(state))
    return Envelope(
        event_id=state["event_id"], stream_id=str(n.originator_id), version=n.originator_version, position=n.id,
        type=state["type"], schema_version=int(state.get("schema_version", 1)), topic=n.topic,
        recorded_at=meta["recorded_at"], occurred_at=meta["occurred_at"], metadata=meta,
        payload=payload, hash=state["hash"], prev_hash=state["prev_hash"], redacted=redacted,
    )


def encoded(message: Envelope, max_payload: int) -> bytes:
    """The message as sent: whole when the bus accepts its size, else a claim check."""
    data = _encoder.encode(message)
    if len(data) + HEADERS_ROOM <= max_payload:
        return data
    log.warning("event %s at position %s is %d bytes, over the bus's %d: published as a claim check",
                message.event_id, message.position, len(data), max_payload)
    check = ClaimCheck(reason="max_payload", size=len(data))
    return _encoder.encode(msgspec.structs.replace(message, metadata={}, payload={}, claim_check=check))


def stream_config(settings: Settings) -> StreamConfig:
    return _stream(settings, settings.nats_stream, f"{SUBJECT_PREFIX}.>")


def department_stream_configs(settings: Settings) -> list[StreamConfig]:
    """One stream per department, so that each department's account can be given its own alone."""
    return [_stream(settings, department_stream(d), f"{DEPARTMENT_PREFIX}.{d}.>") for d in Department]


def _stream(settings: Settings, name: str, subjects: str) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=[subjects],
        storage=StorageType.FILE,
        duplicate_window=settings.nats_duplicate_window.total_seconds(),
        max_age=settings.nats_max_age.total_seconds() if settings.nats_max_age else None,
        num_replicas=settings.nats_replicas,
    )


DEPARTMENTS = frozenset(d.value for d in Department)


class Departments:
    """Which department a referral or intervention record belongs to (named by its first event)."""

    FIELDS: Final = {"ReferralSent": "to_department", "InterventionPlanned": "responsible_department"}

    def __init__(self, store: EventStore, size: int = 100_000) -> None:
        self.store = store
        self.size = size
        self.known: dict[str, str] = {}

    def of(self, n: Notification, state: dict[str, Any]) -> str | None:
        """The department whose subjects also carry this event, or None."""
        if AGGREGATE_OF.get(state["type"]) not in DEPARTMENT_AGGREGATES:
            return None
        stream = str(n.originator_id)
        field = self.FIELDS.get(state["type"])
        department = state.get(field) if field else self.known.get(stream) or self._first(n.originator_id)
        if isinstance(department, str) and department in DEPARTMENTS:  # anything else has no stream
            if len(self.known) >= self.size:
                self.known.clear()
            self.known[stream] = department
            return department
        return None

    def _first(self, stream: UUID | str) -> str | None:
        first = self.store.recorder.select_events(UUID(str(stream)), lte=1)
        if not first:
            return None
        state = self.store.msgspec_mapper.stored_state(first[0])
        field = self.FIELDS.get(state["type"])
        value = state.get(field) if field else None
        return value if isinstance(value, str) else None


class Relay:
    """Follows the notification log and publishes each event to JetStream."""

    def __init__(self, store: EventStore, settings: Settings, window: int = 500, ack_timeout: float = 10.0) -> None:
        self.store = store
        self.settings = settings
        self.window = window
        self.ack_timeout = ack_timeout
        self.tracking = store.factory.tracking_recorder()
        self.departments = Departments(store)
        self.nc: Any = None
        self.js: Any = None

    def position(self) -> int:
        return self.tracking.max_tracking_id(RELAY) or 0

    async def connect(self) -> None:
        """Connect and create or update the stream's configuration."""
        self.nc = await nats.connect(self.settings.nats_url, connect_timeout=2, max_reconnect_attempts=0,
                                     allow_reconnect=False)
        self.js = self.nc.jetstream()
        for config in [stream_config(self.settings), *department_stream_configs(self.settings)]:
            try:
                await self.js.update_stream(config)
            except nats.js.errors.NotFoundError:
                await self.js.add_stream(config)

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()
            self.nc = None

    async def publish_once(self) -> int:
        """Publish the next window of events; returns how many were published and acknowledged."""
        start = self.position() + 1
        notifications = await asyncio.to_thread(self.store.recorder.select_notifications, start, self.window)
        if not notifications:
            return 0
        await self.publish(notifications)
        try:
            await asyncio.to_thread(
                self.tracking.insert_tracking, Tracking(application_name=RELAY, notification_id=notifications[-1].id)
            )
        except IntegrityError:
            log.warning("another relay moved the position first; continuing from it")
        return len(notifications)

    async def publish(self, notifications: Sequence[Notification]) -> None:
        """All of them published, and every one acknowledged, or an exception."""
        stored_state = self.store.msgspec_mapper.stored_state
        futures = []
        for n in notifications:
            state = stored_state(n)
            message = envelope(n, state)
            data = encoded(message, self.nc.max_payload)
            headers = {"Nats-Msg-Id": message.event_id}
            futures.append(await self.js.publish_async(subject_for(message.type), data, headers=headers))
            department = self.departments.of(n, state)  # reads the store only for a record first met after a restart
            if department is not None:
                subject = department_subject(department, message.type)
                futures.append(await self.js.publish_async(subject, data, headers=headers))
        await asyncio.wait_for(asyncio.gather(*futures), timeout=self.ack_timeout)

    async def run(self, stop: asyncio.Event, idle: float = 0.2, max_backoff: float = 10.0) -> None:
        """Publish until `stop`; while NATS is away, retry with backoff (writes never wait on it)."""
        await publish_until(stop, self, "events", idle, max_backoff)


class Publisher(Protocol):
    """Something that follows the log onto NATS from a stored position: the relay, the notifier."""

    nc: Any

    async def connect(self) -> None: ...

    async def publish_once(self) -> bool: ...

    async def close(self) -> None: ...


async def publish_until(stop: asyncio.Event, publisher: Publisher, what: str, idle: float, max_backoff: float) -> None:
    """Run `publisher` until `stop`: a round, or a pause of `idle` when it had nothing to publish; while NATS is
    away, reconnect with doubling backoff (up to `max_backoff`) and go on from the position it stored."""
    backoff = 0.2
    while not stop.is_set():
        try:
            if publisher.nc is None:
                await publisher.connect()
                backoff = 0.2
            if not await publisher.publish_once():
                await _sleep(stop, idle)
        except (TimeoutError, OSError, nats.errors.Error) as exc:
            log.warning("NATS unavailable for %s (%s); retrying in %.1f s", what, type(exc).__name__, backoff)
            try:
                await publisher.close()
            except (OSError, nats.errors.Error):
                publisher.nc = None
            await _sleep(stop, backoff)
            backoff = min(backoff * 2, max_backoff)
    await publisher.close()


class RelayStatus(msgspec.Struct, frozen=True, kw_only=True):
    """How far the relay is behind the log, and for how long it has not moved while behind."""

    head: int
    position: int
    lag: int
    still_for: float
    stalled: bool


class RelayWatch:
    """Relay lag and stall, read from the store (the relay may run in another process)."""

    def __init__(self, store: EventStore, stall_after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.tracking = store.factory.tracking_recorder()
        self.stall_after = stall_after
        self.clock = clock
        self.seen: tuple[int, float] | None = None

    def status(self) -> RelayStatus:
        """Behind and without progress for `stall_after` seconds is a stall."""
        head = self.store.recorder.max_notification_id() or 0
        position = self.tracking.max_tracking_id(RELAY) or 0
        now = self.clock()
        if self.seen is None or self.seen[0] != position or position >= head:
            self.seen = (position, now)
        still = now - self.seen[1]
        lag = max(head - position, 0)
        return RelayStatus(head=head, position=position, lag=lag, still_for=round(still, 1),
                           stalled=lag > 0 and still >= self.stall_after)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
