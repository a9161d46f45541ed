"""Every projection by name: its tables and its projectors. Each has its own checkpoint."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import msgspec

from events.base import Event
from projections import coverage, notices, projectors, tables
from projections.tables import Table


class Projection(msgspec.Struct, frozen=True):
    name: str
    tables: tuple[Table, ...]
    projectors: Mapping[type[Event], Callable[[Any, Any, int], None]]


PROJECTIONS: Final[dict[str, Projection]] = {
    "main": Projection("main", (*tables.TABLES, notices.NOTICES, notices.READS), projectors.PROJECTORS),
    "coverage": Projection("coverage", coverage.TABLES, coverage.PROJECTORS),
}
