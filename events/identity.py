"""Facts about user accounts: they are audited like everything else."""

from __future__ import annotations

from events.base import Event


class UserRegistered(Event, frozen=True, kw_only=True):
    username: str
    role: str
    scope: str
    department: str | None = None
    password_hash: str


class UserDisabled(Event, frozen=True, kw_only=True):
    reason: str = ""


class PasswordChanged(Event, frozen=True, kw_only=True):
    password_hash: str
