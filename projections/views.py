"""What a caller sees of a read-model row: derived fields computed at the time of asking, disclosure applied."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final

import msgspec

from backend.disclosure import ChildFacts, Disclosure, Locate, sees_child
from backend.identity import Actor
from backend.photo import photo_flags
from backend.rules.age import is_aged_out
from backend.rules.case_status import CaseStatus
from backend.rules.policy import effective_level, is_overdue
from backend.settings import Policy
from events.base import Geo
from events.cases import ExifPosition
from events.vocabulary import RiskLevel
from projections.queries import referral_overdue
from projections.tables import ChildRow, PhotoRow, ReferralRow, VisitRow

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


def referral_view(row: ReferralRow, child: ChildRow, now: datetime, reader: Actor) -> tuple[dict[str, Any] | None, Disclosure]:
    """A referral as this reader may see it; None when it is a sealed matter the reader may not know of."""
    d = Disclosure(reader, facts_of(child))
    if not d.matter(row.department):
        return None, d
    view: dict[str, Any] = msgspec.to_builtins(row)
    del view["changed_at"]  # the read model's bookkeeping, not the referral's
    for field in ("reason", "declined_reason", "outcome"):
        view[field] = d.free_text(view[field], department=row.department)
    view["notes"] = [n for n in view["notes"] if d.free_text(n, department=row.department) is not None]
    view["overdue"] = referral_overdue(row, now)
    view["withheld"] = sorted(d.withheld)
    return view, d


def visit_view(row: VisitRow, child: ChildRow, reader: Actor) -> tuple[dict[str, Any], Disclosure]:
    """A visit as this reader may see it: notes and observations by others about a sensitive child withheld."""
    d = Disclosure(reader, facts_of(child))
    view: dict[str, Any] = msgspec.to_builtins(row)
    del view["home_geo"]  # kept to derive the flags against; the home is shown with the child, not the visit
    view["observations"] = {k: v for k, v in row.observations.items() if d.free_text(v, author_id=row.actor_id) is not None}
    view["notes"] = d.free_text(row.notes, author_id=row.actor_id) or ""
    view["follow_up"] = d.free_text(row.follow_up, author_id=row.actor_id)
    view["evidence_complete"] = not row.missing_photos
    view["withheld"] = sorted(d.withheld)
    return view, d


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


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
