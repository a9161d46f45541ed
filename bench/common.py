"""Helpers shared by benchmarks: stores on SQLite or PostgreSQL, timing, printing."""

from __future__ import annotations

import contextlib
import os

from backend.settings import Settings


def settings_for(backend: str) -> contextlib.AbstractContextManager[Settings]:
    """Fresh settings on `sqlite` (a temporary folder) or `postgres` (a temporary schema)."""
    from tests.conftest import fresh_settings

    return fresh_settings(backend)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s"


def machine() -> str:
    return f"{os.cpu_count()} cores"
