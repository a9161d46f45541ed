"""What resolving the caller of one request costs: the bearer token read and the kept account asked (the path every
authenticated request takes, `mobile_api.common.caller_from_token`), in process, on SQLite or PostgreSQL.

Run: .venv/bin/python -m bench.caller [--calls 20000] [--backends sqlite,postgres]
Prints the process CPU time per resolution, and the store calls made per resolution: version probes
(`StreamVersions.latest`) and account loads (`Core.load`). A kept account is one probe and no load.
"""

from __future__ import annotations

import argparse
import time
import warnings
from typing import Any

from litestar.testing import TestClient

from backend.identity import SYSTEM
from bench.common import machine, settings_for
from mobile_api.app import create_app
from mobile_api.common import caller_from_token
from mobile_api.services import Services

PASSWORD = "bench-password-1"


class Request:
    """What `caller_from_token` reads of a request: its state (a fresh one per request)."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}


def request() -> Any:
    return Request()


class Counted:
    """A callable that counts its calls."""

    def __init__(self, call: Any) -> None:
        self.call, self.calls = call, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.call(*args, **kwargs)


def run(backend: str, calls: int) -> None:
    with settings_for(backend) as settings:
        services = Services(settings)
        try:  # the app's shutdown (leaving the test client) closes the services: everything is asked inside it
            services.app.users.add(SYSTEM, "bench", "grid_worker", "520302/001", PASSWORD)
            with TestClient(create_app(settings, services)) as client:
                answer = client.post("/api/v1/auth/login",
                                     json={"username": "bench", "password": PASSWORD, "device_id": "bench-phone"})
                token = answer.json()["access_token"]
                caller_from_token(request(), services, token)  # the account is kept from here on
                probes = services.versions.latest = Counted(services.versions.latest)  # type: ignore[method-assign]
                loads = services.app.core.load = Counted(services.app.core.load)  # type: ignore[method-assign]
                cpu = time.process_time()
                for _ in range(calls):
                    caller_from_token(request(), services, token)
                spent = time.process_time() - cpu
            print(f"{backend:8} {calls} resolutions: CPU {spent / calls * 1e6:.1f} µs each; per resolution "
                  f"{probes.calls / calls:.2f} version probes, {loads.calls / calls:.2f} account loads")
        finally:
            services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"caller resolution, {machine()}")
    for backend in args.backends.split(","):
        run(backend, args.calls)


if __name__ == "__main__":
    main()
