"""No withheld fact leaks by any route: a plain, a victim and a sealed child probed through every operation of
the served OpenAPI document, as every role, against the disclosure table of DESIGN.md written out here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import World, child_body
from tests.e2e.console.client import signed_in
from tests.e2e.console.routes import console_routes
from tests.e2e.server import sub

PLACE = "520302/001/003/07"
"""A village of the cast's own, inside the grid worker's and the director's scope, so counts are exact."""

KINDS = ("plain", "victim", "sealed")
BIRTH = {"plain": "2015-01-01", "victim": "2014-05-05", "sealed": "2016-06-06"}
ID_NUMBER = {"plain": "520302201501011237", "victim": "520302201405054560", "sealed": "520302201606067894"}
MASKED = {"plain": "520302********1237", "victim": "520302********4560", "sealed": "520302********7894"}
CATEGORIES = {"plain": ["left_behind"], "victim": ["crime_victim", "left_behind"],
              "sealed": ["left_behind", "serious_misconduct"]}
REFERRALS = [("victim", "police"), ("victim", "education"), ("sealed", "police")]

# DESIGN.md §1 Privacy, the disclosure table, by account (role, department).
ROLE = {"grid": "grid_worker", "director": "child_director", "supervisor": "supervisor", "county": "supervisor",
        "police": "department_handler", "education": "department_handler", "auditor": "auditor"}
DEPARTMENT = {"police": "police", "education": "education"}
FULL_ID = {"child_director", "supervisor"}
SENSITIVE_OK = {"child_director", "supervisor", "auditor"}
SEALED_OK = {"auditor"}
PROBED = ["grid", "director", "supervisor", "police", "education", "auditor"]


def forbidden(user: str, kind: str) -> set[str]:
    """What `user` must never be shown about the cast's `kind` child, by the table."""
    role, department = ROLE[user], DEPARTMENT.get(user)
    hidden: set[str] = set()
    if role not in FULL_ID:
        hidden.add(ID_NUMBER[kind])
    if kind == "victim" and role not in SENSITIVE_OK:
        hidden.add("crime_victim")
    if kind == "sealed":
        if role not in SEALED_OK:
            hidden.add("serious_misconduct")
        if role not in SEALED_OK and department != "police":
            hidden.add("REASON-sealed-police")
    if kind in ("victim", "sealed") and role not in SENSITIVE_OK:  # free text by others about a sensitive child
        hidden |= {f"NOTE-{kind}", f"OBS-{kind}", f"RISK-{kind}"}
        hidden |= {f"REASON-{k}-{d}" for k, d in REFERRALS if k == kind and d != department}
    return hidden


CODES = {"crime_victim", "serious_misconduct"}
"""Category codes are not unique to the cast: in a list they are checked child by child."""


def forbidden_anywhere(user: str) -> set[str]:
    """The cast's own markers (ID numbers, free text) that `user` must not be shown in any answer."""
    return set().union(*(forbidden(user, kind) for kind in KINDS)) - CODES


def check_children(cast: Cast, user: str, found: Any, where: str) -> None:
    """Every child-shaped object about a cast child in an answer shows only the categories `user` may see."""
    if isinstance(found, list):
        for item in found:
            check_children(cast, user, item, where)
    elif isinstance(found, dict):
        kind = next((k for k, c in cast.child.items() if found.get("child_id") == c), None)
        if kind is not None and isinstance(found.get("categories"), list):
            leaked = set(found["categories"]) & forbidden(user, kind)
            assert leaked == set(), f"{where} showed {leaked} of the {kind} child"
        for value in found.values():
            check_children(cast, user, value, where)


