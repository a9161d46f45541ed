"""What a caller sees of a read-model row: derived fields computed at the time of asking, disclosure applied."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Final

import msgspec

from backend.disclosure import ChildFacts, Disclosure, Locate, sees_child
from backend.identity import Actor
from backend.photo import photo_flags
from backend.rules.age import is_aged_out
from backend.rules.case_status import CaseStatus
from backend.rules.policy import effective_level, is_overdue
from backend.settings import Policy
from events.base import Geo
from events.cases import ExifPosition, Observations
from events.vocabulary import Department, ReferralStatus, RiskLevel, Urgency, VisitType
from projections.queries import referral_overdue
from projections.tables import ChildRow, InterventionRow, PhotoRow, ReferralRow, VisitRow

NEEDS_OWNER: Final = frozenset({RiskLevel.ORANGE, RiskLevel.RED})
"""An orange child is paired one to one (结对帮扶) and a red one is in danger: each must have a named worker."""


def facts_of(row: ChildRow) -> ChildFacts:
    """What about the child decides what of it is protected."""
    return ChildFacts(categories=tuple(row.categories), sealed=row.sealed, ever_sensitive=row.ever_sensitive)


def row_visible(actor: Actor, row: ChildRow) -> bool:
    """The one scope and department-handler rule, asked of a read-model row."""
    return sees_child(actor, row.jurisdiction, row.open_matters.values())


def aged_out(row: ChildRow, now: datetime) -> bool:
    """18 or older and the case not yet closed: the child has left the due lists and waits to be closed."""
    return row.case_status != CaseStatus.CLOSED and is_aged_out(date.fromisoformat(row.birth_date), now)


def visit_due(row: ChildRow, now: datetime) -> datetime | None:
    """When the next visit is due, as due lists know it: none for a closed case or a child who has aged out."""
    return None if aged_out(row, now) else row.next_visit_due


def child_flags(row: ChildRow, now: datetime, policy: Policy) -> list[str]:
    """What a supervisor should look at for this child now."""
    flags = []
    if row.conflicting_assessments:
        flags.append("conflicting_assessments")
    if aged_out(row, now):
        flags.append("aged_out")
    if is_overdue(visit_due(row, now), now):
        flags.append("overdue")
    if row.incomplete_visits:
        flags.append("evidence_incomplete")
    if (
        row.risk_level == RiskLevel.RED
        and row.red_since is not None
        and not row.active_interventions
        and now - row.red_since > policy.red_intervention_within
    ):
        flags.append("red_without_intervention")
    level = effective_level(row.risk_level, row.categories)
    if level in NEEDS_OWNER and row.owner is None:
        flags.append("no_owner")
    flags += [f"last_visit_{f}" for f in row.last_visit_flags]
    return flags


def disclose_child(d: Disclosure, view: dict[str, Any]) -> dict[str, Any]:
    """A child-shaped answer (a status, or a write's change) as this reader may see it."""
    shown = d.other_children(dict(view))
    merged = shown.get("merged")  # a merge's answer: the duplicate record, named by its id
    if isinstance(merged, dict) and d.other_child(merged.get("child_id"), "duplicate_child_id") is None:
        shown["merged"] = None
    if "categories" in shown:
        shown["categories"] = d.categories(shown["categories"])
    if "id_number" in shown:
        shown["id_number"] = d.id_number(shown["id_number"])
    if "risk_reasons" in shown:
        shown["risk_reasons"] = [r for r in shown["risk_reasons"] if d.free_text(r) is not None]
    shown["withheld"] = sorted(d.withheld | set(shown.get("withheld", [])))
    return shown


def child_status(row: ChildRow, now: datetime, policy: Policy, reader: Actor,
                 facts: ChildFacts | None = None, locate: Locate | None = None) -> tuple[dict[str, Any], Disclosure]:
    """The child status of the API as this reader may see it, and the disclosure that decided it (by `facts`, when
    the row is a past state of the child and what protects it now must decide; `locate` finds the other child a
    merged record names)."""
    level = effective_level(row.risk_level, row.categories)
    d = Disclosure(reader, facts or facts_of(row), locate)
    status = {
        "child_id": row.child_id,
        "name": row.name,
        "sex": row.sex,
        "birth_date": row.birth_date,
        "id_number": row.id_number,
        "jurisdiction": row.jurisdiction,
        "address": row.address,
        "categories": row.categories,
        "risk_level": level.value if level else None,
        "graded": row.risk_level is not None,
        "risk_reasons": row.risk_reasons,
        "last_visit_at": _time(row.last_visit_at),
        "next_visit_due": _time(visit_due(row, now)),
        "overdue": is_overdue(visit_due(row, now), now),
        "open_referrals": [r for r in row.open_referrals if d.matter(row.open_matters.get(r, ""))],
        "active_interventions": row.active_interventions,
        "evidence_complete": not row.incomplete_visits,
        "flags": child_flags(row, now, policy),
        "guardians": row.guardians,
        "sealed": d.child.sealed,
        "owner": row.owner,
        "partner": row.partner,
        "version": row.version,
        "household_position": row.household_position,
        "school": row.school,
        "phone": row.phone,
        "case_status": row.case_status,
        "closure_reason": row.closure_reason,
        "merged_into": row.merged_into,
    }
    return disclose_child(d, status), d


CHANGED_PROFILE: Final = ("address", "home_geo", "guardians", "household_position", "school", "phone")


def child_change(row: ChildRow) -> dict[str, Any]:
    """A child write's answer, from the child's row as the write left it (before disclosure: `disclose_child`):
    the graded level as graded (`risk_level`; the status's is the effective one), and the profile as it stands."""
    change = {
        "child_id": row.child_id,
        "jurisdiction": row.jurisdiction,
        "categories": row.categories,
        "risk_level": row.risk_level,
        "conflicting_assessments": row.conflicting_assessments,
        "sealed": row.sealed,
        "owner": row.owner,
        "partner": row.partner,
        "version": row.version,
        "case_status": row.case_status,
        "closure_reason": row.closure_reason,
        "merged_into": row.merged_into,
    } | {name: getattr(row, name) for name in CHANGED_PROFILE}
    shown: dict[str, Any] = msgspec.to_builtins(change)
    return shown


def referral_change(row: ReferralRow, version: int) -> dict[str, Any]:
    """A referral step's answer, from the referral's row (nothing in it is protected: no words, the department)."""
    return {"referral_id": row.referral_id, "child_id": row.child_id, "to_department": row.department,
            "status": row.status, "accept_by": _stamp(row.accept_by), "complete_by": _stamp(row.complete_by),
            "version": version}


def intervention_change(row: InterventionRow, version: int) -> dict[str, Any]:
    """An intervention step's answer, from its row (its plan and outcome, words by its department, left out)."""
    return {"intervention_id": row.intervention_id, "child_id": row.child_id, "type": row.type,
            "responsible_department": row.department, "status": row.status, "reviews": row.reviews,
            "version": version}


Timestamp = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date-time"})]
"""An RFC 3339 time with its offset, as written (the answer keeps the stored text)."""
Day = Annotated[str, msgspec.Meta(extra_json_schema={"format": "date"})]
Id = Annotated[str, msgspec.Meta(extra_json_schema={"format": "uuid"})]
"""A record's id; the document's `format` comes from these (mobile_api.contract carries it over)."""


class Visit(msgspec.Struct, frozen=True):
    """A visit as a reader sees it: built straight from its read-model row (`visit_view`), the answer of
    `GET /visits/{id}`, of a child's visit list, and the source of a visit write's answer."""

    visit_id: Id
    child_id: Id
    occurred_at: Timestamp
    recorded_at: Timestamp
    late: bool
    actor_id: Id | None
    visit_type: VisitType
    child_seen: bool
    guardian_present: bool
    observations: Observations
    photos: list[str]
    missing_photos: list[str]
    flags: list[str]
    notes: str
    follow_up: str | None
    geo: Geo | None
    due_at: Timestamp | None
    on_time: bool
    evidence_complete: bool
    withheld: list[str] = []


def visit_view(row: VisitRow, child: ChildRow, reader: Actor) -> tuple[Visit, Disclosure]:
    """A visit as this reader may see it: notes and observations by others about a sensitive child withheld."""
    d = Disclosure(reader, facts_of(child))
    by = row.actor_id
    # A withheld observation is left out of the answer, not shown empty: the answer holds the row's mapping.
    observations: Any = {k: v for k, v in row.observations.items() if d.free_text(v, author_id=by) is not None}
    visit = Visit(
        visit_id=row.visit_id, child_id=row.child_id, occurred_at=_stamp(row.occurred_at),
        recorded_at=_stamp(row.recorded_at), late=row.late, actor_id=by, visit_type=VisitType(row.visit_type),
        child_seen=row.child_seen, guardian_present=row.guardian_present, observations=observations,
        photos=row.photos, missing_photos=row.missing_photos, flags=row.flags,
        notes=d.free_text(row.notes, author_id=by) or "", follow_up=d.free_text(row.follow_up, author_id=by),
        geo=msgspec.convert(row.geo, Geo) if row.geo else None, due_at=_stamp(row.due_at) if row.due_at else None,
        on_time=row.on_time, evidence_complete=not row.missing_photos, withheld=sorted(d.withheld),
    )  # the row's home_geo is kept to derive the flags against; the home is shown with the child, not the visit
    return visit, d


class Referral(msgspec.Struct, frozen=True):
    """A referral as a reader sees it: built straight from its read-model row (`referral_view`), the items of
    `GET /referrals`."""

    referral_id: Id
    child_id: Id
    department: Department
    status: ReferralStatus
    reason: str | None
    urgency: Urgency
    sent_at: Timestamp
    accept_by: Timestamp
    complete_by: Timestamp
    accepted_at: Timestamp | None
    completed_at: Timestamp | None
    declined_reason: str | None
    outcome: str | None
    escalations: int
    notes: list[str]
    report_id: Id | None
    overdue: bool
    withheld: list[str] = []


def referral_view(row: ReferralRow, child: ChildRow, now: datetime, reader: Actor) -> tuple[Referral | None, Disclosure]:
    """A referral as this reader may see it; None when it is a sealed matter the reader may not know of. Its words
    (reason, decline, outcome, notes) are its department's: others' are withheld about a sensitive child."""
    d = Disclosure(reader, facts_of(child))
    department = row.department
    if not d.matter(department):
        return None, d
    referral = Referral(
        referral_id=row.referral_id, child_id=row.child_id, department=Department(department),
        status=ReferralStatus(row.status), reason=d.free_text(row.reason, department=department),
        urgency=Urgency(row.urgency), sent_at=_stamp(row.sent_at), accept_by=_stamp(row.accept_by),
        complete_by=_stamp(row.complete_by), accepted_at=_stamp(row.accepted_at) if row.accepted_at else None,
        completed_at=_stamp(row.completed_at) if row.completed_at else None,
        declined_reason=d.free_text(row.declined_reason, department=department),
        outcome=d.free_text(row.outcome, department=department), escalations=row.escalations,
        notes=[n for n in row.notes if d.free_text(n, department=department) is not None], report_id=row.report_id,
        overdue=referral_overdue(row, now), withheld=sorted(d.withheld),
    )  # the row's changed_at is the read model's bookkeeping, not the referral's
    return referral, d


def photo_visit_flags(policy: Policy, photo: PhotoRow, visits: Iterable[VisitRow]) -> dict[str, list[str]]:
    """The flags this stored photo raises on each visit naming it (by visit id; visits it raises none on left out)."""
    exif = msgspec.convert(photo.exif_geo, ExifPosition) if photo.exif_geo else None
    found = {}
    for visit in visits:
        geo = msgspec.convert(visit.geo, Geo) if visit.geo else None
        flags = photo_flags(policy, geo, visit.occurred_at, photo.taken_at, exif)
        if flags:
            found[visit.visit_id] = flags
    return found


def _stamp(moment: datetime) -> str:
    """A read-model time as answers write it (msgspec's RFC 3339 text)."""
    stamp: str = msgspec.to_builtins(moment)
    return stamp


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
