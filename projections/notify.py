"""Notifications to NATS: each inbox notification, for each user it is addressed to, on `huhang.notify.<user_id>`
in the JetStream stream HUHANG_NOTIFY, for a push gateway (the contract: infra/consumers.md).

It follows the log behind the main projection: for the events that make notices (up to the projection's
checkpoint, so their rows exist) it asks the inbox's own rule (`notices.addressed_sql`) who each is for, publishes,
and stores its position only once JetStream acknowledged everything. `Nats-Msg-Id` is `<notification_id>:<user_id>`,
so a window published again after a crash is dropped by the server. Writes never wait for it: while NATS is away it
retries, and catches up from its position. A rebuild makes the same notices, already published: nothing goes twice."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final
from uuid import UUID

import msgspec
import nats
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.utils import get_topic
from nats.js.api import StorageType, StreamConfig

from backend.identity import Actor
from backend.relay import publish_until
from backend.settings import Settings
from backend.store import EventStore
from backend.usecases.users import Users
from events.cases import ReferralSent, ReportReceived
from events.children import ClosureRequested, RiskAssessed
from events.ledger import ReminderFired
from events.vocabulary import Role
from projections.db import ReadDB
from projections.notices import NoticeRow, addressed_sql

log = logging.getLogger("huhang.notify")
NOTIFY: Final = "notify"
NOTIFY_STREAM: Final = "HUHANG_NOTIFY"
NOTIFY_PREFIX: Final = "huhang.notify"
TOPICS: Final = [get_topic(cls) for cls in (RiskAssessed, ReportReceived, ReferralSent, ClosureRequested, ReminderFired)]
"""The events that make notices (projections/notices.py, projections/on_reminders.py)."""


class PushNotification(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The message on `huhang.notify.<user_id>`: one notification for that user, as their inbox shows it."""

    notification_id: str
    user_id: str
    kind: str
    created_at: str
    title: str
    body: str
    child_id: str | None = None
    task_id: str | None = None


_encoder = msgspec.json.Encoder()
_notice = msgspec.json.Decoder(NoticeRow)


def notify_stream(settings: Settings) -> StreamConfig:
    return StreamConfig(name=NOTIFY_STREAM, subjects=[f"{NOTIFY_PREFIX}.>"], storage=StorageType.FILE,
                        duplicate_window=settings.nats_duplicate_window.total_seconds(),
                        max_age=settings.nats_max_age.total_seconds() if settings.nats_max_age else None,
                        num_replicas=settings.nats_replicas)


def recipients(db: ReadDB, users: list[Actor], event_ids: list[str]) -> list[tuple[NoticeRow, Actor]]:
    """Each notice made by these events with each user it is addressed to (the inbox's rule, in SQL)."""
    if not event_ids:
        return []
    marks = ", ".join("?" for _ in event_ids)
    found = []
    for user in users:
        where, params = addressed_sql(user)
        rows = db.query(f"SELECT n.doc FROM rm_notices n WHERE n.event_id IN ({marks}) AND {where}",
                        (*event_ids, *params))
        found += [(_notice.decode(r[0]), user) for r in rows]
    return found


def message(notice: NoticeRow, user: Actor) -> PushNotification:
    return PushNotification(notification_id=notice.notice_id, user_id=str(user.id), kind=notice.kind,
                            created_at=notice.created_at.isoformat(), title=notice.title, body=notice.body,
                            child_id=notice.child_id, task_id=notice.task_id)


class Notifier:
    """Publishes the notices of each window of the log once JetStream can take them."""

    def __init__(self, store: EventStore, db: ReadDB, users: Users, settings: Settings, window: int = 1000) -> None:
        self.store, self.db, self.users, self.settings, self.window = store, db, users, settings, window
        self.tracking = store.factory.tracking_recorder()
        self.nc: Any = None
        self.js: Any = None

    def position(self) -> int:
        return self.tracking.max_tracking_id(NOTIFY) or 0

    def projected(self) -> int:
        found = self.db.query("SELECT position FROM rm_checkpoints WHERE name = 'main'")
        return int(found[0][0]) if found else 0

    async def connect(self) -> None:
        # nats-py keeps trying a server that refuses the first connection: bounded here, retried by `run`
        self.nc = await asyncio.wait_for(nats.connect(self.settings.nats_url, connect_timeout=2, max_reconnect_attempts=0,
                                                      allow_reconnect=False), timeout=5)
        self.js = self.nc.jetstream()
        try:
            await self.js.update_stream(notify_stream(self.settings))
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(notify_stream(self.settings))

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()
            self.nc = None

    async def publish_once(self) -> int:
        """Publish the notices of the next window of projected events; returns how many log positions it moved."""
        start, upto = self.position() + 1, await asyncio.to_thread(self.projected)
        if upto < start:
            return 0
        notifications = await asyncio.to_thread(
            self.store.recorder.select_notifications, start, self.window, upto, TOPICS)
        reached = notifications[-1].id if len(notifications) == self.window else upto
        await self.publish(await asyncio.to_thread(self._addressed, notifications))
        try:
            await asyncio.to_thread(self.tracking.insert_tracking, Tracking(application_name=NOTIFY, notification_id=reached))
        except IntegrityError:
            log.warning("another notifier moved the position first; continuing from it")
        return reached - start + 1

    def _addressed(self, notifications: list[Notification]) -> list[tuple[NoticeRow, Actor]]:
        if not notifications:
            return []
        stored_state = self.store.msgspec_mapper.stored_state
        event_ids = [str(stored_state(n)["event_id"]) for n in notifications]
        users = [Actor(id=UUID(u["id"]), role=Role(u["role"]), scope=u["scope"], department=u["department"],
                       username=u["username"])
                 for u in self.users.list() if not u["disabled"] and u["role"] != Role.ADMIN]
        return recipients(self.db, users, event_ids)

    async def publish(self, addressed: list[tuple[NoticeRow, Actor]]) -> None:
        futures = []
        for notice, user in addressed:
            headers = {"Nats-Msg-Id": f"{notice.notice_id}:{user.id}"}
            data = _encoder.encode(message(notice, user))
            futures.append(await self.js.publish_async(f"{NOTIFY_PREFIX}.{user.id}", data, headers=headers))
        await asyncio.wait_for(asyncio.gather(*futures), timeout=10)

    async def run(self, stop: asyncio.Event, idle: float = 0.5, max_backoff: float = 10.0) -> None:
        """Publish until `stop`; while NATS is away, retry with backoff from the stored position."""
        await publish_until(stop, self, "notifications", idle, max_backoff)


