"""The HTTP contract of API.md over a real server: idempotency, errors, auth, sync."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx

from backend.bootstrap import bootstrap
from backend.identity import SYSTEM
from tests.e2e.conftest import PASSWORD, PLACE_A, World, child_body
from tests.e2e.server import Api, sub


def test_replayed_write_answers_the_same_body_with_200_and_header(world: World) -> None:
    body = child_body(PLACE_A)
    first = world.as_("director").post("/api/v1/children", body)
    again = world.as_("director").post("/api/v1/children", body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.json() == first.json()


def test_a_registration_replayed_after_the_child_changed_still_answers_the_first_body(world: World) -> None:
    """API.md Conventions: the same submission again gives the same body again, whatever happened since."""
    body = child_body(PLACE_A)
    first = world.as_("director").post("/api/v1/children", body)
    child = first.json()["child_id"]
    graded = world.as_("director").post(f"/api/v1/children/{child}/risk-assessments",
                                        {"submission_id": str(uuid4()), "level": "red", "reasons": ["无人照料"]})
    assert graded.status_code == 201
    again = world.as_("director").post("/api/v1/children", body)
    assert again.status_code == 200 and again.json() == first.json()
    assert first.json()["risk_level"] != "red" and first.json()["version"] == 1


def test_same_submission_id_with_other_content_is_409(world: World) -> None:
    body = child_body(PLACE_A)
    world.as_("director").post("/api/v1/children", body)
    changed = body | {"name": "王小红"}
    answer = world.as_("director").post("/api/v1/children", changed)
    assert answer.status_code == 409 and answer.json()["code"] == "submission_conflict"


def test_identical_requests_arriving_together_store_one_visit(world: World) -> None:
    body = sub(child_id=world.child_a, visit_type="home", child_seen=True, guardian_present=True)
    start = threading.Barrier(6)
    token = world.as_("director").token

    def post(_: int) -> httpx.Response:
        with httpx.Client(base_url=world.base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            start.wait(timeout=10)
            return client.post("/api/v1/visits", json=body)

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(post, range(6)))
    assert sorted(a.status_code for a in answers) == [200] * 5 + [201]
    assert len({a.json()["visit_id"] for a in answers}) == 1


def test_bad_input_gets_the_right_4xx_with_the_field_named(world: World) -> None:
    api = world.as_("director")
    bad: list[tuple[Any, int, str | None]] = [
        (child_body(PLACE_A, sex="unknown"), 422, "sex"),
        ({k: v for k, v in child_body(PLACE_A).items() if k != "name"}, 422, "name"),
        (child_body(PLACE_A, categories=["not_a_category"]), 422, "categories"),
        (child_body(PLACE_A, home_geo={"lat": 95, "lon": 106.9}), 422, "home_geo.lat"),
        (child_body(PLACE_A, home_geo={"lat": 27, "lon": 106.9, "crs": "mars"}), 422, "home_geo.crs"),
        (child_body(PLACE_A, occurred_at=(datetime.now(UTC) + timedelta(minutes=10)).isoformat()), 422, "occurred_at"),
        (child_body(PLACE_A, occurred_at=(datetime.now(UTC) - timedelta(days=100)).isoformat()), 422, "occurred_at"),
        (child_body(PLACE_A, occurred_at="yesterday"), 422, "occurred_at"),
        (child_body(PLACE_A, id_number="520302201501010010"), 422, "id_number"),
        (child_body(PLACE_A, jurisdiction="5203/1"), 422, "jurisdiction"),
        (child_body(PLACE_A, unexpected="x"), 422, "unexpected"),
        (child_body(PLACE_A, submission_id="not-a-uuid"), 422, "submission_id"),
    ]
    wrong = []
    for body, status, field in bad:
        answer = api.post("/api/v1/children", body)
        fields = _fields(answer.json())
        named = any(f == field or f.startswith((field + "[", field + ".")) for f in fields)
        if answer.status_code != status or not named:
            wrong.append((field, answer.status_code, answer.text[:200]))
    assert wrong == []


def _fields(error: dict[str, Any]) -> set[str]:
    extra = error.get("extra")
    if isinstance(extra, list):
        return {str(e.get("field")) for e in extra}
    if isinstance(extra, dict) and "field" in extra:
        return {str(extra["field"])}
    return set()


def test_malformed_json_wrong_type_too_large_and_unknown_route(world: World) -> None:
    http = world.as_("director").http
    malformed = http.post("/api/v1/children", content=b'{"name": ', headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["code"] == "malformed_body"
    plain = http.post("/api/v1/children", content=b"name=x", headers={"content-type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["code"] == "unsupported_media_type"
    huge = http.post("/api/v1/visits", content=b'{"notes": "' + b"x" * (2 * 1024 * 1024) + b'"}',
                     headers={"content-type": "application/json"})
    assert huge.status_code == 413
    missing = http.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    for answer in (malformed, plain, huge, missing):
        assert "Traceback" not in answer.text


def test_no_token_bad_token_and_a_disabled_users_token_are_401(world: World, sqlite_settings: Any) -> None:
    assert httpx.get(world.base + "/api/v1/me").status_code == 401
    assert httpx.get(world.base + "/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    with bootstrap(sqlite_settings) as app:
        app.users.add(SYSTEM, "leaving", "grid_worker", "520302/001", PASSWORD)
    api = Api(world.base, "leaving", PASSWORD)
    assert api.get("/api/v1/me").status_code == 200
    with bootstrap(sqlite_settings) as app:
        app.users.disable(SYSTEM, "leaving", "left the job")
    assert api.get("/api/v1/me").status_code == 401
    api.close()


def test_repeated_failed_logins_are_throttled(world: World) -> None:
    statuses = [
        httpx.post(world.base + "/api/v1/auth/login",
                   json={"username": "auditor", "password": "wrong-guess", "device_id": "x"}).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    right = httpx.post(world.base + "/api/v1/auth/login", json={"username": "auditor", "password": PASSWORD, "device_id": "x"})
    assert right.status_code == 429 and int(right.headers["Retry-After"]) > 0


def test_openapi_document_declares_bearer_auth_and_operation_ids(world: World) -> None:
    document = httpx.get(world.base + "/schema/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                assert operation.get("operationId")


def test_the_docs_page_loads_nothing_from_outside_the_server(world: World) -> None:
    page = httpx.get(world.base + "/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text and "//cdn" not in page.text
    assert 'fetch("/schema/openapi.json")' in page.text


def test_the_document_declares_every_refusal_with_one_error_schema_and_the_replay(world: World) -> None:
    doc = httpx.get(world.base + "/schema/openapi.json").json()
    codes = set(doc["components"]["schemas"]["Error"]["properties"]["code"]["enum"])
    assert {"child_not_found", "submission_conflict", "stale_version", "illegal_transition", "invalid_input",
            "malformed_body", "unauthenticated", "forbidden", "too_many_attempts", "cursor_expired",
            "store_unavailable"} <= codes
    register = doc["paths"]["/api/v1/children"]["post"]["responses"]
    assert set(register) >= {"200", "201", "400", "401", "403", "409", "413", "415", "422", "503"}
    assert "Idempotent-Replayed" in register["200"]["headers"]
    assert register["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert doc["paths"]["/api/v1/sync"]["get"]["responses"]["410"]
    assert doc["paths"]["/health"]["get"]["security"] == [] and doc["info"]["license"]
    thumbnail = doc["paths"]["/api/v1/media/{media_id}/thumbnail"]["get"]["responses"]["200"]["content"]
    assert list(thumbnail) == ["image/jpeg"]
    assert "text/csv" in doc["paths"]["/api/v1/stats/summary"]["get"]["responses"]["200"]["content"]
