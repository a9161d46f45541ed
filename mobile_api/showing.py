"""The HTTP exits' side of disclosure: write answers and conflicts shown through `backend.disclosure`, and
one access event per request for what was shown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from backend.disclosure import OTHER_CHILD_FIELDS, ChildFacts, Disclosure, Shown
from backend.errors import ChildNotFound
from backend.rules.jurisdiction import within_scope
from mobile_api.auth import Caller
from mobile_api.services import Services
from projections.audit import as_of
from projections.queries import child_row, locator
from projections.views import child_status, disclose_child


def record_shown(services: Services, caller: Caller, shown: Shown, endpoint: str) -> None:
    """One access event for everything protected this request showed (nothing when it showed nothing)."""
    if shown:
        services.app.audit.record_access(caller.actor, caller.device_id, shown, endpoint)


def facts_now(services: Services, child_id: str, categories: Iterable[str], sealed: bool) -> ChildFacts:
    """What protects a child in an answer about a past state of it (`categories`, `sealed`) given now: a sealing
    order or a sensitive category recorded since applies to a replay too."""
    row = child_row(services.read_db, child_id)
    return ChildFacts(categories=tuple(categories) + (tuple(row.categories) if row else ()),
                      sealed=sealed or bool(row and row.sealed), ever_sensitive=bool(row and row.ever_sensitive))


def child_answer(services: Services, caller: Caller, view: dict[str, Any], shown: Shown) -> dict[str, Any]:
    """A child-shaped answer of the write side (its change, or the current state of a conflict) as the caller may
    see it now."""
    facts = facts_now(services, str(view["child_id"]), view.get("categories", ()), bool(view.get("sealed")))
    d = Disclosure(caller.actor, facts, locator(services.read_db))
    answer = disclose_child(d, view)
    answer["sealed"] = facts.sealed
    shown.add(str(view["child_id"]), d)
    return answer


def other_children(services: Services, caller: Caller | None, data: dict[str, Any]) -> dict[str, Any]:
    """A refusal's `extra` with the ids of other children it names (a merged record's kept child) as the caller may
    see them, and `withheld` saying which were left out; to no known caller, none."""
    if caller is None:
        return {k: None if k in OTHER_CHILD_FIELDS else v for k, v in data.items()}
    d = Disclosure(caller.actor, ChildFacts(), locator(services.read_db))
    shown = d.other_children(dict(data))
    if d.withheld:
        shown["withheld"] = sorted(d.withheld | set(shown.get("withheld", [])))
    return shown


def registration_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """A registration's answer: the read side's status of the child as its registration alone made it, at the moment
    it was recorded, so the first answer and every replay are the same body (disclosed as of now), and a read right
    after it gives that body too."""
    check_still_in_scope(services, caller, result, replayed)
    registered = services.app.store.stream(UUID(str(result["child_id"])), upto_version=1)[0]
    policy = services.settings.policy
    row = as_of([registered], registered.meta.recorded_at, "recorded", policy, registered.originator_id)
    if row is None:
        raise RuntimeError("a registration event projects a child row")
    shown = Shown()
    status, d = child_status(row, registered.meta.recorded_at, policy, caller.actor,
                             facts_now(services, row.child_id, row.categories, row.sealed))
    shown.add(row.child_id, d)
    if replayed:
        record_shown(services, caller, shown, "replay")
    return status


def check_still_in_scope(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> None:
    """A replay for a child that has left the caller's scope since: that child does not exist for them."""
    nested = result.get("child")
    child_id = result.get("child_id") or (nested.get("child_id") if isinstance(nested, dict) else None)
    if replayed and child_id:
        row = child_row(services.read_db, str(child_id))
        if row is not None and not within_scope(row.jurisdiction, caller.actor.scope):
            raise ChildNotFound("no such child")


def write_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """The stored answer of a write as the caller may see it.

    A first answer is not an access event: the write's own event names who acted on the child, when and from where.
    A replay stores no event, so what it shows is recorded like any read.
    """
    check_still_in_scope(services, caller, result, replayed)
    nested = result.get("child")
    shown = Shown()
    if "child_id" in result and "categories" in result:
        result = child_answer(services, caller, result, shown)
    elif isinstance(nested, dict):
        result = {**result, "child": child_answer(services, caller, nested, shown)}
    if replayed:
        record_shown(services, caller, shown, "replay")
    return result
