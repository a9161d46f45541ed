"""Bearer tokens live by the server's clock alone: issued, valid until their expiry, then refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
import pytest

from mobile_api.auth import TokenIssuer, Unauthenticated
from tests.conftest import Clock

USER = UUID("00000000-0000-0000-0000-000000000042")


@pytest.mark.parametrize("start", [datetime(2030, 6, 1, tzinfo=UTC), datetime(2020, 6, 1, tzinfo=UTC)])
def test_a_token_is_valid_until_it_expires_by_the_servers_clock(start: datetime) -> None:
    clock = Clock(start)
    issuer = TokenIssuer("secret-" * 6, timedelta(hours=12), clock)
    token, expires = issuer.issue(USER, "phone-1", 1)
    assert expires == start + timedelta(hours=12)
    assert issuer.read(token) == (USER, "phone-1", 1)
    clock.advance(hours=11, minutes=59)
    assert issuer.read(token) == (USER, "phone-1", 1)
    clock.advance(minutes=1)
    with pytest.raises(Unauthenticated):
        issuer.read(token)


def test_a_token_signed_with_another_secret_is_refused() -> None:
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    token, _ = TokenIssuer("other-secret-" * 4, timedelta(hours=1), clock).issue(USER, "phone-1", 1)
    with pytest.raises(Unauthenticated):
        TokenIssuer("secret-" * 6, timedelta(hours=1), clock).read(token)


def test_a_remembered_token_does_not_vouch_for_a_tampered_copy() -> None:
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    issuer = TokenIssuer("secret-" * 6, timedelta(hours=1), clock)
    token, _ = issuer.issue(USER, "phone-1", 1)
    assert issuer.read(token) == (USER, "phone-1", 1)
    head, payload, signature = token.split(".")
    forged = ".".join([head, payload, signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")])
    with pytest.raises(Unauthenticated):
        issuer.read(forged)
    assert issuer.read(token) == (USER, "phone-1", 1)


def test_a_token_carries_the_credentials_it_was_issued_under() -> None:
    """The generation of the password a token was issued under travels in the token (mobile_api.auth.Accounts
    refuses it once the account's password has changed since)."""
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    issuer = TokenIssuer("secret-" * 6, timedelta(hours=1), clock)
    token, _ = issuer.issue(USER, "phone-1", 3)
    assert issuer.read(token) == (USER, "phone-1", 3)
    assert TokenIssuer("secret-" * 6, timedelta(hours=1), clock).read(token) == (USER, "phone-1", 3)


def test_a_token_of_the_earlier_release_names_the_first_password() -> None:
    """Tokens issued before they carried a generation were issued under the account's first password at best: such
    a token still works for an account whose password never changed, and no longer once it has."""
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    now = int(clock().timestamp())
    earlier = jwt.encode({"sub": str(USER), "dev": "phone-1", "iat": now, "exp": now + 3600}, "secret-" * 6,
                         algorithm="HS256")
    assert TokenIssuer("secret-" * 6, timedelta(hours=1), clock).read(earlier) == (USER, "phone-1", 1)


@pytest.mark.parametrize("generation", ["2", 2.5, None, -1, 0, True])
def test_a_token_with_a_generation_that_is_no_positive_whole_number_is_refused(generation: object) -> None:
    clock = Clock(datetime(2026, 11, 24, tzinfo=UTC))
    now = int(clock().timestamp())
    odd = jwt.encode({"sub": str(USER), "dev": "phone-1", "iat": now, "exp": now + 3600, "cred": generation},
                     "secret-" * 6, algorithm="HS256")
    with pytest.raises(Unauthenticated):
        TokenIssuer("secret-" * 6, timedelta(hours=1), clock).read(odd)
