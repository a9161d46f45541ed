"""The runner: follows the notification log from its checkpoint, one transaction per batch."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence

from eventsourcing.utils import get_topic

from backend.settings import Policy
from backend.store import EventStore
from events.base import Event
from projections.batch import Batch, DBRows, RowCache
from projections.db import ReadDB
from projections.projectors import apply
from projections.registry import PROJECTIONS, Projection
from projections.tables import CHECKPOINTS_DDL, SCHEMA_VERSION

log = logging.getLogger("huhang.projections")


class _Overtaken(Exception):
    """Another runner committed this batch first; ours is discarded (rolled back) and re-read."""


def check_schema_version(db: ReadDB) -> None:
    """Read models written by another version of their tables are dropped, to be rebuilt from the log."""
    db.execute("CREATE TABLE IF NOT EXISTS rm_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    found = db.query("SELECT value FROM rm_meta WHERE key = 'schema_version'")
    if found and found[0][0] == str(SCHEMA_VERSION):
        return
    with db.transaction():
        for projection in PROJECTIONS.values():
            for table in projection.tables:
                for suffix in ("", "_next"):
                    for index in table.index_names(suffix):
                        db.execute(f"DROP INDEX IF EXISTS {index}")
                    db.execute(f"DROP TABLE IF EXISTS {table.name}{suffix}")
        db.execute("DROP TABLE IF EXISTS rm_checkpoints")
        db.execute(
            "INSERT INTO rm_meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(SCHEMA_VERSION),),
        )
    if found:
        log.warning("read-model tables were of version %s; dropped, to be rebuilt from the log", found[0][0])


def create_tables(db: ReadDB, projection: Projection, suffix: str = "") -> None:
    """The projection's tables; tables built for a rebuild (a suffix) get their indexes at the swap."""
    check_schema_version(db)
    db.execute(CHECKPOINTS_DDL)
    for table in projection.tables:
        statements = table.create_statements(suffix)
        for statement in statements if not suffix else statements[:1]:
            db.execute(statement)


