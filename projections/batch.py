"""A unit of work over read-model rows: cached reads, dirty rows written in bulk at the end."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import msgspec

from backend.settings import Policy
from projections.db import ReadDB
from projections.tables import TABLES, Table

R = TypeVar("R")

_encoder = msgspec.json.Encoder()
_decoders = {t.name: msgspec.json.Decoder(t.row_type) for t in TABLES}


class RowSource(Protocol):
    """Where rows live between batches: the database, or memory for an as-of replay."""

    def load(self, table: Table, key: str) -> Any | None: ...

    def store(self, table: Table, rows: list[Any]) -> None: ...


class DBRows:
    """Rows in the read-model database."""

    def __init__(self, db: ReadDB) -> None:
        self.db = db

    def load(self, table: Table, key: str) -> Any | None:
        found = self.db.query(f"SELECT doc FROM {table.name} WHERE {table.key} = ?", (key,))
        return _decoders[table.name].decode(found[0][0]) if found else None

    def store(self, table: Table, rows: list[Any]) -> None:
        self.db.executemany(table.upsert_statement(), [table.values(r, _encoder.encode) for r in rows])


class MemoryRows:
    """Rows in memory: the same projectors replayed for one child without touching the database."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {t.name: {} for t in TABLES}

    def load(self, table: Table, key: str) -> Any | None:
        return self.tables[table.name].get(key)

    def store(self, table: Table, rows: list[Any]) -> None:
        for row in rows:
            self.tables[table.name][getattr(row, table.key)] = row


class Batch:
    """What projectors see: get and put rows by key; the runner flushes once per batch."""

    def __init__(self, source: RowSource, policy: Policy) -> None:
        self.source = source
        self.policy = policy
        self.cache: dict[tuple[str, str], Any] = {}
        self.dirty: dict[str, dict[str, Any]] = {}

    def get(self, table: Table, key: str, row_type: type[R]) -> R | None:
        cached = self.cache.get((table.name, key), _MISSING)
        if cached is _MISSING:
            cached = self.source.load(table, key)
            self.cache[(table.name, key)] = cached
        return cached  # type: ignore[no-any-return]

    def put(self, table: Table, row: Any) -> None:
        key = getattr(row, table.key)
        self.cache[(table.name, key)] = row
        self.dirty.setdefault(table.name, {})[key] = row

    def flush(self) -> int:
        """Write every changed row; the caller holds the transaction."""
        written = 0
        for table in TABLES:
            rows = list(self.dirty.get(table.name, {}).values())
            if rows:
                self.source.store(table, rows)
                written += len(rows)
        self.dirty.clear()
        return written


_MISSING: Any = object()
