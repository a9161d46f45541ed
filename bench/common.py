"""Helpers shared by benchmarks: stores on SQLite or PostgreSQL, timing, printing."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg

from backend.settings import Settings

POSTGRES_URL = os.environ.get("HUHANG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def settings_for(backend: str) -> Iterator[Settings]:
    """Fresh settings on `sqlite` (a temporary folder) or `postgres` (a temporary schema)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield Settings(data_dir=Path(folder))
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            yield Settings(data_dir=Path(folder), database_url=f"{POSTGRES_URL}?schema={schema}")
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def timed(action: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = action()
    return count, time.perf_counter() - start


def machine() -> str:
    return f"{os.cpu_count()} cores"
