"""create_app: the one place the HTTP edge is assembled."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from backend.settings import Settings
from mobile_api.common import ApiRequest, provide_caller, provide_services
from mobile_api.console.controller import TEMPLATES, console_router, console_templates
from mobile_api.console.render import content_security_policy
from mobile_api.contract import complete
from mobile_api.controllers.audit import AuditController
from mobile_api.controllers.casefile import CaseFileController, ConferencesController
from mobile_api.controllers.cases import InterventionsController, ReferralsController, ReportsController
from mobile_api.controllers.children import ChildrenController
from mobile_api.controllers.docs import DocsController
from mobile_api.controllers.imports import ExportsController, ImportsController
from mobile_api.controllers.lifecycle import LifecycleController
from mobile_api.controllers.media import MediaController
from mobile_api.controllers.notifications import NotificationsController
from mobile_api.controllers.session import HealthController, SessionController
from mobile_api.controllers.stats import StatsController
from mobile_api.controllers.sync import SyncController
from mobile_api.controllers.tasks import TasksController
from mobile_api.controllers.visits import VisitsController
from mobile_api.errors import HANDLERS
from mobile_api.services import Services
from mobile_api.strict import decode_strictly

JSON_BODY_LIMIT = 1024 * 1024

CONTROLLERS = [
    HealthController,
    SessionController,
    ChildrenController,
    LifecycleController,
    VisitsController,
    ReportsController,
    ReferralsController,
    InterventionsController,
    CaseFileController,
    ConferencesController,
    SyncController,
    TasksController,
    NotificationsController,
    AuditController,
    StatsController,
    MediaController,
    ImportsController,
    ExportsController,
    DocsController,
]


async def safety_headers(message: Any, scope: Any) -> None:
    """Every answer: no content sniffing; every API answer and console page (personal data) is never cached; console
    pages load nothing from outside the server (a configured tile service aside) and are never framed."""
    if message["type"] != "http.response.start":
        return
    headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    headers.append((b"x-content-type-options", b"nosniff"))
    path: str = scope.get("path", "")
    console = path.startswith("/console")
    if (path.startswith("/api/") or (console and not path.startswith("/console/static/"))) and b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))
    if console:
        policy = content_security_policy(scope["app"].state.services.settings.console_tile_url)
        headers += [(b"content-security-policy", policy.encode()), (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin")]
    message["headers"] = headers


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Huhang API",
        version="1.0.0",
        description="Child-protection field work: visits, risk grading, referrals, interventions, audit.",
        path="/schema",
        render_plugins=[JsonRenderPlugin()],
        components=Components(
            security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")}
        ),
    )


def create_app(settings: Settings, services: Services | None = None) -> Litestar:
    """The Litestar app over services built from `settings` (or given, for tests)."""
    built = services or Services(settings)
    app = Litestar(
        route_handlers=[*CONTROLLERS, console_router()],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=console_templates),
        # The services are one object for the app's life: provided once, not resolved on every request.
        dependencies={"services": Provide(provide_services, sync_to_thread=False, use_cache=True),
                      "caller": Provide(provide_caller, sync_to_thread=False)},
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        before_request=decode_strictly,
        openapi_config=openapi_config(),
        request_max_body_size=JSON_BODY_LIMIT,
        request_class=ApiRequest,
        before_send=[safety_headers],
        state=State({"services": built}),
        on_startup=[built.start],
        on_shutdown=[built.close],
    )
    complete(app)
    one_guard_per_route(app)
    return app


def one_guard_per_route(app: Litestar) -> None:
    """Each route's guards (its controller's, then its own) run as one guard, in the same order.

    Litestar hands every guard of every request its own copy of the route handler; one guard, one copy.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            guards = handler.resolve_guards()
            if len(guards) > 1:
                handler._resolved_guards = [in_order(guards)]


def in_order(guards: list[Any]) -> Any:
    async def guard(connection: Any, handler: Any) -> None:
        for each in guards:
            await each(connection, handler)

    actions = [action for each in guards if (action := getattr(getattr(each, "func", each), "action", None))]
    if actions:  # what the OpenAPI contract reads ("who may call")
        guard.action = actions[-1]  # type: ignore[attr-defined]
    return guard
