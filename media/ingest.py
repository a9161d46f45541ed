"""Photo ingest: stream to disk while hashing, allow-listed decoders, pixel and byte caps, EXIF, thumbnail."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from collections.abc import AsyncIterator
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any, Final

import msgspec
from PIL import Image, ImageOps

from backend import errors
from backend.errors import UnsupportedMediaType
from backend.usecases.photos import Ingest, Keep, PhotoFacts
from media.budget import DecodeBudget, coefficient_bytes, decoded_bytes
from media.stores import ObjectStore, original_key, thumbnail_key

FORMATS: Final = ("JPEG", "PNG", "WEBP", "HEIF")
CONTENT_TYPES: Final = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "HEIF": "image/heic"}
THUMBNAIL_BOX: Final = (320, 320)
ZIP_SIGNATURES: Final = (b"PK\x03\x04", b"PK\x05\x06")
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


class NotAnImage(UnsupportedMediaType):
    """Not a photo we accept, whatever its name or declared type says (415)."""


class TooLarge(errors.TooLarge):
    """Over the byte or pixel limit (413)."""


class Ingested(msgspec.Struct, kw_only=True):
    """What ingest learned about one upload; `path` is the original bytes on local disk."""

    sha256: str
    size: int
    content_type: str
    width: int
    height: int
    taken_at: datetime | None
    exif_lat: float | None
    exif_lon: float | None
    thumbnail: bytes
    path: Path


def _register_heif() -> None:
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # HEIC is then refused like any other unknown format
        pass


_register_heif()


async def spool(chunks: AsyncIterator[bytes], folder: Path, max_bytes: int,
                what: str = "the photo") -> tuple[Path, str, int]:
    """Write the upload (`what`: the photo, a roster) to a private temporary file while hashing it; refuse it once it
    passes `max_bytes` (413)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(dir=folder, suffix=".upload")
    try:
        with os.fdopen(handle, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"{what} is over {max_bytes // 2**20} MiB")
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name), digest.hexdigest(), size


def inspect(path: Path, sha256: str, size: int, max_pixels: int, budget: DecodeBudget | None = None) -> Ingested:
    """Decode the photo fully (CPU-bound: run it off the event loop) and make its thumbnail, within the
    process's decode `budget` (DecodeBusy when there is no room for it soon)."""
    if size == 0:
        raise NotAnImage("the file is empty")
    if _carries_archive(path):
        raise NotAnImage("the file carries an archive inside it")
    Image.MAX_IMAGE_PIXELS = max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=FORMATS) as image:  # read from disk: the file is never held whole
                return _read(image, sha256, size, max_pixels, path, budget)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise TooLarge(f"the photo has too many pixels: {exc}") from None
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage(f"the file is not a readable photo: {type(exc).__name__}") from None


def photo_ingest(objects: ObjectStore, max_pixels: int, budget: DecodeBudget) -> Ingest:
    """The photo use case's ingest: `inspect`, and keeping the original and its thumbnail in `objects`."""

    def ingest(path: Path, sha256: str, size: int) -> tuple[PhotoFacts, Keep]:
        found = inspect(path, sha256, size, max_pixels, budget)
        facts = PhotoFacts(sha256=sha256, size=size, content_type=found.content_type, width=found.width,
                           height=found.height, taken_at=found.taken_at, exif_lat=found.exif_lat,
                           exif_lon=found.exif_lon)

        def keep() -> None:
            objects.put_file(original_key(sha256), path, found.content_type)
            objects.put_bytes(thumbnail_key(sha256), found.thumbnail, "image/jpeg")

        return facts, keep

    return ingest


def _carries_archive(path: Path, chunk: int = 1 << 20) -> bool:
    """Whether a ZIP signature appears anywhere in the file (read in pieces that overlap by a signature)."""
    overlap = max(len(sig) for sig in ZIP_SIGNATURES) - 1
    tail = b""
    with open(path, "rb") as source:
        while piece := source.read(chunk):
            window = tail + piece
            if any(sig in window for sig in ZIP_SIGNATURES):
                return True
            tail = window[-overlap:]
    return False


def _read(
    image: Image.Image, sha256: str, size: int, max_pixels: int, path: Path, budget: DecodeBudget | None
) -> Ingested:
    fmt = image.format or ""
    width, height = image.size
    if width * height > max_pixels:
        raise TooLarge("the photo has too many pixels")
    coefficients = coefficient_bytes(image)  # at full size, whatever the draft
    image.draft("RGB", THUMBNAIL_BOX)  # JPEG decodes at reduced scale (its EXIF was read at open)
    # Everything from here may decode the whole image (a PNG's EXIF can follow its pixels): within the budget.
    with budget.reserve(decoded_bytes(image) + coefficients) if budget is not None else nullcontext():
        exif = image.getexif()
        taken_at = _taken_at(exif)
        lat, lon = _gps(exif)
        thumbnail = _thumbnail(image)
    return Ingested(
        sha256=sha256, size=size, content_type=CONTENT_TYPES[fmt], width=width, height=height, taken_at=taken_at,
        exif_lat=lat, exif_lon=lon, thumbnail=thumbnail, path=path,
    )


def _thumbnail(image: Image.Image) -> bytes:
    """The whole image decoded, reduced to the thumbnail box, turned upright, as a JPEG without metadata."""
    image.thumbnail(THUMBNAIL_BOX)
    oriented = ImageOps.exif_transpose(image) or image
    out = io.BytesIO()
    oriented.convert("RGB").save(out, "JPEG", quality=82, optimize=True)  # no exif= argument: no metadata
    return out.getvalue()


def _taken_at(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(EXIF_IFD)
    text, offset = ifd.get(DATETIME_ORIGINAL), ifd.get(OFFSET_TIME_ORIGINAL)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    tz = _offset(offset) if isinstance(offset, str) else timezone(timedelta(hours=8))  # phones here run China time
    return moment.replace(tzinfo=tz)


def _offset(text: str) -> timezone:
    try:
        sign = -1 if text.startswith("-") else 1
        hours, minutes = text.lstrip("+-").split(":")
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        return timezone(timedelta(hours=8))


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    gps: dict[int, Any] = exif.get_ifd(GPS_IFD)
    try:
        lat = _degrees(gps[2]) * (-1 if gps.get(1) == "S" else 1)
        lon = _degrees(gps[4]) * (-1 if gps.get(3) == "W" else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _degrees(dms: Any) -> float:
    d, m, s = (float(Fraction(v)) if not isinstance(v, float) else v for v in dms)
    return d + m / 60 + s / 3600
