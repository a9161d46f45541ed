"""Use cases on user accounts: add, disable, change password, sign in."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from backend.errors import InvalidInput, UserDisabledError, UsernameTaken, UserNotFound
from backend.identity import (
    SYSTEM,
    Actor,
    authorize,
    hash_password,
    no_password_matches,
    password_matches,
    user_id_for,
)
from backend.rules.jurisdiction import parse_jurisdiction
from backend.usecases.core import Core
from backend.user import User, check_password_strength
from events.base import Meta
from events.identity import UserRegistered
from events.vocabulary import Department, Role


def user_view(user: User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.username,
        "role": user.role.value,
        "scope": user.scope,
        "department": user.department,
        "disabled": user.disabled,
    }


class Users:
    """Accounts are streams keyed by username, so a name can be taken only once."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def add(
        self, actor: Actor, username: str, role: str, scope: str, password: str, department: str | None = None
    ) -> dict[str, Any]:
        if actor is not SYSTEM:
            authorize(actor, "users.manage")
        check_password_strength(password)
        return self._register(actor, username, role, scope, department, hash_password(password))

    def add_many(
        self, actor: Actor, accounts: Sequence[tuple[str, str, str, str | None]], password: str
    ) -> list[dict[str, Any]]:
        """Accounts (username, role, scope, department) that start with one password, such as a demo county's: the
        password's strength is checked and its hash made once (argon2 is nearly all of an account's cost, ~70 ms),
        then each account is made as `add` makes it. Equal passwords get equal hashes here, which tells no more than
        that the accounts share their password, as they do."""
        if actor is not SYSTEM:
            authorize(actor, "users.manage")
        check_password_strength(password)
        password_hash = hash_password(password)
        return [self._register(actor, username, role, scope, department, password_hash)
                for username, role, scope, department in accounts]

    def _register(
        self, actor: Actor, username: str, role: str, scope: str, department: str | None, password_hash: str
    ) -> dict[str, Any]:
        username = username.strip()
        if not username or len(username) > 64:
            raise InvalidInput("a username has 1 to 64 characters", field="username")
        if role not in Role._value2member_map_:
            raise InvalidInput(f"unknown role {role!r}", field="role")
        if (role == Role.DEPARTMENT_HANDLER) != (department is not None):
            raise InvalidInput("a department handler, and only one, names a department", field="department")
        if department is not None and department not in Department._value2member_map_:
            raise InvalidInput(f"unknown department {department!r}", field="department")
        user = User.create(
            user_id_for(username),
            self._meta(actor),
            username=username,
            role=role,
            scope=parse_jurisdiction(scope, field="scope"),
            department=department,
            password_hash=password_hash,
        )
        try:
            self.core.guarded(lambda: self.core.store.save(user))
        except IntegrityError:
            raise UsernameTaken(f"the username {username!r} is taken") from None
        return user_view(user)

    def disable(self, actor: Actor, username: str, reason: str = "") -> dict[str, Any]:
        if actor is not SYSTEM:
            authorize(actor, "users.manage")
        user = self.get(username)
        user.disable(self._meta(actor), reason)
        self.core.guarded(lambda: self.core.store.save(user))
        return user_view(user)

    def change_password(self, actor: Actor, username: str, password: str) -> dict[str, Any]:
        user = self.get(username)
        if actor is not SYSTEM and actor.id != user.id:
            authorize(actor, "users.manage")
        check_password_strength(password)
        user.change_password(self._meta(actor), hash_password(password))
        self.core.guarded(lambda: self.core.store.save(user))
        return user_view(user)

    def authenticate(self, username: str, password: str) -> User:
        """The enabled user with that password, or UserNotFound (never saying which part was wrong)."""
        user = self.core.load(User, user_id_for(username))
        if user is None:
            no_password_matches(password)  # the same work as a wrong password: the answer's time tells nothing
            raise UserNotFound("wrong username or password")
        if not password_matches(user.password_hash, password):
            raise UserNotFound("wrong username or password")
        if user.disabled:
            raise UserDisabledError("this account is disabled")
        return user

    def get(self, username: str) -> User:
        user = self.core.load(User, user_id_for(username))
        if user is None:
            raise UserNotFound(f"no user {username!r}")
        return user

    def list(self) -> list[dict[str, Any]]:
        """Every account, in the order they were created."""
        topic = f"{UserRegistered.__module__}:{UserRegistered.__name__}"
        notifications = self.core.guarded(lambda: list(self.core.store.notifications(topics=[topic])))
        users = (self.core.load(User, n.originator_id) for n in notifications)
        return [user_view(u) for u in users if u is not None]

    def _meta(self, actor: Actor) -> Meta:
        now = self.core.clock()
        return Meta(
            actor_id=actor.id,
            actor_role=actor.role.value if actor is not SYSTEM else "system",
            device_id="server",
            submission_id=uuid4(),
            occurred_at=now,
            recorded_at=now,
        )
