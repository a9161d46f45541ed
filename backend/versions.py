"""How far one stream has got (its latest version), asked without loading it.

A cached aggregate is current exactly when its version is the stream's latest; this asks only that,
through the primary key. On SQLite it is a read on a connection of the asking thread (microseconds, no
pool, no transaction of the library's); on PostgreSQL one round trip through the store's pool.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any
from urllib.parse import quote
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from backend.store import EventStore


class StreamVersions:
    """The latest version of a stream, or None when it has no events."""

    def __init__(self, store: EventStore) -> None:
        recorder: Any = store.recorder
        self.datastore = recorder.datastore
        self.local = not isinstance(recorder, PostgresApplicationRecorder)
        """True when a probe is a local file read (SQLite), cheap enough to ask on the event loop."""
        if self.local:
            self.path: str = self.datastore.pool.db_name
            self.statement: Any = f"SELECT MAX(originator_version) AS version FROM {recorder.events_table_name} WHERE originator_id = ?"
        else:
            self.statement = SQL("SELECT MAX(originator_version) AS version FROM {}.{} WHERE originator_id = %s").format(
                Identifier(self.datastore.schema), Identifier(recorder.events_table_name))
        self._mine = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def latest(self, stream_id: UUID) -> int | None:
        if not self.local:  # one statement outside a transaction, prepared: one round trip
            with self.datastore.get_connection() as connection, connection.cursor() as cursor:
                cursor.execute(self.statement, [stream_id], prepare=True)
                found = cursor.fetchall()
            return _version(found[0]["version"] if found else None)
        if self.datastore.pool.is_sqlite_memory_mode:  # a private in-memory database: only the store's pool sees it
            with self.datastore.transaction(commit=False) as cursor:
                cursor.execute(self.statement, [stream_id.hex])
                found = cursor.fetchall()
            return _version(found[0]["version"] if found else None)
        row = self._connection().execute(self.statement, (stream_id.hex,)).fetchone()
        return _version(row[0] if row else None)

    def _connection(self) -> sqlite3.Connection:
        """This thread's read-only connection; autocommit, so every probe sees every commit made before it."""
        connection: sqlite3.Connection | None = getattr(self._mine, "connection", None)
        if connection is None:
            connection = sqlite3.connect(f"file:{quote(self.path)}?mode=ro", uri=True, isolation_level=None,
                                         check_same_thread=False)
            self._mine.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                connection.close()
            self._opened.clear()
        self._mine = threading.local()


def _version(value: object) -> int | None:
    return None if value is None else int(str(value))
