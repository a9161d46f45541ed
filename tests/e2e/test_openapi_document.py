"""The served OpenAPI document says what the answers hold: formats, vocabularies, typed objects, the rules of
the bodies, links between operations, and an example for each main field operation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import jsonschema_rs
import pytest

from tests.e2e.conftest import PLACE_A, World


@pytest.fixture(scope="module")
def doc(world: World) -> dict[str, Any]:
    return httpx.get(world.base + "/schema/openapi.json").json()


def field(doc: dict[str, Any], schema: str, name: str) -> dict[str, Any]:
    """A property of a component, its non-null branch when it may be null."""
    found = doc["components"]["schemas"][schema]["properties"][name]
    branches = [b for b in found.get("oneOf", []) if b.get("type") != "null"]
    return branches[0] if branches else found


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_answers_declare_times_dates_and_ids_with_their_formats(doc: dict[str, Any]) -> None:
    for schema, name in [("ChildStatus", "last_visit_at"), ("ChildStatus", "next_visit_due"), ("Visit", "occurred_at"),
                         ("Visit", "recorded_at"), ("Referral", "sent_at"), ("Referral", "accept_by"),
                         ("ReferralResult", "complete_by"), ("LoginResponse", "expires_at"),
                         ("HistoryEntry", "occurred_at"), ("AccessEntry", "at"), ("PhotoResult", "taken_at")]:
        assert field(doc, schema, name) == {"type": "string", "format": "date-time"}, (schema, name)
    assert field(doc, "ChildStatus", "birth_date") == {"type": "string", "format": "date"}
    for schema, name in [("ChildStatus", "child_id"), ("Visit", "visit_id"), ("VisitResult", "child_id"),
                         ("Referral", "referral_id"), ("ReportResult", "report_id"), ("TriageResult", "referral_id"),
                         ("InterventionResult", "intervention_id"), ("HistoryEntry", "event_id"),
                         ("UserInfo", "id"), ("Visit", "actor_id")]:
        assert field(doc, schema, name) == {"type": "string", "format": "uuid"}, (schema, name)
    assert field(doc, "SyncPage", "removed")["items"] == {"type": "string", "format": "uuid"}
    assert field(doc, "ChildStatus", "open_referrals")["items"] == {"type": "string", "format": "uuid"}
    assert field(doc, "PhotoResult", "media_id") == {"type": "string"}  # a SHA-256, not a UUID


def test_answers_name_their_vocabularies(doc: dict[str, Any]) -> None:
    assert field(doc, "ChildStatus", "sex") == ref("Sex")
    assert field(doc, "ChildStatus", "risk_level") == ref("RiskLevel")
    assert field(doc, "ChildStatus", "categories")["items"] == ref("Category")
    assert field(doc, "Visit", "visit_type") == ref("VisitType")
    assert field(doc, "Referral", "department") == ref("Department")
    assert field(doc, "Referral", "status") == ref("ReferralStatus")
    assert field(doc, "ReferralResult", "to_department") == ref("Department")
    assert field(doc, "InterventionResult", "status") == ref("InterventionStatus")
    assert field(doc, "InterventionResult", "type") == ref("InterventionType")
    assert field(doc, "TriageResult", "decision") == ref("TriageDecision")
    assert field(doc, "UserInfo", "role") == ref("Role")
    assert field(doc, "RiskTerm", "code") == ref("RiskLevel")
    schemas = doc["components"]["schemas"]
    assert schemas["ReferralStatus"]["enum"] == ["sent", "accepted", "declined", "completed"]
    assert schemas["InterventionStatus"]["enum"] == ["planned", "started", "ended"]
    assert schemas["Sex"]["enum"] == ["male", "female"]


def test_answers_type_their_nested_objects(doc: dict[str, Any]) -> None:
    assert field(doc, "ChildStatus", "guardians")["items"] == ref("Guardian")
    assert field(doc, "Visit", "geo") == ref("Geo")
    assert field(doc, "HistoryEntry", "geo") == ref("Geo")
    assert field(doc, "Visit", "observations") == ref("Observations")
    assert field(doc, "PhotoResult", "exif_geo") == ref("Position")
    schemas = doc["components"]["schemas"]
    assert set(schemas["Guardian"]["properties"]) == {"relation", "name", "phone", "able_to_care"}
    assert set(schemas["Observations"]["properties"]) == {"living_conditions", "state_of_mind", "needs", "problems"}
    assert schemas["Position"]["required"] == ["lat", "lon"]


def test_bodies_that_refuse_unknown_fields_say_so(doc: dict[str, Any], world: World) -> None:
    schemas = doc["components"]["schemas"]
    for name in ["LoginRequest", "RegisterChild", "RecordVisit", "AssessRisk", "SendReferral", "ReferralStep",
                 "InterventionStep", "TriageReport", "ReceiveReport", "HoldConference", "Geo", "GuardianInput"]:
        assert schemas[name]["additionalProperties"] is False, name
    refused = httpx.post(world.base + "/api/v1/auth/login",
                         json={"username": "director", "password": "x", "device_id": "d", "remember": True})
    assert refused.status_code in (400, 422)


def test_cross_field_rules_are_in_the_bodies_of_the_operations(doc: dict[str, Any]) -> None:
    schemas = doc["components"]["schemas"]
    for path, body, needed in [
        ("/api/v1/referrals/{referral_id}/complete", "CompleteReferralBody", "outcome"),
        ("/api/v1/referrals/{referral_id}/decline", "DeclineReferralBody", "note"),
        ("/api/v1/referrals/{referral_id}/progress", "NoteReferralProgressBody", "note"),
        ("/api/v1/interventions/{intervention_id}/review", "ReviewInterventionBody", "note"),
        ("/api/v1/interventions/{intervention_id}/end", "EndInterventionBody", "outcome"),
    ]:
        operation = doc["paths"][path]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == ref(body)
        assert needed in schemas[body]["required"] and schemas[body]["properties"][needed]["minLength"] == 1
        assert schemas[body]["properties"][needed]["type"] == "string"
        assert f"`{needed}` is required" in operation["description"]
    accept = doc["paths"]["/api/v1/referrals/{referral_id}/accept"]["post"]["requestBody"]["content"]
    assert accept["application/json"]["schema"] == ref("ReferralStep")
    triage = doc["paths"]["/api/v1/reports/{report_id}/triage"]["post"]
    one_of = triage["requestBody"]["content"]["application/json"]["schema"]["allOf"][1]["oneOf"]
    assert [branch["required"] for branch in one_of] == [["child_id"], ["registration"]]
    assert "Exactly one of `child_id`" in triage["description"]
    assert "`participants` may not be empty" in doc["paths"]["/api/v1/children/{child_id}/conferences"]["post"]["description"]


def test_writes_link_to_what_a_client_does_next(doc: dict[str, Any]) -> None:
    def links(path: str) -> dict[str, Any]:
        return doc["paths"][path]["post"]["responses"]["201"]["links"]

    register = links("/api/v1/children")
    assert register["GetChild"] == {"operationId": "getChild", "parameters": {"child_id": "$response.body#/child_id"}}
    assert register["RecordVisit"]["requestBody"] == {"child_id": "$response.body#/child_id"}
    assert register["SendReferral"]["operationId"] == "sendReferral"
    assert links("/api/v1/visits")["GetVisit"]["parameters"] == {"visit_id": "$response.body#/visit_id"}
    assert set(links("/api/v1/referrals")) >= {"AcceptReferral", "DeclineReferral"}
    assert "CompleteReferral" in links("/api/v1/referrals/{referral_id}/accept")
    assert set(links("/api/v1/interventions/{intervention_id}/start")) == {"ReviewIntervention", "EndIntervention"}
    assert links("/api/v1/reports")["TriageReport"]["parameters"] == {"report_id": "$response.body#/report_id"}


MAIN: list[tuple[str, str, str]] = [
    ("/api/v1/auth/login", "post", "200"), ("/api/v1/children", "post", "201"), ("/api/v1/visits", "post", "201"),
    ("/api/v1/children/{child_id}/risk-assessments", "post", "201"), ("/api/v1/referrals", "post", "201"),
    ("/api/v1/sync", "get", "200"),
]


def valid(doc: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    """The errors of `value` against a schema of the document (formats checked)."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "components": doc["components"]} | schema
    validator = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
    return [str(e) for e in validator.iter_errors(value)]


