"""The media layer's refusals are domain errors: the one registry gives each its status and code (API.md
Conventions: 413 too large, 415 unsupported media type, 503 a dependency is down), whichever route raises them."""

from __future__ import annotations

import pytest

from backend.errors import DomainError
from media.budget import DecodeBusy
from media.ingest import NotAnImage, TooLarge
from media.stores import MediaUnavailable
from mobile_api.errors import status_of_class

EXPECTED = [
    (NotAnImage("x"), 415, "unsupported_media_type"),
    (TooLarge("x"), 413, "too_large"),
    (MediaUnavailable("x"), 503, "unavailable"),
    (DecodeBusy("x", retry_after=2), 503, "decode_busy"),
]


@pytest.mark.parametrize(("error", "status", "code"), EXPECTED, ids=[type(e).__name__ for e, _, _ in EXPECTED])
def test_each_media_refusal_has_its_status_and_code(error: DomainError, status: int, code: str) -> None:
    assert isinstance(error, DomainError)
    assert status_of_class(type(error)) == status
    assert error.code == code


def test_a_busy_decoder_says_when_to_retry() -> None:
    assert DecodeBusy("x", retry_after=3).extra == {"retry_after": 3}
