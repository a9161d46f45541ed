"""Photos made for tests: JPEGs with EXIF time, GPS and orientation, and the bad inputs ingest must refuse."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from fractions import Fraction

from PIL import Image


def _dms(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round(((value - degrees) * 60 - minutes) * 60 * 1000), 1000)
    return Fraction(degrees), Fraction(minutes), seconds


def jpeg(width: int = 640, height: int = 480, taken: datetime | None = None, gps: tuple[float, float] | None = None,
         orientation: int | None = None, seed: int = 0, quality: int = 85) -> bytes:
    image = Image.new("RGB", (width, height), ((seed * 37) % 256, (seed * 91) % 256, 120))
    for x in range(0, width, max(1, width // 16)):
        image.putpixel((x, (x + seed) % height), (255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "HuhangTestCam"
    if taken is not None:
        exif_ifd = exif.get_ifd(0x8769)
        exif_ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if taken.tzinfo is not None:
            offset = taken.strftime("%z")
            exif_ifd[0x9011] = f"{offset[:3]}:{offset[3:]}"
    if gps is not None:
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1], gps_ifd[2] = ("N" if gps[0] >= 0 else "S"), _dms(abs(gps[0]))
        gps_ifd[3], gps_ifd[4] = ("E" if gps[1] >= 0 else "W"), _dms(abs(gps[1]))
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def png_bomb(side: int = 12_000) -> bytes:
    """A tiny file that decodes to side × side pixels."""
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG", optimize=True)
    return out.getvalue()


def truncated_jpeg() -> bytes:
    data = jpeg(800, 600, seed=3)
    return data[: len(data) * 2 // 3]


def polyglot() -> bytes:
    """A valid JPEG with a ZIP archive appended."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("payload.txt", "not a photo")
    return jpeg(seed=5) + archive.getvalue()
