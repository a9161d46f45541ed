"""One registry: every refusal becomes a JSON body with status_code, code, detail (and extra)."""

from __future__ import annotations

import logging
import re
import sqlite3
from typing import Any, Final

import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from backend import errors as e
from backend.disclosure import OTHER_CHILD_FIELDS, Shown
from backend.sqlite_writer import kept_out
from mobile_api.auth import TooManyAttempts, Unauthenticated
from mobile_api.showing import child_answer, other_children, record_shown

log = logging.getLogger("huhang.api")

STATUS: Final[list[tuple[type[e.DomainError], int]]] = [
    (e.BadRequest, 400),
    (Unauthenticated, 401),
    (TooManyAttempts, 429),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.Gone, 410),
    (e.UserDisabledError, 401),
    (e.EventTooLarge, 413),
    (e.TooLarge, 413),
    (e.UnsupportedMediaType, 415),
    (e.InvalidInput, 422),
    (e.StoreUnavailable, 503),
    (e.DependencyUnavailable, 503),
    (e.Busy, 503),
]
"""Domain error → HTTP status; the first matching class wins."""

HTTP_CODES: Final = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    408: "request_timeout", 409: "conflict", 410: "gone", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_attempts", 503: "unavailable",
}


def body(status: int, code: str, detail: str, extra: Any = None,
         headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    content: dict[str, Any] = {"status_code": status, "code": code, "detail": detail}
    if extra:
        content["extra"] = extra
    headers = dict(headers or {})
    if isinstance(extra, dict) and "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Response(content, status_code=status, media_type=MediaType.JSON, headers=headers or None)


def status_of_class(error: type[e.DomainError]) -> int:
    """The HTTP status of a domain error class: the first registry entry it is a kind of (422 otherwise)."""
    return next((s for cls, s in STATUS if issubclass(error, cls)), 422)


def domain_error(request: Request[Any, Any, Any], exc: e.DomainError) -> Response[dict[str, Any]]:
    status = status_of_class(type(exc))
    if status == 503:
        log.warning("%s %s: %s (%r)", request.method, request.url.path, exc.detail, exc.__cause__)
    extra: dict[str, Any] = dict(exc.extra)
    if isinstance(extra.get("current"), dict):
        extra["current"] = _disclosed_current(request, extra["current"])
    if extra.keys() & set(OTHER_CHILD_FIELDS):
        extra = other_children(request.app.state.services, request.state.get("caller"), extra)
    if exc.field:
        extra["field"] = exc.field
    return body(status, exc.code, exc.detail, extra or None)


def _disclosed_current(request: Request[Any, Any, Any], current: dict[str, Any]) -> dict[str, Any] | None:
    """A conflict's current state of a child, as the caller may see it (nothing when the caller is unknown)."""
    caller = request.state.get("caller")
    if caller is None or "child_id" not in current:
        return None
    services = request.app.state.services
    shown = Shown()
    answer = child_answer(services, caller, current, shown)
    record_shown(services, caller, shown, "conflict")
    return answer


_FIELD = re.compile(r"`\$\.([^`]+)`|field `([^`]+)`")


def validation_error(_: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Unparseable JSON is 400; well-formed JSON with wrong fields is 422 naming each field."""
    if not isinstance(exc.extra, list) or not exc.extra:
        return body(400, "malformed_body", str(exc.detail))
    fields = []
    for item in exc.extra:
        message = str(item.get("message", ""))
        match = _FIELD.search(message)
        key = item.get("key")
        name = (match.group(1) or match.group(2)) if match else (key if key not in (None, "data") else "body")
        fields.append({"field": name, "message": message, "source": item.get("source")})
    return body(422, "invalid_input", "the request does not match the schema", fields)


MALFORMED_HINTS: Final = ("JSON is malformed", "truncated", "Unexpected character", "decode")


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    detail = str(exc.detail)
    code = HTTP_CODES.get(status, "error")
    if status == 400 and any(hint in detail for hint in MALFORMED_HINTS):
        code = "malformed_body"
    allow = (exc.headers or {}).get("allow") if status == 405 else None  # a 405 names what is allowed
    return body(status, code, detail, headers={"Allow": allow} if allow else None)


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """A fault of ours: logged with its trace, answered without one."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return body(500, "internal_error", "something went wrong on the server; the request was not completed")


def read_models_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """The read models' database did not answer in time on a request's way (a failed sign-in counted, say): the
    SQLite file's write gate or its own lock still held at their deadline (`backend.sqlite_writer`: "database is
    locked"), or PostgreSQL unreachable. Nothing of the request was stored, and its retry is safe: 503, as the event
    store's own (`StoreUnavailable`). Any other SQLite error is a fault of ours (500)."""
    if isinstance(exc, sqlite3.OperationalError) and not kept_out(exc):
        return unexpected_error(request, exc)
    log.warning("%s %s: the read models did not answer (%r)", request.method, request.url.path, exc)
    return body(503, e.DependencyUnavailable.code, "the database did not answer in time; send the request again")


HANDLERS: Final = {
    e.DomainError: domain_error,
    sqlite3.OperationalError: read_models_unavailable,
    psycopg.OperationalError: read_models_unavailable,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
