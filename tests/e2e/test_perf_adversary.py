"""The compact stored form, receipts re-derived as answers, the kept account and the runner lease, probed as a
hostile user and a failing dependency would, over HTTP against a real server. Expected values come from DESIGN.md §3
and API.md (v1 conventions: writes, scope; v1.1: what a withheld fact looks like), not from the code."""

from __future__ import annotations

import io
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from backend.store import EventStore
from tests.conftest import POSTGRES_URL, new_schema, schema_url
from tests.e2e.conftest import PASSWORD, World, child_body
from tests.e2e.server import Api, add_users, environment, free_port, running_server, sub, wait_until_up


def _visit(child: str) -> dict[str, Any]:
    return sub(child_id=child, visit_type="home", child_seen=True, guardian_present=True, notes="看望")


def test_twenty_concurrent_arrivals_of_one_submission_store_one_visit_and_answer_one_body(world: World) -> None:
    """DESIGN.md §3: the same submission arriving many times stores one set of events and answers with the original
    result: one 201, nineteen 200 replays, all with the same body, and the child has one visit."""
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/41")).json()["child_id"]
    body = _visit(child)
    token = world.as_("grid").token

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=world.base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            return c.post("/api/v1/visits", json=body)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    visits = world.as_("grid").get(f"/api/v1/children/{child}/visits").json()["items"]
    assert [v["visit_id"] for v in visits] == [answers[0].json()["visit_id"]]


def test_one_submission_id_for_another_command_or_other_content_is_409(world: World) -> None:
    """API.md: the same submission_id with different content is 409, whichever route it arrives on."""
    grid = world.as_("grid")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/42")).json()["child_id"]
    body = _visit(child)
    assert grid.post("/api/v1/visits", body).status_code == 201
    other = grid.post("/api/v1/visits", body | {"notes": "另一段"})
    assert other.status_code == 409, other.text
    elsewhere = grid.post(f"/api/v1/children/{child}/profile", {"submission_id": body["submission_id"],
                                                                  "address": "某村 2 号"})
    assert elsewhere.status_code == 409, elsewhere.text
    by_another = world.as_("director").post("/api/v1/visits", body)
    assert by_another.status_code == 409, by_another.text
    assert len(grid.get(f"/api/v1/children/{child}/visits").json()["items"]) == 1


def test_a_visit_replayed_after_its_child_was_closed_still_replays(world: World) -> None:
    """A replay answers the original result even when the same command would now be refused (child closed)."""
    grid = world.as_("grid")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/43")).json()["child_id"]
    body = _visit(child)
    first = grid.post("/api/v1/visits", body)
    assert first.status_code == 201, first.text
    closed = world.as_("supervisor").post(f"/api/v1/children/{child}/closure", sub(reason="moved_away", note="迁出"))
    assert closed.status_code == 201 and closed.json()["case_status"] == "closed", closed.text
    assert grid.post("/api/v1/visits", _visit(child)).status_code in (409, 422)
    again = grid.post("/api/v1/visits", body)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()


