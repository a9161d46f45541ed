"""The Child aggregate: registration, profile, categories, transfer, risk gradings, corrections."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import singledispatchmethod
from typing import Any, ClassVar, Final
from uuid import UUID

import msgspec

from backend.aggregate import Aggregate
from backend.commands import Guardians
from backend.errors import EventNotFound, IllegalTransition, InvalidInput, UnknownCode
from backend.identity import Actor
from backend.limits import Address, Checked, Code, Name
from backend.rules.id_number import validate_id_number
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.rules.policy import is_higher
from events.base import Event, Geo, Meta
from events.children import (
    CategoriesChanged,
    ChildAssigned,
    ChildRegistered,
    ChildTransferred,
    CorrectionRecorded,
    Guardian,
    ProfileChanged,
    RecordSealed,
    RiskAssessed,
)
from events.vocabulary import Category, RiskLevel, Role, Sex


class ProfileFields(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Profile fields that a change or a correction may set; unset ones stay as they are."""

    name: str | msgspec.UnsetType = msgspec.UNSET
    sex: Sex | msgspec.UnsetType = msgspec.UNSET
    birth_date: date | msgspec.UnsetType = msgspec.UNSET
    id_number: str | None | msgspec.UnsetType = msgspec.UNSET
    address: str | msgspec.UnsetType = msgspec.UNSET
    household_position: str | None | msgspec.UnsetType = msgspec.UNSET
    home_geo: Geo | None | msgspec.UnsetType = msgspec.UNSET
    guardians: list[Guardian] | msgspec.UnsetType = msgspec.UNSET


