"""One writer at a time on a SQLite file, across threads and processes, handed on the moment the last one is done.

SQLite lets one connection write at a time; a connection that finds the file locked by another waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10, … up to 100 ms between tries whatever the holder is doing. The events and the read
models share one file, and its writers are the group commit's leader, the projection runner and, with `serve --workers
2`, the same again in another process: under 64 clients on two workers those sleeps made the p99 of a visit ~300 ms
(BENCHMARKS.md, 2026-11-24). Every write transaction on the file takes this gate first: a lock among the process's
threads, then an advisory lock (`flock`) on a file beside the database among processes. A waiting thread is woken the
moment the gate is free (another process's within a millisecond), and SQLite never finds its file locked by one of ours.

Reads take no gate (WAL readers never wait for the writer). A writer that does not take it (an operator's `sqlite3`
shell) is still waited for by SQLite's busy handler, as before.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Final

from eventsourcing.persistence import OperationalError
from eventsourcing.sqlite import SQLiteDatastore, SQLiteFactory

LOCK_TIMEOUT: Final = 30.0
"""Seconds a writer waits for the gate, as long as SQLite is told to wait for its own lock (backend.store,
projections.db)."""


LOCKED: Final = "database is locked"
"""What SQLite says when its own wait for the file's lock runs out, and what the gate says when its wait does."""


def kept_out(exc: BaseException) -> bool:
    """Whether an error says a writer waited out the deadline for the file (the gate's, or SQLite's own lock's): the
    work was not done, and asking again at once would wait as long again (`backend.groupcommit`); a request answers
    503 (`mobile_api.errors`)."""
    return LOCKED in str(exc)


class WriteGate:
    """Exclusive among threads (re-entrant for the thread holding it) and among processes.

    A writer that cannot get in within `timeout` seconds gets the error SQLite gives when its own wait runs out
    ("database is locked"), which the layers above already answer (503 from the event store)."""

    POLL: Final = 0.001
    """Seconds between tries for the lock another process holds (a thread of this process is woken at once)."""

    def __init__(self, database: str, timeout: float = LOCK_TIMEOUT) -> None:
        self.timeout = timeout
        self._threads = threading.RLock()
        self._held = threading.local()
        self._descriptor = os.open(f"{database}.write", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)

    @contextmanager
    def held(self) -> Iterator[None]:
        self.enter()
        try:
            yield
        finally:
            self.leave()

    def enter(self) -> None:
        deadline = time.monotonic() + self.timeout
        if not self._threads.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError(LOCKED)
        depth = getattr(self._held, "depth", 0)
        if not depth:
            try:
                self._lock_file(deadline)
            except BaseException:
                self._threads.release()
                raise
        self._held.depth = depth + 1

    def leave(self) -> None:
        self._held.depth -= 1
        if not self._held.depth:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        self._threads.release()

    def _lock_file(self, deadline: float) -> None:
        while True:
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise sqlite3.OperationalError(LOCKED) from None
                time.sleep(self.POLL)


_gates: dict[str, WriteGate] = {}
_gates_lock = threading.Lock()


def write_gate(database: str) -> WriteGate:
    """The process's one gate for that database file (however its path is spelled)."""
    key = os.path.realpath(database)
    with _gates_lock:
        gate = _gates.get(key)
        if gate is None:
            gate = _gates[key] = WriteGate(key)
        return gate


class GatedSQLiteDatastore(SQLiteDatastore):
    """The library's datastore, its write transactions behind the file's gate."""

    def __init__(self, db_name: str, **options: Any) -> None:
        super().__init__(db_name, **options)
        self.gate = write_gate(db_name)

    def transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        """A read as the library makes it (no gate: WAL readers never wait), a write behind the gate."""
        return self._gated() if commit else super().transaction(commit=False)

    @contextmanager
    def _gated(self) -> Iterator[Any]:
        try:
            self.gate.enter()
        except sqlite3.OperationalError as exc:
            raise OperationalError(exc) from exc  # what the library raises for SQLite's own "database is locked"
        try:
            with super().transaction(commit=True) as cursor:
                yield cursor
        finally:
            self.gate.leave()


class GatedSQLiteFactory(SQLiteFactory):
    """`PERSISTENCE_MODULE` for the event store on SQLite: the library's factory with the gated datastore."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        plain = self.datastore
        self.datastore = GatedSQLiteDatastore(
            plain.pool.db_name,
            lock_timeout=plain.pool.lock_timeout,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type,
        )
        plain.close()
