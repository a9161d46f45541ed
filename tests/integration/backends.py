"""The storage backends tests run on: each gives settings and raw SQL behind the store's back."""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest

from backend.bootstrap import Huhang, bootstrap
from backend.settings import Settings
from tests.conftest import POSTGRES_URL, Clock


class Backend(ABC):
    """A subclass provides the `settings` fixture, `table`, `param` and `sql`."""

    table: str
    param: str

    @pytest.fixture
    def app(self, settings: Settings, clock: Clock) -> Iterator[Huhang]:
        with bootstrap(settings, clock) as app:
            yield app

    @abstractmethod
    def sql(self, settings: Settings, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Run SQL straight on the database, as someone tampering with it would."""

    def key(self, stream_id: UUID) -> Any:
        """How the originator_id column holds a stream id (SQLite: hex text)."""
        return stream_id.hex


class SQLiteBackend(Backend):
    table = "stored_events"
    param = "?"

    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(data_dir=tmp_path)

    def sql(self, settings: Settings, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with sqlite3.connect(settings.sqlite_path) as conn:
            return conn.execute(statement, params).fetchall()


class EncryptedSQLiteBackend(SQLiteBackend):
    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        from eventsourcing.cipher import AESCipher

        return Settings(data_dir=tmp_path, cipher_key=AESCipher.create_key(32))


class PostgresBackend(Backend):
    table = "huhang_events"
    param = "%s"

    @pytest.fixture
    def settings(self, postgres_schema: str) -> Settings:
        return Settings(database_url=f"{POSTGRES_URL}?schema={postgres_schema}")

    def sql(self, settings: Settings, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        schema = (settings.database_url or "").split("schema=")[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"SET search_path TO {schema}")
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def key(self, stream_id: UUID) -> Any:
        return stream_id