def test_a_police_referral_replayed_after_the_child_was_sealed_is_not_named_to_a_supervisor(world: World) -> None:
    """DESIGN.md §1 disclosure table: a justice department's referral about a sealed child is a sealed matter, which
    a supervisor may not know of (the referral list leaves it out). API.md v1.1: no route tells a withheld fact,
    a write's answer included; the kept child's answer applies a sealing made since to a replay too."""
    supervisor = world.as_("supervisor")
    child = world.as_("county").post("/api/v1/children", child_body(
        "520302/001/003/44", categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    body = sub(child_id=child, to_department="police", reason="涉罪", urgency="normal")
    first = supervisor.post("/api/v1/referrals", body)
    assert first.status_code == 201, first.text
    sealed = world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定"))
    assert sealed.status_code == 201, sealed.text
    listed = supervisor.get("/api/v1/referrals", limit=500).json()["items"]
    assert first.json()["referral_id"] not in {r["referral_id"] for r in listed}
    again = supervisor.post("/api/v1/referrals", body)
    assert again.status_code == 404 and again.json()["code"] == "referral_not_found", again.text
    assert "police" not in again.text and first.json()["referral_id"] not in again.text, again.text


# -- the compact stored form across a restart, with a cipher key ---------------------------------------------------

def _reads(api: Any, auditor: Any, child: str, visit: str) -> dict[str, Any]:
    """Every answer about the child that its stored events make, as JSON text."""
    return {"child": api.get(f"/api/v1/children/{child}").json(),
            "visit": api.get(f"/api/v1/visits/{visit}").json(),
            "visits": api.get(f"/api/v1/children/{child}/visits").json(),
            "timeline": api.get(f"/api/v1/children/{child}/timeline").json(),
            "history": auditor.get(f"/api/v1/audit/children/{child}/history", limit=500).json(),
            "verify": auditor.get("/api/v1/audit/verify", child_id=child).json()}


def _cli(settings: Any, key: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mobile_api.cli", *args], capture_output=True, text=True, timeout=120,
                          env=environment(settings) | {"HUHANG_CIPHER_KEY": key})


@contextmanager
def _database(backend: str, data_dir: Path, **fields: Any) -> Iterator[Settings]:
    """Settings for a fresh store on SQLite, or on PostgreSQL in a schema of its own (dropped afterwards)."""
    if backend == "sqlite":
        yield Settings(data_dir=data_dir, **fields)
        return
    with new_schema("e2e") as schema:
        yield Settings(data_dir=data_dir, database_url=schema_url(schema), **fields)


def _swap_states(settings: Settings, child: str, first: int, second: int) -> list[bytes]:
    """Two of a stream's rows exchange their stored bytes; returns the stream's stored states."""
    if settings.database_url:
        import psycopg

        schema = settings.database_url.split("schema=")[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as pg:
            table = f"{schema}.{EventStore.name.lower()}_events"
            rows = dict(pg.execute(f"SELECT originator_version, state FROM {table} WHERE originator_id = %s",
                                   (child,)).fetchall())
            for version, other in ((first, second), (second, first)):
                pg.execute(f"UPDATE {table} SET state = %s WHERE originator_id = %s AND originator_version = %s",
                           (rows[other], child, version))
        return [bytes(v) for v in rows.values()]
    with sqlite3.connect(settings.sqlite_path) as conn:
        rows = dict(conn.execute("SELECT originator_version, state FROM stored_events WHERE originator_id = ?",
                                 (child.replace("-", ""),)).fetchall())
        for version, other in ((first, second), (second, first)):
            conn.execute("UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
                         (rows[other], child.replace("-", ""), version))
    return [bytes(v) for v in rows.values()]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_edge_values_read_back_the_same_after_a_restart_with_a_cipher_key_and_verify(
        tmp_path_factory: pytest.TempPathFactory, backend: str) -> None:
    """DESIGN.md §3: a stream's events hash the same and answer the same after a restart (no aggregate cache then);
    an encrypted store is read and verified with its key. Edge values a client may send: text outside the BMP,
    joiners and combining marks, times with a non-UTC offset and microseconds, integral and negative-zero
    coordinates, a UUID-shaped phone number (untyped profile changes), a correction."""
    from eventsourcing.cipher import AESCipher

    key = AESCipher.create_key(32)
    with _database(backend, Path(tmp_path_factory.mktemp("cipher")), cipher_key=key) as settings:
        _edge_values_across_a_restart(settings, key)


def _edge_values_across_a_restart(settings: Settings, key: str) -> None:
    add_users(settings, [("county", "supervisor", "520302", None), ("auditor", "auditor", "520302", None)], PASSWORD)
    nepal = timezone(timedelta(hours=5, minutes=45))
    china = timezone(timedelta(hours=8))
    with running_server(settings, env={"HUHANG_CIPHER_KEY": key}) as base:
        county, auditor = Api(base, "county", PASSWORD), Api(base, "auditor", PASSWORD)
        writes: list[tuple[str, dict[str, Any], httpx.Response]] = []

        def post(path: str, body: dict[str, Any]) -> httpx.Response:
            answer = county.post(path, body)
            writes.append((path, body, answer))
            return answer

        born = post("/api/v1/children", child_body(
            "520302/001/003/45", name="𠮷田\u200d👨‍👩‍👧 Zoe\u0301", address="某村 1 号\u00a0后院\ufeff",
            home_geo={"lat": 27, "lon": -0.0, "accuracy_m": 0},
            occurred_at=(datetime.now(china) - timedelta(hours=3)).isoformat(timespec="microseconds")))
        assert born.status_code == 201, born.text
        child = born.json()["child_id"]
        visit = post("/api/v1/visits", sub(
            child_id=child, visit_type="home", child_seen=True, guardian_present=False, notes="注：\u0301\U0001F600",
            observations={"needs": "0.1"}, geo={"lat": 27.700000000000003, "lon": 106.9, "accuracy_m": 1e-9},
            occurred_at=(datetime.now(nepal) - timedelta(hours=2)).isoformat(timespec="microseconds")))
        assert visit.status_code == 201, visit.text
        changed = post(f"/api/v1/children/{child}/profile", sub(
            school="550e8400-e29b-41d4-a716-446655440000", home_geo={"lat": -0.0, "lon": 1e-7, "accuracy_m": 3},
            occurred_at=(datetime.now(nepal) - timedelta(hours=1)).isoformat()))
        assert changed.status_code == 201, changed.text
        registered = next(e for e in auditor.get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
                          if e["type"] == "ChildRegistered")
        corrected = post(f"/api/v1/children/{child}/corrections", sub(
            corrects={"event_id": registered["event_id"]}, changes={"birth_date": "2015-01-02", "school": None},
            reason="户口本"))
        assert corrected.status_code == 201, corrected.text
        graded = post(f"/api/v1/children/{child}/risk-assessments", sub(level="orange", reasons=["", "  "]))
        assert graded.status_code in (201, 422), graded.text
        before = _reads(county, auditor, child, visit.json()["visit_id"])
        assert before["verify"]["ok"] is True
    with running_server(settings, env={"HUHANG_CIPHER_KEY": key}) as base:
        county, auditor = Api(base, "county", PASSWORD), Api(base, "auditor", PASSWORD)
        after = _reads(county, auditor, child, visit.json()["visit_id"])
        replays = [(path, county.post(path, body), first) for path, body, first in writes if first.status_code == 201]
    assert [(path, again.status_code, again.json()) for path, again, _ in replays] == [
        (path, 200, first.json()) for path, _, first in replays]
    for name in before:
        assert after[name] == before[name], name
    checked = _cli(settings, key, "verify")
    assert checked.returncode == 0 and checked.stdout.strip().endswith("ok"), checked.stdout + checked.stderr

    states = _swap_states(settings, child, 2, 3)
    assert not any("某村".encode() in state for state in states)  # encrypted at rest
    swapped = _cli(settings, key, "verify")
    assert swapped.returncode == 1 and f"BROKEN stream {child} version 2" in swapped.stdout, swapped.stdout


def test_a_merge_replayed_after_the_duplicate_left_the_scope_does_not_name_it(world: World) -> None:
    """A closed record still takes a late fact dated before its closure (DESIGN.md §3 offline arrival), a transfer
    included, so a merged duplicate can leave the town after the merge. API.md v1.1: an id of another child is given
    only to who may see that child; the merge's replay must not name the duplicate now in town B."""
    county, supervisor = world.as_("county"), world.as_("supervisor")
    place = "520302/001/003/46"
    duplicate = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place)).json()["child_id"]
    body = sub(duplicate_child_id=duplicate, note="同一人")
    first = supervisor.post(f"/api/v1/children/{kept}/merge", body)
    assert first.status_code == 201, first.text
    earlier = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    moved = county.post(f"/api/v1/children/{duplicate}/transfer",
                        sub(to_jurisdiction="520302/002/001", reason="搬家", occurred_at=earlier))
    assert moved.status_code == 201, moved.text
    assert supervisor.get(f"/api/v1/children/{duplicate}").status_code == 404
    again = supervisor.post(f"/api/v1/children/{kept}/merge", body)
    assert again.status_code == 200, again.text
    assert duplicate not in again.text, again.text
    assert again.json()["merged"] is None and "duplicate_child_id:out_of_scope" in again.json()["withheld"]


# -- two server processes on one database; the projection lease holder killed mid-load -----------------------------

def _start(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = open(Path(settings.data_dir) / f"server-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "mobile_api.cli", "serve", "--port", str(port)],
                            env=environment(settings), stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base, proc, Path(log.name))
    return proc, base


def _read_models(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model table's rows, in order (the checkpoints and the schema's bookkeeping left out)."""
    skip = ("rm_checkpoints", "rm_schema")
    if settings.database_url:
        import psycopg

        schema = settings.database_url.split("schema=")[1]
        with psycopg.connect(POSTGRES_URL, autocommit=True) as pg:
            names = [r[0] for r in pg.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
                                              " AND table_name LIKE 'rm\\_%%' ORDER BY table_name", (schema,))]
            return {name: sorted(pg.execute(f"SELECT * FROM {schema}.{name}").fetchall(), key=repr)
                    for name in names if name not in skip}
    with sqlite3.connect(settings.sqlite_path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\\_%'"
                                            " ESCAPE '\\' ORDER BY name")]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
                for name in names if name not in skip}


def test_the_lease_holder_killed_mid_load_loses_and_doubles_nothing_on_one_sqlite_file(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """DESIGN.md §2/§3: read models are applied with their checkpoint in one transaction, so a crash never
    double-applies or skips an event; they can be rebuilt from the events. Two servers on one SQLite file: writes
    to both, the first (which took the projection lease) killed with SIGKILL half way; a retry of what it did not
    answer goes to the survivor. Every write answered by one server reads at once in the other; the survivor's read
    models then equal a rebuild's."""
    _two_servers_one_killed(Settings(data_dir=Path(tmp_path_factory.mktemp("lease"))))


def test_the_lease_holder_killed_mid_load_loses_and_doubles_nothing_on_postgres(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    """As on SQLite, with the event store and read models on PostgreSQL (an advisory lock is the lease)."""
    with _database("postgres", Path(tmp_path_factory.mktemp("pg-lease"))) as settings:
        _two_servers_one_killed(settings)


def _two_servers_one_killed(settings: Settings) -> None:
    add_users(settings, [("county", "supervisor", "520302", None), ("field", "grid_worker", "520302/001", None)],
              PASSWORD)
    first, base_a = _start(settings)
    second, base_b = _start(settings)
    try:
        a, b = Api(base_a, "county", PASSWORD), Api(base_b, "county", PASSWORD)
        children: list[str] = []

        def work(n: int) -> None:
            server, other = (a, b) if n % 2 else (b, a)
            if n == 40:
                first.kill()
            body = child_body(f"520302/001/003/{47 + n % 3}", name=f"童{n}")
            try:
                answer = server.post("/api/v1/children", body)
            except httpx.HTTPError:
                server, other = b, b
                answer = b.post("/api/v1/children", body)
            assert answer.status_code in (200, 201), answer.text
            child = answer.json()["child_id"]
            children.append(child)
            try:
                read = other.get(f"/api/v1/children/{child}")
            except httpx.HTTPError:  # the killed one
                read = b.get(f"/api/v1/children/{child}")
            assert read.status_code == 200, (n, answer.status_code, server is b, other is b, read.text)
            visit = _visit(child)
            retried = False
            try:
                seen = server.post("/api/v1/visits", visit)
            except httpx.HTTPError:
                seen, retried = b.post("/api/v1/visits", visit), True
            assert seen.status_code in (200, 201), seen.text
            status = b.get(f"/api/v1/children/{child}").json()
            assert status["last_visit_at"] is not None, (n, seen.status_code, server is b, retried, status)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(80)))
        assert first.wait(timeout=10) == -9
        for child in children:
            assert len(b.get(f"/api/v1/children/{child}/visits").json()["items"]) == 1
        assert len(set(children)) == 80
        # The kept account: disabled by `huhang users disable` in another process, refused at the very next request
        # (DESIGN.md §3; the survivor has answered this user before, so it holds the account).
        kept = Api(base_b, "field", PASSWORD)
        assert kept.get("/api/v1/children").status_code == 200
        disabled = subprocess.run([sys.executable, "-m", "mobile_api.cli", "users", "disable", "field"],
                                  env=environment(settings), capture_output=True, text=True, timeout=120)
        assert disabled.returncode == 0, disabled.stderr
        assert kept.get("/api/v1/children").status_code == 401
        assert kept.post("/api/v1/visits", _visit(children[0])).status_code == 401
    finally:
        for proc in (first, second):
            proc.terminate()
            proc.wait(timeout=20)
    live = _read_models(settings)
    rebuilt = subprocess.run([sys.executable, "-m", "mobile_api.cli", "rebuild"], env=environment(settings),
                             capture_output=True, text=True, timeout=300)
    assert rebuilt.returncode == 0, rebuilt.stderr
    again = _read_models(settings)
    assert live.keys() == again.keys()
    for name in live:
        assert live[name] == again[name], name


@pytest.mark.parametrize("topic", ["events.children:NoSuchEvent", "no_such_module:Thing", "os:system"])
def test_a_row_whose_type_was_edited_is_named_by_verify(world: World, sqlite_settings: Settings, topic: str) -> None:
    """DESIGN.md §3 tamper evidence: an edited row is named by the verifier, whatever was edited; a row's type
    column naming no event type (or something that is not one) is tampering like any other, not a 500, and the
    verifier never imports what a row names."""
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/50")).json()["child_id"]
    assert world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="yellow")).status_code == 201
    with sqlite3.connect(sqlite_settings.sqlite_path) as conn:
        conn.execute("UPDATE stored_events SET topic = ? WHERE originator_id = ? AND originator_version = 2",
                     (topic, child.replace("-", "")))
    try:
        result = world.as_("auditor").get("/api/v1/audit/verify", child_id=child)
        assert result.status_code == 200, result.text
        assert result.json()["ok"] is False
        assert [(b["stream_id"], b["version"]) for b in result.json()["broken"]] == [(child, 2)]
        checked = subprocess.run([sys.executable, "-m", "mobile_api.cli", "verify"], env=environment(sqlite_settings),
                                 capture_output=True, text=True, timeout=120)
        assert checked.returncode == 1 and f"BROKEN stream {child} version 2" in checked.stdout, checked.stderr[-500:]
    finally:
        with sqlite3.connect(sqlite_settings.sqlite_path) as conn:  # the module's server reads this store on
            conn.execute("UPDATE stored_events SET topic = 'events.children:RiskAssessed' WHERE originator_id = ?"
                         " AND originator_version = 2", (child.replace("-", ""),))


