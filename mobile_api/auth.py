"""Bearer tokens bound to a user and a device, and the refusals of sign-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import msgspec

from backend.errors import DomainError
from backend.identity import Actor
from backend.usecases.core import Core
from backend.user import User
from backend.versions import StreamVersions


class Unauthenticated(DomainError):
    code = "unauthenticated"


class TooManyAttempts(DomainError):
    code = "too_many_attempts"


class Caller(msgspec.Struct, frozen=True):
    """Who is calling, from which device."""

    actor: Actor
    device_id: str


class TokenIssuer:
    """HS256 JSON Web Tokens naming the user and the device they signed in from."""

    def __init__(self, secret: str, ttl: timedelta, clock: Callable[[], datetime], remember: int = 10_000) -> None:
        self.secret = secret
        self.ttl = ttl
        self.clock = clock
        self.remember = remember
        self._verified: dict[str, tuple[UUID, str, int]] = {}

    def issue(self, user_id: UUID, device_id: str) -> tuple[str, datetime]:
        now = self.clock()
        expires = now + self.ttl
        claims = {"sub": str(user_id), "dev": device_id, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
        return jwt.encode(claims, self.secret, algorithm="HS256"), expires

    def read(self, token: str) -> tuple[UUID, str]:
        """The user id and device id of a valid, unexpired token.

        A token whose signature was verified once is remembered (its claims cannot change under the same
        secret), so a client's later requests skip the signature check and the JSON; expiry is judged each time.
        """
        known = self._verified.get(token)
        if known is None:
            known = self._verify(token)
            if len(self._verified) >= self.remember:
                self._verified.clear()
            self._verified[token] = known
        user_id, device_id, expires = known
        if expires <= self.clock().timestamp():
            raise Unauthenticated("the token has expired")
        return user_id, device_id

    def _verify(self, token: str) -> tuple[UUID, str, int]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                # Expiry and issue time are judged by the server's clock (in `read`), not the library's.
                options={"require": ["sub", "dev", "exp"], "verify_exp": False, "verify_iat": False},
            )
            return UUID(claims["sub"]), str(claims["dev"]), int(claims["exp"])
        except (jwt.PyJWTError, ValueError, KeyError, TypeError):
            raise Unauthenticated("the token is not valid") from None


class Accounts:
    """The account behind a token, as of the request: the actor of an enabled user, or None (unknown or disabled).

    An account is loaded once and kept with its version; each request asks only the account stream's latest
    version (one primary-key probe, no load), and loads it again when anything was recorded on it since,
    by this process or any other (a user disabled elsewhere is refused at their very next request).
    """

    def __init__(self, core: Core, versions: StreamVersions, remember: int = 10_000) -> None:
        self.core = core
        self.versions = versions
        self.remember = remember
        self._known: dict[UUID, tuple[int, Actor | None]] = {}

    def actor(self, user_id: UUID) -> Actor | None:
        latest = self.core.guarded(lambda: self.versions.latest(user_id))
        if latest is None:
            return None
        known = self._known.get(user_id)
        if known is not None and known[0] == latest:
            return known[1]
        user = self.core.load(User, user_id, for_update=False)
        if user is None:
            return None
        actor = None if user.disabled else user.as_actor()
        if len(self._known) >= self.remember:
            self._known.clear()
        self._known[user_id] = (user.version, actor)
        return actor