class Cast:
    """The three children, each visited, graded and (but the plain one) referred; the sealed one sealed."""

    def __init__(self, world: World) -> None:
        county, director = world.as_("county"), world.as_("director")
        self.world = world
        self.child: dict[str, str] = {}
        self.visit: dict[str, str] = {}
        self.referral: dict[tuple[str, str], str] = {}
        for kind in KINDS:
            body = child_body(PLACE, name=f"{kind}儿", birth_date=BIRTH[kind], id_number=ID_NUMBER[kind],
                              categories=CATEGORIES[kind])
            self.child[kind] = county.post("/api/v1/children", body).json()["child_id"]
            visit = sub(child_id=self.child[kind], visit_type="home", child_seen=True, guardian_present=True,
                        notes=f"NOTE-{kind}", observations={"state_of_mind": f"OBS-{kind}"})
            self.visit[kind] = director.post("/api/v1/visits", visit).json()["visit_id"]
            graded = county.post(f"/api/v1/children/{self.child[kind]}/risk-assessments",
                                 sub(level="yellow", reasons=[f"RISK-{kind}"]))
            assert graded.status_code == 201, graded.text
        for kind, department in REFERRALS:
            sent = county.post("/api/v1/referrals", sub(child_id=self.child[kind], to_department=department,
                                                        reason=f"REASON-{kind}-{department}"))
            self.referral[(kind, department)] = sent.json()["referral_id"]
        self.before_seal = datetime.now(UTC).isoformat()
        sealed = world.as_("supervisor").post(f"/api/v1/children/{self.child['sealed']}/seal", sub(reason="法院封存决定"))
        assert sealed.status_code == 201, sealed.text


@pytest.fixture(scope="module")
def cast(world: World) -> Cast:
    return Cast(world)


Probe = Callable[[Cast, str], list[httpx.Response]]


def _get(path: str, **params: Any) -> Probe:
    return lambda c, user: [c.world.as_(user).get(path.format(**c.child), **params)]


def _each_child(path: str, **params: Any) -> Probe:
    return lambda c, user: [c.world.as_(user).get(path.format(child=c.child[k]), **params) for k in KINDS]


def _visits(c: Cast, user: str) -> list[httpx.Response]:
    return [c.world.as_(user).get(f"/api/v1/visits/{c.visit[k]}") for k in KINDS]


def _as_of(c: Cast, user: str) -> list[httpx.Response]:
    api = c.world.as_(user)
    return [api.get(f"/api/v1/audit/children/{c.child[k]}/as-of", at=at)
            for k in KINDS for at in (c.before_seal, datetime.now(UTC).isoformat())]


def _register(c: Cast, user: str) -> list[httpx.Response]:
    body = child_body("520302/001/003/06", categories=["crime_victim", "serious_misconduct", "left_behind"])
    return [c.world.as_(user).post("/api/v1/children", body)]


def _grade(c: Cast, user: str) -> list[httpx.Response]:
    return [c.world.as_(user).post(f"/api/v1/children/{c.child[k]}/risk-assessments", sub(level="yellow"))
            for k in KINDS]


def _recategorise(c: Cast, user: str) -> list[httpx.Response]:
    return [c.world.as_(user).post(f"/api/v1/children/{c.child[k]}/categories", sub(add=["idle_minor"], reason="辍学"))
            for k in KINDS]


def _stale_correction(c: Cast, user: str) -> list[httpx.Response]:
    """A correction made on an old version: the 409 carries the child's current state."""
    answers = []
    for kind in KINDS:
        api = c.world.as_(user)
        graded = api.post(f"/api/v1/children/{c.child[kind]}/risk-assessments", sub(level="blue"))
        event_id = graded.json()["assessment"]["event_id"] if graded.status_code == 201 else "00000000-0000-0000-0000-000000000000"
        answers.append(api.post(f"/api/v1/children/{c.child[kind]}/corrections", sub(
            corrects={"event_id": event_id}, changes={"address": "某村 9 号"}, reason="笔误", expected_version=1)))
    return answers


def _stale_transfer(c: Cast, user: str) -> list[httpx.Response]:
    return [c.world.as_(user).post(f"/api/v1/children/{c.child[k]}/transfer",
                                   sub(to_jurisdiction="520302/001/003/08", reason="搬家", expected_version=1))
            for k in KINDS]


def _assign(c: Cast, user: str) -> list[httpx.Response]:
    return [c.world.as_(user).post(f"/api/v1/children/{c.child[k]}/assignment", sub(owner="director"))
            for k in KINDS]


def _triage(c: Cast, user: str) -> list[httpx.Response]:
    answers = []
    for kind in KINDS:
        report = c.world.as_("county").post("/api/v1/reports", sub(
            source="hotline", reporter={"role": "neighbour"}, description="情况", jurisdiction=PLACE))
        answers.append(c.world.as_(user).post(f"/api/v1/reports/{report.json()['report_id']}/triage",
                                              sub(child_id=c.child[kind], decision="monitor")))
    return answers


