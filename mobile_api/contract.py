"""The OpenAPI document as the mobile team's whole contract: what Litestar derives from the routes and types,
completed with what only we know — every error an operation can answer (one error schema whose `code` is an enum
of the registry), idempotent replays, binary and download media types, who may call, links, and a description
that teaches the protocol."""

from __future__ import annotations

import copy
import inspect
from typing import Any, Final

import msgspec
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.routes import HTTPRoute

from backend import commands
from backend.errors import DomainError
from backend.identity import PERMISSIONS
from events import base as event_base
from events import cases, children
from mobile_api import examples
from mobile_api import schemas as response_schemas
from mobile_api.contract_schemas import carry_from_msgspec
from mobile_api.errors import HTTP_CODES, status_of_class
from mobile_api.schemas import StatsSummary

DESCRIPTION: Final = """\
Huhang (护航) is the backend of the child-protection field app: home visits, risk grading, referrals,
interventions, and the audit of all of it. Every fact is an immutable event; every list is a projection.

## Signing in
`POST /api/v1/auth/login` with `{username, password, device_id}` gives a bearer token bound to that device;
send it as `Authorization: Bearer <token>` on every other `/api/v1` call. The token lasts until `expires_at`
(12 hours by default); a disabled account is refused at once (401 `unauthenticated`), and so is every token
issued before the account's password last changed: sign in again with the new one. Repeated failed sign-ins
are slowed down (429 `too_many_attempts` with `Retry-After`).

## Writes are idempotent
Every write carries a `submission_id` (a UUID the app makes once per action and keeps until the server has
answered). First arrival: **201** with the resource. The same `submission_id` with the same content again —
a retry after a lost answer, a queue replayed after days offline — answers **200** with the very same body and
the header `Idempotent-Replayed: true`; nothing is stored twice. The same `submission_id` with other content:
**409** `submission_conflict`.

## What to retry
4xx answers are final for that submission: keep it aside for the worker to fix. **503** (a dependency is down;
nothing was stored) and network failures are retried later with the same `submission_id`, backing off; honour
`Retry-After` when it is given. Every error answers the `Error` schema: `status_code`, a machine-readable
`code` (the enum lists every code), a human `detail` and, where useful, `extra` (field errors, or the current
state of the record on a 409 `stale_version`).

## Times and places
Field writes carry `occurred_at` (RFC 3339 with an offset, the device's clock). More than 5 minutes ahead of the
server, or older than the configured maximum age (90 days by default): 422. A write that arrives more than a day
after it occurred is stored and flagged `late`. Positions carry their coordinate system (`wgs84`, `gcj02` or
`bd09`) and accuracy in metres.

## Lists and offline sync
Lists take `limit` (default 50, max 500) and an opaque `cursor`; the answer has `items` and `next_cursor`
(null at the end). A cursor belongs to the list that gave it. `GET /api/v1/sync` without a cursor gives every
child in the caller's scope; with the returned `cursor` it gives what changed since, and `removed` lists children
that left the scope. While `has_more` is true, call again at once with the new cursor. A cursor the server no
longer honours answers **410**: drop the local copy's sync position and start again without a cursor.

## Closed cases, merged records, children who turn 18
A child's status carries `case_status` (`open`, `closure_requested`, `closed`), `closure_reason` and, on a
duplicate record merged into another child, `merged_into` (the kept child: move what the device holds there; sync
delivers the duplicate's new status). While a case is closed, a fact that occurred after the closure (a visit, a
grading, a category or profile change, a referral, an intervention, a conference, an assignment, a transfer) is
refused with **409** `child_closed`; one that occurred before the closure and arrives late (made offline) is kept.
Corrections and sealing orders still apply; a report may still be linked to the child, but not referred on. A closed
child has no visit due and is in no due list, task or active figure; it stays in the caseload, history, audit and
as-of, and reopening (`/reopen`) makes its visits due again. From its 18th birthday (China time) a child carries
the flag `aged_out` and has no visit due until the case is closed; an `aging_out` task appears 30 days before.

## Privacy
Sensitive and sealed facts are shown only to roles cleared for them (DESIGN §1, the disclosure table); where
something exists but is withheld, the answer says so in `withheld` (e.g. `["categories:sealed"]`). A list
filtered on a value the caller may not see answers as if nothing matched. A child outside the caller's scope does
not exist for the caller (404 on reads and writes alike); a role that may not take an action gets 403. The id of
another child is given only while the caller may see that child: a merged record whose kept child has since left
the caller's scope has `merged_into` null and `withheld: ["merged_into:out_of_scope"]` (likewise a 409's `extra`, a
merge's `duplicate_child_id` in the timeline and history, and the `child_id` of a report, task or notification,
whose title and body then no longer name the child).

## Generated clients
A request field with a `default` may be left out (the server fills it in); an answer always carries every field
of its schema. Generating TypeScript types with openapi-typescript, pass `--default-non-nullable false`, or it
makes defaulted request fields required. Cross-field rules are in each operation's body schema and description.
"""

