"""Use cases on a child's own record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from backend.aggregate import Aggregate
from backend.child import Child
from backend.commands import (
    AssessRisk,
    AssignChild,
    ChangeCategories,
    ChangeProfile,
    CorrectRecord,
    RegisterChild,
    SealRecord,
    TransferChild,
)
from backend.disclosure import ChildFacts, Whereabouts, names_child, sees_child, sees_own_matter_child
from backend.errors import ChildNotFound, DuplicateChild, InvalidInput, StaleVersion
from backend.id_claims import PLAIN_KEY, IdNumberClaim, claim_id_for
from backend.identity import Actor, authorize, check_in_scope, user_id_for
from backend.involvement import Involvement, involvement_id
from backend.rules.jurisdiction import parse_jurisdiction
from backend.rules.policy import visit_interval
from backend.usecases.core import Change, Core, Outcome
from backend.user import User
from events.base import Meta
from events.children import ChildRegistered, RiskAssessed
from events.vocabulary import Role

_REGISTRATION_FIELDS = (
    "name sex birth_date id_number jurisdiction address household_position home_geo categories guardians".split()
)


def child_facts(child: Child) -> ChildFacts:
    """What about the child decides what of it is protected, as the write side knows it."""
    return ChildFacts(categories=tuple(child.categories), sealed=child.sealed)


def registration_fields(command: RegisterChild) -> dict[str, object]:
    return {f: getattr(command, f) for f in _REGISTRATION_FIELDS}


class Children:
    """Register, grade, re-categorise, transfer and correct children."""

    def __init__(self, core: Core, claim_key: bytes = PLAIN_KEY) -> None:
        self.core = core
        self.claim_key = claim_key

    def get(self, actor: Actor, child_id: UUID, *, for_update: bool = True) -> Child:
        """The child, if the actor may see it (scope; for a handler, an open matter of their department);
        otherwise it does not exist for them.

        `for_update=False` for checks that change nothing (no copy of the cached aggregate).
        """
        child = self.core.load(Child, child_id, for_update=for_update)
        if child is None:
            raise ChildNotFound("no such child")
        if actor.id is None:  # the system itself (demo data, command line)
            return child
        open_departments = self.open_departments(child_id, actor.department) if actor.role == Role.DEPARTMENT_HANDLER else []
        if not sees_child(actor, child.jurisdiction, open_departments):
            raise ChildNotFound("no such child")
        return child

    def get_for_own_matter(self, actor: Actor, child_id: UUID) -> Child:
        """The child of a referral or intervention the actor's department holds, if the actor may see it as such
        (`backend.disclosure.sees_own_matter_child`: for a handler scope alone, the matter being theirs, closed or
        not; everyone else as `get`)."""
        if actor.role != Role.DEPARTMENT_HANDLER:
            return self.get(actor, child_id, for_update=False)
        child = self.core.load(Child, child_id, for_update=False)
        if child is None:
            raise ChildNotFound("no such child")
        if actor.id is not None and not sees_own_matter_child(actor, child.jurisdiction, ()):
            raise ChildNotFound("no such child")
        return child

    def open_departments(self, child_id: UUID, department: str | None) -> list[str]:
        """`[department]` while it has a matter open for the child, else `[]` (the facts the handler rule needs)."""
        if department is None:
            return []
        involvement = self.core.load(Involvement, involvement_id(child_id, department), for_update=False)
        return [department] if involvement is not None and involvement.is_open else []

    def open_matter(self, meta: Meta, child_id: UUID, department: str, matter_id: UUID) -> Involvement:
        """Record that a referral or intervention for the child is open with `department`."""
        existing = self.core.load(Involvement, involvement_id(child_id, department))
        return Involvement.opening(existing, meta, child_id, department, matter_id)

    def close_matter(self, meta: Meta, child_id: UUID, department: str, matter_id: UUID) -> list[Aggregate]:
        """Record that the matter is closed; the involvement to save, if it changed."""
        involvement = self.core.load(Involvement, involvement_id(child_id, department))
        return [involvement] if involvement is not None and involvement.close(meta, matter_id) else []

    def register(self, actor: Actor, device_id: str, command: RegisterChild) -> Outcome:
        authorize(actor, "child.register")
        check_in_scope(actor, parse_jurisdiction(command.jurisdiction))

        return self.core.submit("child.register", actor, device_id, command, None, self.registration(actor, command))

    def registration(self, actor: Actor, command: RegisterChild) -> Callable[[Meta], Change]:
        """The handler of a registration: the child and the claim of its ID number, saved together."""

        def handle(meta: Meta) -> Change:
            child = Child.register(uuid4(), meta, registration_fields(command))
            claims = self.claim_number(actor, meta, child, None)
            return Change([child, *claims], child_change(child))

        return handle

    def claim_number(self, actor: Actor, meta: Meta, child: Child, previous: str | None) -> list[Aggregate]:
        """The claim streams to save with the child now that its ID number is what it is (it was `previous`).

        The child's number is claimed (refused with DuplicateChild when another child holds it) and the previous
        one released. Two claims of one number at once meet on the claim stream's version: one is refused.
        """
        current = child.profile.get("id_number")
        if current == previous:
            return []
        changed: list[Aggregate] = []
        if current:
            claim_id = claim_id_for(self.claim_key, current)
            claim = self.core.load(IdNumberClaim, claim_id)
            if claim is None:
                claim = IdNumberClaim.create(claim_id, meta, child_id=child.id)
            elif claim.child_id is not None and claim.child_id != child.id:
                raise self.duplicate(actor, claim.child_id)
            elif claim.child_id is None:
                claim.claim(meta, child.id)
            changed.append(claim)
        if previous:
            old = self.core.load(IdNumberClaim, claim_id_for(self.claim_key, previous))
            if old is not None and old.child_id == child.id:
                old.release(meta)
                changed.append(old)
        return changed

    def claim_registered(self) -> tuple[int, int]:
        """Claim the ID numbers of children registered before numbers were claimed (a store from an earlier release):
        each number goes to the first child registered with it; a later child with the same number keeps its record
        and is counted, for a supervisor to merge. Returns (claimed, duplicates); running it again claims nothing."""
        claimed = duplicates = 0
        now = self.core.clock()
        meta = Meta(actor_id=None, actor_role=Role.ADMIN.value, device_id="claim-id-numbers", submission_id=uuid4(),
                    occurred_at=now, recorded_at=now)
        for note in self.core.store.notifications(topics=[get_topic(ChildRegistered)]):
            child = self.core.load(Child, note.originator_id, for_update=False)
            number = child.profile.get("id_number") if child is not None else None
            if child is None or not number:
                continue
            claim = self.core.load(IdNumberClaim, claim_id_for(self.claim_key, number))
            if claim is not None and claim.child_id is not None:
                duplicates += claim.child_id != child.id
                continue
            if claim is None:
                claim = IdNumberClaim.create(claim_id_for(self.claim_key, number), meta, child_id=child.id)
            else:
                claim.claim(meta, child.id)
            try:
                self.core.guarded(lambda: self.core.commits.save(claim))  # noqa: B023 (called at once)
            except IntegrityError:  # claimed by a registration meanwhile
                continue
            claimed += 1
        return claimed, duplicates

    def duplicate(self, actor: Actor, holder_id: UUID) -> DuplicateChild:
        """The refusal of a second child with a registered number: the holder's id if the actor may see it
        (`names_child`), otherwise only the county it is registered in (the first segment of its jurisdiction)."""
        detail = "a child with this ID number is already registered"
        holder = self.core.load(Child, holder_id, for_update=False)
        if holder is None:
            return DuplicateChild(detail, county="")
        departments = self.open_departments(holder_id, actor.department) if actor.role == Role.DEPARTMENT_HANDLER else []
        if names_child(actor, Whereabouts(jurisdiction=holder.jurisdiction, open_departments=tuple(departments))):
            return DuplicateChild(detail, child_id=str(holder_id))
        return DuplicateChild(detail, county=holder.jurisdiction.split("/")[0])

    def assess_risk(self, actor: Actor, device_id: str, child_id: UUID, command: AssessRisk) -> Outcome:
        authorize(actor, "child.assess_risk")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            event = child.assess_risk(meta, command.level, list(command.reasons), command.based_on_version,
                                      visit_interval(self.core.policy, command.level))
            return Change([child], child_change(child) | {"assessment": _assessment(event)})

        return self.core.submit("child.assess_risk", actor, device_id, command, child_id, handle)

    def change_categories(self, actor: Actor, device_id: str, child_id: UUID, command: ChangeCategories) -> Outcome:
        authorize(actor, "child.change_categories")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            child.change_categories(meta, list(command.add), list(command.remove), command.reason)
            return Change([child], child_change(child))

        return self.core.submit("child.change_categories", actor, device_id, command, child_id, handle)

    def change_profile(self, actor: Actor, device_id: str, child_id: UUID, command: ChangeProfile) -> Outcome:
        authorize(actor, "child.change_profile")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            self.check_version(child, command.expected_version)
            previous = child.profile.get("id_number")
            child.change_profile(meta, command.changes, command.reason)
            return Change([child, *self.claim_number(actor, meta, child, previous)], child_change(child))

        return self.core.submit("child.change_profile", actor, device_id, command, child_id, handle)

    def transfer(self, actor: Actor, device_id: str, child_id: UUID, command: TransferChild) -> Outcome:
        authorize(actor, "child.transfer")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            self.check_version(child, command.expected_version)
            child.transfer(meta, command.to_jurisdiction, command.reason)
            return Change([child], child_change(child))

        return self.core.submit("child.transfer", actor, device_id, command, child_id, handle)

    def correct(self, actor: Actor, device_id: str, child_id: UUID, command: CorrectRecord) -> Outcome:
        authorize(actor, "child.correct")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            self.check_version(child, command.expected_version)
            previous = child.profile.get("id_number")
            child.correct(meta, command.corrects.event_id, command.changes, command.reason)
            return Change([child, *self.claim_number(actor, meta, child, previous)], child_change(child))

        return self.core.submit("child.correct", actor, device_id, command, child_id, handle)

    def assign(self, actor: Actor, device_id: str, child_id: UUID, command: AssignChild) -> Outcome:
        authorize(actor, "child.assign")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            owner = self.worker(command.owner, "owner")
            partner = self.worker(command.partner, "partner") if command.partner else None
            child.assign(meta, owner, partner)
            return Change([child], child_change(child))

        return self.core.submit("child.assign", actor, device_id, command, child_id, handle)

    def worker(self, username: str, field: str) -> Actor:
        """An active account by its username, or InvalidInput naming the field."""
        user = self.core.load(User, user_id_for(username), for_update=False)
        if user is None or user.disabled:
            raise InvalidInput(f"no active account {username!r}", field=field)
        return user.as_actor()

    def seal(self, actor: Actor, device_id: str, child_id: UUID, command: SealRecord) -> Outcome:
        authorize(actor, "child.seal")

        def handle(meta: Meta) -> Change:
            child = self.get(actor, child_id)
            child.seal(meta, command.reason, command.order_reference)
            return Change([child], child_change(child))

        return self.core.submit("child.seal", actor, device_id, command, child_id, handle)

    @staticmethod
    def check_version(child: Child, expected: int | None) -> None:
        """Refuse an order-dependent command made on a version that is no longer current."""
        if expected is not None and expected != child.version:
            raise StaleVersion(
                f"the child is at version {child.version}, not {expected}", current=child_change(child)
            )


def child_change(child: Child) -> dict[str, Any]:
    """What a child write stores for its answer: which child, at which version. The answer is the read side's row of
    the child at that version (projections.written.child_at), shown through the same view as a read."""
    return {"child_id": str(child.id), "version": child.version}


def _assessment(event: RiskAssessed) -> dict[str, object]:
    return {
        "event_id": str(event.event_id),
        "level": event.level,
        "current": event.current,
        "conflicting": event.conflicting,
    }
