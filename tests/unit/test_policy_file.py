"""A county's own numbers (HUHANG_POLICY_FILE): a partial file overrides only what it names; a file that
cannot be used is refused whole, saying why."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from backend.settings import PolicyError, Settings
from events.vocabulary import RiskLevel


def settings_with(tmp_path: Path, content: object) -> Settings:
    path = tmp_path / "policy.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return Settings.from_env({"HUHANG_POLICY_FILE": str(path)})


def test_a_partial_file_changes_only_what_it_names(tmp_path: Path) -> None:
    policy = settings_with(tmp_path, {"visit_interval_days": {"red": 2, "orange": 5}, "accept_within_red_hours": 1,
                                      "triage_within_urgent_hours": 1.5}).policy
    assert policy.visit_intervals == {RiskLevel.RED: timedelta(days=2), RiskLevel.ORANGE: timedelta(days=5),
                                      RiskLevel.YELLOW: timedelta(days=30), RiskLevel.BLUE: timedelta(days=90)}
    assert policy.accept_within_red == timedelta(hours=1) and policy.accept_within == timedelta(hours=24)
    assert policy.triage_within_urgent == timedelta(minutes=90) and policy.complete_within == timedelta(days=30)


@pytest.mark.parametrize("content", [
    "not json", {"visit_interval_days": {"purple": 3}}, {"accept_within_hours": 0}, {"accept_within_hours": -4},
    {"unknown_setting": 1}, {"visit_interval_days": {"red": 40}}, {"accept_within_red_hours": 48},
    {"complete_within_days": "thirty"},
], ids=["not-json", "unknown-level", "zero", "negative", "unknown-key", "red-less-often-than-orange",
        "red-waits-longer", "not-a-number"])
def test_a_file_that_cannot_be_used_is_refused_saying_why(tmp_path: Path, content: object) -> None:
    with pytest.raises(PolicyError, match="policy file"):
        settings_with(tmp_path, content)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be used"):
        Settings.from_env({"HUHANG_POLICY_FILE": str(tmp_path / "nowhere.json")})


def test_the_due_soon_lead_time_is_24_hours_unless_the_county_sets_it(tmp_path: Path) -> None:
    assert Settings.from_env({}).policy.due_soon_within == timedelta(hours=24)
    assert settings_with(tmp_path, {"due_soon_hours": 48}).policy.due_soon_within == timedelta(hours=48)
    with pytest.raises(PolicyError, match="policy file"):
        settings_with(tmp_path, {"due_soon_hours": 0})


def test_the_reminder_period_is_a_minute_unless_set_and_zero_turns_it_off() -> None:
    assert Settings.from_env({}).remind_every == timedelta(seconds=60)
    assert Settings.from_env({"HUHANG_REMIND_SECONDS": "0"}).remind_every == timedelta(0)
    assert Settings.from_env({"HUHANG_REMIND_SECONDS": "2.5"}).remind_every == timedelta(seconds=2.5)
