"""Multipart uploads (a photo, a roster): one file part per request, streamed in pieces, never held whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

from litestar import Request
from litestar.datastructures import UploadFile

from backend.errors import MalformedBody, MultipleFiles

CHUNK: Final = 1 << 20


def one_file(what: str, per: str) -> Callable[[Request[Any, Any, Any]], Awaitable[None]]:
    """A before-request check: the form carries one `what` per `per`, in the part `file`; a form with more than one
    file part (whatever their names), or with text that is not UTF-8, is refused plainly (400)."""

    async def check(request: Request[Any, Any, Any]) -> None:
        try:
            form = await request.form()
        except UnicodeDecodeError:
            raise MalformedBody(f"a form field is not UTF-8 text (send the {what} as the file part `file`)") from None
        if sum(isinstance(value, UploadFile) for _, value in form.multi_items()) > 1:
            raise MultipleFiles(f"send one {what} per {per}, as the part `file`; this form has other file parts",
                                field="file")

    return check


async def chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    """The uploaded file, a piece at a time."""
    while chunk := await upload.read(CHUNK):
        yield chunk
