"""Use cases of a case's lifecycle and the child's life: closure, its approval or rejection, reopening, profile
changes from the field, and merging a duplicate record into the kept one."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from backend.child import Child
from backend.commands import CloseCase, ClosureDecision, MergeChild, ReopenCase, UpdateProfile
from backend.identity import Actor, authorize
from backend.usecases.children import Children, child_change
from backend.usecases.core import Change, Core, Outcome
from events.base import Meta


class Lifecycle:
    """Close, approve, reject, reopen, change the profile, merge."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def close(self, actor: Actor, device_id: str, child_id: UUID, command: CloseCase) -> Outcome:
        """A child director's request for closure, or a supervisor's closure at once."""
        authorize(actor, "child.close")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, child_id)
            child.close(meta, command.reason, command.note)
            return Change([child], child_change(child))

        return self.core.submit("child.close", actor, device_id, command, child_id, handle)

    def approve(self, actor: Actor, device_id: str, child_id: UUID, command: ClosureDecision) -> Outcome:
        return self._decide("child.approve_closure", actor, device_id, child_id, command, Child.approve_closure)

    def reject(self, actor: Actor, device_id: str, child_id: UUID, command: ClosureDecision) -> Outcome:
        return self._decide("child.reject_closure", actor, device_id, child_id, command, Child.reject_closure)

    def _decide(self, name: str, actor: Actor, device_id: str, child_id: UUID, command: ClosureDecision,
                decide: Callable[[Child, Meta, str], None]) -> Outcome:
        authorize(actor, "child.decide_closure")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, child_id)
            decide(child, meta, command.note)
            return Change([child], child_change(child))

        return self.core.submit(name, actor, device_id, command, child_id, handle)

    def reopen(self, actor: Actor, device_id: str, child_id: UUID, command: ReopenCase) -> Outcome:
        authorize(actor, "child.reopen")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, child_id)
            child.reopen(meta, command.reason)
            return Change([child], child_change(child))

        return self.core.submit("child.reopen", actor, device_id, command, child_id, handle)

    def update_profile(self, actor: Actor, device_id: str, child_id: UUID, command: UpdateProfile) -> Outcome:
        """Address, home position, guardians, household position, school, phone: what changed in the child's life."""
        authorize(actor, "child.update_profile")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, child_id)
            event = child.change_profile(meta, command.changes(), command.reason)
            return Change([child], child_change(child) | {"superseded": list(event.superseded)})

        return self.core.submit("child.update_profile", actor, device_id, command, child_id, handle)

    def merge(self, actor: Actor, device_id: str, child_id: UUID, command: MergeChild) -> Outcome:
        """Close the duplicate as `duplicate`, pointing to the kept child (`child_id`); both must be in scope."""
        authorize(actor, "child.merge")

        def handle(meta: Meta) -> Change:
            kept = self.children.get(actor, child_id)
            duplicate = kept if command.duplicate_child_id == child_id else self.children.get(
                actor, command.duplicate_child_id)
            duplicate.close_as_duplicate(meta, kept, command.note)
            result = child_change(kept) | {"merged": {"child_id": str(duplicate.id), "case_status": "closed",
                                                    "closure_reason": "duplicate", "merged_into": str(kept.id)}}
            return Change([kept, duplicate], result)

        return self.core.submit("child.merge", actor, device_id, command, child_id, handle)

