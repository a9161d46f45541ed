"""Schemathesis against the served OpenAPI document: no 5xx, and no response that breaks the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from backend.settings import Settings
from tests.e2e.server import Api, add_users, running_server

PASSWORD = "fuzz-password-1"


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


def test_api_answers_generated_requests_without_5xx_and_within_its_schema(target: Target) -> None:
    """Every operation of the served document, 30 generated requests each (the pytest plugin is not used)."""
    api_schema = schemathesis.openapi.from_url(f"{target.base}/schema/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def run(case: Any) -> None:
            case.call_and_validate(
                base_url=target.base, headers=target.headers, checks=[not_a_server_error, json_within_schema]
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:400]}")
    assert operations >= 25
    assert failures == []


def json_within_schema(ctx: Any, response: Any, case: Any) -> bool | None:
    """Responses in JSON must match their schema (CSV and XLSX downloads are checked elsewhere)."""
    if "json" not in response.headers.get("content-type", [""])[0]:
        return True
    return response_schema_conformance(ctx, response, case)


def not_a_server_error(ctx: Any, response: Any, case: Any) -> bool:
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code} for {case.method} {case.formatted_path}: {response.content[:300]!r}")
    if b"Traceback" in response.content:
        raise AssertionError("a stack trace in the response")
    return True
