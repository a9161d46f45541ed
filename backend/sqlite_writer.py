"""One writer at a time on a SQLite file, across threads and processes, handed on the moment the last one is done.

SQLite lets one connection write at a time; a connection that finds the file locked by another waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10, … up to 100 ms between tries whatever the holder is doing. The events and the read
models share one file, and its writers are the group commit's leader, the projection runner and, with `serve --workers
2`, the same again in another process: under 64 clients on two workers those sleeps made the p99 of a visit ~300 ms
(BENCHMARKS.md, 2026-11-24). Every write transaction on the file takes this gate first: a lock among the process's
threads, then an advisory lock (`flock`) on a file beside the database among processes. The next writer is woken when
the lock is released, and SQLite never finds its file locked by one of ours.

Reads take no gate (WAL readers never wait for the writer). A writer that does not take it (an operator's `sqlite3`
shell) is still waited for by SQLite's busy handler, as before.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.sqlite import SQLiteDatastore, SQLiteFactory


class WriteGate:
    """Exclusive among threads (re-entrant for the thread holding it) and among processes."""

    def __init__(self, database: str) -> None:
        self._threads = threading.RLock()
        self._held = threading.local()
        self._descriptor = os.open(f"{database}.write", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o600)

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._threads:
            depth = getattr(self._held, "depth", 0)
            if not depth:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX)  # waits without holding the interpreter
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
                if not depth:
                    fcntl.flock(self._descriptor, fcntl.LOCK_UN)


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

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[Any]:
        if not commit:
            with super().transaction(commit=False) as cursor:
                yield cursor
            return
        with self.gate.held(), super().transaction(commit=True) as cursor:
            yield cursor


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
