"""Object stores for photos: a local folder (embedded default) or S3 through the minio SDK."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from backend.errors import DependencyUnavailable
from backend.settings import Settings

URL_TTL = timedelta(minutes=5)


class MediaUnavailable(DependencyUnavailable):
    """The object store did not answer (503); the upload can be retried."""


class ObjectStore(Protocol):
    """Content-addressed, private objects."""

    def put_file(self, key: str, path: Path, content_type: str) -> None: ...

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None: ...

    def read(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def url(self, key: str) -> str | None:
        """A short-lived link to the object, or None where objects are served through the API."""

    def ping(self) -> None: ...


def original_key(sha256: str) -> str:
    return f"photos/{sha256[:2]}/{sha256}"


def thumbnail_key(sha256: str) -> str:
    return f"thumbnails/{sha256[:2]}/{sha256}.jpg"


class LocalStore:
    """A folder under the data folder; an object appears under its key only once fully written."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)  # photos of children: the service's eyes only

    def _path(self, key: str) -> Path:
        return self.root / key

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self.put_bytes(key, path.read_bytes(), content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, target)  # atomic: a crash leaves a .part file, never a half object
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def read(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def url(self, key: str) -> str | None:
        return None

    def ping(self) -> None:
        if not self.root.is_dir():
            raise MediaUnavailable("the media folder is missing")


class S3Store:
    """S3 (MinIO in production); objects are private and read through presigned links."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool) -> None:
        from minio import Minio
        from urllib3 import PoolManager, Retry, Timeout

        http = PoolManager(timeout=Timeout(connect=3, read=30), retries=Retry(total=1, backoff_factor=0.2))
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key, secure=secure, http_client=http)
        self.bucket = bucket
        self._bucket_ready = False

    def _ready(self) -> None:
        if not self._bucket_ready:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
            self._bucket_ready = True

    def _call(self, action: str, *args: object) -> object:
        from minio.error import S3Error
        from urllib3.exceptions import HTTPError

        try:
            self._ready()
            return getattr(self.client, action)(self.bucket, *args)
        except (HTTPError, OSError) as exc:
            raise MediaUnavailable(f"the object store did not answer: {type(exc).__name__}") from exc
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                raise FileNotFoundError(args[0]) from exc
            raise MediaUnavailable(f"the object store refused: {exc.code}") from exc

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        self._call("fput_object", key, str(path), content_type)

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._call("put_object", key, io.BytesIO(data), len(data), content_type)

    def read(self, key: str) -> bytes:
        response = self._call("get_object", key)
        try:
            return response.read()  # type: ignore[attr-defined, no-any-return]
        finally:
            response.close()  # type: ignore[attr-defined]
            response.release_conn()  # type: ignore[attr-defined]

    def exists(self, key: str) -> bool:
        try:
            self._call("stat_object", key)
            return True
        except FileNotFoundError:
            return False

    def url(self, key: str) -> str | None:
        return str(self._call("presigned_get_object", key, URL_TTL))

    def ping(self) -> None:
        from urllib3.exceptions import HTTPError

        try:
            self.client.bucket_exists(self.bucket)
        except (HTTPError, OSError) as exc:
            raise MediaUnavailable(f"the object store did not answer: {type(exc).__name__}") from exc


def open_object_store(settings: Settings) -> ObjectStore:
    """The object store the settings describe."""
    if settings.s3_endpoint:
        return S3Store(settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, settings.s3_bucket,
                       settings.s3_secure)
    return LocalStore(settings.data_dir / "media")