@pytest.mark.xfail(strict=True, reason="SQLite keeps a value's own type whatever the column says: a row edited to hold "
                   "its state as TEXT (not valid UTF-8) fails the library's fetch of the whole page "
                   "(sqlite3.OperationalError) before the verifier sees the row, so no stream is named: the command "
                   "line ends in a traceback, and over HTTP the read models' next page fails on the same row, so the "
                   "child is 404 to the auditor")
def test_a_row_whose_state_was_edited_into_text_is_named_by_verify(world: World, sqlite_settings: Settings) -> None:
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/51")).json()["child_id"]
    assert world.as_("county").post(f"/api/v1/children/{child}/risk-assessments", sub(level="yellow")).status_code == 201
    key = child.replace("-", "")
    with sqlite3.connect(sqlite_settings.sqlite_path) as conn:
        conn.execute("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE originator_id = ? "
                     "AND originator_version = 2", (key,))
    try:
        result = world.as_("auditor").get("/api/v1/audit/verify", child_id=child)
        assert result.status_code == 200, result.text
        assert [(b["stream_id"], b["version"]) for b in result.json()["broken"]] == [(child, 2)]
    finally:
        with sqlite3.connect(sqlite_settings.sqlite_path) as conn:
            conn.execute("UPDATE stored_events SET state = CAST(state AS BLOB) WHERE originator_id = ? "
                         "AND originator_version = 2", (key,))


