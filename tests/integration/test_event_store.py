"""The storage contract and the workflows on SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from backend.bootstrap import Huhang
from backend.settings import Settings
from tests.conftest import Clock
from tests.integration.backends import EncryptedSQLiteBackend, PostgresBackend, SQLiteBackend
from tests.integration.contract import StoreContract
from tests.integration.workflows import WorkflowContract


class TestSQLite(SQLiteBackend, StoreContract):
    pass


class TestPostgres(PostgresBackend, StoreContract):
    pass


class TestSQLiteEncrypted(EncryptedSQLiteBackend, StoreContract):
    """The same contract with AES-GCM encryption of every stored state."""

    edit_found_as = "cannot be read"

    def edit(self, state: bytes) -> bytes:
        middle = len(state) // 2
        return state[:middle] + bytes([state[middle] ^ 0xFF]) + state[middle + 1 :]

    def test_state_is_unreadable_at_rest(self, settings: Settings, app: Huhang, clock: Clock) -> None:
        child_id = self.register(app, clock)
        states = b"".join(bytes(row[0]) for row in self.sql(settings, "SELECT state FROM stored_events"))
        assert "王小明".encode() not in states and b"left_behind" not in states
        assert app.store.stream(child_id)[0].originator_id == child_id


class TestWorkflowsSQLite(SQLiteBackend, WorkflowContract):
    pass


class TestWorkflowsPostgres(PostgresBackend, WorkflowContract):
    pass
