"""Bearer tokens bound to a user and a device, and the refusals of sign-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

import jwt
import msgspec

from backend.errors import DomainError
from backend.identity import Actor
from backend.usecases.core import Core
from backend.user import User
from backend.versions import StreamVersions

FIRST_CREDENTIALS: Final = 1
"""The credentials generation of an account's first password: its registration is the stream's first event."""


class Unauthenticated(DomainError):
    code = "unauthenticated"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class Caller(msgspec.Struct, frozen=True):
    """Who is calling, from which device."""

    actor: Actor
    device_id: str


class TokenIssuer:
    """HS256 JSON Web Tokens naming the user, the device they signed in from and the credentials they signed in with.

    `cred` is the generation of the password the token was issued under (`backend.user.User.credentials`: the version
    of the account's event that set it). A password change makes a new generation, and `Accounts` refuses a token of
    any other than the account's current one. A version, not the issue time: `iat` has whole seconds, so a token issued
    in the same second as a change could not be told to be before or after it, and the server clocks of two processes
    need not agree; a version is set by the very event that changes the password, and is compared exactly.
    """

    def __init__(self, secret: str, ttl: timedelta, clock: Callable[[], datetime], remember: int = 10_000) -> None:
        self.secret = secret
        self.ttl = ttl
        self.clock = clock
        self.remember = remember
        self._verified: dict[str, tuple[UUID, str, int, int]] = {}

    def issue(self, user_id: UUID, device_id: str, credentials: int) -> tuple[str, datetime]:
        now = self.clock()
        expires = now + self.ttl
        claims = {"sub": str(user_id), "dev": device_id, "cred": credentials, "iat": int(now.timestamp()),
                  "exp": int(expires.timestamp())}
        return jwt.encode(claims, self.secret, algorithm="HS256"), expires

    def read(self, token: str) -> tuple[UUID, str, int]:
        """The user id, device id and credentials generation of a valid, unexpired token.

        A token whose signature was verified once is remembered (its claims cannot change under the same
        secret), so a client's later requests skip the signature check and the JSON; expiry is judged each time.
        """
        known = self._verified.get(token)
        if known is None:
            known = self._verify(token)
            if len(self._verified) >= self.remember:
                self._verified.clear()
            self._verified[token] = known
        user_id, device_id, credentials, expires = known
        if expires <= self.clock().timestamp():
            raise Unauthenticated("the token has expired")
        return user_id, device_id, credentials

    def _verify(self, token: str) -> tuple[UUID, str, int, int]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                # Expiry and issue time are judged by the server's clock (in `read`), not the library's.
                options={"require": ["sub", "dev", "exp"], "verify_exp": False, "verify_iat": False},
            )
            # A token of the release before tokens carried `cred` was issued under the first password at best
            # (the registration's, version 1): it stays good exactly as long as the password has never changed.
            credentials = claims.get("cred", FIRST_CREDENTIALS)
            if type(credentials) is not int or credentials < FIRST_CREDENTIALS:
                raise ValueError("the credentials generation is a positive whole number")
            return UUID(claims["sub"]), str(claims["dev"]), credentials, int(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise Unauthenticated("the token is not valid") from None


class Accounts:
    """The account behind a token, as of the request: the actor of an enabled user whose password is still the one the
    token was issued under, or None (unknown, disabled, or the password changed since: the token is no longer good).

    An account is loaded once and kept with its version; each request asks only the account stream's latest
    version (one primary-key probe, no load), and loads it again when anything was recorded on it since,
    by this process or any other (a user disabled, or whose password was changed, elsewhere is refused at their very
    next request). The credentials generation is kept with the account, so judging a token costs no more queries.
    """

    def __init__(self, core: Core, versions: StreamVersions, remember: int = 10_000) -> None:
        self.core = core
        self.versions = versions
        self.remember = remember
        self._known: dict[UUID, tuple[int, int, Actor | None]] = {}

    def actor(self, user_id: UUID, credentials: int) -> Actor | None:
        """The actor a token naming `user_id` and `credentials` (`TokenIssuer.read`) speaks for, or None."""
        latest = self.core.guarded(lambda: self.versions.latest(user_id))
        if latest is None:
            return None
        known = self._known.get(user_id)
        if known is None or known[0] != latest:
            user = self.core.load(User, user_id, for_update=False)
            if user is None:
                return None
            known = (user.version, user.credentials, None if user.disabled else user.as_actor())
            if len(self._known) >= self.remember:
                self._known.clear()
            self._known[user_id] = known
        _, current, actor = known
        return actor if credentials == current else None
