"""Who may call what, typed out from API.md's "who" column, checked over HTTP against the real server.

The table below is the oracle: it is written by hand, not imported from the code's permission table.
Every operation of the served OpenAPI document must be classified here, so a new route fails this test
until someone decides who may call it. A refused write (403) must store nothing: the events in the
store are counted before and after.

Where API.md names no roles for an operation that exists, the roles the server allows today are
written out and marked "API.md silent".
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest

from backend.settings import Settings
from tests.e2e.conftest import PASSWORD, USERS, World
from tests.e2e.console.client import form_token
from tests.e2e.console.routes import console_routes
from tests.e2e.server import add_users, running_server
from tests.e2e.test_access_matrix import ENDPOINTS, ROSTER_HEADER, Fresh
from tests.media.images import jpeg

GRID, DIRECTOR, SUPERVISOR, HANDLER, AUDITOR, ADMIN = (
    "grid_worker", "child_director", "supervisor", "department_handler", "auditor", "admin",
)
EVERY_USER = frozenset({GRID, DIRECTOR, SUPERVISOR, HANDLER, AUDITOR, ADMIN})
SCOPED_USERS = frozenset({GRID, DIRECTOR, SUPERVISOR, HANDLER, AUDITOR})  # "scoped users": admin has no caseload
FIELD_ROLES = frozenset({GRID, DIRECTOR, SUPERVISOR})
ANYONE = "anyone, without a token"
RECIPIENT = "the recipient only: 404 for anyone else (tests/e2e/test_notifications.py)"

WHO: dict[str, frozenset[str] | str] = {
    # Session and vocabulary
    "login": ANYONE,
    "health": ANYONE,
    "ready": ANYONE,
    "me": EVERY_USER,
    "vocabulary": EVERY_USER,
    # Children
    "registerChild": frozenset({DIRECTOR, GRID, SUPERVISOR}),
    "listChildren": SCOPED_USERS,
    "getChild": SCOPED_USERS,
    "assessRisk": frozenset({DIRECTOR, SUPERVISOR}),
    "changeCategories": frozenset({DIRECTOR, SUPERVISOR}),
    "transferChild": frozenset({SUPERVISOR}),
    "correctRecord": frozenset({DIRECTOR, SUPERVISOR}),
    "sealRecord": frozenset({SUPERVISOR}),
    "assignChild": frozenset({DIRECTOR, SUPERVISOR}),  # API.md v1.1: child_director, supervisor  # API.md silent: a sealing order is applied by the town supervisor
    # API.md v1.1 "Case lifecycle and the personal file"
    "closeCase": frozenset({DIRECTOR, SUPERVISOR}),  # child_director (asks), supervisor (closes at once)
    "approveClosure": frozenset({SUPERVISOR}),
    "rejectClosure": frozenset({SUPERVISOR}),
    "reopenCase": frozenset({DIRECTOR, SUPERVISOR}),
    "updateProfile": frozenset({DIRECTOR, GRID, SUPERVISOR}),
    # API.md v1.1 "Registering the same child twice, imports and merges"
    "mergeChild": frozenset({SUPERVISOR}),
    # Visits and photos
    "uploadPhoto": FIELD_ROLES,  # "field roles"
    "getPhoto": SCOPED_USERS,  # "users whose scope covers the child"
    "getThumbnail": SCOPED_USERS,
    "recordVisit": frozenset({DIRECTOR, GRID, SUPERVISOR}),
    "getVisit": SCOPED_USERS,
    # Reports, referrals, interventions, conferences
    "receiveReport": frozenset({GRID, DIRECTOR, SUPERVISOR}),  # "any field role, supervisor"
    "triageReport": frozenset({DIRECTOR, SUPERVISOR}),
    "sendReferral": frozenset({DIRECTOR, SUPERVISOR}),
    "acceptReferral": frozenset({HANDLER}),
    "declineReferral": frozenset({HANDLER}),
    "noteReferralProgress": frozenset({HANDLER}),
    "completeReferral": frozenset({HANDLER, SUPERVISOR}),
    "escalateReferral": frozenset({SUPERVISOR}),  # API.md silent: escalation goes to the supervisor
    "listReferrals": SCOPED_USERS,
    "planIntervention": frozenset({DIRECTOR, SUPERVISOR, HANDLER}),
    "startIntervention": frozenset({DIRECTOR, SUPERVISOR, HANDLER}),
    "reviewIntervention": frozenset({DIRECTOR, SUPERVISOR, HANDLER}),
    "endIntervention": frozenset({DIRECTOR, SUPERVISOR, HANDLER}),
    "holdConference": frozenset({SUPERVISOR}),
    # API.md v1.1 case lifecycle and the personal file
    "listChildVisits": SCOPED_USERS,
    "listChildConferences": SCOPED_USERS,
    "childTimeline": SCOPED_USERS,
    "childFilePdf": frozenset({DIRECTOR, SUPERVISOR, AUDITOR}),
    "listReports": frozenset({DIRECTOR, SUPERVISOR, AUDITOR}),
    "completeFollowUp": frozenset({DIRECTOR, SUPERVISOR}),  # API.md silent: who holds and follows up conferences
    # Offline sync
    "sync": FIELD_ROLES,
    # API.md v1.1 worklist: "every role but admin"
    "listTasks": SCOPED_USERS,
    # API.md v1.1: notifications for "every role"; marking one read for "the recipient" (404 for anyone else)
    "listNotifications": EVERY_USER,
    "markNotificationRead": RECIPIENT,
    # Audit and statistics
    "childHistory": frozenset({AUDITOR, SUPERVISOR}),
    "childAsOf": frozenset({AUDITOR, SUPERVISOR}),
    "verifyChains": frozenset({AUDITOR}),
    "accessLog": frozenset({AUDITOR}),
    "statsSummary": frozenset({SUPERVISOR, AUDITOR}),
    # API.md v1.1 "Registering the same child twice, imports and merges"
    "importRoster": frozenset({DIRECTOR, SUPERVISOR}),
    "getImportTemplate": frozenset({DIRECTOR, SUPERVISOR}),  # "same"
    "exportChildren": frozenset({SUPERVISOR, AUDITOR}),  # API.md silent: the caseload's download, as statistics
}

# One account per role, all in town A (the police handler sees child A through a referral to the police).
ACCOUNT = {GRID: "grid", DIRECTOR: "director", SUPERVISOR: "supervisor", HANDLER: "police", AUDITOR: "auditor", ADMIN: "admin"}
BUILDERS = {e.operation: e for e in ENDPOINTS}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Settings]]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("permission-table"))
    add_users(settings, USERS, PASSWORD)
    with running_server(settings) as base:
        world = World(base)
        yield world, settings
        world.close()


def stored(settings: Settings) -> tuple[int, int]:
    """How many events the store holds, and the last notification id."""
    with sqlite3.connect(settings.sqlite_path) as conn:
        count, last = conn.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM stored_events").fetchone()
    return int(count), int(last)


def test_every_operation_of_the_openapi_document_is_classified(server: tuple[World, Settings]) -> None:
    world, _ = server
    document = httpx.get(f"{world.base}/schema/openapi.json").json()
    operations = {op["operationId"] for item in document["paths"].values() for op in item.values() if isinstance(op, dict)}
    unclassified = operations - set(WHO)
    assert unclassified == set(), f"classify these new routes in WHO (who may call them, from API.md): {unclassified}"
    assert set(WHO) - operations == set(), "WHO names operations the server no longer has"


def test_public_operations_answer_without_a_token(server: tuple[World, Settings]) -> None:
    world, _ = server
    assert httpx.get(f"{world.base}/health").status_code == 200
    assert httpx.get(f"{world.base}/ready").status_code == 200
    login = httpx.post(f"{world.base}/api/v1/auth/login", json={"username": "grid", "password": PASSWORD, "device_id": "d"})
    assert login.status_code == 200 and login.json()["user"]["role"] == GRID


def test_each_role_may_call_exactly_what_api_md_says_and_a_refused_write_stores_nothing(
    server: tuple[World, Settings],
) -> None:
    world, settings = server
    fresh = Fresh(world)
    fresh.referral("A")  # the police handler's way to child A
    wrong: list[str] = []
    for operation, who in sorted(WHO.items()):
        if who in (ANYONE, RECIPIENT):
            continue
        endpoint = BUILDERS[operation]
        for role, username in ACCOUNT.items():
            allowed = role in who
            method, path, body = endpoint.build(fresh, "A", username)
            before = stored(settings)
            answer = send(world, username, method, path, body)
            after = stored(settings)
            want = endpoint.ok if allowed else 403
            if answer.status_code != want:
                wrong.append(f"{operation} as {role}: {answer.status_code}, want {want}: {answer.text[:120]}")
            if not allowed and method != "GET" and after != before:  # a dry run (IMPORT) stores nothing either
                wrong.append(f"{operation} refused to {role} but the store changed: {before} -> {after}")
            if allowed and method not in ("GET", "IMPORT") and after[1] <= before[1]:  # the count sees writes at all
                wrong.append(f"{operation} as {role} answered {answer.status_code} but stored no event")
    assert wrong == []


def send(world: World, username: str, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
    api = world.as_(username)
    if method == "UPLOAD":
        files = {"file": ("p.jpg", jpeg(seed=int(body["seed"]) if body else 0), "image/jpeg")}
        return api.http.post("/api/v1/media", files=files, data={"child_id": path})
    if method == "IMPORT":  # a dry run of a one-row roster: it stores nothing, allowed or not
        roster = f"{ROSTER_HEADER}\n李小花,女,2015-03-01,,{path},某村 2 号,,,,,\n".encode()
        return api.http.post("/api/v1/imports", files={"file": ("r.csv", roster, "text/csv")},
                             data={"submission_id": str(uuid4())})
    return api.post(path, body) if method == "POST" else api.get(path)


# The web console (API.md v1.1 "The web console": supervisors and auditors; the verify check and the access log for
# auditors). It is HTML outside the OpenAPI document, so its routes are listed from the app itself. Child
# directors are refused too: they work in the field app, and the console is the oversight view of a town or county.
CONSOLE_USERS = frozenset({SUPERVISOR, AUDITOR})
CONSOLE_WHO: dict[str, frozenset[str] | str] = {
    "GET /console/login": ANYONE,
    "POST /console/login": "anyone with the page's CSRF token; a session only for supervisors and auditors",
    "POST /console/logout": "anyone with the page's CSRF token",
    "GET /console/static/{file_path:path}": ANYONE,
    "GET /console": CONSOLE_USERS,
    "GET /console/children/{child_id:uuid}": CONSOLE_USERS,
    "GET /console/referrals": CONSOLE_USERS,
    "GET /console/stats": CONSOLE_USERS,
    "GET /console/stats/download": CONSOLE_USERS,
    "GET /console/media/{media_id:str}": CONSOLE_USERS,
    "GET /console/media/{media_id:str}/thumbnail": CONSOLE_USERS,
    "GET /console/verify": frozenset({AUDITOR}),
    "GET /console/access-log": frozenset({AUDITOR}),
}


def test_every_console_route_is_classified(tmp_path: Path) -> None:
    served = console_routes(tmp_path)
    assert served - set(CONSOLE_WHO) == set(), f"classify these new console routes in CONSOLE_WHO: {served - set(CONSOLE_WHO)}"
    assert set(CONSOLE_WHO) - served == set(), "CONSOLE_WHO names console routes the server no longer has"


def console_url(route: str, world: World) -> str:
    path = route.split(" ", 1)[1]
    return (path.replace("{child_id:uuid}", world.child_a).replace("{media_id:str}", "0" * 64)
            .replace("{file_path:path}", "console.css"))


def test_each_role_may_open_exactly_the_console_pages_it_should(server: tuple[World, Settings]) -> None:
    world, _ = server
    wrong = []
    for role, username in ACCOUNT.items():
        client = httpx.Client(base_url=world.base)
        token = form_token(client.get("/console/login"))
        signed = client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        if signed.status_code != (303 if role in CONSOLE_USERS else 403):
            wrong.append(f"sign-in as {role}: {signed.status_code}")
        for route, who in CONSOLE_WHO.items():
            if isinstance(who, str) or not route.startswith("GET"):
                continue
            answer = client.get(console_url(route, world))
            if role not in CONSOLE_USERS:
                want_refused = answer.status_code == 303 and answer.headers["location"] == "/console/login"
            else:
                want_refused = answer.status_code == 403
            if want_refused != (role not in who):
                wrong.append(f"{route} as {role}: {answer.status_code}")
    assert wrong == []
