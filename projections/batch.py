"""A unit of work over read-model rows: cached reads, dirty rows written in bulk at the end."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol, TypeVar

import msgspec

from backend.settings import Policy
from projections.db import ReadDB
from projections.tables import TABLES, Table

R = TypeVar("R")

_encoder = msgspec.json.Encoder()
_decoders: dict[str, msgspec.json.Decoder[Any]] = {}


def _decoder(table: Table) -> msgspec.json.Decoder[Any]:
    if table.name not in _decoders:
        _decoders[table.name] = msgspec.json.Decoder(table.row_type)
    return _decoders[table.name]


STORE_CHUNK = 5000
"""Rows encoded and written per statement: a rebuild releasing the rows it held writes a hundred thousand."""


class RowSource(Protocol):
    """Where rows live between batches: the database, or memory for an as-of replay."""

    def load(self, table: Table, key: str) -> Any | None: ...

    def store(self, table: Table, rows: list[Any]) -> None: ...


class DBRows:
    """Rows in the read-model database (in tables named with `suffix` while a rebuild builds them anew)."""

    def __init__(self, db: ReadDB, suffix: str = "") -> None:
        self.db = db
        self.suffix = suffix

    def load(self, table: Table, key: str) -> Any | None:
        found = self.db.query(f"SELECT doc FROM {table.name}{self.suffix} WHERE {table.key} = ?", (key,))
        return _decoder(table).decode(found[0][0]) if found else None

    def store(self, table: Table, rows: list[Any]) -> None:
        for start in range(0, len(rows), STORE_CHUNK):  # parameters for a few thousand rows at a time
            self.db.upsert(table.name + self.suffix, table.names,
                           table.many_values(rows[start:start + STORE_CHUNK], _encoder.encode))


class MemoryRows:
    """Rows in memory: the same projectors replayed for one child without touching the database."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, Any]] = {}

    def load(self, table: Table, key: str) -> Any | None:
        return self.tables.get(table.name, {}).get(key)

    def store(self, table: Table, rows: list[Any]) -> None:
        for row in rows:
            self.tables.setdefault(table.name, {})[getattr(row, table.key)] = row


class RowCache:
    """Rows kept between batches, least recently used dropped first; size 0 keeps nothing between them.

    With `write_back` (a rebuild, its tables' sole writer, whose tables nobody reads until the swap) a changed
    row that is kept is also held: written when it leaves the cache or when the holder releases it, rather
    than at every batch that changes it (a child's row changes in nearly every batch of a long log)."""

    def __init__(self, size: int, write_back: bool = False) -> None:
        self.size = size
        self.write_back = write_back and size > 0
        self.rows: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self.held: dict[tuple[str, str], tuple[Table, Any]] = {}

    def get(self, key: tuple[str, str]) -> Any:
        row = self.rows.get(key, _MISSING)
        if row is not _MISSING:
            self.rows.move_to_end(key)
        return row

    def put(self, key: tuple[str, str], row: Any) -> None:
        self.rows[key] = row
        self.rows.move_to_end(key)

    def trim(self) -> list[tuple[Table, Any]]:
        """Drop what exceeds the size; returns the held rows dropped (to be written now)."""
        if not self.size:
            self.rows.clear()
        dropped = []
        while len(self.rows) > self.size:
            key, _ = self.rows.popitem(last=False)
            if (held := self.held.pop(key, None)) is not None:
                dropped.append(held)
        return dropped

    def clear(self) -> None:
        self.rows.clear()
        self.held.clear()


class Batch:
    """What projectors see: get and put rows by key; the runner flushes once per batch."""

    def __init__(
        self, source: RowSource, policy: Policy, tables: tuple[Table, ...] = TABLES, cache: RowCache | None = None
    ) -> None:
        self.source = source
        self.policy = policy
        self.tables = tables
        self.cache = cache if cache is not None else RowCache(0)
        self.dirty: dict[str, dict[str, Any]] = {}

    def get(self, table: Table, key: str, row_type: type[R]) -> R | None:
        changed = self.dirty.get(table.name)
        if changed is not None and key in changed:  # put earlier in this batch, kept in the cache or not
            return changed[key]  # type: ignore[no-any-return]
        cached = self.cache.get((table.name, key))
        if cached is _MISSING:
            cached = self.source.load(table, key)
            self.cache.put((table.name, key), cached)
        return cached  # type: ignore[no-any-return]

    def put(self, table: Table, row: Any) -> None:
        key = getattr(row, table.key)
        if table.read_back:
            self.cache.put((table.name, key), row)
        self.dirty.setdefault(table.name, {})[key] = row

    def flush(self, release: bool = False) -> int:
        """Write every changed row, except those a write-back cache holds (all of them with `release`);
        the caller holds the transaction."""
        cache = self.cache
        if release:
            for (name, key), (_, row) in cache.held.items():
                self.dirty.setdefault(name, {}).setdefault(key, row)
            cache.held.clear()
        elif cache.write_back:
            for table in self.tables:
                if table.read_back and (changed := self.dirty.pop(table.name, None)):
                    for key, row in changed.items():
                        cache.held[(table.name, key)] = (table, row)
        for table, row in cache.trim():
            self.dirty.setdefault(table.name, {})[getattr(row, table.key)] = row
        written = 0
        for table in self.tables:
            rows = list(self.dirty.get(table.name, {}).values())
            if rows:
                self.source.store(table, rows)
                written += len(rows)
        self.dirty.clear()
        return written


_MISSING: Any = object()
