"""What a device id may be: what a phone's app generates, never arbitrary bytes."""

from __future__ import annotations

import re
from typing import Final

from backend.errors import InvalidDeviceId

MAX_LENGTH: Final = 128
_DEVICE_ID: Final = re.compile(r"[A-Za-z0-9._:@+\-]{1,128}")
"""A UUID, an Android id, a model-and-serial: printable ASCII letters, digits and a few separators."""


def check_device_id(device_id: str, *, field: str = "device_id") -> str:
    """The device id as given, or InvalidDeviceId."""
    if not _DEVICE_ID.fullmatch(device_id):
        raise InvalidDeviceId(
            f"a device id is 1 to {MAX_LENGTH} ASCII letters, digits or . _ : @ + -", field=field
        )
    return device_id
