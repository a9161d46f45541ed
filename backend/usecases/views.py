"""The answers use cases give: plain data made from aggregates, stored in receipts for replays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from backend.children import Child
from backend.identity import FULL_ID_NUMBER_ROLES, Actor
from backend.privacy import Disclosure
from backend.rules.id_number import mask_id_number
from backend.rules.policy import effective_level, next_visit_due
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
            "version": child.version,
        }
    )


def registered_status(child: Child, policy: Policy, actor: Actor, now: datetime) -> dict[str, Any]:
    """A newly registered child's full status: no visits, referrals or interventions yet.

    The read side's child status must equal this right after registration (tested), so a replayed
    registration answers with exactly the body of the first.
    """
    profile = child.profile
    registered_at = child.created_meta.occurred_at if child.created_meta else now
    level = effective_level(child.risk_level, child.categories)
    due = next_visit_due(policy, level, None, None, registered_at)
    id_number = profile.get("id_number")
    disclosure = Disclosure(actor.role, sealed=False)
    categories = disclosure.categories(child.categories)
    return msgspec.to_builtins(
        {
            "child_id": child.id,
            "name": profile["name"],
            "sex": profile["sex"],
            "birth_date": profile["birth_date"],
            "id_number": id_number if actor.role in FULL_ID_NUMBER_ROLES else mask_id_number(id_number),
            "jurisdiction": child.jurisdiction,
            "address": profile["address"],
            "categories": categories,
            "risk_level": level.value if level else None,
            "graded": False,
            "risk_reasons": [],
            "last_visit_at": None,
            "next_visit_due": due.isoformat() if due else None,
            "overdue": due is not None and due < now,
            "open_referrals": [],
            "active_interventions": [],
            "evidence_complete": True,
            "flags": ["overdue"] if due is not None and due < now else [],
            "guardians": profile["guardians"],
            "sealed": False,
            "withheld": sorted(disclosure.withheld),
            "version": child.version,
        }
    )
