"""A second hostile look at the one SQLite writer gate (backend.sqlite_writer), the credentials generation in tokens,
and replays of a handler's own matter, against the real server.

Each test writes its expectation out: the statuses, the counts, the file modes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, PLACE_A, USERS, World, child_body
from tests.e2e.server import Api, add_users, environment, running_server, sub


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


def settings_with(tmp_path: Path, users: list[Any]) -> Settings:
    """A store in `tmp_path/data` with these accounts (password PASSWORD)."""
    settings = Settings(data_dir=tmp_path / "data")
    add_users(settings, users, PASSWORD)
    return settings


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


def _read_on_a_new_connection(base: str, api: Api, path: str) -> httpx.Response:
    """A read on a new connection, so either worker may answer it; again if the connection dropped (the worker that
    took it was killed), as a phone would."""
    for _ in range(60):
        try:
            with httpx.Client(base_url=base, headers=dict(api.http.headers), timeout=30) as fresh:
                return fresh.get(path)
        except httpx.TransportError:
            continue
    raise AssertionError(f"never answered: {path}")


def test_two_workers_on_sqlite_lose_and_double_nothing_when_one_is_killed_mid_write(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, USERS)
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
                    read = _read_on_a_new_connection(base, api, f"/api/v1/visits/{visit}")
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
            query = urlencode({"limit": 100} | ({"cursor": cursor} if cursor else {}))
            page = _read_on_a_new_connection(base, county, f"/api/v1/children/{child}/visits?{query}").json()
            listed += [v["visit_id"] for v in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert sorted(listed) == sorted(answered)
        county.close()


def test_the_write_gate_file_is_private_like_the_database(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, USERS[:1])
    with running_server(settings) as base:
        county = Api(base, "county", PASSWORD)
        assert county.post("/api/v1/children", child_body(PLACE_A)).status_code == 201
        county.close()
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in settings.data_dir.iterdir() if p.is_file()}
    gates = {name: mode for name, mode in files.items() if name.endswith(".write") or name.endswith(".lock")}
    assert gates, files
    assert {name: 0o600 for name in gates} == gates


@pytest.mark.xfail(strict=True, reason="open question, as in test_worklist_adversary and test_perf_adversary: DESIGN.md "
                   "§1 seals justice referrals only. Found here besides: the supervisor's timeline withholds the police "
                   "plan's matter opening (sealed_streams covers DepartmentMatterOpened) yet shows the plan itself, and "
                   "Interventions.get (unlike Referrals.get) lets them take new steps on it. A fix tried here (the "
                   "replay, Interventions.get and the timeline asking Disclosure.matter) passed this test and the "
                   "route tables but left the child status and the worklist listing the plan: to be decided whole")
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
    # their referral still open, the police read the child, and their own plans in its timeline
    assert "legal_aid" in str(police.get(f"/api/v1/children/{child}/timeline").json()["items"])
    auditor = world.as_("auditor")  # who may know of sealed matters still reads the police plan's steps
    assert any("police" in str(item) for item in auditor.get(f"/api/v1/children/{child}/timeline").json()["items"])


ROSTER_HEADER = ["姓名", "性别", "出生日期", "身份证号", "区划编码", "家庭住址", "重点群体", "监护人姓名", "监护人关系",
                 "监护人电话", "监护人能否履责"]


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mobile_api.cli", *args], capture_output=True, text=True,
                          env=environment(settings), timeout=300)


def _listed_children(api: Api) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = _get_until_answered(api, "/api/v1/children?" + "&".join(f"{k}={v}" for k, v in params.items())).json()
        ids += [c["child_id"] for c in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            return ids


def test_an_import_and_a_rebuild_from_the_command_line_while_two_workers_write(tmp_path: Path) -> None:
    """Three processes writing the one SQLite file at once (two server workers and the command line, which takes the
    same gate): every write answered once, the import's rows stored once, the rebuild done, nobody stuck."""
    settings = settings_with(tmp_path, USERS)
    rows = 60
    roster = tmp_path / "roster.csv"
    lines = [ROSTER_HEADER] + [[f"学生{n:03d}", "女", "2014-05-17", "", "520302/001/003", f"某村{n}号", "", "", "", "", ""]
                               for n in range(rows)]
    roster.write_text("\n".join(",".join(r) for r in lines) + "\n", encoding="utf-8")
    with running_server(settings, "--workers", "2") as base:
        county = Api(base, "county", PASSWORD)
        child = _send_until_answered(county, "/api/v1/children", child_body(PLACE_A)).json()["child_id"]
        visits: list[str] = []
        lock = threading.Lock()

        def write(n: int) -> None:
            api = Api(base, "director", PASSWORD, device=f"director-{n}")
            for _ in range(15):
                body = sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True)
                answer = _send_until_answered(api, "/api/v1/visits", body)
                assert answer.status_code in (200, 201), answer.text
                with lock:
                    visits.append(answer.json()["visit_id"])
            api.close()

        pool = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for t in pool:
            t.start()
        imported = _cli(settings, "import", str(roster), "--as", "director", "--commit")
        rebuilt = _cli(settings, "rebuild")
        for t in pool:
            t.join(300)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert len(visits) == 60 and len(set(visits)) == 60
        listed = _listed_children(county)
        assert len(listed) == 1 + rows and len(set(listed)) == 1 + rows
        county.close()