def _put_back(c: Cast, child: str) -> None:
    """Leave a cast child open again after a lifecycle probe, so every other probe meets it as before."""
    county = c.world.as_("county")
    status = county.get(f"/api/v1/children/{child}").json()["case_status"]
    if status == "closure_requested":
        county.post(f"/api/v1/children/{child}/closure/reject", sub(note="复原")).raise_for_status()
    elif status == "closed":
        county.post(f"/api/v1/children/{child}/reopen", sub(reason="复原")).raise_for_status()


def _lifecycle(path: str, body: dict[str, Any], ask_first: bool = False, close_first: bool = False) -> Probe:
    """A lifecycle step on each cast child by `user` (after a director's request or a closure, when the step needs
    one), its answer kept and the child put back to open."""
    def probe(c: Cast, user: str) -> list[httpx.Response]:
        answers = []
        for kind in KINDS:
            child = c.child[kind]
            if ask_first:
                c.world.as_("director").post(f"/api/v1/children/{child}/closure", sub(reason="other")).raise_for_status()
            if close_first:
                c.world.as_("county").post(f"/api/v1/children/{child}/closure", sub(reason="other")).raise_for_status()
            answers.append(c.world.as_(user).post(f"/api/v1/children/{child}{path}", sub(**body)))
            _put_back(c, child)
        return answers
    return probe


DUPLICATES = "520302/001/003/05"
"""Where the merge probe registers its duplicates: outside the cast's village, so its counts stay exact."""


def _merge(c: Cast, user: str) -> list[httpx.Response]:
    """A fresh duplicate merged into each cast child: the answer is about the kept (cast) child."""
    county = c.world.as_("county")
    answers = []
    for kind in KINDS:
        duplicate = county.post("/api/v1/children", child_body(DUPLICATES, name=f"{kind}儿")).json()["child_id"]
        answers.append(c.world.as_(user).post(f"/api/v1/children/{c.child[kind]}/merge",
                                              sub(duplicate_child_id=duplicate, note="重复登记")))
    return answers


PROBES: dict[str, Probe] = {
    "getChild": _each_child("/api/v1/children/{child}"),
    "listChildren": lambda c, user: [c.world.as_(user).get("/api/v1/children", limit=500, **f)
                                     for f in ({}, {"category": "crime_victim"}, {"category": "serious_misconduct"})],
    "sync": _get("/api/v1/sync", limit=500),
    "listTasks": _get("/api/v1/me/tasks", limit=500),
    "listNotifications": _get("/api/v1/me/notifications", limit=500),
    "getVisit": _visits,
    "listReferrals": _get("/api/v1/referrals", limit=500),
    "childHistory": _each_child("/api/v1/audit/children/{child}/history", limit=500),
    "childAsOf": _as_of,
    "accessLog": _each_child("/api/v1/audit/access-log", limit=500),
    "registerChild": _register,
    "assessRisk": _grade,
    "changeCategories": _recategorise,
    "correctRecord": _stale_correction,
    "transferChild": _stale_transfer,
    "triageReport": _triage,
    "assignChild": _assign,
    "closeCase": _lifecycle("/closure", {"reason": "moved_away", "note": "迁出"}),
    "approveClosure": _lifecycle("/closure/approve", {"note": "同意"}, ask_first=True),
    "rejectClosure": _lifecycle("/closure/reject", {"note": "继续"}, ask_first=True),
    "reopenCase": _lifecycle("/reopen", {"reason": "返回本村"}, close_first=True),
    "updateProfile": _lifecycle("/profile", {"phone": "13900001111", "school": "某小学"}),
    "mergeChild": _merge,
    "listChildVisits": _each_child("/api/v1/children/{child}/visits", limit=500),
    "listChildConferences": _each_child("/api/v1/children/{child}/conferences", limit=500),
    "childTimeline": _each_child("/api/v1/children/{child}/timeline", limit=500),
    "listReports": _get("/api/v1/reports", limit=500),
}
"""Operations whose answers can carry protected facts about a child: probed, every answer searched."""

