"""A thin connection to the read-model database: the event store's own database, SQLite or PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from backend.settings import Settings
from backend.sqlite_writer import LOCK_TIMEOUT, write_gate
from backend.store import postgres_conninfo, postgres_environment, private_sqlite_file


class ReadDB(ABC):
    """SQL is written once with `?` placeholders and portable upserts (ON CONFLICT)."""

    is_postgres = False

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""

    @abstractmethod
    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def upsert(self, table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert or replace rows (each with a value for every name; the first name is the key)."""
        self.executemany(upsert_statement(table, names), rows)

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager: rows and checkpoint commit together or not at all."""

    @contextmanager
    def freed_pages_kept(self) -> Iterator[None]:
        """While a rebuild rewrites whole tables: space freed in the database file need not be zeroed."""
        yield

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def lease(self, name: str) -> bool:
        """Whether this process holds (or has now taken) the lease called `name`: one holder per database at a
        time, across every process, freed when its holder closes or exits."""


class PerThread:
    """One connection per thread: a connection (and its transaction) is never shared between threads."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close_all(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class SQLiteDB(ReadDB):
    def __init__(self, settings: Settings) -> None:
        path = private_sqlite_file(settings)

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=LOCK_TIMEOUT)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn

        self.connections = PerThread(connect)
        self.path = path
        self.gate = write_gate(path)
        self._leases: dict[str, int] = {}

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self.connections.get()
        return conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(statement, params).rowcount

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.executemany(statement, rows)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(statement, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction, behind the file's gate (backend.sqlite_writer) like the event store's."""
        with self.gate.held():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def freed_pages_kept(self) -> Iterator[None]:
        """SQLite as built here zeroes every freed page (`secure_delete`): dropping the tables a rebuild replaces
        wrote each of their pages again, to the write-ahead log and then to the file (6 of the 29 s of a
        million-event rebuild). With FAST, content is still cleared from pages written anyway, but the dropped
        tables' pages go to the free list as they are, to be reused: what they held is what the new tables hold
        again (and the log it was derived from, in the same file). On this thread's connection, for the block."""
        before = self.query("PRAGMA secure_delete")[0][0]
        self.execute("PRAGMA secure_delete = FAST")
        try:
            yield
        finally:
            self.execute(f"PRAGMA secure_delete = {('OFF', 'ON', 'FAST')[int(before)]}")

    def close(self) -> None:
        self.connections.close_all()
        for descriptor in self._leases.values():
            os.close(descriptor)
        self._leases.clear()

    def lease(self, name: str) -> bool:
        """An exclusive lock on a file beside the database (not the database file itself: closing a descriptor of
        that would drop this process's SQLite locks on it)."""
        if name in self._leases:
            return True
        descriptor = os.open(f"{self.path}.{name}.lease", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._leases[name] = descriptor
        return True


class PostgresDB(ReadDB):
    is_postgres = True

    def __init__(self, url: str) -> None:
        env = postgres_environment(url)
        schema = env["POSTGRES_SCHEMA"] or "public"
        conninfo = postgres_conninfo(env, options=f"-c search_path={schema}")
        self.connections = PerThread(lambda: psycopg.connect(conninfo, autocommit=True))
        self._leases: dict[str, psycopg.Connection[Any]] = {}

    @property
    def conn(self) -> psycopg.Connection[Any]:
        conn: psycopg.Connection[Any] = self.connections.get()
        return conn

    @staticmethod
    def _sql(statement: str) -> str:
        return statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(self._sql(statement), params).rowcount  # type: ignore[arg-type]

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany(self._sql(statement), rows)  # type: ignore[arg-type]

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(self._sql(statement), params).fetchall()  # type: ignore[arg-type]

    def upsert(self, table: str, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many rows are copied (COPY) into a temporary table and upserted from it in one statement: the
        server then does one insert instead of one per row (a rebuild writes tens of thousands per page)."""
        if len(rows) < COPY_FROM:
            super().upsert(table, names, rows)
            return
        scratch, columns = f"copy_{table}", ", ".join(names)
        with self.conn.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {scratch} (LIKE {table}) ON COMMIT DELETE ROWS")
            with cursor.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(upsert_statement(table, names, f"SELECT {columns} FROM {scratch}"))
            cursor.execute(f"DELETE FROM {scratch}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def close(self) -> None:
        self.connections.close_all()
        self._leases.clear()

    def lease(self, name: str) -> bool:
        """A session advisory lock of the calling thread's connection, keyed by schema and name. Held while that
        connection lives; if it was lost, the lock is asked for again."""
        held = self._leases.get(name)
        if held is not None and held is self.conn and not held.closed:
            return True
        taken = self.query("SELECT pg_try_advisory_lock(hashtext(current_schema() || '/' || ?))", (name,))
        if taken and taken[0][0]:
            self._leases[name] = self.conn
            return True
        self._leases.pop(name, None)
        return False


COPY_FROM = 500
"""From how many rows PostgreSQL upserts go through COPY (below, one pipelined statement per row)."""


def upsert_statement(table: str, names: Sequence[str], source: str = "") -> str:
    """Insert rows, or update them where the key (the first name) exists: from `?` parameters, or a query."""
    updates = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    values = source or f"VALUES ({', '.join('?' for _ in names)})"
    return f"INSERT INTO {table} ({', '.join(names)}) {values} ON CONFLICT ({names[0]}) DO UPDATE SET {updates}"


def open_read_db(settings: Settings) -> ReadDB:
    """The read-model database beside the event store the settings describe."""
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresDB(url)
    return SQLiteDB(settings)
