"""Who may do what: actors, the permission table, passwords."""

from __future__ import annotations

import secrets
from functools import cache
from typing import Final
from uuid import UUID, uuid5

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from backend.errors import ChildNotFound, Forbidden
from backend.rules.jurisdiction import within_scope
from events.vocabulary import Role

USER_NAMESPACE: Final = UUID("6f1c8a52-3f0e-4d59-9a63-0c2b3f3f6a11")

_F, _D, _S, _H, _A, _AD = (
    Role.GRID_WORKER,
    Role.CHILD_DIRECTOR,
    Role.SUPERVISOR,
    Role.DEPARTMENT_HANDLER,
    Role.AUDITOR,
    Role.ADMIN,
)

PERMISSIONS: Final[dict[str, frozenset[Role]]] = {
    "child.register": frozenset({_D, _F, _S}),
    "child.read": frozenset({_F, _D, _S, _H, _A}),
    "child.assess_risk": frozenset({_D, _S}),
    "child.change_categories": frozenset({_D, _S}),
    "child.change_profile": frozenset({_D, _S}),
    "child.transfer": frozenset({_S}),
    "child.correct": frozenset({_D, _S}),
    "child.seal": frozenset({_S}),
    "child.assign": frozenset({_D, _S}),
    "child.close": frozenset({_D, _S}),
    "child.decide_closure": frozenset({_S}),
    "child.reopen": frozenset({_D, _S}),
    "child.update_profile": frozenset({_D, _F, _S}),
    "child.merge": frozenset({_S}),
    "child.import": frozenset({_D, _S}),
    "child.export": frozenset({_S, _A}),
    "visit.record": frozenset({_D, _F, _S}),
    "report.receive": frozenset({_F, _D, _S}),
    "report.triage": frozenset({_D, _S}),
    "referral.send": frozenset({_D, _S}),
    "referral.respond": frozenset({_H}),
    "referral.complete": frozenset({_H, _S}),
    "referral.escalate": frozenset({_S}),
    "intervention.manage": frozenset({_D, _S, _H}),
    "conference.hold": frozenset({_S}),
    "conference.follow_up": frozenset({_D, _S}),
    "child.file": frozenset({_D, _S, _A}),
    "report.register": frozenset({_D, _S, _A}),
    "audit.read": frozenset({_A, _S}),
    "audit.verify": frozenset({_A}),
    "users.manage": frozenset({_AD}),
    "sync": frozenset({_F, _D, _S}),
    "tasks.read": frozenset({_F, _D, _S, _H, _A}),
    "notifications.read": frozenset({_F, _D, _S, _H, _A, _AD}),
    "console.use": frozenset({_S, _A}),
}


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The person acting, as their account says."""

    id: UUID | None
    role: Role
    scope: str
    department: str | None = None
    username: str = ""


SYSTEM: Final = Actor(id=None, role=Role.ADMIN, scope="", username="system")


def authorize(actor: Actor, action: str) -> None:
    """Refuse (Forbidden) an action the actor's role may not take."""
    if actor.role not in PERMISSIONS[action]:
        raise Forbidden(f"a {actor.role.value} may not do {action}")


def check_in_scope(actor: Actor, jurisdiction: str) -> None:
    """A child outside the scope does not exist for the actor."""
    if actor.id is not None and not within_scope(jurisdiction, actor.scope):
        raise ChildNotFound("no such child")


def user_id_for(username: str) -> UUID:
    """Usernames are unique because the stream id is derived from the name."""
    return uuid5(USER_NAMESPACE, username.strip().lower())


_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash no password matches, made once, so an unknown name costs what a wrong password costs."""
    return _hasher.hash(secrets.token_hex(32))


def no_password_matches(password: str) -> bool:
    """Check a password against the dummy hash: as slow as a real check, and always False."""
    password_matches(_dummy_hash(), password)
    return False


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
