"""Serving: the ASGI factory for uvicorn workers and `huhang serve`."""

from __future__ import annotations

import logging
from pathlib import Path

import uvicorn
from litestar import Litestar

from backend.heap import freeze_startup_heap
from backend.settings import Settings
from mobile_api.app import create_app
from mobile_api.serving import ReadLimits, TimedHttpToolsProtocol

DEMO_LOGINS = "demo-logins.txt"


def asgi() -> Litestar:
    """The app for one server worker, from HUHANG_* settings."""
    app = create_app(Settings.from_env())
    freeze_startup_heap()
    return app


def load_demo(settings: Settings, children: int = 300) -> Path:
    """Fill an empty store with the demo county once; the logins are kept beside the data."""
    from backend.bootstrap import bootstrap
    from backend.demo import demo_clock, generate, iter_accounts

    logins = settings.data_dir / DEMO_LOGINS
    clock = demo_clock()
    with bootstrap(settings, clock) as app:
        if app.store.recorder.max_notification_id():
            return logins
        accounts, _, _ = generate(app, clock, children, seed=1)
    logins.write_text("\n".join(iter_accounts(accounts)) + "\n", encoding="utf-8")
    logins.chmod(0o600)
    return logins


# X-Forwarded-For is read by the login throttle, only from the proxies named in HUHANG_TRUSTED_PROXIES;
# uvicorn's own reading of it (which believes any loopback peer) is off. Its access log is off too: at the
# "warning" level it was never written, yet every answer built its line's arguments.
def serve(settings: Settings, host: str, port: int, workers: int, demo: bool) -> None:
    """Run the API with uvicorn; with `demo`, load and print the demo county first."""
    logging.basicConfig(level=logging.INFO)
    if demo:
        logins = load_demo(settings)
        if logins.exists():
            print("Demo logins (username, password, role @ scope):")
            print(logins.read_text(encoding="utf-8"))
        else:
            print("The store already held data, so no demo county was loaded.")
    print(f"Huhang API on http://{host}:{port}  (OpenAPI: /schema/openapi.json)", flush=True)
    TimedHttpToolsProtocol.limits = ReadLimits.of(settings)  # worker processes read the same HUHANG_* settings
    # httptools with header and body read timeouts and a header limit (serving.py), on uvloop.
    protocol, loop = "mobile_api.serving:TimedHttpToolsProtocol", "uvloop"
    if workers > 1:
        uvicorn.run("mobile_api.main:asgi", factory=True, host=host, port=port, workers=workers, log_level="warning",
                    http=protocol, loop=loop, proxy_headers=False, access_log=False)
    else:
        app = create_app(settings)
        freeze_startup_heap()
        uvicorn.run(app, host=host, port=port, log_level="warning", http=protocol, loop=loop,
                    proxy_headers=False, access_log=False)
