"""Hostile input that still gets through after the hardening: each test shows one hole, against a real server."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.conftest import World, child_body
from tests.media.images import jpeg

BOUNDARY = "adversary"


def stored_events(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def form(*parts: tuple[bytes, bytes]) -> bytes:
    """A multipart body written by hand: each part is (Content-Disposition parameters, content)."""
    body = b""
    for disposition, content in parts:
        body += f"--{BOUNDARY}\r\n".encode() + b"Content-Disposition: form-data; " + disposition + b"\r\n\r\n"
        body += content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def upload(world: World, body: bytes) -> httpx.Response:
    return world.as_("director").http.post(
        "/api/v1/media", content=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    )


def no_server_error(answer: httpx.Response) -> None:
    """API.md: 'Never a 500 for bad input; never a stack trace in a body.' A 4xx with a code."""
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert answer.json()["code"] not in ("internal_error", "error")


def test_a_form_field_that_is_not_utf8_is_a_4xx_not_a_500(world: World, sqlite_settings: Settings) -> None:
    """Shows: a multipart text field with byte 0xff makes /api/v1/media answer 500 (UnicodeDecodeError in the
    form parser, reached from the `one_file` check that reads the form before the handler)."""
    before = stored_events(sqlite_settings)
    body = form((b'name="child_id"', b"\xff\xfe"), (b'name="file"; filename="a.jpg"', jpeg()))
    no_server_error(upload(world, body))
    assert stored_events(sqlite_settings) == before


def test_a_file_part_named_only_by_filename_star_is_a_4xx_not_a_500(world: World, sqlite_settings: Settings) -> None:
    """Shows: a file part that names its file only with RFC 5987 `filename*` (as RFC 7578 allows) is read as a text
    field, its JPEG bytes decoded as UTF-8, and the upload answers 500."""
    before = stored_events(sqlite_settings)
    body = form(
        (b"name=\"file\"; filename*=UTF-8''%E7%85%A7%E7%89%87.jpg", jpeg()),
        (b'name="child_id"', world.child_a.encode()),
    )
    no_server_error(upload(world, body))
    assert stored_events(sqlite_settings) == before


def test_an_upload_with_a_second_file_under_another_name_says_so_plainly(world: World, sqlite_settings: Settings) -> None:
    """Shows: issue 10 asks that 'an upload with two files says so plainly'; a second file under any name but
    `file` is dropped without a word and the upload is stored (201/200)."""
    before = stored_events(sqlite_settings)
    photo, other = jpeg(), jpeg(seed=7)
    answer = world.as_("director").http.post(
        "/api/v1/media", data={"child_id": world.child_a},
        files=[("file", ("a.jpg", photo, "image/jpeg")), ("photo2", ("b.jpg", other, "image/jpeg"))],
    )
    assert (answer.status_code, answer.json().get("code")) == (400, "multiple_files"), answer.text[:300]
    assert stored_events(sqlite_settings) == before


@pytest.mark.parametrize("name", ["王\x85小明", "王\x9b31m小明", "\x80"], ids=["NEL", "CSI", "PAD"])
def test_c1_control_characters_are_refused_in_a_name(world: World, sqlite_settings: Settings, name: str) -> None:
    """Shows: a name is 'one line of text: no control characters' (backend/limits.py LINE), yet the pattern
    leaves out only C0 and DEL, so C1 controls (U+0080-U+009F: NEL, the 8-bit CSI terminal escape) are stored."""
    before = stored_events(sqlite_settings)
    answer = world.as_("supervisor").post("/api/v1/children", child_body("520302/001/003/01/02", name=name))
    assert (answer.status_code, answer.json().get("code")) == (422, "invalid_input"), answer.text[:300]
    assert stored_events(sqlite_settings) == before


def test_the_openapi_document_declares_the_200_of_the_same_photo_again(world: World) -> None:
    """Shows: API.md says of POST /api/v1/media 'the same bytes again → 200', and the server does answer 200,
    but the OpenAPI document, which API.md says 'matches what the server does', declares no 200 for it."""
    photo = jpeg(seed=11)
    director = world.as_("director").http
    statuses = [
        director.post("/api/v1/media", data={"child_id": world.child_a},
                      files={"file": ("a.jpg", photo, "image/jpeg")}).status_code
        for _ in range(2)
    ]
    assert statuses == [201, 200]
    declared = httpx.get(world.base + "/schema/openapi.json").json()["paths"]["/api/v1/media"]["post"]["responses"]
    assert "200" in declared, sorted(declared)
