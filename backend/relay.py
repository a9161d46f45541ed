"""The outbox relay: every event of the log to NATS JetStream, in order, exactly once in the stream.

It publishes asynchronously in windows, stores its position (the library's tracking recorder) only
after JetStream acknowledged the whole window, and sets `Nats-Msg-Id` to the event id so that a
window published again after a crash or an outage is de-duplicated by the server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import msgspec
import nats
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from nats.js.api import StorageType, StreamConfig

from backend.settings import Settings
from backend.store import EventStore
from events import codec
from events.envelope import SUBJECT_PREFIX, Envelope, subject_for

log = logging.getLogger("huhang.relay")
RELAY = "relay"
_encoder = msgspec.json.Encoder()


def envelope(n: Notification, state: dict[str, Any]) -> Envelope:
    meta = state["meta"]
    return Envelope(
        event_id=state["event_id"], stream_id=str(n.originator_id), version=n.originator_version, position=n.id,
        type=state["type"], schema_version=int(state.get("schema_version", 1)), topic=n.topic,
        recorded_at=meta["recorded_at"], occurred_at=meta["occurred_at"], metadata=meta,
        payload=codec.payload_of(state), hash=state["hash"], prev_hash=state["prev_hash"],
    )


def stream_config(settings: Settings) -> StreamConfig:
    return StreamConfig(
        name=settings.nats_stream,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        storage=StorageType.FILE,
        duplicate_window=settings.nats_duplicate_window.total_seconds(),
        max_age=settings.nats_max_age.total_seconds() if settings.nats_max_age else None,
        num_replicas=settings.nats_replicas,
    )


class Relay:
    """Follows the notification log and publishes each event to JetStream."""

    def __init__(self, store: EventStore, settings: Settings, window: int = 500, ack_timeout: float = 10.0) -> None:
        self.store = store
        self.settings = settings
        self.window = window
        self.ack_timeout = ack_timeout
        self.tracking = store.factory.tracking_recorder()
        self.nc: Any = None
        self.js: Any = None

    def position(self) -> int:
        return self.tracking.max_tracking_id(RELAY) or 0

    async def connect(self) -> None:
        """Connect and create or update the stream's configuration."""
        self.nc = await nats.connect(self.settings.nats_url, connect_timeout=2, max_reconnect_attempts=0,
                                     allow_reconnect=False)
        self.js = self.nc.jetstream()
        config = stream_config(self.settings)
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
        plain = self.store.msgspec_mapper.plain_state
        futures = []
        for n in notifications:
            state = codec.decode_raw(plain(n.state))
            message = envelope(n, state)
            futures.append(await self.js.publish_async(
                subject_for(message.type), _encoder.encode(message), headers={"Nats-Msg-Id": message.event_id}
            ))
        await asyncio.wait_for(asyncio.gather(*futures), timeout=self.ack_timeout)

    async def run(self, stop: asyncio.Event, idle: float = 0.2, max_backoff: float = 10.0) -> None:
        """Publish until `stop`; while NATS is away, retry with backoff (writes never wait on it)."""
        backoff = 0.2
        while not stop.is_set():
            try:
                if self.nc is None:
                    await self.connect()
                    backoff = 0.2
                if not await self.publish_once():
                    await _sleep(stop, idle)
            except (OSError, asyncio.TimeoutError, nats.errors.Error) as exc:
                log.warning("NATS unavailable (%s); retrying in %.1f s", type(exc).__name__, backoff)
                await self._drop()
                await _sleep(stop, backoff)
                backoff = min(backoff * 2, max_backoff)
        await self.close()

    async def _drop(self) -> None:
        try:
            await self.close()
        except (OSError, nats.errors.Error):
            self.nc = None


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
