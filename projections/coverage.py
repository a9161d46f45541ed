"""A report added as a new projection: quarterly visit coverage per village (季度走访覆盖率).

How a new report is made: rows and tables here, one projector per event it needs, register it in
`projections.registry.PROJECTIONS`, then `huhang rebuild coverage` builds it from the first event.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import datetime, timedelta, timezone
from typing import Final

import msgspec

from events.cases import VisitRecorded
from events.children import CaseClosed, CaseReopened, ChildRegistered, ChildTransferred
from projections.batch import Batch
from projections.tables import Table, uuid_text

CHINA: Final = timezone(timedelta(hours=8))
VILLAGE_SEGMENTS: Final = 3


def village_of(jurisdiction: str) -> str:
    """County/town/village: the first three segments of a jurisdiction."""
    return "/".join(jurisdiction.split("/")[:VILLAGE_SEGMENTS])


def quarter_of(moment: datetime) -> str:
    """The calendar quarter in China time, e.g. 2026Q4."""
    local = moment.astimezone(CHINA)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


class PlaceRow(msgspec.Struct, kw_only=True):
    """Where a child lives now (this projection's own copy, so it can be rebuilt alone)."""

    child_id: str
    village: str
    open: bool = True
    """A closed case leaves the population (and its visits the count) until it is reopened."""


class CoverageRow(msgspec.Struct, kw_only=True):
    key: str
    village: str
    quarter: str
    visited: list[str] = []


PLACES: Final = Table("rm_cov_places", "child_id", PlaceRow,
                      {"village": lambda r: r.village, "open": lambda r: "1" if r.open else "0"}, indexes=("village",))
COVERAGE: Final = Table(
    "rm_cov_quarters", "key", CoverageRow,
    {"village": lambda r: r.village, "quarter": lambda r: r.quarter}, indexes=("village", "quarter"),
)
TABLES: Final = (PLACES, COVERAGE)


def placed(b: Batch, e: ChildRegistered, position: int) -> None:
    b.put(PLACES, PlaceRow(child_id=uuid_text(e.originator_id), village=village_of(e.jurisdiction)))


def moved(b: Batch, e: ChildTransferred, position: int) -> None:
    place = b.get(PLACES, uuid_text(e.originator_id), PlaceRow)
    b.put(PLACES, PlaceRow(child_id=uuid_text(e.originator_id), village=village_of(e.to_jurisdiction),
                           open=place.open if place else True))


def closed_or_reopened(b: Batch, e: CaseClosed | CaseReopened, position: int) -> None:
    if place := b.get(PLACES, uuid_text(e.originator_id), PlaceRow):
        place.open = isinstance(e, CaseReopened)
        b.put(PLACES, place)


def visited(b: Batch, e: VisitRecorded, position: int) -> None:
    if not e.child_seen:
        return  # coverage counts children actually seen
    child_id = uuid_text(e.child_id)
    place = b.get(PLACES, child_id, PlaceRow)
    if place is None:
        return
    quarter = quarter_of(e.meta.occurred_at)
    key = f"{place.village}|{quarter}"
    row = b.get(COVERAGE, key, CoverageRow) or CoverageRow(key=key, village=place.village, quarter=quarter)
    at = bisect_left(row.visited, child_id)  # the list is kept sorted
    if at == len(row.visited) or row.visited[at] != child_id:
        row.visited.insert(at, child_id)
        b.put(COVERAGE, row)


PROJECTORS: Final = {ChildRegistered: placed, ChildTransferred: moved, VisitRecorded: visited,
                     CaseClosed: closed_or_reopened, CaseReopened: closed_or_reopened}
