"""The console's routes as the app serves them: HTML outside the OpenAPI document, so the route tables of
tests/e2e (permission, disclosure, access matrix) list them from the app itself and classify each."""

from __future__ import annotations

from pathlib import Path

from litestar.routes import HTTPRoute

from backend.settings import Settings
from mobile_api.app import create_app


def console_routes(data_dir: Path) -> set[str]:
    """"METHOD path" of every console route (HEAD and OPTIONS aside)."""
    app = create_app(Settings(data_dir=data_dir))
    try:
        return {f"{method} {route.path}" for route in app.routes
                if isinstance(route, HTTPRoute) and route.path.startswith("/console")
                for method in route.methods - {"HEAD", "OPTIONS"}}
    finally:
        app.state.services.close()
