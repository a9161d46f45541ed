"""The console's routes under /console/: HTML for people, outside the API's OpenAPI contract."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from uuid import UUID

from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, Parameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router

from backend.errors import ChildNotFound
from media.stores import original_key, thumbnail_key
from mobile_api.console import pages
from mobile_api.console.charts import bars, positions_plot
from mobile_api.console.errors import HANDLERS
from mobile_api.console.i18n import language, words
from mobile_api.console.render import county_time, render
from mobile_api.console.session import (
    DEVICE_ID,
    check_console_role,
    check_csrf,
    console_caller,
    console_permission,
    end_session,
    start_session,
)
from mobile_api.controllers.audit import verify_for
from mobile_api.controllers.media import serve_object, visible_photo
from mobile_api.controllers.session import sign_in
from mobile_api.controllers.stats import Statistics, download, statistics
from mobile_api.services import Services
from projections.stats import StatTable

HERE: Final = Path(__file__).parent
TEMPLATES: Final = HERE / "templates"
STATIC: Final = HERE / "static"


@dataclass
class LoginForm:
    username: str = ""
    password: str = ""
    csrf_token: str = ""


@dataclass
class CsrfForm:
    csrf_token: str = ""


FormBody = Body(media_type=RequestEncodingType.URL_ENCODED)
FromDate = Annotated[date | None, Parameter(query="from")]


class SessionPages(Controller):
    """Sign in and out with the same accounts, password check and login throttle as the API."""

    path = "/"

    @get("/login", sync_to_thread=False)
    def login_page(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "login.html")

    @post("/login", sync_to_thread=True)
    def login(self, request: Request[Any, Any, Any], data: Annotated[LoginForm, FormBody],
              services: NamedDependency[Services]) -> Response[Any]:
        """Only supervisors and auditors get a session; anyone else is refused before a cookie is set."""
        check_csrf(request, services, data.csrf_token)
        user = sign_in(services, request, data.username, data.password, DEVICE_ID)
        check_console_role(user.as_actor())
        response: Response[Any] = Redirect("/console/", status_code=303)
        start_session(request, services, user, response)
        return response

    @post("/logout", sync_to_thread=False)
    def logout(self, request: Request[Any, Any, Any], data: Annotated[CsrfForm, FormBody],
               services: NamedDependency[Services]) -> Response[Any]:
        check_csrf(request, services, data.csrf_token)
        response: Response[Any] = Redirect("/console/login", status_code=303)
        end_session(request, response)
        return response


class Pages(Controller):
    """The pages a signed-in supervisor or auditor reads."""

    path = "/"

    @get("/", guards=[console_permission("child.read")], sync_to_thread=True)
    def worklist(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
                 jurisdiction: str | None = None) -> Template:
        caller = console_caller(request, services)
        return render(request, "worklist.html", page=pages.worklist(services, caller, jurisdiction or None))

    @get("/children/{child_id:uuid}", guards=[console_permission("audit.read")], sync_to_thread=True)
    def child(self, request: Request[Any, Any, Any], child_id: FromPath[UUID], services: NamedDependency[Services],
              at: date | None = None, basis: Literal["recorded", "occurred"] = "recorded",
              older: Annotated[int, Parameter(ge=0)] = 0) -> Template:
        caller = console_caller(request, services)
        page = pages.child_file(services, caller, child_id, pages.AsOf(day=at, basis=basis), older)
        plot = None
        if page["home"] is not None:
            plot = positions_plot(page["status"]["name"], words(language(request))("home"), page["home"],
                                  page["positions"], services.settings.console_tile_url)
        return render(request, "child.html", page=page, plot=plot)

    @get("/referrals", guards=[console_permission("child.read")], sync_to_thread=True)
    def referrals(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
                  jurisdiction: str | None = None) -> Template:
        caller = console_caller(request, services)
        return render(request, "referrals.html", page=pages.referral_board(services, caller, jurisdiction or None))

    @get("/stats", guards=[console_permission("audit.read")], sync_to_thread=True)
    def stats(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
              jurisdiction: str | None = None, from_: FromDate = None, to: date | None = None) -> Template:
        report = _statistics(request, services, jurisdiction, from_, to)
        charts = [(t, bars(t.title, [(_row_label(t, r), r[2]) for r in t.rows])) for t in report.tables if len(t.columns) >= 3]
        return render(request, "stats.html", report=report, charts=charts)

    @get("/stats/download", guards=[console_permission("audit.read")], sync_to_thread=True)
    def stats_download(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
                       format: Literal["csv", "xlsx"], jurisdiction: str | None = None, from_: FromDate = None,
                       to: date | None = None) -> Response[Any]:
        return download(_statistics(request, services, jurisdiction, from_, to), format)

    @get("/verify", guards=[console_permission("audit.verify")], sync_to_thread=True)
    def verify(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
               child_id: str | None = None, run: bool = False) -> Template:
        caller = console_caller(request, services)
        child = child_named(child_id)
        result = verify_for(services, caller.actor, child) if run else None
        return render(request, "verify.html", result=result, child_id=child)

    @get("/access-log", guards=[console_permission("audit.verify")], sync_to_thread=True)
    def access_log(self, request: Request[Any, Any, Any], services: NamedDependency[Services],
                   child_id: str | None = None) -> Template:
        caller = console_caller(request, services)
        child = child_named(child_id)
        entries = pages.access_entries(services, caller, child) if child else None
        return render(request, "access_log.html", entries=entries, child_id=child)

    @get("/media/{media_id:str}", guards=[console_permission("child.read")], sync_to_thread=True)
    def photo(self, request: Request[Any, Any, Any], media_id: FromPath[str],
              services: NamedDependency[Services]) -> Response[Any]:
        """The original, through the object store's short-lived signed link as the API gives it."""
        content_type = visible_photo(services, console_caller(request, services), media_id)
        return serve_object(services, original_key(media_id), content_type)

    @get("/media/{media_id:str}/thumbnail", guards=[console_permission("child.read")], sync_to_thread=True)
    def thumbnail(self, request: Request[Any, Any, Any], media_id: FromPath[str],
                  services: NamedDependency[Services]) -> Response[Any]:
        visible_photo(services, console_caller(request, services), media_id)
        return serve_object(services, thumbnail_key(media_id), "image/jpeg")


