"""What a caller sees of a read-model row: derived fields computed at the time of asking, privacy applied."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.identity import FULL_ID_NUMBER_ROLES
from backend.privacy import Disclosure
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


def child_status(row: ChildRow, now: datetime, policy: Policy, role: Role) -> tuple[dict[str, Any], set[str]]:
    """The child status of the API, and the kinds of protected data it shows (to be logged as read).

    The ID number is masked unless the role needs it; sensitive and sealed categories are shown only
    to roles cleared for them, and everyone else sees that something is withheld.
    """
    level = effective_level(row.risk_level, row.categories)
    disclosure = Disclosure(role, row.sealed)
    categories = disclosure.categories(row.categories)
    status = {
        "child_id": row.child_id,
        "name": row.name,
        "sex": row.sex,
        "birth_date": row.birth_date,
        "id_number": row.id_number if role in FULL_ID_NUMBER_ROLES else mask_id_number(row.id_number),
        "jurisdiction": row.jurisdiction,
        "address": row.address,
        "categories": categories,
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
        "sealed": row.sealed,
        "withheld": sorted(disclosure.withheld),
        "version": row.version,
    }
    return status, disclosure.disclosed


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
