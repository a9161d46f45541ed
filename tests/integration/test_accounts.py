"""The account behind a token is kept between requests, and still a user disabled by another process (another
store opened on the same database) is refused at their very next request (API.md: without a valid token, 401; the
e2e `test_no_token_bad_token_and_a_disabled_users_token_are_401` holds a disabled user's token not valid)."""

from __future__ import annotations

from typing import Any

import pytest

from backend.bootstrap import bootstrap
from backend.identity import SYSTEM, user_id_for
from events.vocabulary import Role
from mobile_api.services import Services
from tests.conftest import fresh_settings
from tests.integration.test_projection_properties import BACKENDS

PASSWORD = "a-long-password"


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_account_disabled_elsewhere_is_refused_at_the_next_request(backend: str) -> None:
    with fresh_settings(backend) as settings:
        with bootstrap(settings) as elsewhere:
            elsewhere.users.add(SYSTEM, "leaving", "grid_worker", "520302/001", PASSWORD)
        services = Services(settings)
        try:
            user_id = user_id_for("leaving")
            first: Any = services.accounts.actor(user_id)
            assert (first.username, first.role, first.scope) == ("leaving", Role.GRID_WORKER, "520302/001")
            assert services.accounts.actor(user_id) == first  # kept: asked again, the same account
            with bootstrap(settings) as elsewhere:
                elsewhere.users.disable(SYSTEM, "leaving", "left the job")
            assert services.accounts.actor(user_id) is None
            assert services.accounts.actor(user_id_for("nobody")) is None
        finally:
            services.close()
