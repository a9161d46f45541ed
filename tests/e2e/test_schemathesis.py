"""Schemathesis against the served OpenAPI document: no 5xx, and no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from backend.settings import Settings
from tests.e2e.server import Api, add_users, running_server

PASSWORD = "fuzz-password-1"


CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "410", "422", "429"]}}})
"""Every check on. A request the schema allows may still be refused on the facts (a time in the future, a sync
cursor of another server, an order of steps): those answer 410 or 422 by API.md, so they count as accepted."""


class Target:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    settings_ = Settings(data_dir=Path(tmp_path_factory.mktemp("fuzz")))
    add_users(settings_, [("fuzzer", "supervisor", "520302", None)], PASSWORD)
    with running_server(settings_) as base:
        api = Api(base, "fuzzer", PASSWORD)
        yield Target(base, api.token)
        api.close()


def test_api_answers_generated_requests_and_passes_every_check(target: Target) -> None:
    """Every operation of the served document, 30 generated requests each, with all of schemathesis's checks
    (no 5xx, status codes, content types, headers and bodies as documented, bad data refused, good data taken)."""
    api_schema = schemathesis.openapi.from_url(f"{target.base}/schema/openapi.json", config=CONFIG)
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=target.base, headers=target.headers, excluded_checks=[positive_data_acceptance],
                                   additional_checks=[no_stack_trace, valid_data_accepted])

        try:
            run()
        except (Exception, FailureGroup) as exc:  # collect every operation's failures, then report them together
            found = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
            failures += [f"{operation.method.upper()} {operation.path}: {str(f)[:300]}" for f in found]
    assert operations >= 25
    assert failures == [], "\n".join(f.replace("\n", " | ") for f in failures)


def no_stack_trace(ctx: Any, response: Any, case: Any) -> bool:
    if b"Traceback" in response.content:
        raise AssertionError("a stack trace in the response")
    return True


def valid_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, except that a made-up paging cursor is refused (400 bad_cursor): cursors are
    signed by the server, so no generated string is one, however well it fits the schema's `string`."""
    if response.status_code == 400 and b'"code":"bad_cursor"' in response.content:
        return True
    return positive_data_acceptance(ctx, response, case)
