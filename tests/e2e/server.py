"""The real server process on a free loopback port, and a small HTTP client for it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from backend.bootstrap import bootstrap
from backend.identity import SYSTEM
from backend.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUHANG_")}
    env["HUHANG_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        env["HUHANG_DATABASE_URL"] = settings.database_url
    if settings.login_address_limit != Settings().login_address_limit:
        env["HUHANG_LOGIN_ADDRESS_LIMIT"] = str(settings.login_address_limit)
    if settings.remind_every != Settings().remind_every:
        env["HUHANG_REMIND_SECONDS"] = str(settings.remind_every.total_seconds())
    if settings.trusted_proxies:
        env["HUHANG_TRUSTED_PROXIES"] = ",".join(settings.trusted_proxies)
    if settings.nats_url:
        env["HUHANG_NATS_URL"] = settings.nats_url
    if settings.s3_endpoint:
        env.update(HUHANG_S3_ENDPOINT=settings.s3_endpoint, HUHANG_S3_ACCESS_KEY=settings.s3_access_key,
                   HUHANG_S3_SECRET_KEY=settings.s3_secret_key, HUHANG_S3_BUCKET=settings.s3_bucket)
    return env


@contextmanager
def running_server(settings: Settings, *extra: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`huhang serve` in its own process (`env`: more HUHANG_* variables); yields its base URL, stops it afterwards."""
    port = free_port()
    log = Path(settings.data_dir) / f"server-{port}.log"
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mobile_api.cli", "serve", "--port", str(port), *extra],
            env=environment(settings) | (env or {}), stdout=out, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base, proc, log)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_until_up(base: str, proc: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(base + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("the server did not come up in time")


def add_users(settings: Settings, users: list[tuple[str, str, str, str | None]], password: str) -> None:
    """Accounts made straight in the store before the server starts (as `huhang users add` does)."""
    with bootstrap(settings) as app:
        for username, role, scope, department in users:
            app.users.add(SYSTEM, username, role, scope, password, department)


class Api:
    """An HTTP client signed in as one user."""

    def __init__(self, base: str, username: str, password: str, device: str = "phone") -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        answer = self.http.post("/api/v1/auth/login", json={"username": username, "password": password, "device_id": device})
        answer.raise_for_status()
        self.token = answer.json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params) if params else self.http.get(path)

    def close(self) -> None:
        self.http.close()


def sub(**fields: Any) -> dict[str, Any]:
    """A write body with a fresh submission id."""
    return {"submission_id": str(uuid4()), **fields}
