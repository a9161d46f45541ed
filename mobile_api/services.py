"""Everything a request handler may use, built once from settings (the composition root of the edge)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime

from eventsourcing.persistence import PersistenceError

from backend.bootstrap import Huhang, bootstrap
from backend.relay import Relay, RelayStatus, RelayWatch
from backend.scheduler import Scheduler
from backend.settings import Settings
from backend.usecases.core import Outcome, utc_now
from backend.versions import StreamVersions
from media.budget import DecodeBudget
from media.ingest import photo_ingest
from media.stores import MediaUnavailable, ObjectStore, open_object_store
from mobile_api.auth import Accounts, TokenIssuer
from mobile_api.cursors import Cursors, cursor_key
from mobile_api.throttle import LoginThrottle, trusted_networks
from projections.db import ReadDB, open_read_db
from projections.notify import Notifier
from projections.queries import photo_row, visits_naming
from projections.registry import PROJECTIONS
from projections.reminders import ReadModelDue
from projections.runner import Runner
from projections.views import photo_visit_flags

POLL_SECONDS = 1.0
WAKE_BEHIND = 256
"""Log positions answered but not yet projected from which a write wakes the runners (a visit is two: its event and
its receipt). Measured under 64 clients (BENCHMARKS.md, 2026-11-24): 64, 128 and 256 gave the same p99."""
_head_checked: ContextVar[bool] = ContextVar("head_checked", default=False)
"""Whether this request has caught the read models up with the log's head (each request runs in its own context)."""
log = logging.getLogger("huhang.api")


def jwt_secret(settings: Settings) -> str:
    """The configured secret, or one kept in the data folder (a single-machine install)."""
    if settings.jwt_secret:
        return settings.jwt_secret
    path = settings.data_dir / "token.secret"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:  # created 0600, never readable by others; by exactly one of several workers starting together
        with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as out:
            out.write(secrets.token_urlsafe(48))
    except FileExistsError:
        pass
    for _ in range(50):  # another worker may be writing it this instant
        if secret := path.read_text().strip():
            return secret
        time.sleep(0.05)
    raise RuntimeError(f"{path} is empty; remove it or set HUHANG_JWT_SECRET")