REPLAY_HEADER: Final = {
    "Idempotent-Replayed": {
        "description": "`true` when this answer replays the first arrival of the same submission",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
WHY: Final = {
    400: "The body or a parameter could not be read (malformed JSON, a cursor this list did not give).",
    401: "No valid bearer token, or the account is disabled.",
    403: "The caller's role may not take this action.",
    404: "No such record in the caller's scope.",
    405: "The method is not allowed on this path.",
    409: "The request conflicts with the current state (see `code`); not retried as is.",
    410: "The cursor can no longer be honoured: start again without one.",
    413: "The body or the file is too large.",
    415: "The body is not of a type this operation takes.",
    422: "Well-formed but not acceptable: `extra` names the fields at fault.",
    429: "Too many attempts: wait `Retry-After` seconds.",
    503: "A dependency is down and nothing was stored: retry later with the same submission.",
}
CHILD: Final = {"child_id": "$response.body#/child_id"}
REFERRAL: Final = {"referral_id": "$response.body#/referral_id"}
INTERVENTION: Final = {"intervention_id": "$response.body#/intervention_id"}
LINKS: Final[dict[str, dict[str, tuple[str, dict[str, str], dict[str, str] | None]]]] = {
    "registerChild": {"GetChild": ("getChild", CHILD, None), "AssessRisk": ("assessRisk", CHILD, None),
                      "ChildHistory": ("childHistory", CHILD, None),
                      "RecordVisit": ("recordVisit", {}, CHILD), "SendReferral": ("sendReferral", {}, CHILD),
                      "PlanIntervention": ("planIntervention", {}, CHILD)},
    "recordVisit": {"GetVisit": ("getVisit", {"visit_id": "$response.body#/visit_id"}, None),
                    "GetChild": ("getChild", CHILD, None)},
    "assessRisk": {"GetChild": ("getChild", CHILD, None)},
    "sendReferral": {"AcceptReferral": ("acceptReferral", REFERRAL, None),
                     "DeclineReferral": ("declineReferral", REFERRAL, None),
                     "EscalateReferral": ("escalateReferral", REFERRAL, None)},
    "acceptReferral": {"CompleteReferral": ("completeReferral", REFERRAL, None),
                       "NoteReferralProgress": ("noteReferralProgress", REFERRAL, None)},
    "planIntervention": {"StartIntervention": ("startIntervention", INTERVENTION, None)},
    "startIntervention": {"ReviewIntervention": ("reviewIntervention", INTERVENTION, None),
                          "EndIntervention": ("endIntervention", INTERVENTION, None)},
    "receiveReport": {"TriageReport": ("triageReport", {"report_id": "$response.body#/report_id"}, None)},
    "triageReport": {"GetChild": ("getChild", {"child_id": "$response.body#/child/child_id"}, None)},
}
"""Transitions a client naturally makes next: `(operation, path parameters, body fields)` from the 201 answer."""
REQUIRED_TEXT: Final = {
    "declineReferral": "note", "noteReferralProgress": "note", "completeReferral": "outcome",
    "reviewIntervention": "note", "endIntervention": "outcome",
}
"""Steps that share a body struct but need one of its optional texts (the use cases in backend refuse them
without it, 422 `invalid_input`): the document says so per operation."""
TRIAGE_CHILD: Final = {
    "description": "Exactly one of `child_id` (a child already registered) or `registration` (a new child).",
    "oneOf": [
        {"required": ["child_id"], "properties": {"child_id": {"type": "string", "format": "uuid"}}},
        {"required": ["registration"], "properties": {"registration": {"$ref": "#/components/schemas/RegisterChild"}}},
    ],
}
PHOTO_TYPES: Final = ("image/jpeg", "image/png", "image/webp", "image/heic")
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def error_codes() -> dict[int, set[str]]:
    """Every `code` an answer can carry, by HTTP status: the registry's domain errors and the HTTP edge's own."""
    found: dict[int, set[str]] = {}
    pending = [DomainError]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls is not DomainError:
            found.setdefault(status_of_class(cls), set()).add(cls.code)
    for status, code in HTTP_CODES.items():
        found.setdefault(status, set()).add(code)
    found.setdefault(400, set()).add("malformed_body")
    found.setdefault(500, set()).add("internal_error")
    return found


def error_schema(codes: dict[int, set[str]]) -> dict[str, Any]:
    every = sorted(set().union(*codes.values()))
    return {
        "type": "object",
        "title": "Error",
        "description": "Every refusal: the HTTP status, a machine-readable `code` and a human `detail`.",
        "required": ["status_code", "code", "detail"],
        "properties": {
            "status_code": {"type": "integer"},
            "code": {"type": "string", "enum": every},
            "detail": {"type": "string"},
            "extra": {
                "description": "Field errors (a list), or details such as `current`, `field`, `retry_after`.",
                "oneOf": [
                    {"type": "object", "additionalProperties": True},
                    {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
                ],
            },
        },
    }


FIELD_ERROR: Final = {
    "type": "object",
    "title": "FieldError",
    "required": ["field", "message"],
    "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                   "source": {"type": ["string", "null"]}},
}


def statuses_of(path: str, method: str, operation: dict[str, Any], guarded: bool) -> list[int]:
    """The refusals an operation can answer, from what it takes and whether a role guard stands before it."""
    found = {503}
    if operation.get("security"):
        found.add(401)
    if guarded:
        found.add(403)
    if "{" in path or operation.get("security"):
        found.add(404)  # a child, visit, referral … named in the path, the body or the query, not in scope
    if operation.get("parameters"):
        found |= {400, 422}
    if method in ("post", "put", "patch"):
        found |= {400, 413, 415, 422}
    if "201" in operation.get("responses", {}) and operation.get("operationId") != "uploadPhoto":
        found.add(409)
    if operation.get("operationId") == "sync":
        found.add(410)
    if operation.get("operationId") == "login":
        found |= {401, 429}
    if operation.get("operationId") in ("health", "ready"):
        return []
    return sorted(found)


def handlers_by_operation(app: Litestar) -> dict[str, tuple[str | None, str]]:
    """Each operation's permission (backend.identity.PERMISSIONS, asked by its guard) and its docstring."""
    found: dict[str, tuple[str | None, str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            actions = [getattr(getattr(g, "func", g), "action", None) for g in handler.resolve_guards()]
            fn = getattr(handler.fn, "func", handler.fn)  # the handler itself, not its thread-pool wrapper
            doc = inspect.cleandoc(getattr(fn, "__doc__", None) or "")
            found[str(handler.operation_id)] = (next((a for a in actions if a), None), doc)
    return found


def forbids_unknown_fields() -> set[str]:
    """Names of request structs that refuse unknown fields: `additionalProperties: false` in their schema."""
    names = set()
    for module in (commands, event_base, cases, children, response_schemas):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, msgspec.Struct):
                if value.__struct_config__.forbid_unknown_fields:
                    names.add(value.__name__)
    return names


def complete(app: Litestar) -> None:
    """Complete the served document in place (it is built once, then served as is)."""
    doc = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()
    codes = error_codes()
    doc["info"]["description"] = DESCRIPTION
    doc["info"]["license"] = {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = error_schema(codes)
    schemas["FieldError"] = FIELD_ERROR
    _, extra = msgspec.json.schema_components([StatsSummary], ref_template="#/components/schemas/{name}")
    schemas.update(extra)
    carry_from_msgspec(schemas)
    for name in forbids_unknown_fields() & set(schemas):
        schemas[name]["additionalProperties"] = False
    handlers = handlers_by_operation(app)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            _operation(path, method, operation, codes, handlers, schemas)


def _operation(path: str, method: str, operation: dict[str, Any], codes: dict[int, set[str]],
               handlers: dict[str, tuple[str | None, str]], schemas: dict[str, Any]) -> None:
    op_id = operation.get("operationId", "")
    responses = operation.setdefault("responses", {})
    action, text = handlers.get(op_id, (None, ""))
    text = text or (operation.get("description") or "").strip()
    operation["summary"] = text.split("\n")[0].rstrip(".") if text else op_id
    who = ", ".join(sorted(r.value for r in PERMISSIONS[action])) if action else "any signed-in user"
    if not operation.get("security"):
        operation["security"] = []
        who = "anyone"
    operation["description"] = f"{text}\n\n**Who may call:** {who}."
    for status in statuses_of(path, method, operation, guarded=action is not None):
        responses[str(status)] = {
            "description": f"{WHY[status]} Codes: " + ", ".join(f"`{c}`" for c in sorted(codes.get(status, ()))) + ".",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    if "204" in responses:  # no content: nothing to describe but that
        responses["204"] = {"description": responses["204"].get("description") or "Done; no content."}
    created = responses.get("201")
    if created and op_id == "importRoster":
        responses["200"] = {"description": "A dry run (`mode=dry_run`): the same report, and nothing stored.",
                            "content": created.get("content", {})}
    elif created and op_id != "uploadPhoto":
        responses["200"] = {
            "description": "The replay of an earlier arrival of this submission: the same body as its 201.",
            "headers": REPLAY_HEADER,
            "content": created.get("content", {}),
        }
    elif created:
        responses["200"] = {"description": "The same bytes again for the same child: the same photo, stored once.",
                            "content": created.get("content", {})}
    if op_id == "ready" and "200" in responses:
        responses["503"] = {"description": "A dependency does not answer (or the relay is stalled): `checks` names it.",
                            "content": responses["200"].get("content", {})}
    for name, (target, parameters, body) in LINKS.get(op_id, {}).items():
        if created:
            link: dict[str, Any] = {"operationId": target, "parameters": parameters}
            if body:
                link["requestBody"] = body
            created.setdefault("links", {})[name] = link
    _body_rules(op_id, operation, schemas)
    examples.add(path, method, op_id, operation)
    _media(op_id, responses)


def _body_rules(op_id: str, operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Cross-field rules of a body that its struct alone cannot say, in the schema and in the description."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content is None:
        return
    if op_id in REQUIRED_TEXT:
        field = REQUIRED_TEXT[op_id]
        name = op_id[0].upper() + op_id[1:] + "Body"
        base = schemas[content["schema"]["$ref"].rsplit("/", 1)[1]]
        variant = copy.deepcopy(base) | {"title": name, "required": sorted({*base.get("required", ()), field})}
        variant["properties"][field] = _text_branch(variant["properties"][field]) | {"minLength": 1}
        variant["properties"][field].pop("default", None)
        schemas[name] = variant
        content["schema"] = {"$ref": f"#/components/schemas/{name}"}
        operation["description"] += f"\n\n`{field}` is required here and may not be empty (422 `invalid_input`)."
    elif op_id == "triageReport":
        content["schema"] = {"allOf": [content["schema"], TRIAGE_CHILD]}
        operation["description"] += f"\n\n{TRIAGE_CHILD['description']} Neither or both: 422 `invalid_input`."
    elif op_id == "holdConference":
        operation["description"] += "\n\n`participants` may not be empty (422 `invalid_input`)."


def _text_branch(schema: dict[str, Any]) -> dict[str, Any]:
    """A string field's schema without its null branch, keeping its limits."""
    limits = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
    strings = [m for m in schema.get("oneOf", []) + schema.get("anyOf", []) if m.get("type") == "string"]
    return (strings[0] if strings else {}) | limits | {"type": "string"}


def _media(op_id: str, responses: dict[str, Any]) -> None:
    binary = {"schema": {"type": "string", "format": "binary"}}
    if op_id == "getPhoto":
        responses.pop("200", None)
        responses["307"] = {"description": "A short-lived link to the stored photo.",
                            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}}}
        responses["200"] = {"description": "The photo's bytes (when no link can be given).",
                            "content": {t: binary for t in PHOTO_TYPES}}
    elif op_id == "getThumbnail":
        responses["200"] = {"description": "A JPEG thumbnail, longest side at most 320 px, without EXIF.",
                            "content": {"image/jpeg": binary}}
    elif op_id in ("getImportTemplate", "exportChildren"):
        what = "The template (header row and an example row)" if op_id == "getImportTemplate" else \
            "The caseload in the template's columns, as the caller may see it"
        responses["200"] = {"description": f"{what}, as an .xlsx workbook.", "content": {XLSX: binary}}
    elif op_id == "childFilePdf":
        responses["200"] = {"description": "The personal file (一人一档) as a PDF.", "content": {"application/pdf": binary}}
    elif op_id == "statsSummary":
        json_content = responses.get("200", {}).get("content", {}).get("application/json", {})
        json_content["schema"] = {"$ref": "#/components/schemas/StatsSummary"}
        responses["200"] = {
            "description": "The summary as JSON, or with `format=csv` / `format=xlsx` a download.",
            "content": {"application/json": json_content, "text/csv": {"schema": {"type": "string"}}, XLSX: binary},
        }

