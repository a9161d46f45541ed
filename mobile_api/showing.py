"""The HTTP exits' side of disclosure: write answers and conflicts shown through `backend.disclosure`, and
one access event per request for what was shown."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final
from uuid import UUID

import msgspec

from backend.disclosure import (
    OTHER_CHILD_FIELDS,
    ChildFacts,
    Disclosure,
    Locate,
    Shown,
    Whereabouts,
    sees_child,
    sees_own_matter_child,
)
from backend.errors import ChildNotFound, ReferralNotFound
from backend.identity import Actor
from mobile_api.auth import Caller
from mobile_api.services import Services
from projections.queries import child_row, locator
from projections.tables import ChildRow
from projections.views import (
    child_change,
    child_status,
    disclose_child,
    facts_of,
    intervention_change,
    referral_change,
    visit_view,
)
from projections.written import child_at, child_now, intervention_at, referral_at, visit_as_recorded


def record_shown(services: Services, caller: Caller, shown: Shown, endpoint: str) -> None:
    """One access event for everything protected this request showed (nothing when it showed nothing)."""
    if shown:
        services.app.audit.record_access(caller.actor, caller.device_id, shown, endpoint)


WRITE_EXTRAS: Final = ("assessment", "merged", "superseded")
"""What a child write's stored result adds to the child's row: facts about the command itself."""


def child_answer(services: Services, caller: Caller, stored: dict[str, Any], shown: Shown) -> dict[str, Any]:
    """A child-shaped answer (a write's change, or the current state of a conflict): the read side's row of the child
    at the version the write left it (`projections.written.child_at`), as the caller may see it now: a sealing order
    or a sensitive category recorded since applies to a replay too."""
    then, now, _ = child_at(services.app.store, services.settings.policy, UUID(str(stored["child_id"])),
                            int(stored["version"]))
    facts = facts_since(then, now)
    d = Disclosure(caller.actor, facts, locate_later(services))
    answer = disclose_child(d, child_change(then) | {k: stored[k] for k in WRITE_EXTRAS if k in stored})
    answer["sealed"] = facts.sealed
    shown.add(then.child_id, d)
    return answer


def facts_since(then: ChildRow, now: ChildRow) -> ChildFacts:
    """What protects a child in an answer about a past state of it, given what protects it now."""
    return ChildFacts(categories=(*then.categories, *now.categories), sealed=then.sealed or now.sealed,
                      ever_sensitive=now.ever_sensitive)


def locate_later(services: Services) -> Locate:
    """`projections.queries.locator` over the read models, opened only when a payload names another child (a write's
    answer otherwise does not wait for the read models)."""
    found: list[Locate] = []

    def locate(child_id: str) -> Whereabouts | None:
        if not found:
            found.append(locator(services.read_db))
        return found[0](child_id)

    return locate

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
    check_still_visible(services, caller, result, replayed)
    then, now, recorded_at = child_at(services.app.store, services.settings.policy, UUID(str(result["child_id"])), 1)
    shown = Shown()
    status, d = child_status(then, recorded_at, services.settings.policy, caller.actor, facts_since(then, now))
    shown.add(then.child_id, d)
    if replayed:
        record_shown(services, caller, shown, "replay")
    return status


Sees = Callable[[Actor, str, Iterable[str]], bool]
"""Whether the actor may see a child, from where it is and which departments have a matter open for it."""


def check_still_visible(services: Services, caller: Caller, result: dict[str, Any], replayed: bool,
                        sees: Sees = sees_child) -> None:
    """A replay about a child the caller may no longer see: that child does not exist for them (404), as a read of it
    says now. The read's own rule decides (`backend.disclosure.sees_child`, which `projections.views.row_visible`
    asks of a row): scope first, then, for a department handler, a matter of their department still open for the
    child. A referral's or intervention's step asks the rule of its steps instead (`sees_own_matter_child`: the
    handler's own matter is theirs to see, closed or not, as the referral list shows it; a retry of the step that
    closed it answers). A first arrival is not asked: it answers the write the caller was just allowed to make."""
    nested = result.get("child")
    child_id = result.get("child_id") or (nested.get("child_id") if isinstance(nested, dict) else None)
    if replayed and child_id:
        row = child_row(services.read_db, str(child_id))
        if row is not None and not sees(caller.actor, row.jurisdiction, row.open_matters.values()):
            raise ChildNotFound("no such child")


def write_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """The stored answer of a write as the caller may see it.

    A first answer is not an access event: the write's own event names who acted on the child, when and from where.
    A replay stores no event, so what it shows is recorded like any read.
    """
    check_still_visible(services, caller, result, replayed)
    nested = result.get("child")
    shown = Shown()
    if isinstance(nested, dict):
        result = {**result, "child": child_answer(services, caller, nested, shown)}
    if replayed:
        record_shown(services, caller, shown, "replay")
    return result


def visit_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """A visit's answer: the read side's view of its row as the projectors make it, replayed in memory as of its
    recording (`projections.written`), so the first answer and every replay are the same body and a read right
    after it shows the same flags and missing photos. It does not wait for the read models."""
    check_still_visible(services, caller, result, replayed)
    visit, child = visit_as_recorded(services.app.store, services.settings.policy, UUID(str(result["visit_id"])),
                                     UUID(str(result["child_id"])))
    view, _ = visit_view(visit, child, caller.actor)  # the answer's fields are none the disclosure table protects
    answer: dict[str, Any] = msgspec.structs.asdict(view)
    return answer


def referral_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """A referral step's answer from the referral's row as its events up to this step make it (the list's row)."""
    check_still_visible(services, caller, result, replayed, sees_own_matter_child)
    row, version = referral_at(services.app.store, services.settings.policy, UUID(str(result["referral_id"])),
                               int(result["version"]))
    if replayed:  # a sealing order made since hides a justice department's referral from who may not know of it
        d = Disclosure(caller.actor, facts_of(child_now(services.app.store, services.settings.policy, UUID(row.child_id))))
        if not d.matter(row.department):
            raise ReferralNotFound("no such referral")
        shown = Shown()
        shown.add(row.child_id, d)
        record_shown(services, caller, shown, "replay")
    return referral_change(row, version)


def intervention_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """An intervention step's answer from its row as its events up to this step make it."""
    check_still_visible(services, caller, result, replayed, sees_own_matter_child)
    row, version = intervention_at(services.app.store, services.settings.policy, UUID(str(result["intervention_id"])),
                                   int(result["version"]))
    return intervention_change(row, version)


def child_write_answer(services: Services, caller: Caller, result: dict[str, Any], replayed: bool) -> dict[str, Any]:
    """A child write's answer: the read side's row of the child as the write left it, as the caller may see it now."""
    check_still_visible(services, caller, result, replayed)
    shown = Shown()
    answer = child_answer(services, caller, result, shown)
    if replayed:
        record_shown(services, caller, shown, "replay")
    return answer