def test_concurrent_registrations_store_one_child_per_submission_and_per_id_number(world: World) -> None:
    """DESIGN.md §3 and API.md: twenty arrivals of one registration at once store one child (one 201, the rest the
    same body replayed); twenty different registrations of one ID number at once store one child, the others are
    409 duplicate_child naming it (it is in the caller's scope)."""
    from tests.e2e.test_roster_import import id_number

    token = world.as_("county").token
    place = "520302/001/003/52"

    def send(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=world.base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            return c.post("/api/v1/children", json=body)

    same = child_body(place, name="并发一", birth_date="2014-03-05", id_number=id_number("520302", "20140305", 11))
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, [same] * 20))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.json()["child_id"] for a in answers}) == 1

    number = id_number("520302", "20140306", 12)
    bodies = [child_body(place, name="并发二", birth_date="2014-03-06", id_number=number) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, bodies))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 19, [a.text for a in answers]
    kept = next(a.json()["child_id"] for a in answers if a.status_code == 201)
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"duplicate_child"}
    assert {a.json()["extra"]["child_id"] for a in answers if a.status_code == 409} == {kept}
    listed = world.as_("county").get("/api/v1/children", jurisdiction=place, limit=500).json()["items"]
    assert len([c for c in listed if c["name"] == "并发二"]) == 1


