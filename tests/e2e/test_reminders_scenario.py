"""Issue "Done when", over HTTP against real server processes: a red grading, a referral to police, the clock past
its 2 h deadline, `overdue` and the supervisor's escalation exactly once — across `huhang remind` run twice at
once, a server restart, two server processes each running the scheduler on one store (SQLite file and
PostgreSQL) — accepting removes the task, and the same after `huhang rebuild`.

The clock is moved by naming the pass's moment (`huhang remind --at`), or by dating the facts in the past (the
API takes facts up to 90 days old): no test sleeps for a deadline."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from backend.settings import Settings
from tests.conftest import new_schema, schema_url
from tests.e2e.conftest import PASSWORD, PLACE_A, USERS, child_body
from tests.e2e.server import Api, add_users, environment, running_server, sub

QUIET = timedelta(0)  # the server's own pass never runs: the test names each pass's moment


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "mobile_api.cli", *args], capture_output=True, text=True,
                          env=environment(settings), timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def remind_at(settings: Settings, at: datetime, times: int = 1) -> None:
    """`huhang remind --at` in `times` processes started together."""
    procs = [subprocess.Popen([sys.executable, "-m", "mobile_api.cli", "remind", "--at", at.isoformat()],
                              env=environment(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(times)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "fired" in out


def listing(api: Api, path: str) -> list[dict[str, Any]]:
    answer = api.get(path, limit=500)
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return list(answer.json()["items"])


def told(api: Api, child: str, kind: str) -> list[dict[str, Any]]:
    return [n for n in listing(api, "/api/v1/me/notifications") if n.get("child_id") == child and n["kind"] == kind]


def sign_in(base: str) -> dict[str, Api]:
    return {name: Api(base, name, PASSWORD, device=f"{name}-phone") for name in ("county", "director", "supervisor", "police")}


def test_done_when_red_grading_referral_deadline_escalation_once_restart_accept_rebuild(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", remind_every=QUIET)
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        api = sign_in(base)
        child = api["county"].post("/api/v1/children", child_body(
            PLACE_A, name="刘洋", occurred_at=(datetime.now(UTC) - timedelta(minutes=5)).isoformat())).json()["child_id"]
        owned = api["director"].post(f"/api/v1/children/{child}/assignment", sub(owner="director"))
        assert owned.status_code == 201, owned.text
        graded_at = datetime.now(UTC) - timedelta(minutes=2)
        assert api["supervisor"].post(f"/api/v1/children/{child}/risk-assessments", sub(
            level="red", reasons=["受伤"], occurred_at=graded_at.isoformat())).status_code == 201
        visit = [t for t in listing(api["director"], "/api/v1/me/tasks") if t.get("child_id") == child]
        assert [(t["kind"], datetime.fromisoformat(t["due_at"])) for t in visit] == [("visit_due", graded_at + timedelta(days=3))]
        assert len(told(api["supervisor"], child, "red_graded")) == 1
        sent_at = datetime.now(UTC) - timedelta(minutes=1)
        referral = api["county"].post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="疑似受侵害",
                                                               occurred_at=sent_at.isoformat())).json()["referral_id"]
        accept = [t for t in listing(api["police"], "/api/v1/me/tasks") if t.get("referral_id") == referral]
        assert [(t["kind"], datetime.fromisoformat(t["due_at"])) for t in accept] == [
            ("referral_accept", sent_at + timedelta(hours=2))]

        past_deadline = sent_at + timedelta(hours=2, seconds=1)
        remind_at(settings, past_deadline, times=2)  # two processes fire the same pass at once
        for user in ("police", "supervisor"):
            assert len(told(api[user], child, "referral_overdue")) == 1, user
        assert told(api["director"], child, "referral_overdue") == []
        before = {u: listing(api[u], "/api/v1/me/notifications") for u in ("police", "supervisor", "director")}
    with running_server(settings) as base:  # a restart, and the same pass again from the start
        api = sign_in(base)
        cli(settings, "remind", "--at", past_deadline.isoformat(), "--from-start")
        remind_at(settings, past_deadline + timedelta(minutes=5))
        assert {u: listing(api[u], "/api/v1/me/notifications") for u in before} == before
        escalated = [r for r in listing(api["police"], "/api/v1/referrals") if r["referral_id"] == referral]
        assert escalated and escalated[0]["status"] == "sent"
        assert api["police"].post(f"/api/v1/referrals/{referral}/accept", sub(note="受理")).status_code == 201
        assert not [t for t in listing(api["police"], "/api/v1/me/tasks") if t.get("kind") == "referral_accept"
                    and t.get("referral_id") == referral]
        after = {u: listing(api[u], "/api/v1/me/notifications") for u in before}
        tasks_after = {u: listing(api[u], "/api/v1/me/tasks") for u in ("police", "director")}
        cli(settings, "rebuild")
        assert {u: listing(api[u], "/api/v1/me/notifications") for u in before} == after
        assert {u: listing(api[u], "/api/v1/me/tasks") for u in tasks_after} == tasks_after
        for a in api.values():
            a.close()


def two_servers_escalate_once(settings: Settings) -> None:
    """Two server processes on one store, each running its scheduler every 0.2 s: the referral that was due an
    hour ago (facts dated in the past) is escalated once, and no later pass of either fires it again."""
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as first, running_server(settings) as second:
        one, two = sign_in(first), sign_in(second)
        now = datetime.now(UTC)
        child = one["county"].post("/api/v1/children", child_body(
            PLACE_A, name="陈晨", occurred_at=(now - timedelta(hours=5)).isoformat())).json()["child_id"]
        two["supervisor"].post(f"/api/v1/children/{child}/risk-assessments", sub(
            level="red", occurred_at=(now - timedelta(hours=4)).isoformat()))
        one["county"].post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="危险",
                                                    occurred_at=(now - timedelta(hours=3)).isoformat()))
        deadline = time.monotonic() + 60
        while not told(two["supervisor"], child, "referral_overdue"):
            assert time.monotonic() < deadline, "no escalation within a minute"
            time.sleep(0.2)
        later = datetime.now(UTC) + timedelta(seconds=2)
        while datetime.now(UTC) < later:  # passes of both servers keep running meanwhile
            time.sleep(0.2)
        for api in (one, two):
            for user in ("supervisor", "police"):
                assert len(told(api[user], child, "referral_overdue")) == 1, user
        for a in [*one.values(), *two.values()]:
            a.close()


FAST = timedelta(seconds=0.2)


def test_two_sqlite_server_processes_escalate_a_missed_deadline_once(tmp_path: Path) -> None:
    two_servers_escalate_once(Settings(data_dir=tmp_path / "data", remind_every=FAST))


@pytest.fixture
def remind_schema() -> Iterator[str]:
    with new_schema("e2e_remind") as schema:
        yield schema_url(schema)


def test_two_postgres_server_processes_escalate_a_missed_deadline_once(tmp_path: Path, remind_schema: str) -> None:
    two_servers_escalate_once(Settings(data_dir=tmp_path / "data", database_url=remind_schema, remind_every=FAST))


def test_a_sealed_childs_overdue_police_referral_reaches_police_and_no_route_shows_it_to_others(tmp_path: Path) -> None:
    """A sealed child's referral to police is a sealed matter (DESIGN.md §1): the escalation meant for supervisors
    is withheld from them in the inbox and the sync feed; police, whose referral it is, are told."""
    settings = Settings(data_dir=tmp_path / "data", remind_every=QUIET)
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        api = sign_in(base) | {name: Api(base, name, PASSWORD, device=f"{name}-phone") for name in ("education", "grid")}
        now = datetime.now(UTC)
        child = api["county"].post("/api/v1/children", child_body(
            PLACE_A, name="封存", occurred_at=(now - timedelta(hours=5)).isoformat())).json()["child_id"]
        api["supervisor"].post(f"/api/v1/children/{child}/risk-assessments", sub(
            level="red", occurred_at=(now - timedelta(hours=4)).isoformat()))
        sealed = api["supervisor"].post(f"/api/v1/children/{child}/seal", sub(reason="封存令", order_reference="(2026)7"))
        assert sealed.status_code == 201, sealed.text
        api["county"].post("/api/v1/referrals", sub(child_id=child, to_department="police", reason="危险",
                                                    occurred_at=(now - timedelta(hours=3)).isoformat()))
        cli(settings, "remind")
        assert len(told(api["police"], child, "referral_overdue")) == 1
        for user in ("supervisor", "county", "director", "grid", "education"):
            assert told(api[user], child, "referral_overdue") == [], user
        page = api["supervisor"].get("/api/v1/sync", limit=500).json()
        while page["has_more"]:
            page = api["supervisor"].get("/api/v1/sync", limit=500, cursor=page["cursor"]).json()
        assert not [n for n in page["notifications"] if n.get("child_id") == child and n["kind"] == "referral_overdue"]
        for a in api.values():
            a.close()
