"""Login throttling on a real database: backoff per account and device, a high ceiling per address, shared counters."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import ip_network
from pathlib import Path

import pytest

from backend import identity
from backend.bootstrap import bootstrap
from backend.errors import UserNotFound
from backend.identity import SYSTEM
from backend.settings import Settings
from mobile_api.auth import TooManyAttempts
from mobile_api.throttle import LoginThrottle, client_address
from projections.db import ReadDB, open_read_db
from tests.conftest import POSTGRES_URL, Clock

ADDRESS = "203.0.113.7"


class ThrottleContract:
    """Run on SQLite and on PostgreSQL: a subclass provides `settings`."""

    @pytest.fixture
    def dbs(self, settings: Settings) -> Iterator[tuple[ReadDB, ReadDB]]:
        first, second = open_read_db(settings), open_read_db(settings)  # two workers, one database
        yield first, second
        first.close()
        second.close()

    @pytest.fixture
    def throttle(self, dbs: tuple[ReadDB, ReadDB], clock: Clock) -> LoginThrottle:
        return LoginThrottle(dbs[0], clock, address_limit=10)

    def wait(self, throttle: LoginThrottle, user: str, device: str, address: str = ADDRESS) -> int:
        """Seconds the throttle asks to wait (0 when it lets the attempt through)."""
        try:
            throttle.check(user, device, address)
        except TooManyAttempts as refused:
            return int(refused.extra["retry_after"])
        return 0

    def test_five_failures_are_free_then_the_wait_doubles(self, throttle: LoginThrottle, clock: Clock) -> None:
        waits = []
        for _ in range(5):
            assert self.wait(throttle, "wang", "phone-1") == 0
            throttle.failed("wang", "phone-1", ADDRESS)
        waits.append(self.wait(throttle, "wang", "phone-1"))
        for _ in range(5):
            clock.advance(seconds=waits[-1])
            assert self.wait(throttle, "wang", "phone-1") == 0
            throttle.failed("wang", "phone-1", ADDRESS)
            waits.append(self.wait(throttle, "wang", "phone-1"))
        assert waits == [30, 60, 120, 240, 480, 900]

    def test_another_device_of_the_account_is_not_locked_out(self, throttle: LoginThrottle) -> None:
        for _ in range(8):
            throttle.failed("Wang ", "attacker", "198.51.100.1")
        assert self.wait(throttle, "wang", "attacker", "198.51.100.1") > 0
        assert self.wait(throttle, "wang", "wangs-phone", ADDRESS) == 0

    def test_a_success_clears_the_count_on_that_device(self, throttle: LoginThrottle) -> None:
        for _ in range(4):
            throttle.failed("wang", "phone-1", ADDRESS)
        throttle.succeeded("wang", "phone-1")
        for _ in range(4):
            throttle.failed("wang", "phone-1", ADDRESS)
        assert self.wait(throttle, "wang", "phone-1") == 0

    def test_the_count_starts_afresh_fifteen_minutes_after_the_last_failure(self, throttle: LoginThrottle,
                                                                             clock: Clock) -> None:
        for _ in range(4):
            throttle.failed("wang", "phone-1", ADDRESS)
        clock.advance(minutes=16)
        for _ in range(4):
            throttle.failed("wang", "phone-1", ADDRESS)
        assert self.wait(throttle, "wang", "phone-1") == 0

    def test_an_address_waits_only_past_its_ceiling(self, throttle: LoginThrottle, clock: Clock) -> None:
        for n in range(9):
            throttle.failed(f"made-up-{n}", "attacker", ADDRESS)
        assert self.wait(throttle, "li", "lis-phone") == 0
        throttle.failed("made-up-9", "attacker", ADDRESS)
        assert self.wait(throttle, "li", "lis-phone") == 15 * 60
        assert self.wait(throttle, "li", "lis-phone", "198.51.100.2") == 0
        clock.advance(minutes=15, seconds=1)
        assert self.wait(throttle, "li", "lis-phone") == 0

    def test_every_worker_sees_the_same_counts(self, dbs: tuple[ReadDB, ReadDB], clock: Clock) -> None:
        one, other = LoginThrottle(dbs[0], clock), LoginThrottle(dbs[1], clock)
        for n in range(5):
            (one if n % 2 else other).failed("wang", "phone-1", ADDRESS)
        assert self.wait(one, "wang", "phone-1") == 30
        assert self.wait(other, "wang", "phone-1") == 30


class TestSQLiteThrottle(ThrottleContract):
    @pytest.fixture
    def settings(self, tmp_path: Path) -> Settings:
        return Settings(data_dir=tmp_path)


class TestPostgresThrottle(ThrottleContract):
    @pytest.fixture
    def settings(self, postgres_schema: str, tmp_path: Path) -> Settings:
        return Settings(data_dir=tmp_path, database_url=f"{POSTGRES_URL}?schema={postgres_schema}")


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = [ip_network("10.0.0.0/24"), ip_network("127.0.0.1/32")]
    assert client_address("203.0.113.7", "198.51.100.1", []) == "203.0.113.7"
    assert client_address("127.0.0.1", "198.51.100.1", []) == "127.0.0.1"
    assert client_address("203.0.113.7", "198.51.100.1", proxies) == "203.0.113.7"
    assert client_address("127.0.0.1", "198.51.100.1", proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", "1.2.3.4, 198.51.100.1, 10.0.0.5", proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", None, proxies) == "127.0.0.1"
    assert client_address(None, "198.51.100.1", proxies) == "unknown"


def test_an_unknown_user_costs_one_password_check_as_a_wrong_password_does(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real = identity.password_matches

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(identity, "password_matches", counted)
    monkeypatch.setattr("backend.usecases.users.password_matches", counted)
    with bootstrap(Settings(data_dir=tmp_path)) as app:
        app.users.add(SYSTEM, "wang", "grid_worker", "520302/001", "a-good-password-1")
        for name in ("wang", "nobody"):
            with pytest.raises(UserNotFound):
                app.users.authenticate(name, "wrong-password")
    assert checks == ["wrong-password", "wrong-password"]


def test_clearing_an_accounts_count_on_sqlite_waits_at_the_write_gate_like_every_write(tmp_path: Path) -> None:
    """A right password clears the count with a write on the shared file: it takes the file's write gate
    (backend.sqlite_writer), so another writer holding the gate keeps it out, rather than SQLite's busy handler."""
    import sqlite3
    import threading

    from backend.sqlite_writer import write_gate

    settings = Settings(data_dir=tmp_path)
    db = open_read_db(settings)
    try:
        throttle = LoginThrottle(db, Clock(datetime(2026, 11, 24, tzinfo=UTC)))
        gate = write_gate(str(settings.sqlite_path))
        held, done = threading.Event(), threading.Event()

        def hold() -> None:
            with gate.held():
                held.set()
                done.wait(30)

        holder = threading.Thread(target=hold)
        holder.start()
        held.wait(30)
        timeout, gate.timeout = gate.timeout, 0.2
        try:
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                throttle.succeeded("someone", "phone")
        finally:
            gate.timeout = timeout
            done.set()
            holder.join(30)
        throttle.succeeded("someone", "phone")
    finally:
        db.close()
