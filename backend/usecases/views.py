"""The answers use cases give: plain data made from aggregates, stored in receipts for replays."""

from __future__ import annotations

from typing import Any

import msgspec

from backend.children import Child
from backend.rules.id_number import mask_id_number


def child_view(child: Child) -> dict[str, Any]:
    """The child as the write side knows it (the read side adds visits, referrals, due dates)."""
    profile = child.profile
    return msgspec.to_builtins(
        {
            "child_id": child.id,
            "name": profile["name"],
            "sex": profile["sex"],
            "birth_date": profile["birth_date"],
            "id_number": mask_id_number(profile.get("id_number")),
            "jurisdiction": child.jurisdiction,
            "categories": child.categories,
            "risk_level": child.risk_level,
            "conflicting_assessments": child.conflicting_assessments,
            "version": child.version,
        }
    )
