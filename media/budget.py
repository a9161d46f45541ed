"""How much photo decoding one process does at once: a count and a budget of decoded bytes."""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PIL import Image

from backend.errors import PhotoDecodeBusy

BYTES_PER_PIXEL = 4
"""Pillow holds RGB, RGBA, CMYK, I and F images in four bytes a pixel (L and P in one: counted as four)."""


def _malloc_trim() -> Callable[[], None]:
    """glibc's malloc_trim, or nothing where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return lambda: None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int

    def give_back() -> None:
        trim(0)

    return give_back


give_back = _malloc_trim()
"""Return freed memory to the system. A decoded image is freed into the arena of the thread that
decoded it, and each server thread has its own arena: without this, every thread that ever decoded
a large photo keeps that much memory for good."""


class DecodeBusy(PhotoDecodeBusy):
    """The process is decoding as much as its budget allows; the upload is to be retried (503, Retry-After)."""

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.retry_after = retry_after


def decoded_bytes(image: Image.Image) -> int:
    """The memory decoding and thumbnailing `image` takes at its size now (after `draft`, if any)."""
    width, height = image.size
    # Resizing an image with alpha first makes a premultiplied copy of the same size.
    copies = 2 if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") else 1
    return width * height * BYTES_PER_PIXEL * copies


def coefficient_bytes(image: Image.Image) -> int:
    """What a progressive JPEG holds besides its pixels: libjpeg keeps every DCT coefficient of the whole image
    (2 bytes each, per component) until the last scan, whatever scale it is drafted to. Asked before `draft`."""
    if image.format != "JPEG" or not (image.info.get("progressive") or image.info.get("progression")):
        return 0
    width, height = image.size
    return width * height * len(image.getbands()) * 2


class DecodeBudget:
    """At most `concurrency` decodes at once holding at most `max_bytes` together; a decode larger than
    the whole budget runs alone. A caller waits up to `wait` seconds for room, then gets `DecodeBusy`."""

    def __init__(self, max_bytes: int, concurrency: int, wait: float, retry_after: int = 5) -> None:
        self.max_bytes = max_bytes
        self.concurrency = max(concurrency, 1)
        self.wait = wait
        self.retry_after = retry_after
        self.used = 0
        self.running = 0
        self._room = threading.Condition()

    @contextmanager
    def reserve(self, nbytes: int) -> Iterator[None]:
        """Hold `nbytes` of the budget while the block runs."""
        deadline = time.monotonic() + self.wait
        with self._room:
            while not self._fits(nbytes):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DecodeBusy("the server is decoding as many photos as it can; retry shortly",
                                     self.retry_after)
                self._room.wait(left)
            self.used += nbytes
            self.running += 1
        try:
            yield
        finally:
            give_back()
            with self._room:
                self.used -= nbytes
                self.running -= 1
                self._room.notify_all()

    def _fits(self, nbytes: int) -> bool:
        if self.running >= self.concurrency:
            return False
        return self.running == 0 or self.used + nbytes <= self.max_bytes
