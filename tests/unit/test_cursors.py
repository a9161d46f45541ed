"""Paging cursors: a position goes out and comes back typed; anything else is a bad cursor."""

from __future__ import annotations

import base64
import json

import msgspec
import pytest

from backend.errors import BadCursor
from mobile_api import cursors
from mobile_api.cursors import Cursors, cursor_key

CHILD = "6f1c8a52-3f0e-4d59-9a63-0c2b3f3f6a11"


@pytest.fixture
def codec() -> Cursors:
    return Cursors(cursor_key("a server secret"))


def test_a_position_comes_back_as_it_went_out(codec: Cursors) -> None:
    token = codec.write(cursors.SYNC, (42, CHILD))
    assert token is not None
    assert codec.read(cursors.SYNC, token) == (42, CHILD)
    assert codec.read(cursors.CHILDREN, codec.write(cursors.CHILDREN, ("2026-11-20T09:00:00Z", CHILD))) == (
        "2026-11-20T09:00:00Z", CHILD)


def test_no_cursor_and_the_end_of_a_list(codec: Cursors) -> None:
    assert codec.read(cursors.SYNC, None) is None
    assert codec.read(cursors.SYNC, "") is None
    assert codec.write(cursors.SYNC, None) is None


def test_a_cursor_of_one_list_is_refused_by_another(codec: Cursors) -> None:
    token = codec.write(cursors.SYNC, (42, CHILD))
    with pytest.raises(BadCursor):
        codec.read(cursors.CHILDREN, token)
    history = codec.write(cursors.history(CHILD), (10,))
    with pytest.raises(BadCursor):
        codec.read(cursors.history("another-child"), history)
    with pytest.raises(BadCursor):
        codec.read(cursors.access_log(CHILD), history)


def test_a_cursor_signed_with_another_key_is_refused(codec: Cursors) -> None:
    other = Cursors(cursor_key("another secret"))
    with pytest.raises(BadCursor):
        codec.read(cursors.SYNC, other.write(cursors.SYNC, (1, "")))


@pytest.mark.parametrize("forged", [
    [{"a": 1}, "x"], [[1], "x"], [18446744073709551616, "x"], [-(2**63) - 1, ""], [-5, ""], ["\u0000", "x"], [],
])
def test_forged_payloads_are_refused_whatever_they_hold(codec: Cursors, forged: list[object]) -> None:
    payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
    for token in (payload, payload + ".", payload + ".AAAAAAAAAAAAAAAAAAAAAA", "%%%", "a" * 5000, "é.é"):
        with pytest.raises(BadCursor) as refused:
            codec.read(cursors.SYNC, token)
        assert refused.value.code == "bad_cursor"


def test_a_position_out_of_its_type_is_not_written(codec: Cursors) -> None:
    with pytest.raises(msgspec.ValidationError):
        codec.write(cursors.history(CHILD), (-1,))
