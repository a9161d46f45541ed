"""The console's refusals as pages: the same statuses and codes as the API's registry, shown to a person."""

from __future__ import annotations

from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from backend.errors import DomainError
from mobile_api.auth import Unauthenticated
from mobile_api.console.render import render
from mobile_api.console.session import NotForConsole, NotSignedIn
from mobile_api.errors import HTTP_CODES, status_of_class


def not_signed_in(_: Request[Any, Any, Any], __: NotSignedIn) -> Response[Any]:
    return Redirect("/console/login", status_code=303)


def refused(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    """A refusal: the sign-in page again for wrong credentials, else an error page naming the status and code."""
    status = status_of_class(type(exc))
    if isinstance(exc, Unauthenticated):
        return render(request, "login.html", status_code=status, problem="sign_in_failed")
    page = render(request, "error.html", status_code=status, status=status, code=exc.code, detail=exc.detail,
                  explain="console_roles" if isinstance(exc, NotForConsole) else None)
    if "retry_after" in exc.extra:  # the login throttle says when to try again, as the API's answer does
        page.headers["Retry-After"] = str(exc.extra["retry_after"])
    return page


def http_refused(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    return render(request, "error.html", status_code=status, status=status, code=HTTP_CODES.get(status, "error"),
                  detail=str(exc.detail))


HANDLERS: Final = {NotSignedIn: not_signed_in, DomainError: refused, HTTPException: http_refused}
