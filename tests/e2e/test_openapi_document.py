"""The served OpenAPI document says what the answers hold: formats, vocabularies, typed objects, the rules of
the bodies, links between operations, and an example request and answer for every operation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import jsonschema_rs
import pytest

from tests.e2e.conftest import PLACE_A, World, child_body


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


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXEMPT: dict[tuple[str, str], str] = {
    ("uploadPhoto", "multipart/form-data"): "the body is the photo's bytes in a multipart form, not JSON",
    ("getPhoto", "image/jpeg"): "the answer is the photo's bytes",
    ("getPhoto", "image/png"): "the answer is the photo's bytes",
    ("getPhoto", "image/webp"): "the answer is the photo's bytes",
    ("getPhoto", "image/heic"): "the answer is the photo's bytes",
    ("getThumbnail", "image/jpeg"): "the answer is a JPEG thumbnail's bytes",
    ("statsSummary", "text/csv"): "a CSV download of the tables the JSON answer's example shows",
    ("statsSummary", XLSX): "an XLSX workbook download of the same tables",
    ("importRoster", "multipart/form-data"): "the body is the roster file in a multipart form, not JSON",
    ("getImportTemplate", XLSX): "the answer is the template workbook's bytes",
    ("exportChildren", XLSX): "the answer is an XLSX workbook of the caseload",
    ("childFilePdf", "application/pdf"): "the answer is the personal file's PDF bytes",
}
"""(operation, media type) of a request body or main answer that cannot have a JSON example, and why."""


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, operation) for path, methods in doc["paths"].items()
            for method, operation in methods.items()]


def main_answer(operation: dict[str, Any]) -> dict[str, Any]:
    """The content of the operation's main success answer: its 201, or else its first 2xx."""
    responses = operation["responses"]
    status = "201" if "201" in responses else min(s for s in responses if s.startswith("2"))
    return dict(responses[status].get("content", {}))


def example_problems(doc: dict[str, Any], op_id: str, part: str, content: dict[str, Any]) -> list[str]:
    """What is wrong with the examples of one request body or answer, media type by media type."""
    found = []
    for media, described in content.items():
        if (op_id, media) in EXEMPT:
            continue
        if media != "application/json":
            found.append(f"{op_id} {part} {media}: no JSON example possible, and not listed in EXEMPT with a reason")
            continue
        example = described.get("examples", {}).get("example", {}).get("value")
        if not example:
            found.append(f"{op_id} {part}: no example")
        elif errors := valid(doc, described["schema"], example):
            found.append(f"{op_id} {part}: {errors}")
    return found


def test_every_operation_shows_an_example_request_and_answer_that_fit_their_schemas(doc: dict[str, Any]) -> None:
    problems = []
    for _, _, operation in operations(doc):
        op_id = operation["operationId"]
        problems += example_problems(doc, op_id, "request", operation.get("requestBody", {}).get("content", {}))
        problems += example_problems(doc, op_id, "answer", main_answer(operation))
    assert problems == []


def test_every_exemption_names_a_media_type_the_document_declares(doc: dict[str, Any]) -> None:
    declared = set()
    for _, _, operation in operations(doc):
        for media in [*operation.get("requestBody", {}).get("content", {}), *main_answer(operation)]:
            declared.add((operation["operationId"], media))
    assert set(EXEMPT) <= declared
    assert all(reason for reason in EXEMPT.values())


def test_every_operation_writes_out_an_example_request_and_who_may_call(doc: dict[str, Any]) -> None:
    for path, method, operation in operations(doc):
        parameters = operation.get("parameters", [])
        for parameter in parameters:
            if parameter["in"] == "path" or parameter.get("required"):
                assert "example" in parameter, (path, parameter["name"])
            if "example" in parameter:
                assert valid(doc, parameter["schema"], parameter["example"]) == [], (path, parameter["name"])
        if any(p["in"] == "query" for p in parameters):
            assert any("example" in p for p in parameters if p["in"] == "query"), path
        line = operation["description"].split("**Example request:** `", 1)[1].split("`", 1)[0]
        shown, _, query = line.removeprefix(method.upper() + " ").partition("?")
        assert "{" not in shown and shown.count("/") == path.count("/"), (path, line)
        assert all(f"{p['name']}=" in query for p in parameters if p["in"] == "query" and "example" in p), line
        assert "**Who may call:**" in operation["description"], path


def example_of(doc: dict[str, Any], path: str) -> tuple[dict[str, Any], set[str]]:
    """A POST's example body, made a fresh submission of now, and the fields of its example answer."""
    operation = doc["paths"][path]["post"]
    body = operation["requestBody"]["content"]["application/json"]["examples"]["example"]["value"]
    answer = operation["responses"]["201"]["content"]["application/json"]["examples"]["example"]["value"]
    return body | {"submission_id": str(uuid4()), "occurred_at": datetime.now(UTC).isoformat()}, set(answer)


def test_the_examples_of_case_work_are_taken_by_the_server(doc: dict[str, Any], world: World) -> None:
    child = world.as_("director").post("/api/v1/children", child_body(PLACE_A)).json()["child_id"]
    for user, path, changes in [
        ("director", "/api/v1/children/{child_id}/categories", {}),
        ("supervisor", "/api/v1/children/{child_id}/conferences", {}),
        ("director", "/api/v1/reports", {"jurisdiction": PLACE_A, "child_id": child}),
        ("director", "/api/v1/children/{child_id}/assignment", {"owner": "grid", "partner": None}),
    ]:
        body, fields = example_of(doc, path)
        answer = world.as_(user).post(path.format(child_id=child), body | changes)
        assert answer.status_code == 201, (path, answer.text)
        assert set(answer.json()) == fields, path
    body, fields = example_of(doc, "/api/v1/interventions")
    planned = world.as_("director").post("/api/v1/interventions", body | {"child_id": child})
    assert planned.status_code == 201 and set(planned.json()) == fields, planned.text
    start = "/api/v1/interventions/{intervention_id}/start"
    body, fields = example_of(doc, start)
    started = world.as_("director").post(start.format(**planned.json()), body)
    assert started.status_code == 201 and set(started.json()) == fields, started.text
    assert started.json()["status"] == "started"


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
