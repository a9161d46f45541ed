"""What one write may carry, over HTTP: sizes, strict types and time order; a refusal stores nothing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import pytest

from backend.settings import Settings
from tests.e2e.conftest import PLACE_A, World, child_body
from tests.e2e.server import sub

NOW = datetime.now(UTC)
SHA = "ab" * 32


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


class Case(NamedTuple):
    """A refused write: who sends what where, and the status, code and field the answer names."""

    user: str
    path: str
    body: dict[str, Any] | bytes
    status: int
    code: str
    field: str


class Steps:
    """Referrals, interventions and a report whose steps the cases below try to put out of order."""

    def __init__(self, world: World) -> None:
        director, police = world.as_("director"), world.as_("police")
        child = world.child_a

        def made(path: str, body: dict[str, Any], key: str, user: Any = director) -> str:
            answer = user.post(path, body)
            assert answer.status_code == 201, answer.text
            return str(answer.json()[key])

        self.child = child
        history = world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history").json()
        self.registered = history["items"][0]["event_id"]
        self.sent = made("/api/v1/referrals", sub(child_id=child, to_department="police", reason="r",
                                                  occurred_at=ago(days=1)), "referral_id")
        self.accepted = made("/api/v1/referrals", sub(child_id=child, to_department="police", reason="r",
                                                      occurred_at=ago(days=40)), "referral_id")
        made(f"/api/v1/referrals/{self.accepted}/accept", sub(note="ok", occurred_at=ago(days=5)), "referral_id", police)
        self.planned = made("/api/v1/interventions", sub(child_id=child, type="psychological", plan="p",
                                                         responsible_department="civil_affairs",
                                                         occurred_at=ago(days=1)), "intervention_id")
        self.started = made("/api/v1/interventions", sub(child_id=child, type="psychological", plan="p",
                                                         responsible_department="civil_affairs",
                                                         occurred_at=ago(days=10)), "intervention_id")
        made(f"/api/v1/interventions/{self.started}/start", sub(occurred_at=ago(days=5)), "intervention_id")
        self.report = made("/api/v1/reports", sub(source="hotline", reporter={"role": "neighbour"}, description="d",
                                                  jurisdiction=PLACE_A, occurred_at=ago(hours=1)), "report_id")


def visit(s: Steps, **overrides: Any) -> dict[str, Any]:
    return sub(**({"child_id": s.child, "visit_type": "home", "child_seen": True, "guardian_present": True,
                   "geo": {"lat": 27.7, "lon": 106.9, "accuracy_m": 10.0}} | overrides))


def raw_visit(s: Steps, geo: str) -> bytes:
    """A visit body whose geo is given as JSON text (numbers Python's json cannot write)."""
    body = json.dumps(visit(s, geo=None)).replace('"geo": null', f'"geo": {geo}')
    return body.encode()


def guardians(n: int) -> list[dict[str, str]]:
    return [{"relation": "母亲", "name": "李某"} for _ in range(n)]


CASES: dict[str, Callable[[Steps], Case]] = {
    # sizes
    "20,000 guardians": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, guardians=guardians(20_000)),
                                       422, "invalid_input", "guardians"),
    "11 guardians": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, guardians=guardians(11)),
                                   422, "invalid_input", "guardians"),
    "a 500 KB name": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, name="名" * (500_000 // 3)),
                                    422, "invalid_input", "name"),
    "a 65-character name": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, name="名" * 65),
                                          422, "invalid_input", "name"),
    "a name with a NUL": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, name="王\x00明"),
                                        422, "invalid_input", "name"),
    "a 257-character address": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, address="址" * 257),
                                              422, "invalid_input", "address"),
    "a guardian's phone in words": lambda s: Case(
        "director", "/api/v1/children",
        child_body(PLACE_A, guardians=[{"relation": "母亲", "name": "李某", "phone": "call me; --"}]),
        422, "invalid_input", "guardians[0].phone"),
    "a 65-character guardian name": lambda s: Case(
        "director", "/api/v1/children", child_body(PLACE_A, guardians=[{"relation": "母亲", "name": "李" * 65}]),
        422, "invalid_input", "guardians[0].name"),
    "100,000 risk reasons": lambda s: Case("director", f"/api/v1/children/{s.child}/risk-assessments",
                                           sub(level="yellow", reasons=["r"] * 100_000), 422, "invalid_input", "reasons"),
    "21 risk reasons": lambda s: Case("director", f"/api/v1/children/{s.child}/risk-assessments",
                                      sub(level="yellow", reasons=["r"] * 21), 422, "invalid_input", "reasons"),
    "a 201-character reason": lambda s: Case("director", f"/api/v1/children/{s.child}/risk-assessments",
                                             sub(level="yellow", reasons=["因" * 201]), 422, "invalid_input", "reasons[0]"),
    "10,000 photo hashes": lambda s: Case("director", "/api/v1/visits", visit(s, photos=[f"{i:064x}" for i in range(10_000)]),
                                          422, "invalid_input", "photos"),
    "31 photo hashes": lambda s: Case("director", "/api/v1/visits", visit(s, photos=[f"{i:064x}" for i in range(31)]),
                                      422, "invalid_input", "photos"),
    "900 KB of needs": lambda s: Case("director", "/api/v1/visits", visit(s, observations={"needs": "x" * 900_000}),
                                      422, "invalid_input", "observations.needs"),
    "4,001 characters of notes": lambda s: Case("director", "/api/v1/visits", visit(s, notes="记" * 4001),
                                                422, "invalid_input", "notes"),
    "a 4,001-character report": lambda s: Case(
        "director", "/api/v1/reports",
        sub(source="hotline", reporter={"role": "neighbour"}, description="述" * 4001, jurisdiction=PLACE_A),
        422, "invalid_input", "description"),
    "a 65-character reporter name": lambda s: Case(
        "director", "/api/v1/reports",
        sub(source="hotline", reporter={"role": "neighbour", "name": "李" * 65}, description="d", jurisdiction=PLACE_A),
        422, "invalid_input", "reporter.name"),
    "a 4,001-character referral reason": lambda s: Case(
        "director", "/api/v1/referrals", sub(child_id=s.child, to_department="police", reason="因" * 4001),
        422, "invalid_input", "reason"),
    "a 4,001-character acceptance note": lambda s: Case(
        "police", f"/api/v1/referrals/{s.sent}/accept", sub(note="注" * 4001), 422, "invalid_input", "note"),
    "51 conference participants": lambda s: Case(
        "supervisor", f"/api/v1/children/{s.child}/conferences", sub(participants=["张三"] * 51, decisions=["d"]),
        422, "invalid_input", "participants"),
    "31 conference decisions": lambda s: Case(
        "supervisor", f"/api/v1/children/{s.child}/conferences", sub(participants=["张三"], decisions=["d"] * 31),
        422, "invalid_input", "decisions"),
    "a 257-character address as a correction": lambda s: Case(
        "director", f"/api/v1/children/{s.child}/corrections",
        sub(corrects={"event_id": s.registered}, changes={"address": "址" * 257}, reason="r"),
        422, "invalid_input", "changes"),
    # strict types
    'child_seen: "true"': lambda s: Case("director", "/api/v1/visits", visit(s, child_seen="true"),
                                         422, "invalid_input", "child_seen"),
    "child_seen: 1": lambda s: Case("director", "/api/v1/visits", visit(s, child_seen=1), 422, "invalid_input", "child_seen"),
    'lat: "27.7"': lambda s: Case("director", "/api/v1/visits", visit(s, geo={"lat": "27.7", "lon": 106.9}),
                                  422, "invalid_input", "geo.lat"),
    "occurred_at: 1795480000": lambda s: Case("director", "/api/v1/visits", visit(s, occurred_at=1795480000),
                                              422, "invalid_input", "occurred_at"),
    'accuracy_m: "inf"': lambda s: Case("director", "/api/v1/visits",
                                        visit(s, geo={"lat": 27.7, "lon": 106.9, "accuracy_m": "inf"}),
                                        422, "invalid_input", "geo.accuracy_m"),
    "accuracy_m: 1e400": lambda s: Case("director", "/api/v1/visits", raw_visit(s, '{"lat": 27.7, "lon": 106.9, "accuracy_m": 1e400}'),
                                        422, "invalid_input", "geo"),
    "accuracy_m: -1": lambda s: Case("director", "/api/v1/visits", visit(s, geo={"lat": 27.7, "lon": 106.9, "accuracy_m": -1}),
                                     422, "invalid_input", "geo.accuracy_m"),
    "birth_date: 20150101": lambda s: Case("director", "/api/v1/children", child_body(PLACE_A, birth_date=20150101),
                                           422, "invalid_input", "birth_date"),
    'based_on_version: "1"': lambda s: Case("director", f"/api/v1/children/{s.child}/risk-assessments",
                                            sub(level="yellow", based_on_version="1"), 422, "invalid_input", "based_on_version"),
    # time order
    "accepted 10 days before it was sent": lambda s: Case(
        "police", f"/api/v1/referrals/{s.sent}/accept", sub(note="ok", occurred_at=ago(days=11)), 422, "out_of_order", "occurred_at"),
    "declined before it was sent": lambda s: Case(
        "police", f"/api/v1/referrals/{s.sent}/decline", sub(note="no", occurred_at=ago(days=2)), 422, "out_of_order", "occurred_at"),
    "completed 20 days before it was sent": lambda s: Case(
        "police", f"/api/v1/referrals/{s.accepted}/complete", sub(outcome="done", occurred_at=ago(days=60)),
        422, "out_of_order", "occurred_at"),
    "completed before it was accepted": lambda s: Case(
        "police", f"/api/v1/referrals/{s.accepted}/complete", sub(outcome="done", occurred_at=ago(days=6)),
        422, "out_of_order", "occurred_at"),
    "progress before it was accepted": lambda s: Case(
        "police", f"/api/v1/referrals/{s.accepted}/progress", sub(note="n", occurred_at=ago(days=6)),
        422, "out_of_order", "occurred_at"),
    "escalated before it was accepted": lambda s: Case(
        "supervisor", f"/api/v1/referrals/{s.accepted}/escalate", sub(occurred_at=ago(days=8)),
        422, "out_of_order", "occurred_at"),
    "an intervention ended before it was planned": lambda s: Case(
        "director", f"/api/v1/interventions/{s.planned}/end", sub(outcome="o", occurred_at=ago(days=3)),
        422, "out_of_order", "occurred_at"),
    "an intervention started before it was planned": lambda s: Case(
        "director", f"/api/v1/interventions/{s.planned}/start", sub(occurred_at=ago(days=2)),
        422, "out_of_order", "occurred_at"),
    "a review before the start": lambda s: Case(
        "director", f"/api/v1/interventions/{s.started}/review", sub(note="n", occurred_at=ago(days=7)),
        422, "out_of_order", "occurred_at"),
    "ended before it started": lambda s: Case(
        "director", f"/api/v1/interventions/{s.started}/end", sub(outcome="o", occurred_at=ago(days=6)),
        422, "out_of_order", "occurred_at"),
    "a report triaged before it was received": lambda s: Case(
        "director", f"/api/v1/reports/{s.report}/triage", sub(child_id=s.child, decision="monitor", occurred_at=ago(hours=2)),
        422, "out_of_order", "occurred_at"),
}


