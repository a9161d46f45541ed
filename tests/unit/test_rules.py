from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend.errors import InvalidIdNumber, InvalidInput, InvalidJurisdiction, OccurredInFuture, OccurredTooLongAgo
from backend.rules.id_number import check_digit, mask_id_number, validate_id_number
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.rules.policy import effective_level, is_higher, next_visit_due, referral_deadlines
from backend.rules.timing import check_occurred_at, is_late
from backend.settings import Policy
from events.vocabulary import RiskLevel

# 11010519491231002X is the example number published with GB 11643.
PUBLISHED = "11010519491231002X"


def test_check_digit_matches_the_published_example() -> None:
    assert check_digit(PUBLISHED[:17]) == "X"


def test_valid_id_number_is_normalised_to_upper_case_x() -> None:
    assert validate_id_number(PUBLISHED.lower(), date(1949, 12, 31)) == PUBLISHED


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100AX", "17 digits"),
        ("110105194913310026", "not a date"),
    ],
)
def test_bad_id_numbers_are_refused_saying_why(number: str, why: str) -> None:
    first17 = number[:17]
    if why == "not a date":
        number = first17 + check_digit(first17)
    with pytest.raises(InvalidIdNumber, match=why):
        validate_id_number(number)


def test_id_number_must_agree_with_the_birth_date_given() -> None:
    with pytest.raises(InvalidIdNumber, match="born 1949-12-31"):
        validate_id_number(PUBLISHED, date(1950, 1, 1))


def test_masking_keeps_region_and_last_four() -> None:
    assert mask_id_number("520302201501011234") == "520302********1234"
    assert mask_id_number(None) is None


def test_scope_contains_by_whole_segments() -> None:
    assert within_scope("520302/001/003", "520302/001")
    assert within_scope("520302/001", "520302/001")
    assert not within_scope("520302/0011", "520302/001")
    assert not within_scope("520302", "520302/001")


@pytest.mark.parametrize("path", ["52030/001", "520302/001/003/02/05/07", "520302/abc", "520302//001", "",
                                  "520302/001/003/０１", "520302/001/01\n/02", "５２０３０２/001", "520302/00١",
                                  "520302\n/001", "520302/001/0\n1"])
def test_malformed_jurisdictions_are_refused(path: str) -> None:
    with pytest.raises(InvalidJurisdiction):
        parse_jurisdiction(path)


def test_jurisdiction_is_normalised() -> None:
    assert parse_jurisdiction(" /520302/001/003/ ") == "520302/001/003"


def test_future_more_than_five_minutes_is_refused_and_just_under_is_kept() -> None:
    policy, now = Policy(), datetime(2026, 11, 20, tzinfo=UTC)
    check_occurred_at(policy, now + timedelta(minutes=4, seconds=59), now)
    with pytest.raises(OccurredInFuture):
        check_occurred_at(policy, now + timedelta(minutes=5, seconds=1), now)


def test_older_than_maximum_age_is_refused() -> None:
    policy, now = Policy(), datetime(2026, 11, 20, tzinfo=UTC)
    check_occurred_at(policy, now - timedelta(days=89), now)
    with pytest.raises(OccurredTooLongAgo):
        check_occurred_at(policy, now - timedelta(days=91), now)


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="offset"):
        check_occurred_at(Policy(), datetime(2026, 11, 20), datetime(2026, 11, 20, tzinfo=UTC))


def test_late_after_configurable_threshold() -> None:
    occurred = datetime(2026, 11, 16, tzinfo=UTC)
    assert is_late(Policy(), occurred, occurred + timedelta(days=4))
    assert not is_late(Policy(), occurred, occurred + timedelta(hours=23))
    assert not is_late(Policy(late_after=timedelta(days=7)), occurred, occurred + timedelta(days=4))


def test_ungraded_child_in_a_category_counts_as_blue() -> None:
    assert effective_level(None, ["left_behind"]) == RiskLevel.BLUE
    assert effective_level(None, []) is None
    assert effective_level("red", []) == RiskLevel.RED


def test_next_visit_is_last_visit_plus_interval() -> None:
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    last = datetime(2026, 3, 1, tzinfo=UTC)
    due = next_visit_due(Policy(), RiskLevel.YELLOW, last, None, registered)
    assert due == last + timedelta(days=30)


def test_grading_up_makes_the_next_visit_due_by_the_new_interval_from_the_grading() -> None:
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    last = datetime(2026, 3, 1, tzinfo=UTC)
    graded = datetime(2026, 3, 10, tzinfo=UTC)
    assert next_visit_due(Policy(), RiskLevel.RED, last, graded, registered) == graded + timedelta(days=3)
    visited_after = datetime(2026, 3, 11, tzinfo=UTC)
    assert next_visit_due(Policy(), RiskLevel.RED, visited_after, graded, registered) == visited_after + timedelta(days=3)


def test_visit_intervals_are_configurable() -> None:
    policy = Policy(visit_intervals={RiskLevel.BLUE: timedelta(days=60)})
    registered = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_visit_due(policy, RiskLevel.BLUE, None, None, registered) == registered + timedelta(days=60)


def test_higher_level_order() -> None:
    assert is_higher("red", "orange") and is_higher("yellow", None) and not is_higher("blue", "yellow")


def test_referral_deadlines_are_shorter_for_red_children() -> None:
    sent = datetime(2026, 11, 1, 8, tzinfo=UTC)
    assert referral_deadlines(Policy(), sent, "red") == (sent + timedelta(hours=2), sent + timedelta(days=30))
    assert referral_deadlines(Policy(), sent, "yellow")[0] == sent + timedelta(hours=24)
