"""The SQL scope predicate selects exactly the children the Python scope rule allows, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from backend.rules.jurisdiction import within_scope
from projections.db import ReadDB, open_read_db
from projections.queries import in_scope_sql
from tests.conftest import fresh_settings

# Segments chosen to collide as strings: `001` is a prefix of `0011`, `00` of `001`, `0` of `00` and `01`.
SEGMENTS = ["0", "00", "001", "0011", "003", "01", "1", "10", "11"]
COUNTIES = ["520302", "520303"]

paths = st.builds(
    lambda county, rest: "/".join([county, *rest]),
    st.sampled_from(COUNTIES),
    st.lists(st.sampled_from(SEGMENTS), max_size=4),
)



@st.composite
def scope_and_children(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A scope and jurisdictions around it: descendants, ancestors, string-prefix neighbours, random others."""
    scope = draw(paths)
    segments = st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3)
    around = st.one_of(
        paths,
        st.just(scope),
        segments.map(lambda rest: "/".join([scope, *rest])),  # inside, deeper
        st.sampled_from(["0", "1", "00", "1/003"]).map(lambda tail: scope + tail),  # `520302/001` -> `520302/0011`
        st.integers(min_value=1, max_value=4).map(lambda cut: "/".join(scope.split("/")[:-cut]) or scope),  # ancestors
    )
    return scope, draw(st.lists(around, min_size=1, max_size=12))


# DESIGN.md §1: "`520302/001` covers `520302/001/003`, not `520302/0011`" — by whole segments.
LITERAL = [
    ("520302/001", "520302/001", True),
    ("520302/001", "520302/001/003", True),
    ("520302/001", "520302/001/003/02", True),
    ("520302/001", "520302/001/003/02/05", True),
    ("520302/001", "520302/0011", False),
    ("520302/001", "520302/0011/003", False),
    ("520302/001", "520302/00", False),
    ("520302/001", "520302", False),
    ("520302/001", "520302/002/001", False),
    ("520302/001", "520303/001", False),
    ("520302/001/00", "520302/001/003", False),
    ("520302/001/00", "520302/001/00", True),
    ("520302/001/00", "520302/001/00/1", True),
    ("520302", "520302/001/003/02/05", True),
    ("520302", "5203021/001", False),
    ("520302/001/003/02/05", "520302/001/003/02/05", True),
    ("520302/001/003/02/05", "520302/001/003/02", False),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def probe_db(request: pytest.FixtureRequest) -> Iterator[ReadDB]:
    """A read database with a one-column table of jurisdictions to run the predicate on."""
    with fresh_settings(request.param) as config:
        db = open_read_db(config)
        db.execute("CREATE TABLE scope_probe (n INTEGER PRIMARY KEY, jurisdiction TEXT NOT NULL)")
        yield db
        db.close()


def selected(db: ReadDB, scope: str, jurisdictions: list[str]) -> set[int]:
    """Which of the rows (by index) the SQL predicate keeps for `scope`."""
    db.execute("DELETE FROM scope_probe")
    db.executemany("INSERT INTO scope_probe (n, jurisdiction) VALUES (?, ?)", list(enumerate(jurisdictions)))
    where, params = in_scope_sql("jurisdiction", scope)
    return {n for (n,) in db.query(f"SELECT n FROM scope_probe WHERE {where}", params)}


@pytest.mark.parametrize(("scope", "jurisdiction", "inside"), LITERAL)
def test_scope_rule_by_whole_segments_written_out(scope: str, jurisdiction: str, inside: bool) -> None:
    assert within_scope(jurisdiction, scope) is inside


def test_sql_predicate_agrees_with_the_written_out_cases(probe_db: ReadDB) -> None:
    for scope, jurisdiction, inside in LITERAL:
        assert selected(probe_db, scope, [jurisdiction]) == ({0} if inside else set()), (scope, jurisdiction)


@given(case=scope_and_children())
@example(case=("520302/001", ["520302/0011", "520302/001", "520302/00", "520302"]))
@example(case=("520302/001/00", ["520302/001/003", "520302/001/00/1", "520302/001/001"]))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_sql_scope_predicate_selects_exactly_what_within_scope_allows(probe_db: ReadDB, case: tuple[str, list[str]]) -> None:
    scope, jurisdictions = case
    allowed = {n for n, j in enumerate(jurisdictions) if within_scope(j, scope)}
    assert selected(probe_db, scope, jurisdictions) == allowed
