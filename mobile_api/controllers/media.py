"""Photos: upload (ingested off the event loop), and short-lived access to the original and thumbnail."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import anyio
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, MultipartBody
from litestar.response import Redirect

from backend.errors import ChildNotFound, NotFound
from media.ingest import spool
from media.stores import original_key, thumbnail_key
from mobile_api.auth import Caller
from mobile_api.common import BEARER, permission
from mobile_api.controllers.children import visible_child
from mobile_api.schemas import PhotoResult
from mobile_api.services import Services
from mobile_api.uploads import chunks, one_file
from projections.queries import photo_children

UPLOAD_LIMIT = 32 * 1024 * 1024
"""The request as a whole; the photo itself is held to the configured limit as it streams in."""
SHA256 = r"[0-9a-f]{64}"


@dataclass
class PhotoUpload:
    """The multipart form: the photo's bytes and the child it shows."""

    file: UploadFile
    child_id: UUID


class MediaNotFound(NotFound):
    code = "media_not_found"


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["media"]
    security = BEARER

    @post("/", operation_id="uploadPhoto", guards=[permission("visit.record")], request_max_body_size=UPLOAD_LIMIT,
          before_request=one_file("photo", "upload"))
    async def upload(
        self, data: MultipartBody[PhotoUpload], caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[PhotoResult]:
        """Upload a photo of a child; its media_id is the SHA-256 of its bytes. The same bytes again: 200."""
        form = data
        await anyio.to_thread.run_sync(services.app.photos.check, caller.actor, form.child_id)
        path, sha256, size = await spool(chunks(form.file), services.settings.data_dir / "uploads",
                                         services.settings.max_photo_bytes)
        try:
            outcome = await anyio.to_thread.run_sync(
                services.app.photos.upload, caller.actor, caller.device_id, form.child_id, path, sha256, size
            )
        finally:
            path.unlink(missing_ok=True)
        await anyio.to_thread.run_sync(services.project, outcome)
        answer = await anyio.to_thread.run_sync(_answer, services, outcome.result)
        if outcome.replayed:
            return Response(answer, status_code=200, headers={"Idempotent-Replayed": "true"})
        return Response(answer, status_code=201)

    @get("/{media_id:str}", operation_id="getPhoto", guards=[permission("child.read")], sync_to_thread=True)
    def original(self, media_id: FromPath[str], caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[Any]:
        """307 to a link valid for 5 minutes (object store), or the bytes (local folder)."""
        content_type = visible_photo(services, caller, media_id)
        return serve_object(services, original_key(media_id), content_type)

    @get("/{media_id:str}/thumbnail", operation_id="getThumbnail", guards=[permission("child.read")], sync_to_thread=True)
    def thumbnail(self, media_id: FromPath[str], caller: NamedDependency[Caller], services: NamedDependency[Services]) -> Response[Any]:
        """A JPEG thumbnail, longest side at most 320 px, without any EXIF."""
        visible_photo(services, caller, media_id)
        return serve_object(services, thumbnail_key(media_id), "image/jpeg")


def _answer(services: Services, stored: dict[str, Any]) -> PhotoResult:
    """The stored photo, with the flags it raises on the visits naming it (read after the write is projected)."""
    return PhotoResult(**stored, visit_flags=services.photo_visit_flags(stored["child_id"], stored["media_id"]))


def visible_photo(services: Services, caller: Caller, media_id: str) -> str:
    """The photo's content type when it was stored for a child the caller sees; otherwise it does not exist for them."""
    if not re.fullmatch(SHA256, media_id):
        raise MediaNotFound("no such photo")
    for child_id, content_type in photo_children(services.read_db, media_id):
        try:
            visible_child(services, caller.actor, UUID(child_id))
            return content_type
        except ChildNotFound:
            continue
    raise MediaNotFound("no such photo")


def serve_object(services: Services, key: str, content_type: str) -> Response[Any]:
    """A redirect to the object store's short-lived signed link, or the bytes from the local folder."""
    try:
        url = services.objects.url(key)
        if url is not None:
            return Redirect(url, status_code=307)
        return Response(services.objects.read(key), media_type=content_type,
                        headers={"Cache-Control": "private, no-store"})
    except FileNotFoundError:
        raise MediaNotFound("no such photo") from None


