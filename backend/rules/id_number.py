"""Resident ID numbers (居民身份证号): GB 11643 check digit, birth date, masking."""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from backend.errors import InvalidIdNumber

_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS: Final = "10X98765432"
_SHAPE: Final = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def birth_date_of(id_number: str) -> date:
    """The birth date written in positions 7–14."""
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def validate_id_number(id_number: str, birth_date: date | None = None) -> str:
    """The ID number normalised (upper-case X), or InvalidIdNumber saying what is wrong."""
    value = id_number.strip().upper()
    if not _SHAPE.match(value):
        raise InvalidIdNumber("an ID number is 17 digits and a digit or X", field="id_number")
    if check_digit(value[:17]) != value[17]:
        raise InvalidIdNumber("the check digit does not match (GB 11643)", field="id_number")
    try:
        born = birth_date_of(value)
    except ValueError:
        raise InvalidIdNumber("the birth date in the ID number is not a date", field="id_number") from None
    if birth_date is not None and born != birth_date:
        raise InvalidIdNumber(
            f"the ID number says born {born.isoformat()}, the record says {birth_date.isoformat()}",
            field="id_number",
        )
    return value


def mask_id_number(id_number: str | None) -> str | None:
    """Shown to everyone who does not need it in full: first 6 and last 4 characters."""
    if not id_number:
        return id_number
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
