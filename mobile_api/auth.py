"""Bearer tokens bound to a user and a device, login throttling, and resolving the caller."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final
from uuid import UUID

import jwt
import msgspec

from backend.errors import DomainError
from backend.identity import Actor

FAILURES_ALLOWED: Final = 5
FAILURE_WINDOW: Final = timedelta(minutes=15)


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

    def __init__(self, secret: str, ttl: timedelta, clock: Callable[[], datetime]) -> None:
        self.secret = secret
        self.ttl = ttl
        self.clock = clock

    def issue(self, user_id: UUID, device_id: str) -> tuple[str, datetime]:
        now = self.clock()
        expires = now + self.ttl
        claims = {"sub": str(user_id), "dev": device_id, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
        return jwt.encode(claims, self.secret, algorithm="HS256"), expires

    def read(self, token: str) -> tuple[UUID, str]:
        """The user id and device id of a valid, unexpired token."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],
                options={"require": ["sub", "dev", "exp"], "verify_exp": False},
            )
            if claims["exp"] <= self.clock().timestamp():
                raise Unauthenticated("the token has expired")
            return UUID(claims["sub"]), str(claims["dev"])
        except (jwt.PyJWTError, ValueError, KeyError):
            raise Unauthenticated("the token is not valid") from None


class LoginThrottle:
    """After repeated failures for one username or from one address, refuse logins for a while."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.failures: dict[str, deque[datetime]] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, *keys: str) -> None:
        now = self.clock()
        with self.lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= FAILURES_ALLOWED:
                    retry = int((recent[0] + FAILURE_WINDOW - now).total_seconds()) + 1
                    raise TooManyAttempts("too many failed logins; try again later", retry_after=retry)

    def failed(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.failures[key].append(self.clock())

    def succeeded(self, username_key: str) -> None:
        with self.lock:
            self.failures.pop(username_key, None)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        recent = self.failures[key]
        while recent and now - recent[0] > FAILURE_WINDOW:
            recent.popleft()
        return recent
