"""An example request and answer for each operation, shown in the OpenAPI document: one story of one child."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

CHILD_ID: Final = "3f2c1a9e-6b1d-4c0e-9a57-2d8f0b6e4c11"
MOVED_CHILD_ID: Final = "d9f1b3c5-7e2a-4c6b-8d0f-2a4c6e8b0d13"
VISIT_ID: Final = "8d0e5b72-1c4a-4f3e-b6a9-0e7d2c5f9a33"
REFERRAL_ID: Final = "c41b7e08-93d2-4a6f-8e15-7b2a0d9c6f54"
POLICE_REFERRAL_ID: Final = "e5a7c9b1-3d5f-4e7a-9c1b-3d5f7a9c1e24"
SCHOOL_REFERRAL_ID: Final = "f6b8d0c2-4e6a-4f8b-a0c2-4e6a8b0d2f35"
REPORT_ID: Final = "2a4c6e8f-0b1d-4f3a-8c5e-7a9b1d3f5e86"
INTERVENTION_ID: Final = "6e8a0c2d-4f1b-4a3c-9e5d-7b9d1f3a5c97"
CONFERENCE_ID: Final = "1b3d5f7a-9c2e-4a4b-8d6f-0a2c4e6b8d08"
DIRECTOR_ID: Final = "0b5e2f7c-4d1a-4e8b-9c3f-6a2d1e0f7b88"
GRID_WORKER_ID: Final = "4c7e9a1b-2d3f-4a5b-8c6d-7e8f9a0b1c2d"
AUDITOR_ID: Final = "7a9c1e3b-5d7f-4b2d-9e4a-6c8e0a2b4d6f"
REGISTERED_EVENT_ID: Final = "9e1a3c5b-7d9f-4b1d-a3c5-e7f9b1d3a5c7"
PLACE: Final = "520302/001/003/01/02"
OTHER_PLACE: Final = "520302/002/001/01/01"
PHOTO: Final = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
GEO: Final = {"lat": 27.7012, "lon": 106.9375, "accuracy_m": 8.0, "crs": "wgs84"}
CURSOR: Final = "eyJwIjo0MTJ9.c2lnbmVk"
EARLIER_CURSOR: Final = "eyJwIjozOTd9.c2lnbmVk"
NOTIFICATION_ID: Final = "2b9e4f61-7c3a-4d8e-a1f0-6e5d4c3b2a19"
PATH_IDS: Final = {"child_id": CHILD_ID, "visit_id": VISIT_ID, "referral_id": REFERRAL_ID, "report_id": REPORT_ID,
                   "intervention_id": INTERVENTION_ID, "media_id": PHOTO, "notification_id": NOTIFICATION_ID,
                   "conference_id": CONFERENCE_ID, "index": 0}
"""The value of a path parameter in every example request that names no other."""

CHILD_STATUS: Final = {
    "child_id": CHILD_ID, "name": "王小明", "sex": "male", "birth_date": "2015-01-01",
    "id_number": "520302********1234", "jurisdiction": PLACE, "address": "某村 1 号", "categories": ["left_behind"],
    "risk_level": None, "graded": False, "risk_reasons": [], "last_visit_at": None, "next_visit_due": None,
    "overdue": False, "open_referrals": [], "active_interventions": [], "evidence_complete": True, "flags": [],
    "guardians": [{"relation": "grandmother", "name": "王奶奶", "phone": "138****0000", "able_to_care": True}],
    "sealed": False, "withheld": [], "version": 1, "owner": None, "partner": None,
    "household_position": None, "school": None, "phone": None, "case_status": "open", "closure_reason": None,
    "merged_into": None,
}
"""The child as registered (version 1)."""
GRADED: Final = {"risk_level": "orange", "graded": True, "risk_reasons": ["监护缺失"],
                 "last_visit_at": "2026-03-02T02:30:00+00:00", "next_visit_due": "2026-03-09T02:30:00+00:00",
                 "owner": "zhang.grid", "partner": "chen.grid"}
CHILD_LATER: Final = CHILD_STATUS | GRADED | {
    "address": "某村 1 号 2 单元", "categories": ["child_of_incarcerated", "left_behind"],
    "open_referrals": [REFERRAL_ID, POLICE_REFERRAL_ID], "version": 5,
}
"""The child after the correction (2), the grading (3), the assignment (4) and the change of categories (5)."""
CHANGE: Final = {key: CHILD_LATER[key] for key in ("child_id", "jurisdiction", "categories", "risk_level", "version",
                                                   "sealed", "withheld", "owner", "partner", "case_status",
                                                   "closure_reason", "merged_into")} | {
    "conflicting_assessments": False, "assessment": None}
"""The short answer of a write to the child, at version 5."""


def _referral(referral_id: str, department: str, status: str, version: int) -> dict[str, Any]:
    return {"referral_id": referral_id, "child_id": CHILD_ID, "to_department": department, "status": status,
            "accept_by": "2026-03-05T03:00:00+00:00", "complete_by": "2026-04-01T03:00:00+00:00", "version": version}


def _intervention(status: str, reviews: int, version: int) -> dict[str, Any]:
    return {"intervention_id": INTERVENTION_ID, "child_id": CHILD_ID, "type": "psychological",
            "responsible_department": "education", "status": status, "reviews": reviews, "version": version}


def _write(submission: str, occurred_at: str, **fields: Any) -> dict[str, Any]:
    return {"submission_id": submission, "occurred_at": occurred_at, **fields}


FIELD_WRITES: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "login": (
        {"username": "li.director", "password": "correct horse battery", "device_id": "a1b2c3d4-phone"},
        "200",
        {"access_token": "eyJhbGciOi…", "token_type": "bearer", "expires_at": "2026-03-02T20:00:00+00:00",
         "user": {"id": DIRECTOR_ID, "username": "li.director", "role": "child_director",
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
         "sealed": False, "withheld": [], "owner": None, "partner": None, "case_status": "open",
         "closure_reason": None, "merged_into": None},
    ),
    "sendReferral": (
        {"submission_id": "b8d0f2a4-6c1e-4b3d-a5f7-9e1c3a5b7d02", "occurred_at": "2026-03-02T11:00:00+08:00",
         "child_id": CHILD_ID, "to_department": "civil_affairs", "reason": "申请生活救助", "urgency": "normal"},
        "201",
        _referral(REFERRAL_ID, "civil_affairs", "sent", 1),
    ),
    "sync": (
        None,
        "200",
        {"children": [CHILD_STATUS], "removed": [MOVED_CHILD_ID], "cursor": CURSOR, "has_more": False,
         "tasks": [{"task_id": f"visit_due:{CHILD_ID}", "kind": "visit_due", "due_at": "2026-03-09T02:30:00+00:00",
                    "overdue": False, "priority": "orange", "title": "走访 王小明", "child_id": CHILD_ID,
                    "referral_id": None, "report_id": None, "intervention_id": None,
                    "conference_id": None, "follow_up_index": None, "withheld": []}],
         "notifications": []},
    ),
}

CHILD_WRITES: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "correctRecord": (
        _write("0c2e4a6b-8d1f-4c3e-a5b7-9d1f3b5c7e19", "2026-03-02T09:25:00+08:00",
               corrects={"event_id": REGISTERED_EVENT_ID}, changes={"address": "某村 1 号 2 单元"},
               reason="登记时漏填单元号", expected_version=1),
        "201",
        CHANGE | {"categories": ["left_behind"], "risk_level": None, "version": 2, "owner": None, "partner": None},
    ),
    "assignChild": (
        _write("3e5a7c9d-1f2b-4d4e-8a6c-0e2a4c6e8a2b", "2026-03-02T10:50:00+08:00",
               owner="zhang.grid", partner="chen.grid"),
        "201",
        CHANGE | {"categories": ["left_behind"], "version": 4},
    ),
    "changeCategories": (
        _write("4f6b8d0e-2a3c-4e5f-9b7d-1f3b5d7f9b3c", "2026-03-02T11:10:00+08:00",
               add=["child_of_incarcerated"], remove=[], reason="父亲在服刑，母亲外出务工"),
        "201",
        CHANGE,
    ),
    "holdConference": (
        _write("5a7c9e1f-3b4d-4f6a-8c8e-2a4c6e8a0c4d", "2026-03-03T15:00:00+08:00",
               participants=["刘主任(镇)", "李主任(儿童主任)", "张网格员", "派出所王警官"],
               decisions=["落实一对一帮扶", "民政申请生活救助"],
               follow_ups=[{"text": "两周后复核救助进度", "owner": "li.director", "due_date": "2026-03-17"}]),
        "201",
        {"conference_id": CONFERENCE_ID, "child_id": CHILD_ID},
    ),
    "transferChild": (
        _write("6b8d0f2a-4c5e-4a7b-9d9f-3b5d7f9b1d5e", "2026-03-04T09:00:00+08:00",
               to_jurisdiction=OTHER_PLACE, reason="随母亲迁居至某镇", expected_version=1),
        "201",
        {"child_id": MOVED_CHILD_ID, "jurisdiction": OTHER_PLACE, "categories": ["left_behind"], "risk_level": None,
         "conflicting_assessments": False, "version": 2, "assessment": None, "sealed": False, "withheld": [],
         "owner": None, "partner": None, "case_status": "open", "closure_reason": None, "merged_into": None},
    ),
    "sealRecord": (
        _write("7c9e1a3b-5d6f-4b8c-8e0a-4c6e8a0c2e6f", "2026-04-15T10:00:00+08:00",
               reason="依法封存相关犯罪记录", order_reference="(2026)黔0302刑初45号"),
        "201",
        CHANGE | {"sealed": True, "version": 6},
    ),
}

DUPLICATE_CHILD_ID: Final = "a3c5e7f9-1b2d-4e4f-8a6b-9c0d1e2f3a4b"
LIFECYCLE_WRITES: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "updateProfile": (
        _write("9e1f3a5b-7c8d-4e0f-9a2b-6c8e0a2b4c6d", "2026-04-20T09:30:00+08:00",
               address="某镇某街 8 号", school="某镇中心小学", phone="13900001111",
               guardians=[{"relation": "mother", "name": "王妈妈", "phone": "13700000000", "able_to_care": True}]),
        "201",
        CHANGE | {"sealed": True, "version": 7, "case_status": "open", "closure_reason": None, "merged_into": None,
                  "address": "某镇某街 8 号", "home_geo": None, "household_position": None, "school": "某镇中心小学",
                  "phone": "13900001111", "superseded": [],
                  "guardians": [{"relation": "mother", "name": "王妈妈", "phone": "13700000000", "able_to_care": True}]},
    ),
    "closeCase": (
        _write("a0b2c4d6-e8f0-4a1b-8c3d-5e7f9a1b3c5d", "2026-05-10T10:00:00+08:00",
               reason="moved_away", note="随母亲迁往外省"),
        "201",
        CHANGE | {"sealed": True, "version": 8, "case_status": "closure_requested", "closure_reason": "moved_away",
                  "merged_into": None},
    ),
    "approveClosure": (
        {"submission_id": "b1c3d5e7-f9a1-4b2c-9d4e-6f8a0b2c4d6e", "note": "核实已迁出"},
        "201",
        CHANGE | {"sealed": True, "version": 9, "case_status": "closed", "closure_reason": "moved_away",
                  "merged_into": None},
    ),
    "rejectClosure": (
        {"submission_id": "c2d4e6f8-a0b2-4c3d-8e5f-7a9b1c3d5e7f", "note": "仍在本村就读，继续跟进"},
        "201",
        CHANGE | {"sealed": True, "version": 9, "case_status": "open", "closure_reason": None, "merged_into": None},
    ),
    "reopenCase": (
        _write("d3e5f7a9-b1c3-4d4e-9f6a-8b0c2d4e6f8a", "2026-08-01T09:00:00+08:00", reason="随母亲返回本村居住"),
        "201",
        CHANGE | {"sealed": True, "version": 10, "case_status": "open", "closure_reason": None, "merged_into": None},
    ),
    "mergeChild": (
        {"submission_id": "e4f6a8b0-c2d4-4e5f-8a7b-9c1d3e5f7a9b", "duplicate_child_id": DUPLICATE_CHILD_ID,
         "note": "同一儿童在两村重复登记"},
        "201",
        CHANGE | {"sealed": True, "version": 11, "case_status": "open", "closure_reason": None, "merged_into": None,
                  "merged": {"child_id": DUPLICATE_CHILD_ID, "case_status": "closed", "closure_reason": "duplicate",
                             "merged_into": CHILD_ID}},
    ),
}

CASE_WRITES: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "receiveReport": (
        _write("8d0f2b4c-6e7a-4c9d-9f1b-5d7f9b1d3f70", "2026-03-02T14:20:00+08:00",
               source="mandatory", reporter={"role": "班主任", "name": "赵老师", "phone": "13900000000"},
               description="孩子连续三天未到校，邻居反映家中无成年人", jurisdiction=PLACE, child_id=CHILD_ID,
               urgency="urgent", discovered_at="2026-03-02T08:00:00+08:00", reporter_institution="school",
               sentinel_place="某村小学"),
        "201",
        {"report_id": REPORT_ID, "status": "received", "jurisdiction": PLACE, "child_id": CHILD_ID,
         "urgency": "urgent"},
    ),
    "triageReport": (
        _write("9e1a3c5d-7f8b-4d0e-a02c-6e8a0c2e4a81", "2026-03-02T15:00:00+08:00",
               child_id=CHILD_ID, decision="refer", refer_to="police", reason="疑似无人监护，请派出所核查"),
        "201",
        {"report_id": REPORT_ID, "decision": "refer", "referral_id": POLICE_REFERRAL_ID,
         "child": {key: CHANGE[key] for key in CHANGE if key != "assessment"}},
    ),
    "acceptReferral": (
        _write("a02b4d6e-8a9c-4e1f-b13d-7f9b1d3f5b92", "2026-03-03T09:00:00+08:00", note="已受理，安排社工核实"),
        "201",
        _referral(REFERRAL_ID, "civil_affairs", "accepted", 2),
    ),
    "noteReferralProgress": (
        _write("b13c5e7f-9bad-4f2a-8c4e-8a0c2e4a6ca3", "2026-03-10T16:00:00+08:00", note="临时救助申请已提交县民政局"),
        "201",
        _referral(REFERRAL_ID, "civil_affairs", "accepted", 3),
    ),
    "completeReferral": (
        _write("c24d6f8a-0cbe-4a3b-9d5f-9b1d3f5b7db4", "2026-03-25T11:00:00+08:00",
               note="救助金已发放", outcome="批准临时救助 2000 元，纳入低保审核"),
        "201",
        _referral(REFERRAL_ID, "civil_affairs", "completed", 4),
    ),
    "declineReferral": (
        _write("d35e7a9b-1dcf-4b4c-8e6a-0c2e4a6c8ec5", "2026-03-03T10:00:00+08:00",
               note="该生学籍已转至外县，请转当地教育部门"),
        "201",
        _referral(SCHOOL_REFERRAL_ID, "education", "declined", 2),
    ),
    "escalateReferral": (
        _write("e46f8b0c-2ed0-4c5d-9f7b-1d3f5b7d9fd6", "2026-03-04T09:30:00+08:00", note="超过受理时限，请尽快受理"),
        "201",
        _referral(POLICE_REFERRAL_ID, "police", "sent", 2) | {"accept_by": "2026-03-03T07:00:00+00:00",
                                                              "complete_by": "2026-04-01T07:00:00+00:00"},
    ),
    "planIntervention": (
        _write("f5a09c1d-3fe1-4d6e-a08c-2e4a6c8e0ae7", "2026-03-03T10:00:00+08:00", child_id=CHILD_ID,
               type="psychological", plan="学校心理老师每周一次心理辅导，为期三个月", responsible_department="education"),
        "201",
        _intervention("planned", 0, 1),
    ),
    "startIntervention": (
        _write("06b1ad2e-4af2-4e7f-b19d-3f5b7d9f1bf8", "2026-03-05T15:30:00+08:00", note="首次辅导已完成"),
        "201",
        _intervention("started", 0, 2),
    ),
    "reviewIntervention": (
        _write("17c2be3f-5b03-4f80-82ae-4a6c8e0a2c09", "2026-03-20T16:00:00+08:00",
               note="情绪明显好转，愿意与同学交流"),
        "201",
        _intervention("started", 1, 3),
    ),
    "endIntervention": (
        _write("28d3cf40-6c14-4a91-93bf-5b7d9f1b3d1a", "2026-06-05T16:00:00+08:00",
               note="三个月辅导结束", outcome="情绪稳定，学业恢复正常，转入常规关注"),
        "201",
        _intervention("ended", 1, 4),
    ),
}

VISIT: Final = {
    "visit_id": VISIT_ID, "child_id": CHILD_ID, "occurred_at": "2026-03-02T02:30:00+00:00",
    "recorded_at": "2026-03-02T02:31:12+00:00", "late": False, "actor_id": GRID_WORKER_ID, "visit_type": "home",
    "child_seen": True, "guardian_present": True,
    "observations": {"living_conditions": "家中整洁", "state_of_mind": "情绪稳定", "needs": "学习用品", "problems": ""},
    "photos": [PHOTO], "missing_photos": [], "flags": [], "notes": "祖母身体尚可", "follow_up": None, "geo": GEO,
    "due_at": None, "on_time": True, "evidence_complete": True, "withheld": [],
}
REFERRAL: Final = {
    "referral_id": REFERRAL_ID, "child_id": CHILD_ID, "department": "civil_affairs", "status": "accepted",
    "reason": "申请生活救助", "urgency": "normal", "sent_at": "2026-03-02T03:00:00+00:00",
    "accept_by": "2026-03-05T03:00:00+00:00", "complete_by": "2026-04-01T03:00:00+00:00",
    "accepted_at": "2026-03-03T01:00:00+00:00", "completed_at": None, "declined_reason": None, "outcome": None,
    "escalations": 0, "notes": ["临时救助申请已提交县民政局"], "report_id": None,
    "overdue": False, "withheld": [],
}
HASH: Final = "3b7e1f0a9c2d4e6b8a1c3e5f7092b4d6f8a0c2e4b6d8f0a1c3e5a7b9d1f3a5c7"


def _history(version: int, kind: str, at: str, data: dict[str, Any], prev_hash: str, hash_: str) -> dict[str, Any]:
    return {"event_id": REGISTERED_EVENT_ID if version == 1 else "5c7e9a1b-3d4f-4a6b-8c8e-0a2c4e6a8c0e",
            "stream_id": CHILD_ID, "version": version, "type": kind, "occurred_at": at, "recorded_at": at,
            "actor": {"id": DIRECTOR_ID, "role": "child_director"}, "device_id": "a1b2c3d4-phone",
            "submission_id": "5d7a1c2e-8f4b-4a6d-9e3c-1b0f2a7d6c45" if version == 1
            else "0c2e4a6b-8d1f-4c3e-a5b7-9d1f3b5c7e19",
            "geo": GEO if version == 1 else None, "late": False, "flags": [], "data": data, "hash": hash_,
            "prev_hash": prev_hash}


READS: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "health": (None, "200", {"status": "ok", "checks": {}, "relay": None}),
    "ready": (None, "200", {"status": "ok", "checks": {"event_store": "ok", "object_store": "ok", "nats": "ok"},
                            "relay": {"head": 412, "position": 412, "lag": 0, "still_for": 0.0, "stalled": False}}),
    "me": (None, "200", FIELD_WRITES["login"][2]["user"]),
    "vocabulary": (None, "200", {
        "categories": [{"code": "left_behind", "zh": "农村留守儿童", "en": "Rural left-behind child"},
                       {"code": "in_distress", "zh": "困境儿童", "en": "Child in distress"}],
        "risk_levels": [{"code": "red", "zh": "红", "en": "Red: immediate danger", "visit_interval_days": 3},
                        {"code": "orange", "zh": "橙", "en": "Orange: serious risk, one-to-one pairing",
                         "visit_interval_days": 7}],
        "departments": [{"code": "police", "zh": "派出所", "en": "Police station"},
                        {"code": "civil_affairs", "zh": "民政/社事办", "en": "Civil affairs"}],
        "intervention_types": [{"code": "psychological", "zh": "心理干预", "en": "Psychological intervention"}],
        "visit_types": [{"code": "home", "zh": "入户走访", "en": "Home visit"}],
        "report_sources": [{"code": "mandatory", "zh": "强制报告", "en": "Mandatory report"}],
        "roles": [{"code": "child_director", "zh": "儿童主任", "en": "Village child director"}],
        "reporter_institutions": [{"code": "hotel", "zh": "旅馆/宾馆", "en": "Hotel"}],
        "policy": {"accept_within_hours": 24.0, "accept_within_red_hours": 2.0, "complete_within_days": 30.0,
                   "triage_within_hours": 24.0, "triage_within_urgent_hours": 2.0, "late_after_hours": 24.0,
                   "max_age_days": 90.0, "due_soon_hours": 24.0},
    }),
    "getChild": (None, "200", CHILD_LATER),
    "listChildren": (None, "200", {"items": [CHILD_LATER], "next_cursor": None}),
    "getVisit": (None, "200", VISIT),
    "listReferrals": (None, "200", {"items": [REFERRAL], "next_cursor": None}),
    "listTasks": (None, "200", {"items": [
        {"task_id": f"visit_due:{CHILD_ID}", "kind": "visit_due", "due_at": "2026-03-09T02:30:00+00:00",
         "overdue": False, "priority": "orange", "title": "走访 王小明", "child_id": CHILD_ID, "referral_id": None,
         "report_id": None, "intervention_id": None, "conference_id": None,
         "follow_up_index": None, "withheld": []}], "next_cursor": None}),
    "listNotifications": (None, "200", {"items": [
        {"notification_id": NOTIFICATION_ID, "kind": "referral_received", "created_at": "2026-03-02T03:00:00+00:00",
         "read_at": None, "title": "新转介：王小明", "body": "转介至民政/社事办，请在 2026-03-03T03:00:00+00:00 前受理。",
         "child_id": CHILD_ID, "referral_id": REFERRAL_ID, "report_id": None, "task_id": None, "withheld": []},
        {"notification_id": "9b2e4c1a-7d3f-5e6a-8b0c-1d2e3f4a5b6c", "kind": "referral_overdue",
         "created_at": "2026-03-03T03:00:05+00:00", "read_at": None, "title": "受理转介 王小明（民政/社事办）：逾期未受理（已上报督导）",
         "body": "期限 2026-03-03T03:00:00+00:00。", "child_id": CHILD_ID, "referral_id": REFERRAL_ID, "report_id": None,
         "task_id": f"referral_accept:{REFERRAL_ID}", "withheld": []}], "next_cursor": None}),
    "uploadPhoto": (None, "201", {
        "media_id": PHOTO, "child_id": CHILD_ID, "width": 4032, "height": 3024, "content_type": "image/jpeg",
        "taken_at": "2026-03-02T02:28:41+00:00", "exif_geo": {"lat": 27.7013, "lon": 106.9374}, "visit_flags": {}}),
}

AUDIT: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "childHistory": (None, "200", {"child_id": CHILD_ID, "next_cursor": "eyJ2IjoyfQ.aGlzdG9yeQ", "items": [
        _history(1, "ChildRegistered", "2026-03-02T01:15:00+00:00",
                 {"name": "王小明", "sex": "male", "birth_date": "2015-01-01", "id_number": "520302201501011234",
                  "jurisdiction": PLACE, "address": "某村 1 号", "household_position": None, "home_geo": None,
                  "categories": ["left_behind"], "guardians": [{"relation": "grandmother", "name": "王奶奶",
                                                                "phone": "13800000000", "able_to_care": True}]},
                 "0" * 64, HASH),
        _history(2, "CorrectionRecorded", "2026-03-02T01:25:00+00:00",
                 {"corrects_event_id": REGISTERED_EVENT_ID, "changes": {"address": "某村 1 号 2 单元"},
                  "reason": "登记时漏填单元号"},
                 HASH, "8c0d2e4f6a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e0f2a4b6c8d0e2f4a6b8c0d"),
    ]}),
    "childAsOf": (None, "200", CHILD_LATER | {"address": "某村 1 号 2 单元", "categories": ["left_behind"],
                                              "open_referrals": [], "version": 4}),
    "accessLog": (None, "200", {"next_cursor": None, "items": [
        {"access_id": "4b6d8f0a-2c3e-4a5b-9c7d-1e3f5a7b9c2d", "child_id": CHILD_ID, "at": "2026-03-16T02:05:31+00:00",
         "actor_id": AUDITOR_ID, "actor_role": "auditor", "device_id": "audit-office-pc", "kinds": ["sensitive"],
         "endpoint": "childHistory"}]}),
    "verifyChains": (None, "200", {"ok": True, "streams_checked": 8, "events_checked": 22, "broken": []}),
    "statsSummary": (None, "200", {
        "jurisdiction": "520302/001", "from": "2026-01-01T00:00:00+08:00", "to": "2026-03-31T23:59:59+08:00",
        "tables": {
            "children_by_risk": {"title": "风险等级 Children by risk level", "columns": ["等级", "code", "人数 children"],
                                 "rows": [["红", "red", 2], ["橙", "orange", 9], ["黄", "yellow", 31],
                                          ["蓝", "blue", 118], ["未分级", "ungraded", 4]]},
            "visits": {"title": "走访 Visits", "columns": ["指标", "code", "数量 count"],
                       "rows": [["走访次数", "visits_done", 214], ["按时走访", "visits_on_time", 197],
                                ["逾期后补访", "visits_after_due", 12], ["离线补录(延迟同步)", "visits_synced_late", 5],
                                ["本期应访(按当前计划)", "visits_due_in_period", 171],
                                ["当前逾期儿童", "children_overdue_now", 3], ["儿童总数", "children", 164]]},
        }}),
}

ROSTERS: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "importRoster": (None, "201", {
        "import_id": "5f0c2e7a-9b1d-5c3e-8a4f-6d2b0e9c1a73", "mode": "commit", "rows": 120, "valid": 117,
        "created": 114, "skipped": 3, "error_count": 3, "duplicate_count": 4,
        "errors": [
            {"row": 7, "column": "身份证号", "code": "id_number_as_number",
             "message": "身份证号被保存为数字，末几位或末位的X已经丢失；请把该列设为“文本”格式后重新填写"},
            {"row": 31, "column": "出生日期", "code": "invalid_date", "message": "无法识别的日期“5月17日”，请写成 2014-05-17"},
            {"row": 88, "column": "区划编码", "code": "out_of_scope", "message": "区划 520402/001 不在您的管辖范围（520302/001）内"}],
        "duplicates": [
            {"row": 12, "match": "id_number", "score": 1.0, "child_id": CHILD_ID},
            {"row": 40, "match": "id_number", "score": 1.0, "of_row": 39},
            {"row": 55, "match": "id_number", "score": 1.0, "county": "520402"},
            {"row": 63, "match": "likely", "score": 0.98, "child_id": MOVED_CHILD_ID}]}),
}

CONFERENCE: Final = {
    "conference_id": CONFERENCE_ID, "child_id": CHILD_ID, "held_at": "2026-03-03T07:00:00+00:00",
    "participants": ["刘主任(镇)", "李主任(儿童主任)", "张网格员", "派出所王警官"],
    "decisions": ["落实一对一帮扶", "民政申请生活救助"],
    "follow_ups": [{"index": 0, "text": "两周后复核救助进度", "owner": "li.director", "due_date": "2026-03-17",
                    "done_at": None}],
    "withheld": [],
}
CASE_FILE: Final[dict[str, tuple[dict[str, Any] | None, str, dict[str, Any]]]] = {
    "listChildVisits": (None, "200", {"items": [VISIT], "next_cursor": None}),
    "listChildConferences": (None, "200", {"items": [CONFERENCE], "next_cursor": None}),
    "childTimeline": (None, "200", {"child_id": CHILD_ID, "next_cursor": "eyJ0IjoyfQ.dGltZWxpbmU", "items": [
        {"at": "2026-03-01T01:00:00+00:00", "recorded_at": "2026-03-01T01:00:03+00:00", "kind": "registration",
         "id": CHILD_ID, "actor_role": "child_director", "late": False,
         "data": {"name": "王小明", "sex": "male", "birth_date": "2015-01-01", "id_number": "520302********1234",
                  "jurisdiction": PLACE, "address": "某村 1 号", "categories": ["left_behind"]}, "withheld": []},
        {"at": "2026-03-02T02:30:00+00:00", "recorded_at": "2026-03-02T02:31:12+00:00", "kind": "visit",
         "id": VISIT_ID, "actor_role": "grid_worker", "late": False,
         "data": {"child_id": CHILD_ID, "visit_type": "home", "child_seen": True, "guardian_present": True,
                  "observations": {"living_conditions": "家中整洁"}, "photos": [PHOTO], "notes": "祖母身体尚可"},
         "withheld": []}]}),
    "completeFollowUp": (_write("7c9e1a3b-5d7f-4a9b-8c1d-3e5f7a9b1c2d", "2026-03-16T10:00:00+08:00",
                                note="救助已发放，已复核"),
                         "201", {"conference_id": CONFERENCE_ID, "child_id": CHILD_ID, "index": 0, "status": "done"}),
    "listReports": (None, "200", {"items": [
        {"report_id": REPORT_ID, "jurisdiction": PLACE, "source": "sentinel", "urgency": "urgent",
         "received_at": "2026-03-01T12:10:00+00:00", "status": "triaged", "triage_by": "2026-03-01T14:10:00+00:00",
         "overdue": False, "child_id": CHILD_ID, "triaged_at": "2026-03-01T13:05:00+00:00", "decision": "refer",
         "referral_id": REFERRAL_ID, "discovered_at": "2026-03-01T11:40:00+00:00", "reporter_institution": "hotel",
         "sentinel_place": "花溪某宾馆", "hotline_ticket": None, "reporter_role": "前台",
         "withheld": []}], "next_cursor": None}),
}

EXAMPLES: Final = FIELD_WRITES | CHILD_WRITES | LIFECYCLE_WRITES | CASE_WRITES | READS | AUDIT | ROSTERS | CASE_FILE
"""Per operation: an example body (None when it takes no JSON body), the status of the answer, and the answer."""
QUERIES: Final[dict[str, dict[str, Any]]] = {
    "listChildren": {"risk_level": "orange", "overdue": False, "limit": 20},
    "listReferrals": {"status": "accepted", "department": "civil_affairs", "limit": 20},
    "sync": {"cursor": EARLIER_CURSOR, "limit": 200},
    "listTasks": {"due_before": "2026-03-10T00:00:00+08:00", "kind": "visit_due"},
    "listNotifications": {"limit": 20},
    "accessLog": {"child_id": CHILD_ID},
    "childAsOf": {"at": "2026-03-02T10:55:00+08:00", "basis": "recorded"},
    "childHistory": {"limit": 2},
    "childTimeline": {"limit": 2},
    "listChildVisits": {"limit": 20},
    "listChildConferences": {"limit": 20},
    "listReports": {"status": "untriaged", "source": "sentinel", "from": "2026-03-01T00:00:00+08:00", "limit": 50},
    "verifyChains": {"child_id": CHILD_ID},
    "statsSummary": {"jurisdiction": "520302/001", "from": "2026-01-01T00:00:00+08:00",
                     "to": "2026-03-31T23:59:59+08:00", "format": "json"},
    "exportChildren": {"jurisdiction": "520302/001/003"},
}
"""The query of each operation's example request."""
PATHS: Final[dict[str, dict[str, str]]] = {
    "transferChild": {"child_id": MOVED_CHILD_ID},
    "escalateReferral": {"referral_id": POLICE_REFERRAL_ID},
    "declineReferral": {"referral_id": SCHOOL_REFERRAL_ID},
}
"""Path parameters that name another record than the one of PATH_IDS."""
FORMS: Final = {
    "uploadPhoto": f"as `multipart/form-data`: `file` = the photo's bytes (e.g. `IMG_0412.jpg`, image/jpeg), "
                   f"`child_id` = `{CHILD_ID}`; then name its `media_id` in the visit's `photos`",
    "importRoster": "as `multipart/form-data`: `file` = the roster (e.g. `红花村花名册.xlsx`, in the columns of "
                    "`GET /api/v1/imports/template.xlsx`), `mode` = `dry_run` (first, to see the errors) or `commit`, "
                    "`submission_id` = `9d4a6c2e-1f3b-4e5d-8a7c-0b2e4f6a8c1d`",
}
"""The fields of an example form, for bodies that are not JSON (and so have no JSON example)."""