def test_writes_replayed_after_the_child_moved_out_of_scope_are_404(world: World) -> None:
    """API.md: a child outside the caller's scope does not exist for the caller, on writes too; a replay of a visit,
    a referral and a profile change made before the child moved to town B tells nothing of it."""
    grid, director = world.as_("grid"), world.as_("director")
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/53")).json()["child_id"]
    visit = _visit(child)
    referral = sub(child_id=child, to_department="education", reason="辍学", urgency="normal")
    profile = sub(school="某小学")
    assert grid.post("/api/v1/visits", visit).status_code == 201
    assert director.post("/api/v1/referrals", referral).status_code == 201
    assert director.post(f"/api/v1/children/{child}/profile", profile).status_code == 201
    moved = world.as_("county").post(f"/api/v1/children/{child}/transfer", sub(to_jurisdiction="520302/002/001",
                                                                               reason="搬家"))
    assert moved.status_code == 201, moved.text
    answers = [grid.post("/api/v1/visits", visit), director.post("/api/v1/referrals", referral),
               director.post(f"/api/v1/children/{child}/profile", profile)]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [(404, "child_not_found")] * 3, [a.text for a in answers]


def test_a_grading_replayed_after_a_later_grading_and_a_sealing_answers_its_own_state_as_disclosed_now(
        world: World) -> None:
    """A replay answers the original result (the child as that grading left it: yellow, its version), not the later
    red grading; a sealing made since hides the sealable category from the child director (DESIGN.md §1 table:
    sealed matters ✘ child_director), and says so."""
    director = world.as_("director")
    child = world.as_("county").post("/api/v1/children", child_body(
        "520302/001/003/54", categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    body = sub(level="yellow", reasons=["家庭困难"])
    first = director.post(f"/api/v1/children/{child}/risk-assessments", body)
    assert first.status_code == 201, first.text
    assert first.json()["risk_level"] == "yellow" and "serious_misconduct" in first.json()["categories"]
    assert director.post(f"/api/v1/children/{child}/risk-assessments", sub(level="red", reasons=["失联"])).status_code == 201
    assert world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定")).status_code == 201
    again = director.post(f"/api/v1/children/{child}/risk-assessments", body)
    assert again.status_code == 200, again.text
    replayed = again.json()
    assert (replayed["risk_level"], replayed["version"]) == ("yellow", first.json()["version"])
    assert replayed["categories"] == ["left_behind"] and "categories:sealed" in replayed["withheld"]
    assert replayed["sealed"] is True and "serious_misconduct" not in again.text


def test_no_read_names_a_kept_child_that_left_the_readers_scope(world: World) -> None:
    """API.md v1.1: an id of another child is given only to who may see it. A duplicate merged into a kept child
    that then moved to town B: the caseload list, sync, as-of, history, timeline and the personal file of the
    duplicate, read by town A's supervisor and grid worker, never name the kept child."""
    county = world.as_("county")
    place = "520302/001/003/55"
    duplicate = county.post("/api/v1/children", child_body(place, name="留存甲")).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place, name="留存乙")).json()["child_id"]
    assert county.post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate, note="同一人")).status_code == 201
    assert county.post(f"/api/v1/children/{kept}/transfer",
                       sub(to_jurisdiction="520302/002/001", reason="搬家")).status_code == 201
    supervisor, grid = world.as_("supervisor"), world.as_("grid")
    now = datetime.now(UTC).isoformat()
    answers = {
        "list": supervisor.get("/api/v1/children", jurisdiction=place, limit=500),
        "sync": grid.get("/api/v1/sync"),
        "as_of": supervisor.get(f"/api/v1/audit/children/{duplicate}/as-of", at=now),
        "history": supervisor.get(f"/api/v1/audit/children/{duplicate}/history", limit=500),
        "timeline": grid.get(f"/api/v1/children/{duplicate}/timeline"),
        "status": grid.get(f"/api/v1/children/{duplicate}"),
    }
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 200)
    assert [name for name, a in answers.items() if kept in a.text] == []
    pdf = supervisor.get(f"/api/v1/children/{duplicate}/file.pdf")
    assert pdf.status_code == 200
    from pypdf import PdfReader

    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert kept not in text and kept.replace("-", "") not in text.replace("-", "").replace("\n", "")


