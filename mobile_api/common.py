"""What every controller shares: the caller, write answers, paging, the JSON content-type rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Final, TypeVar

import msgspec
from litestar import Request, Response
from litestar.concurrency import sync_to_thread
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import Parameter

from backend.errors import MalformedBody
from backend.identity import authorize
from backend.usecases.core import Outcome
from mobile_api.auth import Caller, Unauthenticated
from mobile_api.services import Services
from mobile_api.showing import write_answer

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=500, description="page size (max 500)")]
Cursor = Annotated[str | None, Parameter(description="opaque cursor from next_cursor")]
BEARER: Final[list[dict[str, list[str]]]] = [{"BearerToken": []}]


class ApiRequest(Request[Any, Any, Any]):
    """A request whose JSON body, when unreadable (invalid UTF-8, nested too deep), is a 400, not a fault."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (UnicodeDecodeError, RecursionError):
            raise MalformedBody("the body is not readable JSON (invalid UTF-8 or nested too deeply)") from None


def provide_services(state: State) -> Services:
    services: Services = state.services
    return services


def provide_caller(request: Request[Any, Any, Any], services: Services) -> Caller:
    """The signed-in user behind the bearer token; a disabled user is refused at once."""
    return caller_of(request, services)


def caller_of(connection: ASGIConnection[Any, Any, Any, Any], services: Services) -> Caller:
    """Resolve the caller once per request (guards and handlers share it)."""
    cached: Caller | None = connection.state.get("caller")
    if cached is not None:
        return cached
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("a bearer token is required")
    return caller_from_token(connection, services, token.strip())


async def resolve_caller(connection: ASGIConnection[Any, Any, Any, Any], services: Services) -> Caller:
    """`caller_of` from a coroutine: the account probe is a local read on SQLite, asked on the event loop; on
    PostgreSQL it is a round trip, asked from a worker thread so the event loop never waits on the network."""
    cached: Caller | None = connection.state.get("caller")
    if cached is not None:
        return cached
    if services.versions.local:
        return caller_of(connection, services)
    return await sync_to_thread(caller_of, connection, services)


def caller_from_token(connection: ASGIConnection[Any, Any, Any, Any], services: Services, token: str) -> Caller:
    """The caller a token names (a bearer token, or the console's session cookie, which holds the same token),
    kept for the rest of the request; an unknown or disabled user, or a token issued before the user's password was
    last changed, is refused at once."""
    user_id, device_id, credentials = services.tokens.read(token)
    actor = services.accounts.actor(user_id, credentials)
    if actor is None:
        raise Unauthenticated("the token's user is unknown or disabled, or their password has changed since")
    caller = Caller(actor=actor, device_id=device_id)
    connection.state["caller"] = caller
    return caller


def permission(action: str) -> Any:
    """A route guard: the caller's role may take `action` (403 otherwise).

    Guards are coroutines: Litestar runs a plain function guard in a worker thread, a hop per guard per request.
    """

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        services: Services = connection.app.state.services
        authorize((await resolve_caller(connection, services)).actor, action)

    guard.action = action  # type: ignore[attr-defined]  # read by the OpenAPI contract ("who may call")
    return guard


Answer = Callable[[Services, Caller, dict[str, Any], bool], dict[str, Any]]
"""How a write's stored result becomes its answer (mobile_api.showing)."""


def written(services: Services, caller: Caller, outcome: Outcome, shape: type[T],
            answer: Answer = write_answer) -> Response[T]:
    """201 with the resource on first arrival; 200 with the same body and Idempotent-Replayed on a replay.

    The body is the stored answer as the caller may see it now (backend.disclosure, via mobile_api.showing).
    """
    services.project(outcome)
    content = msgspec.convert(answer(services, caller, outcome.result, outcome.replayed), shape)
    if outcome.replayed:
        return Response(content, status_code=200, headers={"Idempotent-Replayed": "true"})
    return Response(content, status_code=201)


JSON_WRITE_EXEMPT: Final = ("/api/v1/media",)


async def require_json(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A guard: a write must send its body as JSON (415 otherwise), except photo uploads."""
    method = connection.scope.get("method", "GET")
    if method in ("POST", "PUT", "PATCH") and not connection.scope["path"].startswith(JSON_WRITE_EXEMPT):
        media_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            raise HTTPException(status_code=415, detail="send the body as application/json")
