"""Every endpoint × every role × in scope / out of scope / other department, with the exact status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from backend.identity import PERMISSIONS
from events.vocabulary import Role
from tests.e2e.conftest import PLACE_A, PLACE_B, USERS, World, child_body
from tests.e2e.console.client import signed_in
from tests.e2e.console.routes import console_routes
from tests.e2e.server import sub
from tests.media.images import jpeg

ROLES = {username: Role(role) for username, role, _, _ in USERS}
DEPARTMENTS = {username: dept for username, _, _, dept in USERS}
MATRIX_USERS = ["grid", "director", "supervisor", "police", "education", "auditor", "admin"]
ONLY_THROUGH_OWN_DEPARTMENT = {
    "getChild", "getVisit", "acceptReferral", "declineReferral", "noteReferralProgress", "completeReferral",
    "startIntervention", "reviewIntervention", "endIntervention", "listChildVisits", "listChildConferences",
    "childTimeline",
}


class Fresh:
    """Resources made for one call by accounts that may make them (so each call meets a fresh state)."""

    def __init__(self, world: World) -> None:
        self.w = world
        self.photos = 0

    def child(self, target: str) -> str:
        return self.w.child_a if target == "A" else self.w.child_b

    def place(self, target: str) -> str:
        return PLACE_A if target == "A" else PLACE_B

    def handler(self, target: str) -> str:
        return "police" if target == "A" else "police_b"

    def referral(self, target: str, days_ago: int = 0) -> str:
        at = (datetime.now(UTC) - timedelta(days=days_ago)).isoformat()
        body = sub(child_id=self.child(target), to_department="police", reason="需要协助", occurred_at=at)
        return self.w.as_("county").post("/api/v1/referrals", body).json()["referral_id"]

    def accepted_referral(self, target: str) -> str:
        referral_id = self.referral(target)
        self.w.as_(self.handler(target)).post(f"/api/v1/referrals/{referral_id}/accept", sub(note="受理")).raise_for_status()
        return referral_id

    def intervention(self, target: str, started: bool = False) -> str:
        body = sub(child_id=self.child(target), type="psychological", plan="每周一次", responsible_department="police")
        iid = self.w.as_("county").post("/api/v1/interventions", body).json()["intervention_id"]
        if started:
            self.w.as_("county").post(f"/api/v1/interventions/{iid}/start", sub()).raise_for_status()
        return iid

    def report(self, target: str) -> str:
        body = sub(source="hotline", reporter={"role": "neighbour"}, description="孩子独自在家",
                   jurisdiction=self.place(target), child_id=self.child(target))
        return self.w.as_("county").post("/api/v1/reports", body).json()["report_id"]

    def conference(self, target: str) -> str:
        body = sub(participants=["民政"], decisions=["跟进"], follow_ups=[{"text": "联系学校", "due_date": "2030-01-01"}])
        return self.w.as_("county").post(f"/api/v1/children/{self.child(target)}/conferences", body).json()["conference_id"]

    def visit(self, target: str) -> str:
        body = sub(child_id=self.child(target), visit_type="home", child_seen=True, guardian_present=True)
        return self.w.as_("county").post("/api/v1/visits", body).json()["visit_id"]

    def next(self) -> int:
        self.photos += 1
        return self.photos

    def photo(self, target: str) -> str:
        self.photos += 1
        data = jpeg(seed=1000 + self.photos)
        api = self.w.as_("county")
        answer = api.http.post("/api/v1/media", files={"file": ("p.jpg", data, "image/jpeg")}, data={"child_id": self.child(target)})
        return str(answer.json()["media_id"])

    def new_child(self, target: str) -> str:
        return str(self.w.as_("county").post("/api/v1/children", child_body(self.place(target))).json()["child_id"])

    def closure_asked(self, target: str) -> str:
        """A fresh child whose closure a child director asked for (in town B, out of every caller's scope but the
        county's, its state does not matter: the answer is 404 before any state is looked at)."""
        child = self.new_child(target)
        if target == "A":
            self.w.as_("director").post(f"/api/v1/children/{child}/closure", sub(reason="moved_away")).raise_for_status()
        return child

    def closed(self, target: str) -> str:
        child = self.new_child(target)
        self.w.as_("county").post(f"/api/v1/children/{child}/closure", sub(reason="risk_resolved")).raise_for_status()
        return child

    def assessment_event(self, target: str) -> str:
        body = sub(level="yellow", reasons=["学习困难"])
        answer = self.w.as_("county").post(f"/api/v1/children/{self.child(target)}/risk-assessments", body)
        return str(answer.json()["assessment"]["event_id"])


Build = Callable[[Fresh, str, str], tuple[str, str, dict[str, Any] | None]]


@dataclass
class Endpoint:
    operation: str
    permission: str | None
    ok: int
    build: Build
    targeted: bool = True


def _post(path: str, body: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    return "POST", path, body


def _plan_body(f: Fresh, t: str, user: str) -> dict[str, Any]:
    return sub(child_id=f.child(t), type="legal_aid", plan="法律援助", responsible_department=DEPARTMENTS[user] or "police")


ENDPOINTS = [
    Endpoint("me", None, 200, lambda f, t, u: ("GET", "/api/v1/me", None), targeted=False),
    Endpoint("vocabulary", None, 200, lambda f, t, u: ("GET", "/api/v1/vocabulary", None), targeted=False),
    Endpoint("registerChild", "child.register", 201, lambda f, t, u: _post("/api/v1/children", child_body(f.place(t)))),
    Endpoint("listChildren", "child.read", 200, lambda f, t, u: ("GET", "/api/v1/children", None), targeted=False),
    Endpoint("getChild", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/children/{f.child(t)}", None)),
    Endpoint("assessRisk", "child.assess_risk", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/risk-assessments", sub(level="blue"))),
    Endpoint("changeCategories", "child.change_categories", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/categories", sub(add=["idle_minor"], reason="辍学"))),
    Endpoint("transferChild", "child.transfer", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.w.as_('county').post('/api/v1/children', child_body(f.place(t))).json()['child_id']}/transfer",
                                   sub(to_jurisdiction=f.place(t).rsplit("/", 1)[0] + "/09", reason="搬家"))),
    Endpoint("correctRecord", "child.correct", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/corrections",
                                   sub(corrects={"event_id": f.assessment_event(t)}, changes={"address": "某村 2 号"}, reason="笔误"))),
    Endpoint("sealRecord", "child.seal", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.w.as_('county').post('/api/v1/children', child_body(f.place(t))).json()['child_id']}/seal",
                                   sub(reason="法院封存决定", order_reference="(2026)黔0302刑初1号"))),
    Endpoint("assignChild", "child.assign", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/assignment", sub(owner="director"))),
    Endpoint("closeCase", "child.close", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.new_child(t)}/closure", sub(reason="moved_away", note="迁出"))),
    Endpoint("approveClosure", "child.decide_closure", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.closure_asked(t)}/closure/approve", sub(note="同意"))),
    Endpoint("rejectClosure", "child.decide_closure", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.closure_asked(t)}/closure/reject", sub(note="继续跟进"))),
    Endpoint("reopenCase", "child.reopen", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.closed(t)}/reopen", sub(reason="返回本村"))),
    Endpoint("updateProfile", "child.update_profile", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/profile", sub(phone="13900001111", school="某小学"))),
    Endpoint("mergeChild", "child.merge", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/merge",
                                   sub(duplicate_child_id=f.new_child(t), note="重复登记"))),
    Endpoint("holdConference", "conference.hold", 201,
             lambda f, t, u: _post(f"/api/v1/children/{f.child(t)}/conferences", sub(participants=["民政"], decisions=["跟进"]))),
    Endpoint("recordVisit", "visit.record", 201,
             lambda f, t, u: _post("/api/v1/visits", sub(child_id=f.child(t), visit_type="home", child_seen=True, guardian_present=True))),
    Endpoint("getVisit", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/visits/{f.visit(t)}", None)),
    # before any referral or intervention is opened with the education department: its handler sees no child yet
    Endpoint("listChildVisits", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/children/{f.child(t)}/visits", None)),
    Endpoint("listChildConferences", "child.read", 200,
             lambda f, t, u: ("GET", f"/api/v1/children/{f.child(t)}/conferences", None)),
    Endpoint("childTimeline", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/children/{f.child(t)}/timeline", None)),
    Endpoint("receiveReport", "report.receive", 201,
             lambda f, t, u: _post("/api/v1/reports", sub(source="walk_in", reporter={"role": "parent"}, description="求助",
                                                          jurisdiction=f.place(t)))),
    Endpoint("triageReport", "report.triage", 201,
             lambda f, t, u: _post(f"/api/v1/reports/{f.report(t)}/triage", sub(child_id=f.child(t), decision="monitor"))),
    Endpoint("sendReferral", "referral.send", 201,
             lambda f, t, u: _post("/api/v1/referrals", sub(child_id=f.child(t), to_department="education", reason="辍学"))),
    Endpoint("acceptReferral", "referral.respond", 201,
             lambda f, t, u: _post(f"/api/v1/referrals/{f.referral(t)}/accept", sub(note="受理"))),
    Endpoint("declineReferral", "referral.respond", 201,
             lambda f, t, u: _post(f"/api/v1/referrals/{f.referral(t)}/decline", sub(note="不属本部门"))),
    Endpoint("noteReferralProgress", "referral.respond", 201,
             lambda f, t, u: _post(f"/api/v1/referrals/{f.accepted_referral(t)}/progress", sub(note="已走访"))),
    Endpoint("completeReferral", "referral.complete", 201,
             lambda f, t, u: _post(f"/api/v1/referrals/{f.accepted_referral(t)}/complete", sub(outcome="已解决"))),
    Endpoint("escalateReferral", "referral.escalate", 201,
             lambda f, t, u: _post(f"/api/v1/referrals/{f.referral(t, days_ago=2)}/escalate", sub(note="超时未受理"))),
    Endpoint("listReferrals", "child.read", 200, lambda f, t, u: ("GET", "/api/v1/referrals", None), targeted=False),
    Endpoint("planIntervention", "intervention.manage", 201, lambda f, t, u: _post("/api/v1/interventions", _plan_body(f, t, u))),
    Endpoint("startIntervention", "intervention.manage", 201,
             lambda f, t, u: _post(f"/api/v1/interventions/{f.intervention(t)}/start", sub())),
    Endpoint("reviewIntervention", "intervention.manage", 201,
             lambda f, t, u: _post(f"/api/v1/interventions/{f.intervention(t, started=True)}/review", sub(note="好转"))),
    Endpoint("endIntervention", "intervention.manage", 201,
             lambda f, t, u: _post(f"/api/v1/interventions/{f.intervention(t, started=True)}/end", sub(outcome="结案"))),
    Endpoint("uploadPhoto", "visit.record", 201,
             lambda f, t, u: ("UPLOAD", f.child(t), {"seed": 5000 + len(u) * 10 + ord(t) + f.next()})),
    Endpoint("getPhoto", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/media/{f.photo(t)}", None)),
    Endpoint("getThumbnail", "child.read", 200, lambda f, t, u: ("GET", f"/api/v1/media/{f.photo(t)}/thumbnail", None)),
    Endpoint("sync", "sync", 200, lambda f, t, u: ("GET", "/api/v1/sync", None), targeted=False),
    Endpoint("listTasks", "tasks.read", 200, lambda f, t, u: ("GET", "/api/v1/me/tasks", None), targeted=False),
    Endpoint("listNotifications", "notifications.read", 200,
             lambda f, t, u: ("GET", "/api/v1/me/notifications", None), targeted=False),
    Endpoint("childHistory", "audit.read", 200,
             lambda f, t, u: ("GET", f"/api/v1/audit/children/{f.child(t)}/history", None)),
    Endpoint("childAsOf", "audit.read", 200,
             lambda f, t, u: ("GET", f"/api/v1/audit/children/{f.child(t)}/as-of?at={_soon()}&basis=occurred", None)),
    Endpoint("verifyChains", "audit.verify", 200, lambda f, t, u: ("GET", f"/api/v1/audit/verify?child_id={f.child(t)}", None)),
    Endpoint("accessLog", "audit.verify", 200, lambda f, t, u: ("GET", f"/api/v1/audit/access-log?child_id={f.child(t)}", None)),
    Endpoint("childFilePdf", "child.file", 200, lambda f, t, u: ("GET", f"/api/v1/children/{f.child(t)}/file.pdf", None)),
    Endpoint("completeFollowUp", "conference.follow_up", 201,
             lambda f, t, u: _post(f"/api/v1/conferences/{f.conference(t)}/follow_ups/0/done", sub(note="已联系"))),
    Endpoint("listReports", "report.register", 200, lambda f, t, u: ("GET", "/api/v1/reports", None), targeted=False),
    Endpoint("statsSummary", "audit.read", 200,
             lambda f, t, u: ("GET", f"/api/v1/stats/summary?jurisdiction={f.place(t).rsplit('/', 3)[0]}", None)),
    Endpoint("exportChildren", "child.export", 200,
             lambda f, t, u: ("GET", f"/api/v1/exports/children.xlsx?jurisdiction={f.place(t).rsplit('/', 3)[0]}", None)),
    Endpoint("getImportTemplate", "child.import", 200,
             lambda f, t, u: ("GET", "/api/v1/imports/template.xlsx", None), targeted=False),
    Endpoint("importRoster", "child.import", 200, lambda f, t, u: ("IMPORT", f.place(t), None), targeted=False),
]

ROSTER_HEADER = "姓名,性别,出生日期,身份证号,区划编码,家庭住址,重点群体,监护人姓名,监护人关系,监护人电话,监护人能否履责"


def _soon() -> str:
    return (datetime.now(UTC) + timedelta(minutes=1)).isoformat().replace("+00:00", "Z")


def expected(endpoint: Endpoint, user: str, target: str) -> int:
    if endpoint.permission and ROLES[user] not in PERMISSIONS[endpoint.permission]:
        return 403
    if endpoint.targeted and target == "B":
        return 404
    if user == "education" and endpoint.operation in ONLY_THROUGH_OWN_DEPARTMENT:
        return 404
    return endpoint.ok


def run_matrix(world: World) -> list[str]:
    # The police handler sees child A through a referral to the police.
    fresh = Fresh(world)
    fresh.referral("A")
    wrong = []
    for endpoint in ENDPOINTS:
        for user in MATRIX_USERS:
            for target in ("A", "B") if endpoint.targeted else ("A",):
                method, path, body = endpoint.build(fresh, target, user)
                api = world.as_(user)
                if method == "UPLOAD":
                    files = {"file": ("p.jpg", jpeg(seed=int(body["seed"]) if body else 0), "image/jpeg")}
                    answer = api.http.post("/api/v1/media", files=files, data={"child_id": path})
                elif method == "IMPORT":  # a dry run of a one-row roster in the place
                    roster = f"{ROSTER_HEADER}\n李小花,女,2015-03-01,,{path},某村 2 号,,,,,\n".encode()
                    answer = api.http.post("/api/v1/imports", files={"file": ("r.csv", roster, "text/csv")},
                                           data={"submission_id": sub()["submission_id"]})
                else:
                    answer = api.post(path, body) if method == "POST" else api.get(path)
                want = expected(endpoint, user, target)
                if answer.status_code != want:
                    wrong.append(f"{endpoint.operation} as {user} on {target}: {answer.status_code} (want {want}) {answer.text[:160]}")
    return wrong


def test_every_endpoint_role_and_scope_answers_exactly(world: World) -> None:
    assert run_matrix(world) == []


def test_every_operation_of_the_openapi_document_is_in_the_matrix(world: World) -> None:
    document = world.as_("admin").http.get("/schema/openapi.json").json()
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values() if isinstance(op, dict)}
    # markNotificationRead: the recipient only, whatever the role (tests/e2e/test_notifications.py)
    covered = {e.operation for e in ENDPOINTS} | {"login", "health", "ready", "markNotificationRead"}
    assert operations - covered == set()


# The web console's routes (HTML, outside the OpenAPI document): how each keeps to the caller's scope. Only
# supervisors and auditors sign in to it (tests/e2e/test_permission_table.py); here the town A supervisor and
# auditor are tried on town A and town B.
CONSOLE_SCOPE = {
    "GET /console": "the caller's scope, or a jurisdiction inside it: 404 outside",
    "GET /console/children/{child_id:uuid}": "404 for a child outside the scope",
    "GET /console/referrals": "the caller's scope, or a jurisdiction inside it: 404 outside",
    "GET /console/stats": "the caller's scope, or a jurisdiction inside it: 404 outside",
    "GET /console/stats/download": "the caller's scope, or a jurisdiction inside it: 404 outside",
    "GET /console/verify": "404 for a child outside the scope; without one, the scope's streams",
    "GET /console/access-log": "404 for a child outside the scope",
    "GET /console/media/{media_id:str}": "getPhoto's check: a photo of a child outside the scope is 404",
    "GET /console/media/{media_id:str}/thumbnail": "getThumbnail's check: a photo of a child outside the scope is 404",
    "GET /console/login": "about no child",
    "POST /console/login": "about no child",
    "POST /console/logout": "about no child",
    "GET /console/static/{file_path:path}": "about no child",
}
CONSOLE_PAGES = {
    "GET /console": ("/console/?jurisdiction={town}", {"supervisor", "auditor"}),
    "GET /console/children/{child_id:uuid}": ("/console/children/{child}", {"supervisor", "auditor"}),
    "GET /console/referrals": ("/console/referrals?jurisdiction={town}", {"supervisor", "auditor"}),
    "GET /console/stats": ("/console/stats?jurisdiction={town}", {"supervisor", "auditor"}),
    "GET /console/stats/download": ("/console/stats/download?format=csv&jurisdiction={town}", {"supervisor", "auditor"}),
    "GET /console/verify": ("/console/verify?run=true&child_id={child}", {"auditor"}),
    "GET /console/access-log": ("/console/access-log?child_id={child}", {"auditor"}),
}


def test_every_console_route_is_in_the_scope_table(tmp_path: Path) -> None:
    served = console_routes(tmp_path)
    assert served - set(CONSOLE_SCOPE) == set(), "say how each new console route keeps to the caller's scope"
    assert set(CONSOLE_SCOPE) - served == set()


def test_console_pages_answer_in_scope_and_are_404_outside(world: World) -> None:
    wrong = []
    towns = {"A": (PLACE_A.rsplit("/", 3)[0], world.child_a), "B": (PLACE_B.rsplit("/", 3)[0], world.child_b)}
    for user in ("supervisor", "auditor"):
        client = signed_in(world.base, user)
        for route, (template, users) in CONSOLE_PAGES.items():
            if user not in users:
                continue
            for target, (town, child) in towns.items():
                answer = client.get(template.format(town=town, child=child))
                want = 200 if target == "A" else 404
                if answer.status_code != want:
                    wrong.append(f"{route} as {user} on {target}: {answer.status_code} (want {want})")
    assert wrong == []
