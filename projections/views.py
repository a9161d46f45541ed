"""What a caller sees of a read-model row: derived fields computed at the time of asking, privacy applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.identity import FULL_ID_NUMBER_ROLES
from backend.rules.id_number import mask_id_number
from backend.rules.policy import effective_level
from backend.settings import Policy
from events.vocabulary import RiskLevel, Role
from projections.queries import referral_overdue
from projections.tables import ChildRow, ReferralRow, VisitRow


def child_flags(row: ChildRow, now: datetime, policy: Policy) -> list[str]:
    """What a supervisor should look at for this child now."""
    flags = []
    if row.conflicting_assessments:
        flags.append("conflicting_assessments")
    if row.next_visit_due is not None and row.next_visit_due < now:
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
    flags += [f"last_visit_{f}" for f in row.last_visit_flags]
    return flags


def child_status(row: ChildRow, now: datetime, policy: Policy, role: Role) -> dict[str, Any]:
    """The child status of the API: every field, with the ID number masked unless the role needs it."""
    level = effective_level(row.risk_level, row.categories)
    return {
        "child_id": row.child_id,
        "name": row.name,
        "sex": row.sex,
        "birth_date": row.birth_date,
        "id_number": row.id_number if role in FULL_ID_NUMBER_ROLES else mask_id_number(row.id_number),
        "jurisdiction": row.jurisdiction,
        "address": row.address,
        "categories": row.categories,
        "risk_level": level.value if level else None,
        "graded": row.risk_level is not None,
        "risk_reasons": row.risk_reasons,
        "last_visit_at": _time(row.last_visit_at),
        "next_visit_due": _time(row.next_visit_due),
        "overdue": row.next_visit_due is not None and row.next_visit_due < now,
        "open_referrals": row.open_referrals,
        "active_interventions": row.active_interventions,
        "evidence_complete": not row.incomplete_visits,
        "flags": child_flags(row, now, policy),
        "guardians": row.guardians,
        "version": row.version,
    }


def referral_view(row: ReferralRow, now: datetime) -> dict[str, Any]:
    view: dict[str, Any] = msgspec.to_builtins(row)
    view["overdue"] = referral_overdue(row, now)
    return view


def visit_view(row: VisitRow) -> dict[str, Any]:
    view: dict[str, Any] = msgspec.to_builtins(row)
    view["evidence_complete"] = not row.missing_photos
    return view


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