CHECKED_ELSEWHERE = {
    "statsSummary": "cells checked below against the table's statistics row",
    "verifyChains": "answers counts and stream ids only; its scope is checked below",
    "sealRecord": "answers like changeCategories (ChildChange); a second seal is 409 without a state",
    "getPhoto": "photo bytes: scope checked in test_media",
    "getThumbnail": "photo bytes: scope checked in test_media",
    "uploadPhoto": "answers the photo's own metadata",
    "vocabulary": "codes and labels of the vocabulary, about no child",
    "markNotificationRead": "answers 204 with no body",
    "exportChildren": "an XLSX of the caseload: ID numbers, categories and scope checked in test_roster_import",
    "importRoster": "answers row numbers, codes, child ids and counts; out-of-scope holders named by county only, "
                    "checked in test_roster_import",
    "getImportTemplate": "the template's headers and a made-up example row, about no child",
    "childFilePdf": "a PDF: its text is extracted and searched in test_case_file (sealed and sensitive facts)",
}
NO_CHILD_FACTS = {
    "health", "ready", "login", "me", "recordVisit", "receiveReport", "sendReferral", "acceptReferral",
    "declineReferral", "noteReferralProgress", "completeReferral", "escalateReferral", "planIntervention",
    "startIntervention", "reviewIntervention", "endIntervention", "holdConference", "completeFollowUp",
}
"""Operations whose answers name ids, states and deadlines only: their response schemas are checked to hold none
of the protected fields, so a field added there later fails until it is classified."""

CONSOLE_PROBES = {
    "GET /console": "the worklist of the cast's village",
    "GET /console/children/{child_id:uuid}": "every cast child's file, now and as of before the sealing order",
    "GET /console/referrals": "the referral board of the cast's village",
    "GET /console/stats": "the statistics page of the cast's village",
    "GET /console/access-log": "each cast child's access log (auditors)",
}
"""Console pages that show child facts: probed below as the console's users, every page searched."""
CONSOLE_ELSEWHERE = {
    "GET /console/login": "the sign-in form, about no child",
    "POST /console/login": "a redirect, or the sign-in or refusal page",
    "POST /console/logout": "a redirect",
    "GET /console/static/{file_path:path}": "the stylesheet",
    "GET /console/stats/download": "statsSummary's own CSV/XLSX function over the same tables",
    "GET /console/verify": "counts and stream ids only, as verifyChains",
    "GET /console/media/{media_id:str}": "photo bytes, through getPhoto's own scope check",
    "GET /console/media/{media_id:str}/thumbnail": "photo bytes, through getThumbnail's own scope check",
}
CONSOLE_LABELS = {"crime_victim": "未成年刑事案件受害人", "serious_misconduct": "有严重不良行为未成年人"}
"""The console shows categories by their Chinese labels: a withheld category must not appear either way."""

PROTECTED_FIELDS = {"categories", "id_number", "notes", "observations", "reason", "reasons", "risk_reasons",
                    "description", "outcome", "follow_up", "declined_reason", "data", "plan", "name", "guardians"}


def operations(world: World) -> dict[str, dict[str, Any]]:
    doc = httpx.get(world.base + "/schema/openapi.json").json()
    ops = {}
    for methods in doc["paths"].values():
        for operation in methods.values():
            ops[operation["operationId"]] = operation
    ops["__components__"] = doc["components"]
    return ops


def test_every_operation_of_the_document_is_classified(world: World) -> None:
    ops = operations(world)
    ops.pop("__components__")
    classified = set(PROBES) | set(CHECKED_ELSEWHERE) | NO_CHILD_FACTS
    assert set(ops) - classified == set(), "classify each new operation for disclosure"
    assert classified - set(ops) == set()