class Runner:
    """Applies events to one projection's tables; rows and checkpoint commit together, so nothing is
    skipped or applied twice. `suffix` names the tables a rebuild builds beside the live ones; only
    such a runner (the tables' sole writer) keeps rows cached from one batch to the next. A rebuild's builder
    also holds the rows it changed (`write_back`) until `release`: its checkpoint then runs ahead of its
    rows, harmless as nobody reads its tables before the swap and an interrupted rebuild starts over."""

    def __init__(
        self,
        store: EventStore,
        db: ReadDB,
        policy: Policy,
        projection: Projection = PROJECTIONS["main"],
        suffix: str = "",
        batch_size: int = 2000,
        cache_rows: int = 50_000,
        write_back: bool = False,
    ) -> None:
        self.store = store
        self.db = db
        self.policy = policy
        self.projection = projection
        self.suffix = suffix
        self.name = projection.name + suffix
        self.batch_size = batch_size
        self.lock = threading.Lock()
        self.applied = threading.Condition()
        self.position = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._leading = False
        self._thread: threading.Thread | None = None
        self.topics = [get_topic(cls) for cls in projection.projectors]
        self.cache = RowCache(cache_rows if suffix else 0, write_back=write_back and bool(suffix))
        create_tables(db, projection, suffix)
        db.execute(
            "INSERT INTO rm_checkpoints (name, position) VALUES (?, 0) ON CONFLICT (name) DO NOTHING", (self.name,)
        )

    @property
    def leading(self) -> bool:
        """Whether this runner's follower holds the projection's lease (applies the log for every process)."""
        return self._leading

    def checkpoint(self) -> int:
        return self.checkpoint_and_generation()[0]

    def checkpoint_and_generation(self) -> tuple[int, int]:
        row = self.db.query("SELECT position, generation FROM rm_checkpoints WHERE name = ?", (self.name,))[0]
        return int(row[0]), int(row[1])

    def run_batch(self) -> int:
        """Apply the next batch of events, if any; returns how many were read.

        Events are read and applied in memory first, then rows and checkpoint are written in one
        short transaction that only commits if the checkpoint is still where the batch began. (Holding
        the write transaction while reading the log would block the event store's own writer.)
        """
        with self.lock:
            position, generation = self.checkpoint_and_generation()
            head = self.store.recorder.max_notification_id() or 0
            if head <= position:  # another runner (another worker) may have applied them: note how far
                self._applied_up_to(position)
                return 0
            # Only the event types this projection reads are fetched and decoded (receipts are half the log).
            events = self.store.positioned_events(position + 1, self.batch_size, head, self.topics)
            # A short page means every event up to `head` was seen, relevant or not.
            reached = events[-1][0] if len(events) == self.batch_size else head
            self._commit(events, position, generation, reached)
            return max(len(events), 1)

    def apply_page(self, events: list[tuple[int, Event]], reached: int) -> int:
        """Apply events read by someone else from this runner's checkpoint up to log position `reached`
        (those of other types are skipped). Returns how many of the events this projection reads."""
        return apply_together([self], events, reached)[self.name]

    def apply_delivered(self, events: list[tuple[int, Event]]) -> int:
        """Apply events delivered from elsewhere (NATS) by position; those at or below the checkpoint
        were applied before (a redelivery) and are skipped. Returns how many were applied."""
        with self.lock:
            position, generation = self.checkpoint_and_generation()
            fresh = sorted((p, e) for p, e in events if p > position)
            if fresh:
                self._commit(fresh, position, generation, fresh[-1][0])
            return len(fresh)

    def _commit(self, events: list[tuple[int, Event]], position: int, generation: int, reached: int) -> None:
        """Apply in memory, then rows and checkpoint in one transaction, if the checkpoint has not moved."""
        batch = self._apply(events)
        with self.db.transaction():
            self._write(batch, position, generation, reached)
        self._applied_up_to(reached)

    def _apply(self, events: list[tuple[int, Event]]) -> Batch:
        batch = Batch(DBRows(self.db, self.suffix), self.policy, self.projection.tables, self.cache)
        projectors = self.projection.projectors
        for at, event in events:
            apply(batch, event, at, projectors)
        return batch

    def _write(self, batch: Batch, position: int, generation: int, reached: int) -> None:
        """The batch's rows and the checkpoint moved to `reached`; the caller holds the transaction."""
        moved = self.db.execute(
            "UPDATE rm_checkpoints SET position = ? WHERE name = ? AND position = ? AND generation = ?",
            (reached, self.name, position, generation),
        )
        if moved != 1:
            if self.cache.held:  # rows applied before, not written yet, would be lost
                raise RuntimeError(f"{self.name}: its tables were written by someone else during the rebuild")
            self.cache.clear()
            raise _Overtaken
        batch.flush()

    def release(self) -> int:
        """Write the rows a rebuild's builder holds (before its tables are swapped in); returns how many."""
        with self.lock, self.db.transaction():
            return Batch(DBRows(self.db, self.suffix), self.policy, self.projection.tables, self.cache).flush(True)

    def _run(self) -> int:
        try:
            return self.run_batch()
        except _Overtaken:
            self._applied_up_to(self.checkpoint())
            return -1

    def _applied_up_to(self, position: int) -> None:
        with self.applied:
            self.position = max(self.position, position)
            self.applied.notify_all()

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything in the log; returns the number of events applied. `progress` is told the
        log position reached after each batch (events this projection does not read count too)."""
        total = 0
        while count := self._run():
            if count > 0:
                total += count
                if progress:
                    progress(self.position)
        return total

    def ensure(self, position: int, timeout: float = 10.0) -> None:
        """Return once the read models include `position` (a client reads its own write).

        With this process's follower leading, wake it and wait: under load one batch serves many writers.
        Without it (another process leads, or it does not answer in time) apply the batches here: the
        checkpoint's compare-and-set keeps a batch from being applied twice.
        """
        if self._thread is not None and self._thread.is_alive() and self._leading:
            self._wake.set()
            with self.applied:
                if self.applied.wait_for(lambda: self.position >= position, timeout=timeout):
                    return
        while self.checkpoint() < position:
            if not self._run():
                return

    def follow(self, poll_seconds: float = 1.0) -> None:
        """Start a thread that applies new events when woken, and at least every `poll_seconds`.

        Of the processes following one database (server workers), only the holder of this projection's lease
        applies the log; the others note how far it got, and take the lease over when its holder goes. (Several
        followers would each read and apply every batch, and all but one throw their work away.)
        """
        self._stop.clear()
        self._applied_up_to(self.checkpoint())

        def loop() -> None:
            self._wake.set()  # the first round at once: take the lease and catch up
            while not self._stop.is_set():
                self._wake.wait(poll_seconds)
                self._wake.clear()
                try:
                    self._leading = self.db.lease(self.name)
                    if self._leading:
                        self.catch_up()
                    else:
                        self._applied_up_to(self.checkpoint())
                except Exception:  # a failed round is retried on the next wake-up; the reason is logged
                    self._leading = False
                    log.exception("projection round failed")

        self._thread = threading.Thread(target=loop, name=f"projection-{self.name}", daemon=True)
        self._thread.start()

    def wake_if_behind(self, position: int, behind: int) -> None:
        """Wake the follower when this process leads and log position `position` is `behind` or more ahead of what
        it applied. Under a stream of writes it then projects batches of about that size as they come, instead of one
        batch of everything a poll interval brought: a second's worth of visits (~1,300 events) applied in one go held
        the interpreter for ~100 ms every second, and that was the p99 of a visit (BENCHMARKS.md, 2026-11-24)."""
        if self._leading and position - self.position >= behind:
            self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def apply_together(runners: Sequence[Runner], events: list[tuple[int, Event]], reached: int) -> dict[str, int]:
    """Apply one page of the log, read once, to several runners (each from its own checkpoint up to log
    position `reached`, events of types it does not read skipped): all their rows and checkpoints commit in
    one transaction. Returns how many events each applied, by runner name."""
    if not runners:
        return {}
    db = runners[0].db
    with contextlib.ExitStack() as locks:
        for runner in runners:
            locks.enter_context(runner.lock)
        staged = []
        for runner in runners:
            position, generation = runner.checkpoint_and_generation()
            reads = runner.projection.projectors
            mine = [(at, e) for at, e in events if position < at <= reached and type(e) in reads]
            staged.append((runner, runner._apply(mine), position, generation, len(mine)))
        with db.transaction():
            for runner, batch, position, generation, _ in staged:
                runner._write(batch, position, generation, reached)
    for runner in runners:
        runner._applied_up_to(reached)
    return {runner.name: count for runner, _, _, _, count in staged}