def add(path: str, method: str, op_id: str, operation: dict[str, Any]) -> None:
    """Put the operation's example request and answer into its part of the document."""
    _parameters(path, method, op_id, operation)
    if op_id not in EXAMPLES:
        return
    request, status, answer = EXAMPLES[op_id]
    if request is not None:
        body = operation["requestBody"]["content"]["application/json"]
        body["examples"] = {"example": {"summary": "A typical request from the field", "value": request}}
    content = operation["responses"][status]["content"]["application/json"]
    summary = "Its answer (each list shortened here)" if op_id == "vocabulary" else "Its answer"
    content["examples"] = {"example": {"summary": summary, "value": answer}}


def _parameters(path: str, method: str, op_id: str, operation: dict[str, Any]) -> None:
    """An example on each parameter of the example request, and the request itself in the description."""
    values = {**PATH_IDS, **PATHS.get(op_id, {})}
    query = QUERIES.get(op_id, {})
    for parameter in operation.get("parameters", []):
        source = values if parameter["in"] == "path" else query
        if parameter["name"] in source:
            parameter["example"] = source[parameter["name"]]
    target = path.format(**{k: values[k] for k in values if "{" + k + "}" in path})
    if query:
        shown = {k: str(v).lower() if isinstance(v, bool) else v for k, v in query.items()}
        target += "?" + urlencode(shown, safe="/:")
    operation["description"] += f"\n\n**Example request:** `{method.upper()} {target}`"
    if op_id in FORMS:
        operation["description"] += f" {FORMS[op_id]}."
