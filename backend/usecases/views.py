"""The answers use cases give: plain data made from aggregates, stored in receipts for replays.

They hold the facts as stored; what a reader may see of them is decided at the HTTP exit by
`backend.disclosure`, on the first answer and on every replay alike.
"""

from __future__ import annotations

from typing import Any

import msgspec

from backend.child import Child


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