def _properties(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> set[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return set()
        seen.add(name)
        return _properties(components["schemas"][name], components, seen)
    found = set(schema.get("properties", {}))
    nested = [*schema.get("properties", {}).values(), *schema.get("oneOf", []), *schema.get("anyOf", [])]
    if "items" in schema:
        nested.append(schema["items"])
    for sub_schema in nested:
        if isinstance(sub_schema, dict) and sub_schema:
            found |= _properties(sub_schema, components, seen)
    return found


def test_answers_that_carry_no_child_facts_have_no_protected_fields(world: World) -> None:
    ops = operations(world)
    components = ops.pop("__components__")
    for name in NO_CHILD_FACTS:
        for status, response in ops[name].get("responses", {}).items():
            if not status.startswith("2"):
                continue
            for media in response.get("content", {}).values():
                fields = _properties(media.get("schema", {}), components, set())
                assert fields & PROTECTED_FIELDS == set(), (name, fields & PROTECTED_FIELDS)


@pytest.mark.parametrize("operation", sorted(PROBES))
@pytest.mark.parametrize("user", PROBED)
def test_no_route_shows_a_withheld_fact(cast: Cast, operation: str, user: str) -> None:
    hidden = forbidden_anywhere(user)
    for answer in PROBES[operation](cast, user):
        assert answer.status_code < 500, answer.text
        where = f"{operation} as {user} ({answer.status_code})"
        leaked = {text for text in hidden if text in answer.text}
        assert leaked == set(), f"{where} showed {leaked}"
        check_children(cast, user, answer.json(), where)
        path = answer.request.url.path
        for kind in KINDS:  # an answer about one cast child: its category codes too
            if cast.child[kind] in path or cast.visit[kind] in path:
                codes = {code for code in forbidden(user, kind) & CODES if code in answer.text}
                assert codes == set(), f"{where} showed {codes} of the {kind} child"


@pytest.mark.parametrize("user", PROBED)
def test_a_list_filtered_on_a_withheld_category_answers_as_if_nothing_matched(cast: Cast, user: str) -> None:
    api = cast.world.as_(user)
    victims = {c["child_id"] for c in api.get("/api/v1/children", category="crime_victim", limit=500).json()["items"]}
    misconduct = {c["child_id"] for c in api.get("/api/v1/children", category="serious_misconduct",
                                                 limit=500).json()["items"]}
    role = ROLE[user]
    assert (cast.child["victim"] in victims) is (role in SENSITIVE_OK)
    assert (cast.child["sealed"] in misconduct) is (role in SEALED_OK)


@pytest.mark.parametrize("user", PROBED)
def test_a_write_answer_and_a_conflict_show_only_what_a_read_would(cast: Cast, user: str) -> None:
    answers = _grade(cast, user) + _stale_correction(cast, user)
    for answer in answers:
        if answer.status_code in (201, 200):
            body = answer.json()
            assert "serious_misconduct" not in body["categories"] or ROLE[user] in SEALED_OK
        if answer.status_code == 409 and answer.json()["code"] == "stale_version":
            current = answer.json()["extra"]["current"]
            if current["child_id"] == cast.child["sealed"]:
                assert "serious_misconduct" not in current["categories"]
                assert "categories:sealed" in current["withheld"] and current["sealed"] is True


def test_as_of_before_the_sealing_order_still_withholds_what_it_seals(cast: Cast) -> None:
    sealed = cast.child["sealed"]
    then = cast.world.as_("supervisor").get(f"/api/v1/audit/children/{sealed}/as-of", at=cast.before_seal).json()
    assert then["categories"] == ["left_behind"] and then["sealed"] is True
    assert "categories:sealed" in then["withheld"]
    shown = cast.world.as_("auditor").get(f"/api/v1/audit/children/{sealed}/as-of", at=cast.before_seal).json()
    assert shown["categories"] == ["left_behind", "serious_misconduct"]
    log = cast.world.as_("auditor").get("/api/v1/audit/access-log", child_id=sealed, limit=500).json()["items"]
    as_of_entries = [e for e in log if e["endpoint"] == "childAsOf" and e["actor_role"] == "auditor"]
    assert as_of_entries and all("sealed" in e["kinds"] for e in as_of_entries)


def test_a_sealed_childs_police_referral_is_withheld_everywhere_but_from_auditors_and_police(cast: Cast) -> None:
    referral = cast.referral[("sealed", "police")]
    for user in PROBED:
        listed = {r["referral_id"] for r in cast.world.as_(user).get("/api/v1/referrals", limit=500).json()["items"]}
        assert (referral in listed) is (user in ("auditor", "police")), user
    status = cast.world.as_("supervisor").get(f"/api/v1/children/{cast.child['sealed']}").json()
    assert referral not in status["open_referrals"] and "referrals:sealed" in status["withheld"]
    assert referral in cast.world.as_("auditor").get(f"/api/v1/children/{cast.child['sealed']}").json()["open_referrals"]


def test_free_text_about_a_victim_is_withheld_from_the_grid_worker_but_not_their_own(cast: Cast) -> None:
    grid = cast.world.as_("grid")
    visit = grid.get(f"/api/v1/visits/{cast.visit['victim']}").json()
    assert visit["notes"] == "" and "state_of_mind" not in visit["observations"]
    assert visit["withheld"] == ["text:sensitive"]
    own = grid.post("/api/v1/visits", sub(child_id=cast.child["victim"], visit_type="home", child_seen=True,
                                          guardian_present=True, notes="OWN-NOTE"))
    assert grid.get(f"/api/v1/visits/{own.json()['visit_id']}").json()["notes"] == "OWN-NOTE"
    director = cast.world.as_("director").get(f"/api/v1/visits/{cast.visit['victim']}").json()
    assert director["notes"] == "NOTE-victim" and director["withheld"] == []
    education = [r for r in cast.world.as_("education").get("/api/v1/referrals", limit=500).json()["items"]
                 if r["referral_id"] == cast.referral[("victim", "education")]]
    assert education[0]["reason"] == "REASON-victim-education"


def test_statistics_cells_follow_the_table(cast: Cast) -> None:
    def cells(user: str) -> dict[str, Any]:
        answer = cast.world.as_(user).get("/api/v1/stats/summary", jurisdiction=PLACE)
        assert answer.status_code == 200, answer.text
        return {row[1]: row[2] for row in answer.json()["tables"]["children_by_category"]["rows"]}

    supervisor, auditor = cells("supervisor"), cells("auditor")
    assert supervisor["crime_victim"] == "<5" and auditor["crime_victim"] == 1
    assert supervisor["serious_misconduct"] == 0 and auditor["serious_misconduct"] == 1  # sealed: auditors only
    assert supervisor["left_behind"] == auditor["left_behind"] == 3
    csv = cast.world.as_("supervisor").get("/api/v1/stats/summary", jurisdiction=PLACE, format="csv").text
    assert "crime_victim,<5" in csv
    supervisor_referrals = cast.world.as_("supervisor").get("/api/v1/stats/summary", jurisdiction=PLACE).json()
    police = [r for r in supervisor_referrals["tables"]["referrals"]["rows"] if r[1] == "police"]
    assert police[0][2] == 1  # the victim's police referral; the sealed child's is a sealed matter


def test_a_correction_of_the_id_number_is_masked_in_history_for_auditors(cast: Cast) -> None:
    child = cast.child["plain"]
    director = cast.world.as_("director")
    history = cast.world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    registered = next(e for e in history if e["type"] == "ChildRegistered")
    corrected = director.post(f"/api/v1/children/{child}/corrections", sub(
        corrects={"event_id": registered["event_id"]}, changes={"id_number": "520302201501014569"}, reason="录错"))
    assert corrected.status_code == 201, corrected.text
    audit = cast.world.as_("auditor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    correction = next(e for e in audit if e["type"] == "CorrectionRecorded")
    assert correction["data"]["changes"]["id_number"] == "520302********4569"
    assert "520302201501014569" not in str(audit) and "520302201501011237" not in str(audit)
    supervisor = cast.world.as_("supervisor").get(f"/api/v1/audit/children/{child}/history", limit=500).json()["items"]
    assert next(e for e in supervisor if e["type"] == "CorrectionRecorded")["data"]["changes"]["id_number"] == \
        "520302201501014569"


def test_one_request_over_many_sensitive_children_is_one_access_event(cast: Cast) -> None:
    county = cast.world.as_("county")
    extra = [county.post("/api/v1/children", child_body(PLACE, categories=["crime_victim"])).json()["child_id"]
             for _ in range(3)]
    listed = cast.world.as_("director").get("/api/v1/children", category="crime_victim", limit=500).json()["items"]
    assert set(extra) <= {c["child_id"] for c in listed}
    auditor = cast.world.as_("auditor")
    access_ids = set()
    for child in [*extra, cast.child["victim"]]:
        log = auditor.get("/api/v1/audit/access-log", child_id=child, limit=500).json()["items"]
        mine = [e for e in log if e["actor_role"] == "child_director" and e["endpoint"] == "listChildren"]
        assert mine and mine[-1]["kinds"] == ["sensitive"]
        access_ids.add(mine[-1]["access_id"])
    assert len(access_ids) == 1


def test_a_handler_cannot_act_on_a_child_they_cannot_see_and_nothing_is_stored(cast: Cast, world: World) -> None:
    education = world.as_("education")
    plain = cast.child["plain"]
    assert education.get(f"/api/v1/children/{plain}").status_code == 404
    planned = education.post("/api/v1/interventions", sub(child_id=plain, type="education_support", plan="资助",
                                                          responsible_department="education"))
    assert planned.status_code == 404 and planned.json()["code"] == "child_not_found"
    assert education.get(f"/api/v1/children/{plain}").status_code == 404
    history = world.as_("auditor").get(f"/api/v1/audit/children/{plain}/history", limit=500).json()["items"]
    assert not any(e["type"] == "InterventionPlanned" for e in history)
    victim = cast.child["victim"]  # an open education referral: the handler sees the child and may act
    assert education.get(f"/api/v1/children/{victim}").status_code == 200
    helped = education.post("/api/v1/interventions", sub(child_id=victim, type="education_support", plan="资助",
                                                         responsible_department="education"))
    assert helped.status_code == 201, helped.text


def test_a_handler_stops_seeing_the_child_when_their_referral_closes(cast: Cast, world: World) -> None:
    county = world.as_("county")
    child = county.post("/api/v1/children", child_body(PLACE)).json()["child_id"]
    referral = county.post("/api/v1/referrals", sub(child_id=child, to_department="education", reason="转学")).json()
    education = world.as_("education")
    assert education.get(f"/api/v1/children/{child}").status_code == 200
    declined = education.post(f"/api/v1/referrals/{referral['referral_id']}/decline", sub(note="不属本部门"))
    assert declined.status_code == 201, declined.text
    assert education.get(f"/api/v1/children/{child}").status_code == 404
    assert child not in {c["child_id"] for c in education.get("/api/v1/children", limit=500).json()["items"]}


def test_verify_without_a_child_walks_only_the_auditors_jurisdiction(cast: Cast, world: World) -> None:
    auditor = world.as_("auditor")  # scope 520302/001
    before = auditor.get("/api/v1/audit/verify").json()
    world.as_("county").post("/api/v1/visits", sub(child_id=world.child_b, visit_type="home", child_seen=True,
                                                   guardian_present=True))  # another town
    after = auditor.get("/api/v1/audit/verify").json()
    assert after["ok"] is True and after["streams_checked"] == before["streams_checked"]
    world.as_("county").post("/api/v1/visits", sub(child_id=world.child_a, visit_type="home", child_seen=True,
                                                   guardian_present=True))  # the auditor's town
    assert auditor.get("/api/v1/audit/verify").json()["streams_checked"] == before["streams_checked"] + 1


def test_every_console_route_is_classified_for_disclosure(tmp_path: Path) -> None:
    classified = set(CONSOLE_PROBES) | set(CONSOLE_ELSEWHERE)
    served = console_routes(tmp_path)
    assert served - classified == set(), "classify each new console route for disclosure"
    assert classified - served == set()


@pytest.mark.parametrize("user", ["supervisor", "auditor"])
def test_no_console_page_shows_a_withheld_fact(cast: Cast, user: str) -> None:
    client = signed_in(cast.world.base, user)
    day = datetime.fromisoformat(cast.before_seal).date().isoformat()
    pages = [f"/console/?jurisdiction={PLACE}", f"/console/referrals?jurisdiction={PLACE}",
             f"/console/stats?jurisdiction={PLACE}"]
    pages += [f"/console/children/{cast.child[k]}{query}" for k in KINDS
              for query in ("", f"?at={day}&basis=recorded", f"?at={day}&basis=occurred")]
    if user == "auditor":
        pages += [f"/console/access-log?child_id={cast.child[k]}" for k in KINDS]
    hidden = forbidden_anywhere(user)
    for path in pages:
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        leaked = {text for text in hidden if text in answer.text}
        assert leaked == set(), f"{path} as {user} showed {leaked}"
        for kind in KINDS:
            if cast.child[kind] in path:
                shown = {c for c in forbidden(user, kind) & CODES if c in answer.text or CONSOLE_LABELS[c] in answer.text}
                assert shown == set(), f"{path} as {user} showed {shown} of the {kind} child"