def test_a_handler_with_a_matter_on_the_duplicate_only_is_not_told_the_kept_child(world: World) -> None:
    """DESIGN.md: a department handler sees a child only while their department has a matter open for it
    (`sees_child`); a duplicate's open police referral lets the police read the duplicate, not learn the kept child
    it was merged into, on which the police have nothing open."""
    county, police = world.as_("county"), world.as_("police")
    place = "520302/001/003/56"
    duplicate = county.post("/api/v1/children", child_body(place, name="处置甲")).json()["child_id"]
    kept = county.post("/api/v1/children", child_body(place, name="处置乙")).json()["child_id"]
    referral = world.as_("director").post("/api/v1/referrals", sub(child_id=duplicate, to_department="police",
                                                                     reason="核查", urgency="normal"))
    assert referral.status_code == 201, referral.text
    assert police.post(f"/api/v1/referrals/{referral.json()['referral_id']}/accept", sub(note="收到")).status_code == 201
    assert county.post(f"/api/v1/children/{kept}/merge", sub(duplicate_child_id=duplicate, note="同一人")).status_code == 201
    assert police.get(f"/api/v1/children/{kept}").status_code == 404
    answers = [police.get(f"/api/v1/children/{duplicate}"), police.get(f"/api/v1/children/{duplicate}/timeline"),
               police.get("/api/v1/referrals", limit=500), police.get("/api/v1/me/tasks", limit=500)]
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert [kept in a.text for a in answers] == [False] * 4
    assert answers[0].json()["merged_into"] is None and "merged_into:out_of_scope" in answers[0].json()["withheld"]