class ProfileInput(ProfileFields, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Profile fields as a change or correction may send them: bounded as at registration."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    id_number: Checked | None | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    household_position: Code | None | msgspec.UnsetType = msgspec.UNSET
    guardians: Guardians | msgspec.UnsetType = msgspec.UNSET


LIFE_CHANGES: Final = frozenset({"id_number", "address", "household_position", "home_geo", "guardians"})


ASSIGNABLE_ROLES: Final = frozenset({Role.GRID_WORKER, Role.CHILD_DIRECTOR})
"""Who may be named responsible for a child: the people whose worklist holds visits (projections.tasks)."""


def check_codes(values: list[str], vocabulary: type[StrEnum], field: str) -> list[str]:
    """The codes sorted and unique, or UnknownCode naming the first that is not in the vocabulary."""
    for value in values:
        if value not in vocabulary._value2member_map_:
            raise UnknownCode(f"unknown {field} code {value!r}", field=field)
    return sorted(set(values))


class Grading(msgspec.Struct, frozen=True):
    version: int
    level: str
    occurred_at: datetime


class Child(Aggregate):
    """A child followed by field workers, as the events about their own record say."""

    CREATED: ClassVar = ChildRegistered

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.profile: dict[str, Any] = {}
        self.jurisdiction = ""
        self.categories: list[str] = []
        self.risk_level: str | None = None
        self.risk_occurred_at: datetime | None = None
        self.graded_up_at: datetime | None = None
        self.gradings: list[Grading] = []
        self.conflicting_assessments = False
        self.sealed = False
        self.owner: str | None = None
        self.partner: str | None = None
        self.event_ids: set[UUID] = set()

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def register(cls, child_id: UUID, meta: Meta, fields: dict[str, Any]) -> Child:
        """Register a child after checking the ID number, jurisdiction and codes."""
        data = dict(fields)
        data["jurisdiction"] = parse_jurisdiction(data["jurisdiction"])
        data["categories"] = check_codes(data.get("categories", []), Category, "categories")
        if data.get("id_number"):
            data["id_number"] = validate_id_number(data["id_number"], data["birth_date"])
        check_birth_date(data["birth_date"], meta.occurred_at.date())
        return cls.create(child_id, meta, **data)

    def change_categories(self, meta: Meta, add: list[str], remove: list[str], reason: str) -> None:
        added = check_codes(add, Category, "add")
        removed = check_codes(remove, Category, "remove")
        if set(added) & set(removed):
            raise InvalidInput("a category cannot be both added and removed", field="add")
        if not added and not removed:
            raise InvalidInput("nothing to add or remove", field="add")
        self.trigger(CategoriesChanged, meta, added=added, removed=removed, reason=reason)

    def transfer(self, meta: Meta, to_jurisdiction: str, reason: str) -> None:
        target = parse_jurisdiction(to_jurisdiction, field="to_jurisdiction")
        if target == self.jurisdiction:
            raise InvalidInput("the child is already in that jurisdiction", field="to_jurisdiction")
        self.trigger(
            ChildTransferred, meta, from_jurisdiction=self.jurisdiction, to_jurisdiction=target, reason=reason
        )

    def assess_risk(self, meta: Meta, level: str, reasons: list[str], based_on_version: int | None,
                    visit_interval: timedelta | None = None) -> RiskAssessed:
        """Grade the child. A grading that occurred before the current one stays in history only. `visit_interval`
        is the level's interval in the policy applied, recorded with the grading."""
        check_codes([level], RiskLevel, "level")
        if based_on_version is not None and not 0 < based_on_version <= self.version:
            raise InvalidInput("based_on_version is not a version of this child", field="based_on_version")
        since = [g for g in self.gradings if based_on_version is not None and g.version > based_on_version]
        return self.trigger(
            RiskAssessed,
            meta,
            level=level,
            reasons=reasons,
            based_on_version=based_on_version,
            current=self.risk_occurred_at is None or meta.occurred_at >= self.risk_occurred_at,
            conflicting=any(g.level != level for g in since),
            visit_interval_days=visit_interval / timedelta(days=1) if visit_interval is not None else None,
        )

    def change_profile(self, meta: Meta, changes: dict[str, Any], reason: str) -> None:
        """Record a change in the child's life (a move, a new guardian, an ID number issued)."""
        unknown = set(changes) - LIFE_CHANGES
        if unknown:
            raise InvalidInput(f"not a profile change: {', '.join(sorted(unknown))}", field="changes")
        self.trigger(ProfileChanged, meta, changes=self._checked_changes(changes, meta), reason=reason)

    def correct(self, meta: Meta, corrects_event_id: UUID, changes: dict[str, Any], reason: str) -> None:
        """Put a wrong fact right; the corrected event stays in history."""
        if corrects_event_id not in self.event_ids:
            raise EventNotFound("the corrected event is not in this child's record", field="corrects")
        self.trigger(
            CorrectionRecorded,
            meta,
            corrects_event_id=corrects_event_id,
            changes=self._checked_changes(changes, meta),
            reason=reason,
        )

    def assign(self, meta: Meta, owner: Actor, partner: Actor | None) -> None:
        """Name the child's owner (and partner); each must be an active field worker whose scope covers the child."""
        for field, person in (("owner", owner), ("partner", partner)):
            if person is not None and (person.role not in ASSIGNABLE_ROLES
                                       or not within_scope(self.jurisdiction, person.scope)):
                raise InvalidInput(f"{person.username} cannot be responsible for this child", field=field)
        if partner is not None and partner.id == owner.id:
            raise InvalidInput("the partner is someone other than the owner", field="partner")
        self.trigger(ChildAssigned, meta, owner_id=owner.id, owner=owner.username,
                     partner_id=partner.id if partner else None, partner=partner.username if partner else None)

    def seal(self, meta: Meta, reason: str, order_reference: str) -> None:
        """Seal the record under a sealing order; sealing twice is refused."""
        if self.sealed:
            raise IllegalTransition("the record is already sealed")
        if not reason:
            raise InvalidInput("a sealing states its reason", field="reason")
        self.trigger(RecordSealed, meta, reason=reason, order_reference=order_reference)

    def _checked_changes(self, changes: dict[str, Any], meta: Meta) -> dict[str, Any]:
        if not changes:
            raise InvalidInput("no changes given", field="changes")
        try:
            fields = msgspec.convert(changes, ProfileInput, str_keys=True)
        except msgspec.ValidationError as exc:
            raise InvalidInput(f"changes: {exc}", field="changes") from None
        checked = msgspec.to_builtins(fields)
        birth = fields.birth_date if isinstance(fields.birth_date, date) else self.profile["birth_date"]
        if fields.birth_date is not msgspec.UNSET:
            check_birth_date(birth, meta.occurred_at.date())
        id_number = checked.get("id_number", self.profile.get("id_number"))
        if id_number and ("id_number" in checked or "birth_date" in checked):
            checked["id_number"] = validate_id_number(id_number, birth)
        return checked

    # -- state ------------------------------------------------------------------------------

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: ChildRegistered) -> None:
        self.profile = {
            "name": event.name,
            "sex": event.sex,
            "birth_date": event.birth_date,
            "id_number": event.id_number,
            "address": event.address,
            "household_position": event.household_position,
            "home_geo": event.home_geo,
            "guardians": list(event.guardians),
        }
        self.jurisdiction = event.jurisdiction
        self.categories = list(event.categories)
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: CategoriesChanged) -> None:
        kept = set(self.categories) - set(event.removed)
        self.categories = sorted(kept | set(event.added))
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: ChildTransferred) -> None:
        self.jurisdiction = event.to_jurisdiction
        self.owner = self.partner = None  # a transfer ends the assignment: the new jurisdiction names its own
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: RiskAssessed) -> None:
        occurred = event.meta.occurred_at
        self.gradings.append(Grading(event.originator_version, event.level, occurred))
        if event.current:
            if is_higher(event.level, self.risk_level):
                self.graded_up_at = occurred
            self.risk_level = event.level
            self.risk_occurred_at = occurred
        if event.conflicting:
            self.conflicting_assessments = True
        elif event.current and event.meta.actor_role == Role.SUPERVISOR:
            self.conflicting_assessments = False
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: ProfileChanged) -> None:
        self.profile.update(_typed(event.changes))
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: ChildAssigned) -> None:
        self.owner, self.partner = event.owner, event.partner
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: RecordSealed) -> None:
        self.sealed = True
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: CorrectionRecorded) -> None:
        self.profile.update(_typed(event.changes))
        self.event_ids.add(event.event_id)


def _typed(changes: dict[str, Any]) -> dict[str, Any]:
    fields = msgspec.convert(changes, ProfileFields, str_keys=True)
    return {k: getattr(fields, k) for k in changes}


def check_birth_date(birth_date: date, today: date) -> None:
    """A child is born, and under 18."""
    if birth_date > today:
        raise InvalidInput("the birth date is in the future", field="birth_date")
    if (today.year - birth_date.year) - ((today.month, today.day) < (birth_date.month, birth_date.day)) >= 18:
        raise InvalidInput("the person is 18 or older: not a child", field="birth_date")
