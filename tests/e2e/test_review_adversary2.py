"""A second hostile look at the one SQLite writer gate (backend.sqlite_writer), the credentials generation in tokens,
and replays of a handler's own matter, against the real server.

Each test writes its expectation out: the statuses, the counts, the file modes."""

from __future__ import annotations

import os
import signal
import stat
import threading
from pathlib import Path
from typing import Any

import httpx

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, PLACE_A, USERS, World, child_body
from tests.e2e.server import Api, add_users, running_server, sub


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _server_pid(base: str) -> int:
    port = base.rsplit(":", 1)[1]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv:
            return int(entry)
    raise LookupError("no server process")


def _workers(base: str) -> list[int]:
    """The uvicorn worker processes of the server at `base` (its spawned children that are not helpers)."""
    workers = []
    for pid in _children_of(_server_pid(base)):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read()
        except OSError:
            continue
        if b"spawn_main" in argv:
            workers.append(pid)
    return workers


def _send_until_answered(api: Api, path: str, body: dict[str, Any]) -> httpx.Response:
    """What a phone does: the same body again after a 503 or a dropped connection, until it is answered."""
    for _ in range(60):
        try:
            answer = api.post(path, body)
        except httpx.TransportError:
            continue
        if answer.status_code != 503:
            return answer
    raise AssertionError(f"never answered: {body}")


def _get_until_answered(api: Api, path: str) -> httpx.Response:
    for _ in range(60):
        try:
            answer = api.get(path)
        except httpx.TransportError:
            continue
        if answer.status_code != 503:
            return answer
    raise AssertionError(f"never answered: {path}")


def test_two_workers_on_sqlite_lose_and_double_nothing_when_one_is_killed_mid_write(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    add_users(settings, USERS, PASSWORD)
    threads, per_thread = 6, 12
    with running_server(settings, "--workers", "2") as base:
        workers = _workers(base)
        assert len(workers) == 2, workers
        county = Api(base, "county", PASSWORD)
        child = _send_until_answered(county, "/api/v1/children", child_body(PLACE_A)).json()["child_id"]
        answered: list[str] = []
        unread: list[str] = []
        failures: list[str] = []
        lock = threading.Lock()
        halfway = threading.Event()

        def write(n: int) -> None:
            api = Api(base, "director", PASSWORD, device=f"director-{n}")
            try:
                for i in range(per_thread):
                    body = sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True)
                    answer = _send_until_answered(api, "/api/v1/visits", body)
                    if answer.status_code not in (200, 201):
                        with lock:
                            failures.append(f"{answer.status_code} {answer.text[:200]}")
                        continue
                    visit = answer.json()["visit_id"]
                    read = _get_until_answered(api, f"/api/v1/visits/{visit}")  # either worker may answer it
                    with lock:
                        answered.append(visit)
                        if read.status_code != 200:
                            unread.append(f"{visit}: {read.status_code} {read.text[:200]}")
                    if n == 0 and i == per_thread // 3:
                        halfway.set()
            finally:
                api.close()

        pool = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
        for t in pool:
            t.start()
        assert halfway.wait(120)
        os.kill(workers[0], signal.SIGKILL)  # whatever it held (the gate, a transaction) the kernel lets go
        for t in pool:
            t.join(300)
        assert not any(t.is_alive() for t in pool)
        assert failures == []
        assert unread == []
        assert len(answered) == threads * per_thread
        assert len(set(answered)) == threads * per_thread  # a retry answered the visit it stored, never a second one
        listed: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
            page = county.http.get(f"/api/v1/children/{child}/visits", params=params).json()
            listed += [v["visit_id"] for v in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert sorted(listed) == sorted(answered)
        county.close()


def test_the_write_gate_file_is_private_like_the_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    add_users(settings, USERS[:1], PASSWORD)
    with running_server(settings) as base:
        county = Api(base, "county", PASSWORD)
        assert county.post("/api/v1/children", child_body(PLACE_A)).status_code == 201
        county.close()
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in settings.data_dir.iterdir() if p.is_file()}
    gates = {name: mode for name, mode in files.items() if name.endswith(".write") or name.endswith(".lock")}
    assert gates, files
    assert {name: 0o600 for name in gates} == gates


def test_a_sealing_order_hides_a_police_case_plan_from_its_planners_replay_and_steps_as_from_their_reads(
        world: World) -> None:
    """A supervisor may not know of a sealed child's justice-department matters (table: sealed matters ✘ supervisor):
    the timeline withholds the police's case plan from them once the record is sealed, and the replay of their own
    referral to the police answers 404. The replay of the case plan they made, and a new step on it, answer the same:
    404, nothing stored; the education plan stays theirs."""
    county = world.as_("county")
    child = county.post("/api/v1/children", child_body("520302/001/003/71")).json()["child_id"]
    referral = sub(child_id=child, to_department="police", reason="疑似受侵害", urgency="urgent")
    police_plan = sub(child_id=child, type="legal_aid", plan="法律援助", responsible_department="police")
    school_plan = sub(child_id=child, type="psychological", plan="每周一次", responsible_department="education")
    assert county.post("/api/v1/referrals", referral).status_code == 201
    planned = county.post("/api/v1/interventions", police_plan)
    assert planned.status_code == 201, planned.text
    plan = planned.json()["intervention_id"]
    assert county.post("/api/v1/interventions", school_plan).status_code == 201
    police = world.as_("police")  # the police's own plan stays theirs (table: their own ✔)
    own_plan = sub(child_id=child, type="legal_aid", plan="法律援助", responsible_department="police")
    assert police.post("/api/v1/interventions", own_plan).status_code == 201
    assert county.post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定")).status_code == 201

    def refused(answer: httpx.Response, code: str) -> tuple[int, str | None]:
        return answer.status_code, answer.json().get("code") if answer.status_code >= 400 else None

    assert refused(county.post("/api/v1/referrals", referral), "") == (404, "referral_not_found")  # held before
    assert refused(county.post("/api/v1/interventions", police_plan), "") == (404, "intervention_not_found")
    before = county.get(f"/api/v1/children/{child}/timeline").json()
    assert "police" not in str(before["items"]) and "legal_aid" not in str(before["items"])  # the read withholds it
    assert refused(county.post(f"/api/v1/interventions/{plan}/start", sub(note="开始")), "") == (
        404, "intervention_not_found")
    assert county.get(f"/api/v1/children/{child}/timeline").json() == before  # nothing stored
    assert county.post("/api/v1/interventions", school_plan).status_code == 200
    assert police.post("/api/v1/interventions", own_plan).status_code == 200
    auditor = world.as_("auditor")  # who may know of sealed matters still reads the police plan's steps
    assert any("police" in str(item) for item in auditor.get(f"/api/v1/children/{child}/timeline").json()["items"])