@pytest.mark.xfail(strict=True, reason="open question, as in test_worklist_adversary: the case file leaves a sealed "
                   "child's police case plan out for a child director (Disclosure.matter), the child status lists it "
                   "among active_interventions, and an intervention step's replay (mobile_api.showing."
                   "intervention_answer) still answers it; DESIGN.md §1 seals justice referrals only")
def test_a_police_intervention_replayed_after_the_child_was_sealed_is_not_named_to_a_director(world: World) -> None:
    """As for a referral: an intervention a justice department is responsible for, about a sealed child, is a sealed
    matter (the case file leaves it out for a child director); its replay must not tell it either."""
    director = world.as_("director")
    child = world.as_("county").post("/api/v1/children", child_body(
        "520302/001/003/57", categories=["left_behind", "serious_misconduct"])).json()["child_id"]
    body = sub(child_id=child, type="legal_aid", plan="帮教计划", responsible_department="police")
    first = director.post("/api/v1/interventions", body)
    assert first.status_code == 201, first.text
    assert world.as_("county").post(f"/api/v1/children/{child}/seal", sub(reason="法院封存决定")).status_code == 201
    assert first.json()["intervention_id"] not in director.get(f"/api/v1/children/{child}/timeline").text
    again = director.post("/api/v1/interventions", body)
    assert again.status_code == 404 and again.json()["code"] == "intervention_not_found", again.text
    assert "police" not in again.text and first.json()["intervention_id"] not in again.text


