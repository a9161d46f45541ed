"""The answers use cases give: plain data made from aggregates, stored in receipts for replays.

They hold the facts as stored; what a reader may see of them is decided at the HTTP exit by
`backend.disclosure`, on the first answer and on every replay alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.children import Child
from backend.rules.policy import effective_level, is_overdue, next_visit_due
from backend.settings import Policy


def child_view(child: Child) -> dict[str, Any]:
    """The child as the write side knows it (the read side adds visits, referrals, due dates)."""
    return msgspec.to_builtins(
        {
            "child_id": child.id,
            "jurisdiction": child.jurisdiction,
            "categories": child.categories,
            "risk_level": child.risk_level,
            "conflicting_assessments": child.conflicting_assessments,
            "sealed": child.sealed,
            "owner": child.owner,
            "partner": child.partner,
            "version": child.version,
            "case_status": child.case_status.value,
            "closure_reason": child.closure_reason,
            "merged_into": child.merged_into,
        }
    )


def registered_status(child: Child, policy: Policy, now: datetime) -> dict[str, Any]:
    """A newly registered child's full status: no visits, referrals or interventions yet.

    The read side's child status must equal this right after registration (tested), so a replayed
    registration answers with exactly the body of the first.
    """
    profile = child.profile
    registered_at = child.created_meta.occurred_at if child.created_meta else now
    level = effective_level(child.risk_level, child.categories)
    due = next_visit_due(policy, level, None, None, registered_at)
    overdue = is_overdue(due, now)
    return msgspec.to_builtins(
        {
            "child_id": child.id,
            "name": profile["name"],
            "sex": profile["sex"],
            "birth_date": profile["birth_date"],
            "id_number": profile.get("id_number"),
            "jurisdiction": child.jurisdiction,
            "address": profile["address"],
            "categories": child.categories,
            "risk_level": level.value if level else None,
            "graded": False,
            "risk_reasons": [],
            "last_visit_at": None,
            "next_visit_due": due.isoformat() if due else None,
            "overdue": overdue,
            "open_referrals": [],
            "active_interventions": [],
            "evidence_complete": True,
            "flags": ["overdue"] if overdue else [],
            "guardians": profile["guardians"],
            "sealed": False,
            "owner": None,
            "partner": None,
            "withheld": [],
            "version": child.version,
            "household_position": profile.get("household_position"),
            "school": None,
            "phone": None,
            "case_status": "open",
            "closure_reason": None,
            "merged_into": None,
        }
    )
