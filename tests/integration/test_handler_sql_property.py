"""The caseload's SQL for a department handler selects exactly the children the one handler rule
(`backend.disclosure.handler_sees`) lets them see, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.disclosure import handler_sees
from events.vocabulary import Department
from projections.db import ReadDB, open_read_db
from projections.queries import Caseload, caseload
from projections.tables import CHILDREN, ChildRow
from tests.conftest import fresh_settings

# Codes with `_` (a LIKE wildcard) and codes that are prefixes or parts of others' words.
DEPARTMENTS = [d.value for d in Department]
matters = st.dictionaries(st.uuids().map(str), st.sampled_from(DEPARTMENTS), max_size=4)


def row(n: int, open_matters: dict[str, str]) -> ChildRow:
    return ChildRow(child_id=f"00000000-0000-0000-0000-{n:012d}", name="儿", sex="male", birth_date="2015-01-01",
                    jurisdiction="520302/001/003", registered_at=datetime(2026, 1, 1, tzinfo=UTC),
                    open_matters=open_matters)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def read_db(request: pytest.FixtureRequest) -> Iterator[ReadDB]:
    with fresh_settings(request.param) as config:
        db = open_read_db(config)
        for statement in CHILDREN.create_statements():
            db.execute(statement)
        yield db
        db.close()


@given(children=st.lists(matters, min_size=1, max_size=8), department=st.sampled_from(DEPARTMENTS))
@settings(max_examples=80, deadline=None, derandomize=True)
def test_the_caseload_sql_selects_what_the_handler_rule_allows(
    read_db: ReadDB, children: list[dict[str, str]], department: str
) -> None:
    rows = [row(n, m) for n, m in enumerate(children)]
    read_db.execute(f"DELETE FROM {CHILDREN.name}")
    encoder = msgspec.json.Encoder()
    read_db.executemany(CHILDREN.upsert_statement(), [CHILDREN.values(r, encoder.encode) for r in rows])
    found, _ = caseload(read_db, Caseload(scope="520302", department=department), 500, None)
    allowed = {r.child_id for r in rows if handler_sees(department, r.open_matters.values())}
    assert {r.child_id for r in found} == allowed


def test_written_out_cases() -> None:
    assert handler_sees("civil_affairs", ["civil_affairs"]) is True
    assert handler_sees("civil_affairs", ["civilXaffairs"]) is False
    assert handler_sees("police", ["procuratorate", "court"]) is False