def test_twenty_concurrent_arrivals_of_one_grading_store_one_grading(world: World) -> None:
    """A write to one child's own stream, sent twenty times at once: one grading in the child's history, one 201 and
    nineteen replays of its body."""
    child = world.as_("county").post("/api/v1/children", child_body("520302/001/003/58")).json()["child_id"]
    body = sub(level="orange", reasons=["独居"])
    token = world.as_("director").token

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=world.base, timeout=60, headers={"Authorization": f"Bearer {token}"}) as c:
            return c.post(f"/api/v1/children/{child}/risk-assessments", json=body)

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert sorted(a.status_code for a in answers) == [200] * 19 + [201], [a.text for a in answers]
    assert len({a.text for a in answers}) == 1
    history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert [e["type"] for e in history if e["stream_id"] == child] == ["ChildRegistered", "RiskAssessed"]


def test_a_write_reads_at_once_in_every_worker_of_one_server(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Read-your-write across a server's worker processes: each registration, read at once on fresh connections
    (which land on either worker), is there."""
    settings = Settings(data_dir=Path(tmp_path_factory.mktemp("workers")))
    add_users(settings, [("county", "supervisor", "520302", None)], PASSWORD)
    with running_server(settings, "--workers", "2") as base:
        token = Api(base, "county", PASSWORD).token
        headers = {"Authorization": f"Bearer {token}"}
        missing = []
        for n in range(15):
            with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                child = c.post("/api/v1/children", json=child_body("520302/001/003/59", name=f"工{n}")).json()["child_id"]
            for _ in range(3):
                with httpx.Client(base_url=base, headers=headers, timeout=30) as c:
                    if c.get(f"/api/v1/children/{child}").status_code != 200:
                        missing.append(child)
        assert missing == []


def test_a_lone_surrogate_in_a_write_is_refused_and_stores_nothing(world: World) -> None:
    """API.md: bad input is a 4xx with a machine-readable code and nothing stored, never a 500. JSON may escape a
    lone UTF-16 surrogate (`\\ud800`), which is no character and cannot be stored as UTF-8 text."""
    county = world.as_("county")
    before = len(county.get("/api/v1/children", jurisdiction="520302/001/003/60", limit=500).json()["items"])
    raw = b'{"submission_id": "%s", "name": "\\ud800", "sex": "male", "birth_date": "2015-01-01", ' \
          b'"jurisdiction": "520302/001/003/60", "address": "x", "categories": ["left_behind"]}' % sub()[
              "submission_id"].encode()
    answer = county.http.post("/api/v1/children", content=raw, headers={"Content-Type": "application/json"})
    assert 400 <= answer.status_code < 500 and "code" in answer.json(), answer.text
    assert len(county.get("/api/v1/children", jurisdiction="520302/001/003/60", limit=500).json()["items"]) == before
