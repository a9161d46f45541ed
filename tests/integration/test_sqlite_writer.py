"""backend.sqlite_writer: one writer at a time on a SQLite file, among threads and processes, and every write
transaction of the event store and of the read models goes through that one gate."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import pytest

from backend.bootstrap import bootstrap
from backend.errors import StoreUnavailable
from backend.identity import SYSTEM
from backend.settings import Settings
from backend.sqlite_writer import WriteGate, write_gate
from projections.db import ReadDB, open_read_db

WAIT = 0.3  # how long a blocked writer is watched to stay blocked


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def run() -> None:
        work()
        done.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def pass_through(gate: WriteGate) -> Callable[[], None]:
    def enter_and_leave() -> None:
        with gate.held():
            pass

    return enter_and_leave


def test_a_second_thread_waits_for_the_first_and_goes_on_when_it_leaves(tmp_path: Path) -> None:
    gate = write_gate(str(tmp_path / "db.sqlite3"))
    order: list[str] = []
    with gate.held():
        order.append("first in")
        _, done = in_thread(lambda: pass_through(gate)() or order.append("second in"))
        assert not done.wait(WAIT)
        order.append("first out")
    assert done.wait(5)
    assert order == ["first in", "first out", "second in"]


def test_the_holding_thread_may_enter_again(tmp_path: Path) -> None:
    gate = write_gate(str(tmp_path / "db.sqlite3"))
    with gate.held(), gate.held():
        pass
    _, done = in_thread(pass_through(gate))  # released: another thread gets in at once
    assert done.wait(5)


def test_one_gate_per_file_however_its_path_is_spelled(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    assert write_gate(str(tmp_path / "db.sqlite3")) is write_gate(str(tmp_path / "sub" / ".." / "db.sqlite3"))


def test_another_process_holding_the_gate_keeps_this_one_out_until_it_leaves(tmp_path: Path) -> None:
    database = str(tmp_path / "db.sqlite3")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from backend.sqlite_writer import write_gate\n"
         f"with write_gate({database!r}).held():\n"
         "    print('held', flush=True); sys.stdin.readline()\n"
         "print('left', flush=True)"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        _, done = in_thread(pass_through(write_gate(database)))
        assert not done.wait(WAIT)
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert done.wait(5)
    finally:
        holder.kill()
        holder.wait()


def write_in_transaction(db: ReadDB) -> Callable[[], None]:
    def write() -> None:
        with db.transaction():
            db.execute("CREATE TABLE IF NOT EXISTS gate_probe (x INTEGER)")

    return write


def test_event_writes_and_read_model_writes_wait_at_the_same_gate(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with bootstrap(settings) as app:
        db = open_read_db(settings)
        gate = write_gate(str(settings.sqlite_path))
        try:
            with gate.held():  # the gate alone, no SQLite lock: only writers that take the gate wait
                _, saved = in_thread(lambda: app.users.add(SYSTEM, f"u{uuid4().hex[:8]}", "grid_worker", "520302/001",
                                                           "a-good-password-1") and None)
                _, projected = in_thread(lambda: db.execute("SELECT 1") and None)  # warm the thread's connection
                assert projected.wait(5)
                _, projected = in_thread(write_in_transaction(db))
                assert not saved.wait(WAIT)
                assert not projected.wait(0)
                assert app.store.recorder.max_notification_id() in (None, 0)
            assert saved.wait(5) and projected.wait(5)
            assert app.store.recorder.max_notification_id() == 1
        finally:
            db.close()


def test_a_writer_kept_out_too_long_gets_what_sqlite_gives_and_the_store_answers_503(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with bootstrap(settings) as app:
        gate = write_gate(str(settings.sqlite_path))
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import sys; from backend.sqlite_writer import write_gate\n"
             f"with write_gate({str(settings.sqlite_path)!r}).held():\n"
             "    print('held', flush=True); sys.stdin.readline()\n"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        timeout, gate.timeout = gate.timeout, 0.2
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            with pytest.raises(sqlite3.OperationalError, match="database is locked"), gate.held():
                pass
            with pytest.raises(StoreUnavailable):
                app.users.add(SYSTEM, "late", "grid_worker", "520302/001", "a-good-password-1")
        finally:
            gate.timeout = timeout
            holder.kill()
            holder.wait()
        app.users.add(SYSTEM, "late", "grid_worker", "520302/001", "a-good-password-1")  # the retry is stored once
        assert app.store.recorder.max_notification_id() == 1
