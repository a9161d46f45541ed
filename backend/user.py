"""The User aggregate: accounts are events too, so every change to one is audited."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from backend.aggregate import Aggregate
from backend.errors import InvalidInput, UserDisabledError
from backend.identity import Actor
from events.base import Event, Meta
from events.identity import PasswordChanged, UserDisabled, UserRegistered
from events.vocabulary import Role

MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password has at least {MIN_PASSWORD_LENGTH} characters", field="password")


class User(Aggregate):
    """A person who signs in: role, scope, department, password hash, enabled or not."""

    CREATED: ClassVar = UserRegistered

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.username = ""
        self.role = Role.GRID_WORKER
        self.scope = ""
        self.department: str | None = None
        self.password_hash = ""
        self.credentials = 0
        """The version of the event that set the current password: 1 from the registration, then each change's.
        A token names the credentials it was issued under (mobile_api.auth), and only the current ones are good."""
        self.disabled = False

    def disable(self, meta: Meta, reason: str) -> None:
        self.check_enabled()
        self.trigger(UserDisabled, meta, reason=reason)

    def change_password(self, meta: Meta, password_hash: str) -> None:
        self.check_enabled()
        self.trigger(PasswordChanged, meta, password_hash=password_hash)

    def check_enabled(self) -> None:
        if self.disabled:
            raise UserDisabledError(f"user {self.username} is disabled")

    def as_actor(self) -> Actor:
        return Actor(id=self.id, role=self.role, scope=self.scope, department=self.department, username=self.username)

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: UserRegistered) -> None:
        self.username = event.username
        self.role = Role(event.role)
        self.scope = event.scope
        self.department = event.department
        self.password_hash = event.password_hash
        self.credentials = event.originator_version

    @when.register
    def _(self, event: UserDisabled) -> None:
        self.disabled = True

    @when.register
    def _(self, event: PasswordChanged) -> None:
        self.password_hash = event.password_hash
        self.credentials = event.originator_version
