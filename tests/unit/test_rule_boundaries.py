"""The rules at their exact boundaries, with the field each refusal names; values from DESIGN.md and API.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from backend.errors import (
    ChildNotFound,
    Forbidden,
    InvalidIdNumber,
    InvalidInput,
    InvalidJurisdiction,
    OccurredInFuture,
    OccurredTooLongAgo,
)
from backend.identity import Actor, authorize, check_in_scope, user_id_for
from backend.rules.geo import bd09_to_gcj02, distance_m, out_of_china, to_wgs84, wgs84_to_gcj02
from backend.rules.id_number import check_digit, validate_id_number
from backend.rules.jurisdiction import parse_jurisdiction
from backend.rules.policy import is_higher, next_visit_due
from backend.rules.timing import check_occurred_at, is_late
from backend.settings import Policy
from events.base import Geo
from events.vocabulary import RiskLevel, Role

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- timing: "more than 5 minutes in the future" refused, "older than 90 days" refused, late "more than 24 h" ---


def test_exactly_five_minutes_ahead_is_kept() -> None:
    check_occurred_at(Policy(), NOW + timedelta(minutes=5), NOW)


def test_a_second_more_than_five_minutes_ahead_is_refused_naming_the_field() -> None:
    with pytest.raises(OccurredInFuture, match="ahead of the server clock") as refused:
        check_occurred_at(Policy(), NOW + timedelta(minutes=5, seconds=1), NOW)
    assert refused.value.field == "occurred_at"


def test_exactly_the_maximum_age_is_kept_and_a_second_older_is_refused() -> None:
    check_occurred_at(Policy(), NOW - timedelta(days=90), NOW)
    with pytest.raises(OccurredTooLongAgo, match="older than the maximum age of 90 days") as refused:
        check_occurred_at(Policy(), NOW - timedelta(days=90, seconds=1), NOW)
    assert refused.value.field == "occurred_at"


def test_a_time_without_offset_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput, match="needs a UTC offset") as refused:
        check_occurred_at(Policy(), datetime(2026, 3, 2, 9, 0), NOW)
    assert refused.value.field == "occurred_at"


@pytest.mark.parametrize(
    ("after", "late"),
    [(timedelta(hours=23, minutes=59, seconds=59), False), (timedelta(hours=24), False), (timedelta(hours=24, seconds=1), True)],
)
def test_late_means_recorded_more_than_24_hours_after(after: timedelta, late: bool) -> None:
    assert is_late(Policy(), NOW, NOW + after) is late


# --- policy ---------------------------------------------------------------------------------------


def test_the_same_level_again_is_not_higher() -> None:
    assert is_higher("red", "red") is False
    assert is_higher("blue", "blue") is False
    assert is_higher("orange", "yellow") is True
    assert is_higher("yellow", "orange") is False


def test_a_grading_at_the_moment_of_the_last_visit_counts_from_that_moment() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    due = next_visit_due(Policy(), RiskLevel.RED, at, at, at - timedelta(days=10))
    assert due == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


# --- jurisdiction ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("52030/001", "starts with a 6-digit county code"),
        ("X520302/001", "starts with a 6-digit county code"),
        ("520302/001/003/02/05/07", "at most 5 segments"),
        ("520302/001X", "segments after the county are 1 to 4 digits"),
        ("520302/00100", "segments after the county are 1 to 4 digits"),
    ],
)
def test_a_malformed_jurisdiction_is_refused_saying_why_and_naming_the_field(path: str, why: str) -> None:
    with pytest.raises(InvalidJurisdiction, match=why) as refused:
        parse_jurisdiction(path)
    assert refused.value.field == "jurisdiction"
    with pytest.raises(InvalidJurisdiction) as renamed:
        parse_jurisdiction(path, field="to_jurisdiction")
    assert renamed.value.field == "to_jurisdiction"


# --- ID numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("52030220140601002", "17 digits and a digit or X"),
        ("520302201406010024", r"check digit does not match \(GB 11643\)"),
        ("520302201413010023", "birth date in the ID number is not a date"),
    ],
)
def test_a_bad_id_number_is_refused_naming_the_field(number: str, why: str) -> None:
    with pytest.raises(InvalidIdNumber, match=why) as refused:
        validate_id_number(number)
    assert refused.value.field == "id_number"


def test_an_id_number_disagreeing_with_the_birth_date_names_the_field() -> None:
    with pytest.raises(InvalidIdNumber, match="says born 2014-06-01") as refused:
        validate_id_number("520302201406010025", date(2014, 6, 2))
    assert refused.value.field == "id_number"


def test_check_digit_needs_exactly_seventeen_digits() -> None:
    assert check_digit("52030220140601002") == "5"
    with pytest.raises(ValueError):
        check_digit("5203022014060100")


# --- positions: reference values published with the standard conversion (coordtransform) ---------


def test_wgs84_to_gcj02_matches_the_published_value_to_the_last_digits() -> None:
    lat, lon = wgs84_to_gcj02(39.915, 116.404)
    assert lat == pytest.approx(39.91640428150164, abs=1e-10)
    assert lon == pytest.approx(116.41024449916938, abs=1e-10)


def test_a_bd09_position_is_converted_to_wgs84() -> None:
    wgs = to_wgs84(Geo(lat=39.915, lon=116.404, crs="bd09"))
    gcj = wgs84_to_gcj02(*wgs)  # back to GCJ-02: the published BD-09 -> GCJ-02 value of this point
    assert gcj == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-7)
    assert bd09_to_gcj02(39.915, 116.404) == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-10)


@pytest.mark.parametrize(
    ("lat", "lon", "outside"),
    [
        (30.0, 72.004, False),
        (30.0, 72.5, False),
        (30.0, 137.8347, False),
        (30.0, 138.0, True),
        (30.0, 71.9, True),
        (0.8293, 110.0, False),
        (1.5, 110.0, False),
        (0.8, 110.0, True),
        (55.8271, 110.0, False),
        (56.0, 110.0, True),
    ],
)
def test_china_bounding_box_used_by_gcj02(lat: float, lon: float, outside: bool) -> None:
    assert out_of_china(lat, lon) is outside


def test_distance_across_latitude_and_longitude() -> None:
    # One degree of longitude on the equator: 2 * pi * 6371008.8 m / 360.
    assert distance_m((0.0, 106.0), (0.0, 107.0)) == pytest.approx(111_195.08, abs=0.05)
    # Guiyang to a place north-east of it; 138,551.6 m by the spherical law of cosines (another formula).
    assert distance_m((26.57, 106.71), (27.7, 107.3)) == pytest.approx(138_551.6, abs=0.5)


# --- identity -------------------------------------------------------------------------------------


def test_a_refusal_names_the_role_and_the_action() -> None:
    with pytest.raises(Forbidden, match="a grid_worker may not do child.seal"):
        authorize(Actor(id=UUID(int=1), role=Role.GRID_WORKER, scope="520302/001"), "child.seal")


def test_a_child_out_of_scope_is_simply_not_found() -> None:
    with pytest.raises(ChildNotFound, match="^no such child$"):
        check_in_scope(Actor(id=UUID(int=1), role=Role.CHILD_DIRECTOR, scope="520302/001"), "520302/0011")


def test_user_ids_ignore_case_and_surrounding_spaces() -> None:
    # uuid5 of the lower-cased name in the users' namespace 6f1c8a52-3f0e-4d59-9a63-0c2b3f3f6a11.
    expected = UUID("3e050c95-2025-56e4-99c1-571bc7f75726")
    assert user_id_for(" Li_Director ") == user_id_for("li_director") == expected


def test_a_report_is_due_for_triage_2_hours_after_it_was_received_if_urgent_else_24() -> None:
    from backend.rules.policy import triage_due
    from backend.settings import Policy

    received = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert triage_due(Policy(), received, "urgent") == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert triage_due(Policy(), received, "normal") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_overdue_means_strictly_past_the_due_time() -> None:
    from backend.rules.policy import is_overdue

    due = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert is_overdue(due, due + timedelta(microseconds=1)) is True
    assert is_overdue(due, due) is False
    assert is_overdue(None, due) is False