def gate_held_elsewhere(settings: Settings) -> subprocess.Popen[str]:
    """Another process that takes the store's write gate and keeps it until it is killed or its stdin is closed."""
    database = next(p for p in settings.data_dir.iterdir() if p.name.endswith(".sqlite3"))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom backend.sqlite_writer import write_gate\n"
         f"write_gate({str(database)!r}).enter()\nprint('held', flush=True)\nsys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment(settings) | {"PYTHONPATH": os.getcwd()})
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_process_killed_while_holding_the_write_gate_keeps_no_writer_out(tmp_path: Path) -> None:
    settings = settings_with(tmp_path, USERS[:1])
    with running_server(settings) as base:
        county = Api(base, "county", PASSWORD)
        holder = gate_held_elsewhere(settings)
        answers: list[httpx.Response] = []
        writer = threading.Thread(target=lambda: answers.append(county.post("/api/v1/children", child_body(PLACE_A))))
        writer.start()
        holder.kill()
        holder.wait()
        writer.join(60)
        assert [a.status_code for a in answers] == [201]
        county.close()


def test_a_gate_held_past_its_deadline_answers_503_with_a_code_and_the_retry_stores_once(tmp_path: Path) -> None:
    """Another process holds the write gate past the 30 s deadline (an operator's job gone wrong): a write and a
    failed sign-in (which counts the failure in the read models) each answer 503 with a machine-readable code, never
    500; nothing is stored by the refused write, and its retry after the gate is free stores the child once."""
    settings = settings_with(tmp_path, USERS[:1])
    with running_server(settings) as base:
        county = Api(base, "county", PASSWORD)
        holder = gate_held_elsewhere(settings)
        body = child_body(PLACE_A)
        answers: dict[str, httpx.Response] = {}

        def register() -> None:  # a client more patient than the gate's deadline
            with httpx.Client(base_url=base, timeout=90, headers=dict(county.http.headers)) as http:
                answers["write"] = http.post("/api/v1/children", json=body)

        def wrong_password() -> None:
            with httpx.Client(base_url=base, timeout=90) as http:
                answers["login"] = http.post("/api/v1/auth/login", json={"username": "county", "password": "wrong-pw-1",
                                                                         "device_id": "d"})

        pool = [threading.Thread(target=register), threading.Thread(target=wrong_password)]
        for t in pool:
            t.start()
        for t in pool:
            t.join(120)
        holder.communicate("", timeout=10)
        got = {k: (a.status_code, a.json().get("code")) for k, a in answers.items()}
        assert got == {"write": (503, "store_unavailable"), "login": (503, "unavailable")}
        assert county.post("/api/v1/children", body).status_code == 201  # the first arrival stored nothing
        assert county.post("/api/v1/children", body).status_code == 200
        assert len(_listed_children(county)) == 1
        county.close()
