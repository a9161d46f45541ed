"""An example request and answer for each main field operation, shown in the OpenAPI document."""

from __future__ import annotations

from typing import Any, Final

CHILD_ID: Final = "3f2c1a9e-6b1d-4c0e-9a57-2d8f0b6e4c11"
VISIT_ID: Final = "8d0e5b72-1c4a-4f3e-b6a9-0e7d2c5f9a33"
REFERRAL_ID: Final = "c41b7e08-93d2-4a6f-8e15-7b2a0d9c6f54"
PLACE: Final = "520302/001/003/01/02"
PHOTO: Final = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
GEO: Final = {"lat": 27.7012, "lon": 106.9375, "accuracy_m": 8.0, "crs": "wgs84"}

CHILD_STATUS: Final = {
    "child_id": CHILD_ID, "name": "王小明", "sex": "male", "birth_date": "2015-01-01",
    "id_number": "520302********1234", "jurisdiction": PLACE, "address": "某村 1 号", "categories": ["left_behind"],
    "risk_level": None, "graded": False, "risk_reasons": [], "last_visit_at": None, "next_visit_due": None,
    "overdue": False, "open_referrals": [], "active_interventions": [], "evidence_complete": True, "flags": [],
    "guardians": [{"relation": "grandmother", "name": "王奶奶", "phone": "138****0000", "able_to_care": True}],
    "sealed": False, "withheld": [], "version": 1, "owner": None, "partner": None,
}

EXAMPLES: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "login": (
        {"username": "li.director", "password": "correct horse battery", "device_id": "a1b2c3d4-phone"},
        "200",
        {"access_token": "eyJhbGciOi…", "token_type": "bearer", "expires_at": "2026-03-02T20:00:00+00:00",
         "user": {"id": "0b5e2f7c-4d1a-4e8b-9c3f-6a2d1e0f7b88", "username": "li.director", "role": "child_director",
                  "scope": "520302/001/003", "department": None}},
    ),
    "registerChild": (
        {"submission_id": "5d7a1c2e-8f4b-4a6d-9e3c-1b0f2a7d6c45", "occurred_at": "2026-03-02T09:15:00+08:00",
         "geo": GEO, "name": "王小明", "sex": "male", "birth_date": "2015-01-01",
         "id_number": "520302201501011234", "jurisdiction": PLACE, "address": "某村 1 号",
         "categories": ["left_behind"],
         "guardians": [{"relation": "grandmother", "name": "王奶奶", "phone": "13800000000"}]},
        "201",
        CHILD_STATUS,
    ),
    "recordVisit": (
        {"submission_id": "e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d70", "occurred_at": "2026-03-02T10:30:00+08:00",
         "geo": GEO, "child_id": CHILD_ID, "visit_type": "home", "child_seen": True, "guardian_present": True,
         "observations": {"living_conditions": "家中整洁", "state_of_mind": "情绪稳定", "needs": "学习用品",
                          "problems": ""},
         "photos": [PHOTO], "notes": "祖母身体尚可"},
        "201",
        {"visit_id": VISIT_ID, "child_id": CHILD_ID, "late": False, "evidence_complete": True,
         "missing_photos": [], "flags": []},
    ),
    "assessRisk": (
        {"submission_id": "71c3e5a7-9b2d-4f4a-8c6e-0d2f4b6a8c91", "occurred_at": "2026-03-02T10:45:00+08:00",
         "level": "orange", "reasons": ["监护缺失"], "based_on_version": 2},
        "201",
        {"child_id": CHILD_ID, "jurisdiction": PLACE, "categories": ["left_behind"], "risk_level": "orange",
         "conflicting_assessments": False, "version": 3,
         "assessment": {"event_id": "a6e8c0b2-4d7f-4a1e-9b3c-5f7a9d1b3e62", "level": "orange", "current": True,
                        "conflicting": False},
         "sealed": False, "withheld": [], "owner": None, "partner": None},
    ),
    "sendReferral": (
        {"submission_id": "b8d0f2a4-6c1e-4b3d-a5f7-9e1c3a5b7d02", "occurred_at": "2026-03-02T11:00:00+08:00",
         "child_id": CHILD_ID, "to_department": "civil_affairs", "reason": "申请生活救助", "urgency": "normal"},
        "201",
        {"referral_id": REFERRAL_ID, "child_id": CHILD_ID, "to_department": "civil_affairs", "status": "sent",
         "accept_by": "2026-03-05T03:00:00+00:00", "complete_by": "2026-04-01T03:00:00+00:00", "version": 1},
    ),
    "sync": (
        None,
        "200",
        {"children": [CHILD_STATUS], "removed": ["d9f1b3c5-7e2a-4c6b-8d0f-2a4c6e8b0d13"],
         "cursor": "eyJwIjo0MTJ9.c2lnbmVk", "has_more": False},
    ),
}
"""Per operation: an example body (None for a GET), the status of the answer, and the answer."""


def add(op_id: str, operation: dict[str, Any]) -> None:
    """Put the operation's example request and answer into its part of the document."""
    if op_id not in EXAMPLES:
        return
    request, status, answer = EXAMPLES[op_id]
    if request is not None:
        body = operation["requestBody"]["content"]["application/json"]
        body["examples"] = {"example": {"summary": "A typical request from the field", "value": request}}
    content = operation["responses"][status]["content"]["application/json"]
    content["examples"] = {"example": {"summary": "Its answer", "value": answer}}
