"""The photo use case owns the whole upload once the bytes are spooled: the same bytes for the same child again
answer with the first photo without being decoded again, and a photo that cannot be kept stores no event."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from PIL import Image

from backend.photo import Photo, photo_stream_id
from backend.usecases.photos import Keep, PhotoFacts
from media.ingest import photo_ingest
from media.stores import MediaUnavailable, original_key, thumbnail_key
from mobile_api.services import Services
from tests.conftest import fresh_settings
from tests.integration.story import SUPERVISOR
from tests.integration.test_evidence_flags import register
from tests.integration.test_projection_properties import clock_now


@pytest.fixture
def services() -> Iterator[Services]:
    with fresh_settings("sqlite") as config:
        built = Services(config, clock_now())
        try:
            yield built
        finally:
            built.close()


def spooled(tmp_path: Path) -> tuple[Path, str, int]:
    import hashlib

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    path = tmp_path / "one.upload"
    path.write_bytes(out.getvalue())
    return path, hashlib.sha256(out.getvalue()).hexdigest(), len(out.getvalue())


def test_the_same_bytes_again_are_the_first_answer_and_are_not_decoded_again(services: Services, tmp_path: Path) -> None:
    s = services
    child = register(s)
    real = photo_ingest(s.objects, s.settings.max_photo_pixels, s.decode_budget)
    decoded: list[str] = []

    def counting(path: Path, sha256: str, size: int) -> tuple[PhotoFacts, Keep]:
        decoded.append(sha256)
        return real(path, sha256, size)

    s.app.photos.ingest = counting
    path, sha, size = spooled(tmp_path)
    first = s.app.photos.upload(SUPERVISOR, "d", child, path, sha, size)
    again = s.app.photos.upload(SUPERVISOR, "d", child, path, sha, size)
    assert not first.replayed and again.replayed
    assert again.result == first.result
    assert decoded == [sha]
    assert s.objects.exists(original_key(sha)) and s.objects.exists(thumbnail_key(sha))


def test_a_photo_the_object_store_could_not_keep_is_not_recorded(services: Services, tmp_path: Path) -> None:
    s = services
    child = register(s)
    real = photo_ingest(s.objects, s.settings.max_photo_pixels, s.decode_budget)

    def store_down(path: Path, sha256: str, size: int) -> tuple[PhotoFacts, Keep]:
        facts, _ = real(path, sha256, size)

        def keep() -> None:
            raise MediaUnavailable("the object store did not answer: ConnectionRefusedError")

        return facts, keep

    s.app.photos.ingest = store_down
    path, sha, size = spooled(tmp_path)
    with pytest.raises(MediaUnavailable):
        s.app.photos.upload(SUPERVISOR, "d", child, path, sha, size)
    assert s.app.core.load(Photo, photo_stream_id(UUID(str(child)), sha), for_update=False) is None