class Services:
    """The write side, the read side and the token issuer, shared by every request."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self._read_db: ReadDB = open_read_db(settings)
        self._answered = 0
        self._answered_lock = threading.Lock()
        self.objects: ObjectStore = open_object_store(settings)
        self.decode_budget = DecodeBudget(settings.decode_budget_bytes, settings.decode_concurrency,
                                          settings.decode_wait.total_seconds())
        self.app: Huhang = bootstrap(settings, clock, photo_ingest(self.objects, settings.max_photo_pixels,
                                                                   self.decode_budget))
        self.runners = {
            name: Runner(self.app.store, open_read_db(settings), settings.policy, projection)
            for name, projection in PROJECTIONS.items()
        }
        self.runner = self.runners["main"]
        # `_read_db`, not `read_db`: the property marks the calling context as caught up with the log's head, and
        # the context building the services is the one every request's context is copied from.
        self.scheduler = Scheduler(self.app.core, ReadModelDue(self._read_db, settings.policy, self.settle))
        self._remind_stop = threading.Event()
        self._remind_thread: threading.Thread | None = None
        self._relay_stop = asyncio.Event()
        self._relay_thread: threading.Thread | None = None
        self._relay_loop: asyncio.AbstractEventLoop | None = None
        self.relay_watch = (RelayWatch(self.app.store, settings.relay_stall_after.total_seconds())
                            if settings.nats_url else None)
        secret = jwt_secret(settings)
        self.tokens = TokenIssuer(secret, settings.token_ttl, clock)
        self.versions = StreamVersions(self.app.store)
        self.accounts = Accounts(self.app.core, self.versions)
        self.cursors = Cursors(cursor_key(secret))
        self.throttle = LoginThrottle(self._read_db, clock, settings.login_address_limit)
        self.trusted_proxies = trusted_networks(settings.trusted_proxies)

    def start(self) -> None:
        """Follow the log in background threads: projections (woken by local writes, polling for
        everyone else's), the reminder scheduler and, when NATS is configured, the relay and the notifications
        to users, which writes never wait for."""
        for runner in self.runners.values():
            runner.follow(POLL_SECONDS)
        if self.settings.remind_every.total_seconds() > 0:
            self._remind_thread = threading.Thread(target=self._remind, name="reminders", daemon=True)
            self._remind_thread.start()
        if self.settings.nats_url:
            self._relay_thread = threading.Thread(target=self._relay, name="relay", daemon=True)
            self._relay_thread.start()

    def settle(self) -> None:
        """The read models up to the head of the log (what the scheduler reads must include every write)."""
        self.runner.ensure(self.app.store.recorder.max_notification_id() or 0)

    def _remind(self) -> None:
        """A scheduler pass every `remind_every`; a failed pass is logged and the next one covers its window."""
        while not self._remind_stop.wait(self.settings.remind_every.total_seconds()):
            try:
                self.scheduler.run_pass()
            except Exception:  # the store or read side away for a moment: the next pass starts from the last mark
                log.exception("reminder pass failed")

    async def _publish(self) -> None:
        """The relay (every event) and the notifier (each user's notifications), side by side."""
        notifier = Notifier(self.app.store, self.read_db, self.app.users, self.settings)
        await asyncio.gather(Relay(self.app.store, self.settings).run(self._relay_stop), notifier.run(self._relay_stop))

    def _relay(self) -> None:
        loop = asyncio.new_event_loop()
        self._relay_loop = loop
        try:
            loop.run_until_complete(self._publish())
        finally:
            loop.close()

    def project(self, outcome: Outcome) -> None:
        """Note a write answered from the write side.

        The answer does not wait for the read models: the next read of them waits instead (see
        `read_db`), so a writer still reads its own write, and a write whose answer needs no read
        model is answered at once. The runners are woken once WAKE_BEHIND log positions wait for them
        (otherwise at least every POLL_SECONDS, or when a read needs them): under a stream of writes
        they project batches of about that size, none long enough to stall the answers.
        """
        if not outcome.position:
            return
        with self._answered_lock:
            self._answered = max(self._answered, outcome.position)
        for runner in self.runners.values():
            runner.wake_if_behind(outcome.position, WAKE_BEHIND)

    @property
    def read_db(self) -> ReadDB:
        """The read models, caught up with every write answered before this read.

        Writes this process answered are known in memory; writes other processes (workers) answered
        are found once per request by asking the log's head.
        """
        target = self._answered
        if not _head_checked.get():
            _head_checked.set(True)
            target = max(target, self._head())
        if target > self.runner.position:
            self._catch_up(target)
        return self._read_db

    def _head(self) -> int:
        try:
            return self.app.store.recorder.max_notification_id() or 0
        except PersistenceError:  # the store is down: read what the read models hold
            log.exception("the log's head could not be read")
            return 0

    def _catch_up(self, position: int) -> None:
        """The write is already stored: if the read side fails here, the read answers from what it has (the
        follower thread catches up later), never an error that would make the client doubt the write."""
        try:
            self.runner.ensure(position)
        except Exception:  # logged; the read answers from the read models as they are
            log.exception("read models could not catch up with position %s", position)

    def photo_visit_flags(self, child_id: str, sha256: str) -> dict[str, list[str]]:
        """The flags a stored photo raises on the child's visits that name it, as the read side knows them."""
        photo = photo_row(self.read_db, child_id, sha256)
        if photo is None:
            return {}
        return photo_visit_flags(self.settings.policy, photo, visits_naming(self.read_db, child_id, sha256))

    def readiness(self) -> tuple[dict[str, str], RelayStatus | None]:
        """Each dependency and whether it answers; with NATS, the relay's lag and whether it is stalled."""
        checks = self._probe()
        if self.relay_watch is None:
            return checks, None
        try:
            relay = self.relay_watch.status()
        except (OSError, PersistenceError) as exc:
            checks["relay"] = f"unknown: {type(exc).__name__}"
            return checks, None
        checks["relay"] = (f"stalled: {relay.lag} events behind, no progress for {relay.still_for:.0f} s"
                           if relay.stalled else "ok")
        return checks, relay

    def _probe(self) -> dict[str, str]:
        checks = {}
        probes = [("event_store", self.app.store.recorder.max_notification_id), ("object_store", self.objects.ping)]
        if self.settings.nats_url:
            probes.append(("nats", self._nats_answers))
        for name, probe in probes:
            try:
                probe()
                checks[name] = "ok"
            except (OSError, PersistenceError, MediaUnavailable) as exc:  # not ready: the reason is reported
                checks[name] = f"down: {type(exc).__name__}"
        return checks

    def _nats_answers(self) -> None:
        """A TCP handshake with the first NATS server: cheap, and writes never depend on it."""
        from urllib.parse import urlparse

        first = urlparse((self.settings.nats_url or "").split(",")[0])
        with socket.create_connection((first.hostname or "127.0.0.1", first.port or 4222), timeout=1) as conn:
            if not conn.recv(4).startswith(b"INFO"):
                raise ConnectionError("not a NATS server")

    def close(self) -> None:
        self._remind_stop.set()
        if self._remind_thread is not None:
            self._remind_thread.join(timeout=30)
        if self._relay_thread is not None and self._relay_loop is not None:
            self._relay_loop.call_soon_threadsafe(self._relay_stop.set)
            self._relay_thread.join(timeout=10)
        for runner in self.runners.values():
            runner.stop()
            runner.db.close()
        self._read_db.close()
        self.versions.close()
        self.app.close()
