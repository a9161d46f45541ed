"""A thin connection to the read-model database: the event store's own database, SQLite or PostgreSQL."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from backend.settings import Settings
from backend.store import postgres_environment


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

    @abstractmethod
    def transaction(self) -> Any:
        """A context manager: rows and checkpoint commit together or not at all."""

    @abstractmethod
    def close(self) -> None: ...


class SQLiteDB(ReadDB):
    def __init__(self, settings: Settings) -> None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(settings.sqlite_path, isolation_level=None, check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(statement, params).rowcount

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self.conn.executemany(statement, rows)

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.conn.execute(statement, params).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()


class PostgresDB(ReadDB):
    is_postgres = True

    def __init__(self, url: str) -> None:
        env = postgres_environment(url)
        schema = env["POSTGRES_SCHEMA"] or "public"
        conninfo = psycopg.conninfo.make_conninfo(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=env["POSTGRES_CONNECT_TIMEOUT"],
            options=f"-c search_path={schema}",
        )
        self.conn: psycopg.Connection[Any] = psycopg.connect(conninfo, autocommit=True)

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

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def close(self) -> None:
        self.conn.close()


def open_read_db(settings: Settings) -> ReadDB:
    """The read-model database beside the event store the settings describe."""
    url = settings.database_url
    if url and url.startswith(("postgresql://", "postgres://")):
        return PostgresDB(url)
    return SQLiteDB(settings)