def _row_label(table: StatTable, row: list[Any]) -> str:
    """A row's name in a chart: its first cell, with the second when that is not merely the first's code."""
    return str(row[0]) if table.columns[1] == "code" else f"{row[0]} {row[1]}"


def child_named(text: str | None) -> UUID | None:
    """A child id typed into a form: blank is none; anything that is not an id names no child (404)."""
    if not text or not text.strip():
        return None
    try:
        return UUID(text.strip())
    except ValueError:
        raise ChildNotFound("no such child") from None


def _statistics(request: Request[Any, Any, Any], services: Services, jurisdiction: str | None, first: date | None,
                end: date | None) -> Statistics:
    """The summary over whole days in China Standard Time (from the start of `from` to the end of `to`)."""
    begin = datetime.combine(first, time(0), pages.COUNTY_TIME) if first else None
    finish = pages.end_of_day(end) if end else None
    return statistics(services, console_caller(request, services).actor, jurisdiction or None, begin, finish)


def console_templates(engine: JinjaTemplateEngine) -> None:
    """Chinese in a page's JSON stays readable (not `\\u` escapes); autoescaping stays on."""
    engine.engine.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
    engine.engine.filters["county_time"] = county_time


def console_router() -> Router:
    """Every console route, with its own error pages, none of them in the OpenAPI document."""
    static = create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False,
                                        name="console-static")
    return Router(path="/console", route_handlers=[SessionPages, Pages, static], include_in_schema=False,
                  exception_handlers=HANDLERS)  # type: ignore[arg-type]
