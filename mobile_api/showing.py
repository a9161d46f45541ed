"""The HTTP exits' side of disclosure: write answers and conflicts shown through `backend.disclosure`, and
one access event per request for what was shown."""

from __future__ import annotations

from typing import Any

from backend.disclosure import ChildFacts, Disclosure, Shown
from backend.errors import ChildNotFound
from backend.rules.jurisdiction import within_scope
from mobile_api.auth import Caller
from mobile_api.services import Services
from projections.queries import child_row
from projections.views import disclose_child


def record_shown(services: Services, caller: Caller, shown: Shown, endpoint: str) -> None:
    """One access event for everything protected this request showed (nothing when it showed nothing)."""
    if shown:
        services.app.audit.record_access(caller.actor, caller.device_id, shown, endpoint)


def child_answer(services: Services, caller: Caller, view: dict[str, Any], shown: Shown) -> dict[str, Any]:
    """A child-shaped answer of the write side (its change, or the current state of a conflict) as the caller may
    see it now: a sealing order made since the first answer applies to its replay too."""
    row = child_row(services.read_db, str(view["child_id"]))
    categories = tuple(view.get("categories", ())) + (tuple(row.categories) if row else ())
    sealed = bool(view.get("sealed")) or bool(row and row.sealed)
    facts = ChildFacts(categories=categories, sealed=sealed, ever_sensitive=bool(row and row.ever_sensitive))
    d = Disclosure(caller.actor, facts)
    answer = disclose_child(d, view)
    answer["sealed"] = sealed
    shown.add(str(view["child_id"]), d)
    return answer


def write_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """The stored answer of a write as the caller may see it.

    A first answer is not an access event: the write's own event names who acted on the child, when and from where.
    A replay stores no event, so what it shows is recorded like any read.
    """
    nested = result.get("child")
    child_id = result.get("child_id") or (nested.get("child_id") if isinstance(nested, dict) else None)
    if replayed and child_id:  # a child that has left the caller's scope since does not exist for them
        row = child_row(services.read_db, str(child_id))
        if row is not None and not within_scope(row.jurisdiction, caller.actor.scope):
            raise ChildNotFound("no such child")
    shown = Shown()
    if "child_id" in result and "categories" in result:
        result = child_answer(services, caller, result, shown)
    elif isinstance(nested, dict):
        result = {**result, "child": child_answer(services, caller, nested, shown)}
    if replayed:
        record_shown(services, caller, shown, "replay")
    return result
