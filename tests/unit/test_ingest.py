"""Photo ingest on real image bytes: EXIF, orientation, metadata stripped, and every refusal."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from media.ingest import NotAnImage, TooLarge, inspect
from tests.media.images import jpeg, png_bomb, polyglot, truncated_jpeg

CHINA = timezone(timedelta(hours=8))


def run(tmp_path: Path, data: bytes, max_pixels: int = 50_000_000):  # type: ignore[no-untyped-def]
    path = tmp_path / "upload"
    path.write_bytes(data)
    return inspect(path, "0" * 64, len(data), max_pixels)


def test_exif_time_with_offset_and_gps_position_are_read(tmp_path: Path) -> None:
    taken = datetime(2026, 11, 3, 14, 30, 5, tzinfo=timezone(timedelta(hours=8)))
    result = run(tmp_path, jpeg(taken=taken, gps=(26.5783, 106.7135)))
    assert result.taken_at == taken
    assert result.exif_lat == pytest.approx(26.5783, abs=1e-5) and result.exif_lon == pytest.approx(106.7135, abs=1e-5)
    assert (result.width, result.height, result.content_type) == (640, 480, "image/jpeg")


def test_thumbnail_is_small_oriented_and_carries_no_exif(tmp_path: Path) -> None:
    result = run(tmp_path, jpeg(1200, 600, taken=datetime(2026, 11, 3, tzinfo=CHINA), gps=(26.5, 106.7), orientation=6))
    thumb = Image.open(io.BytesIO(result.thumbnail))
    assert thumb.format == "JPEG" and max(thumb.size) <= 320
    assert thumb.size[1] > thumb.size[0]  # orientation 6 (rotated 90°) applied: landscape became portrait
    assert not thumb.getexif() and b"Exif" not in result.thumbnail


@pytest.mark.parametrize(
    ("data", "error"),
    [(b"", NotAnImage), (b"just some text, named photo.jpg", NotAnImage), (truncated_jpeg(), NotAnImage),
     (polyglot(), NotAnImage), (png_bomb(), TooLarge)],
    ids=["empty", "text", "truncated", "jpeg+zip", "png-bomb"],
)
def test_bad_uploads_are_refused(tmp_path: Path, data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        run(tmp_path, data)


def test_pixel_count_in_the_warning_band_is_refused_too(tmp_path: Path) -> None:
    # Pillow only raises above twice its limit; between the limit and twice it merely warns.
    with pytest.raises(TooLarge):
        run(tmp_path, jpeg(1000, 1000), max_pixels=700_000)


def test_png_and_webp_are_accepted(tmp_path: Path) -> None:
    for fmt, content_type in (("PNG", "image/png"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (400, 300), (10, 20, 30)).save(out, fmt)
        assert run(tmp_path, out.getvalue()).content_type == content_type


def test_heic_is_accepted(tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 20, 30)).save(out, "HEIF")
    assert run(tmp_path, out.getvalue()).content_type == "image/heic"