def test_main_field_operations_show_an_example_request_and_answer_that_fit_their_schemas(doc: dict[str, Any]) -> None:
    for path, method, status in MAIN:
        operation = doc["paths"][path][method]
        if method == "post":
            body = operation["requestBody"]["content"]["application/json"]
            example = body["examples"]["example"]["value"]
            assert valid(doc, body["schema"], example) == [], path
        answer = operation["responses"][status]["content"]["application/json"]
        example = answer["examples"]["example"]["value"]
        assert example and valid(doc, answer["schema"], example) == [], path


def test_the_registration_example_is_taken_by_the_server(doc: dict[str, Any], world: World) -> None:
    operation = doc["paths"]["/api/v1/children"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["examples"]["example"]["value"]
    sent = body | {"submission_id": str(uuid4()), "occurred_at": datetime.now(UTC).isoformat(), "jurisdiction": PLACE_A,
                   "id_number": None}
    answer = world.as_("director").post("/api/v1/children", sent)
    assert answer.status_code == 201, answer.text
    example = operation["responses"]["201"]["content"]["application/json"]["examples"]["example"]["value"]
    assert set(answer.json()) == set(example)


def test_answers_require_every_field_they_always_carry(doc: dict[str, Any], world: World) -> None:
    schemas = doc["components"]["schemas"]
    assert {"assessment", "sealed", "withheld"} <= set(schemas["ChildChange"]["required"])
    assert "withheld" in schemas["Visit"]["required"] and "checks" in schemas["Health"]["required"]
    assert schemas["LoginRequest"]["required"] == ["password", "username"]  # a request keeps its defaults optional
    graded = world.as_("county").post(f"/api/v1/children/{world.child_a}/risk-assessments",
                                      {"submission_id": str(uuid4()), "level": "blue"})
    assert graded.status_code == 201 and set(graded.json()) == set(schemas["ChildChange"]["properties"])


def test_bodies_carry_the_bounds_inside_lists_and_nullable_fields(doc: dict[str, Any]) -> None:
    assert field(doc, "RecordVisit", "photos")["items"] == {"type": "string", "pattern": "^[0-9a-f]{64}$"}
    assert field(doc, "Geo", "accuracy_m") == {"type": "number", "minimum": 0.0}
    reason = field(doc, "AssessRisk", "reasons")["items"]
    assert reason["type"] == "string" and reason["maxLength"] == 200
    assert field(doc, "HoldConference", "participants")["items"]["minLength"] == 1
