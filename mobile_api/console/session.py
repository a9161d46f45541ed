"""The console's session: a cookie holding the same signed token the API issues, a CSRF token on every form,
and the guard that admits only the roles the console is for."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Final

from litestar import Request, Response
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.handlers.base import BaseRouteHandler

from backend.errors import Forbidden
from backend.identity import PERMISSIONS, Actor, authorize
from backend.user import User
from mobile_api.auth import Caller, Unauthenticated
from mobile_api.common import caller_from_token
from mobile_api.services import Services
from mobile_api.throttle import over_https

SESSION_COOKIE: Final = "huhang_console"
CSRF_COOKIE: Final = "huhang_console_csrf"
CSRF_FIELD: Final = "csrf_token"
DEVICE_ID: Final = "web-console"
"""The device every console session is recorded as acting from (access events name it)."""


class NotSignedIn(Unauthenticated):
    """No valid console session: the browser is sent to the sign-in page."""


class CsrfRefused(Forbidden):
    code = "csrf_refused"


class NotForConsole(Forbidden):
    """A role the console is not for (it is the supervisors' and auditors' view; the others have the field app)."""


def check_console_role(actor: Actor) -> None:
    if actor.role not in PERMISSIONS["console.use"]:
        raise NotForConsole(f"a {actor.role.value} may not do console.use")


def https(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    services: Services = connection.app.state.services
    return over_https(connection.url.scheme, connection.client.host if connection.client else None,
                      connection.headers.get("x-forwarded-proto"), services.trusted_proxies)


def cookie(connection: ASGIConnection[Any, Any, Any, Any], key: str, value: str, max_age: int | None) -> Cookie:
    """A console cookie: never readable by scripts, never sent with a request another site starts."""
    return Cookie(key=key, value=value, path="/console", httponly=True, samesite="strict",
                  secure=https(connection), max_age=max_age)


def console_caller(connection: ASGIConnection[Any, Any, Any, Any], services: Services) -> Caller:
    """The signed-in user behind the session cookie (the API's token check); a disabled user is out at once."""
    cached: Caller | None = connection.state.get("caller")
    if cached is not None:
        return cached
    token = connection.cookies.get(SESSION_COOKIE)
    if not token:
        raise NotSignedIn("sign in to use the console")
    try:
        return caller_from_token(connection, services, token)
    except Unauthenticated:
        raise NotSignedIn("the session has expired, or the account is unknown or disabled: sign in again") from None


def console_permission(action: str) -> Any:
    """A console route guard: a session whose role may take `action` (and use the console at all)."""

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        services: Services = connection.app.state.services
        actor = (console_caller(connection, services) if services.versions.local
                 else await sync_to_thread(console_caller, connection, services)).actor
        check_console_role(actor)
        authorize(actor, action)

    guard.action = action  # type: ignore[attr-defined]
    return guard


def start_session(request: Request[Any, Any, Any], services: Services, user: User, response: Response[Any]) -> None:
    """Set the session cookie: the API's token for this user, bound to the console as its device."""
    token, _ = services.tokens.issue(user.id, DEVICE_ID, user.credentials)
    response.set_cookie(cookie(request, SESSION_COOKIE, token, int(services.settings.token_ttl.total_seconds())))


def end_session(request: Request[Any, Any, Any], response: Response[Any]) -> None:
    response.set_cookie(cookie(request, SESSION_COOKIE, "", 0))


def _signature(services: Services, nonce: str) -> str:
    return hmac.new(services.tokens.secret.encode(), b"console-csrf|" + nonce.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request[Any, Any, Any], services: Services) -> str:
    """The CSRF token of this browser: the one its cookie holds, or a new one (the page's answer sets the cookie)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if _valid(services, current):
        return current
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_signature(services, nonce)}"


def _valid(services: Services, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and hmac.compare_digest(signature, _signature(services, nonce))


def check_csrf(request: Request[Any, Any, Any], services: Services, submitted: str) -> None:
    """A form is accepted only with the token its page carried, matching this browser's signed cookie
    (double submit: another site can make the browser post, but cannot read the token to put in the form)."""
    held = request.cookies.get(CSRF_COOKIE, "")
    if not (_valid(services, held) and hmac.compare_digest(held, submitted)):
        raise CsrfRefused("the form's security token is missing or does not match; reload the page and try again")
