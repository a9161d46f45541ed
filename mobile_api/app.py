"""create_app: the one place the HTTP edge is assembled."""

from __future__ import annotations

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from backend.settings import Settings
from mobile_api.common import provide_caller, provide_services
from mobile_api.controllers.audit import AuditController
from mobile_api.controllers.cases import InterventionsController, ReferralsController, ReportsController
from mobile_api.controllers.children import ChildrenController
from mobile_api.controllers.media import MediaController
from mobile_api.controllers.session import HealthController, SessionController
from mobile_api.controllers.stats import StatsController
from mobile_api.controllers.sync import SyncController
from mobile_api.controllers.visits import VisitsController
from mobile_api.errors import HANDLERS
from mobile_api.services import Services
from mobile_api.strict import decode_strictly

JSON_BODY_LIMIT = 1024 * 1024

CONTROLLERS = [
    HealthController,
    SessionController,
    ChildrenController,
    VisitsController,
    ReportsController,
    ReferralsController,
    InterventionsController,
    SyncController,
    AuditController,
    StatsController,
    MediaController,
]


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
    return Litestar(
        route_handlers=CONTROLLERS,
        dependencies={"services": Provide(provide_services, sync_to_thread=False),
                      "caller": Provide(provide_caller, sync_to_thread=False)},
        exception_handlers=HANDLERS,  # type: ignore[arg-type]
        before_request=decode_strictly,
        openapi_config=openapi_config(),
        request_max_body_size=JSON_BODY_LIMIT,
        state=State({"services": built}),
        on_startup=[built.start],
        on_shutdown=[built.close],
    )
