"""Jurisdiction paths (四级联动) and the one scope rule: containment by whole segments."""

from __future__ import annotations

import re
from typing import Final

from backend.errors import InvalidJurisdiction

MAX_SEGMENTS: Final = 5  # county / town / village / group / grid
_COUNTY: Final = re.compile(r"[0-9]{6}")
_SEGMENT: Final = re.compile(r"[0-9]{1,4}")
"""ASCII digits only (`\\d` takes any script's digits), matched against the whole segment."""


def parse_jurisdiction(path: str, *, field: str = "jurisdiction") -> str:
    """The path normalised, or InvalidJurisdiction: a 6-digit county code, then up to four short numeric segments."""
    segments = path.strip().strip("/").split("/")
    if not segments or not _COUNTY.fullmatch(segments[0]):
        raise InvalidJurisdiction("a jurisdiction starts with a 6-digit county code", field=field)
    if len(segments) > MAX_SEGMENTS:
        raise InvalidJurisdiction(f"a jurisdiction has at most {MAX_SEGMENTS} segments", field=field)
    if not all(_SEGMENT.fullmatch(s) for s in segments[1:]):
        raise InvalidJurisdiction("segments after the county are 1 to 4 digits", field=field)
    return "/".join(segments)


def within_scope(jurisdiction: str, scope: str) -> bool:
    """True when `jurisdiction` lies inside `scope`, by whole segments."""
    return jurisdiction == scope or jurisdiction.startswith(scope + "/")


def segments(path: str) -> list[str]:
    """The segments of a path."""
    return path.split("/")