@pytest.fixture(scope="module")
def steps(world: World) -> Steps:
    return Steps(world)


def stored_events(settings: Settings) -> int:
    with sqlite3.connect(settings.sqlite_path) as conn:
        return int(conn.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def named_fields(error: dict[str, Any]) -> list[str]:
    extra = error.get("extra")
    if isinstance(extra, list):
        return [str(item.get("field")) for item in extra]
    return [str(extra.get("field"))] if isinstance(extra, dict) else []


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_write_over_a_limit_out_of_type_or_out_of_order_is_refused_and_stores_nothing(
    case: str, world: World, steps: Steps, sqlite_settings: Settings
) -> None:
    c = CASES[case](steps)
    api = world.as_(c.user)
    before = stored_events(sqlite_settings)
    if isinstance(c.body, bytes):
        answer = api.http.post(c.path, content=c.body, headers={"Content-Type": "application/json"})
    else:
        answer = api.post(c.path, c.body)
    assert (answer.status_code, answer.json()["code"]) == (c.status, c.code), answer.text[:300]
    fields = named_fields(answer.json())
    assert any(f == c.field or f.startswith((c.field + "[", c.field + ".")) for f in fields), fields
    assert stored_events(sqlite_settings) == before


def test_writes_at_the_limits_are_taken(world: World, steps: Steps) -> None:
    director = world.as_("director")
    child = child_body(PLACE_A, name="名" * 64, address="址" * 256, guardians=[
        {"relation": "母亲", "name": "李" * 64, "phone": "+86 138-0000-0000"}] * 10)
    assert director.post("/api/v1/children", child).status_code == 201
    grading = sub(level="yellow", reasons=["因" * 200] * 20)
    assert director.post(f"/api/v1/children/{steps.child}/risk-assessments", grading).status_code == 201
    full_visit = visit(steps, photos=[f"{i:064x}" for i in range(30)], notes="记" * 4000,
                       observations={k: "察" * 2000 for k in ("living_conditions", "state_of_mind", "needs", "problems")},
                       geo={"lat": -90, "lon": 180, "accuracy_m": 0})
    assert director.post("/api/v1/visits", full_visit).status_code == 201


def test_a_step_at_the_same_instant_as_the_one_it_follows_is_taken(world: World) -> None:
    at = ago(hours=3)
    sent = world.as_("director").post("/api/v1/referrals", sub(child_id=world.child_a, to_department="police",
                                                               reason="r", occurred_at=at))
    referral = sent.json()["referral_id"]
    accepted = world.as_("police").post(f"/api/v1/referrals/{referral}/accept", sub(occurred_at=at))
    assert accepted.status_code == 201 and accepted.json()["status"] == "accepted"


def test_an_offline_step_before_a_later_note_is_still_taken(world: World) -> None:
    """A progress note or escalation does not move a referral on: an acceptance made offline before it counts."""
    director, police = world.as_("director"), world.as_("police")
    referral = director.post("/api/v1/referrals", sub(child_id=world.child_a, to_department="police", reason="r",
                                                      occurred_at=ago(days=3))).json()["referral_id"]
    assert police.post(f"/api/v1/referrals/{referral}/accept", sub(occurred_at=ago(days=2))).status_code == 201
    assert police.post(f"/api/v1/referrals/{referral}/progress", sub(note="n", occurred_at=ago(days=1))).status_code == 201
    done = police.post(f"/api/v1/referrals/{referral}/complete", sub(outcome="o", occurred_at=ago(days=1, hours=12)))
    assert done.status_code == 201


def test_the_schema_states_the_limits(world: World) -> None:
    schemas = world.as_("director").get("/schema/openapi.json").json()["components"]["schemas"]
    child = schemas["RegisterChild"]["properties"]
    assert child["name"]["maxLength"] == 64 and child["address"]["maxLength"] == 256
    assert child["guardians"]["maxItems"] == 10
    visit_props = schemas["RecordVisit"]["properties"]
    assert visit_props["photos"]["maxItems"] == 30 and visit_props["notes"]["maxLength"] == 4000
    assert schemas["AssessRisk"]["properties"]["reasons"]["maxItems"] == 20


def test_the_store_still_verifies_after_the_refusals(world: World, steps: Steps) -> None:
    result = world.as_("auditor").get("/api/v1/audit/verify").json()
    assert result["ok"] is True and result["broken"] == []
