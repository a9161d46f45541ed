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
from backend.errors import (
    AlreadyMerged,
    ChildClosed,
    EventNotFound,
    IllegalTransition,
    InvalidInput,
    MergeIntoSelf,
    OutOfOrder,
    UnknownCode,
)
from backend.identity import Actor
from backend.limits import Address, Checked, Code, Name, Phone
from backend.rules.age import ADULT_AGE, age_on
from backend.rules.case_status import CaseStatus, Step, next_status
from backend.rules.id_number import validate_id_number
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.rules.policy import is_higher
from events.base import Event, Geo, Meta
from events.children import (
    CaseClosed,
    CaseReopened,
    CategoriesChanged,
    ChildAssigned,
    ChildRegistered,
    ChildTransferred,
    ClosureRejected,
    ClosureRequested,
    CorrectionRecorded,
    DuplicateMerged,
    Guardian,
    ProfileChanged,
    RecordSealed,
    RiskAssessed,
)
from events.vocabulary import Category, ClosureReason, RiskLevel, Role, Sex


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
    school: str | None | msgspec.UnsetType = msgspec.UNSET
    phone: str | None | msgspec.UnsetType = msgspec.UNSET


class ProfileInput(ProfileFields, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Profile fields as a change or correction may send them: bounded as at registration."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    id_number: Checked | None | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    household_position: Code | None | msgspec.UnsetType = msgspec.UNSET
    guardians: Guardians | msgspec.UnsetType = msgspec.UNSET
    school: Address | None | msgspec.UnsetType = msgspec.UNSET
    phone: Phone | None | msgspec.UnsetType = msgspec.UNSET


LIFE_CHANGES: Final = frozenset(
    {"id_number", "address", "household_position", "home_geo", "guardians", "school", "phone"}
)


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
        self.field_times: dict[str, datetime] = {}
        """When each profile field's current value took effect (the late rule of profile changes)."""
        self.case_status = CaseStatus.OPEN
        self.closure_reason: str | None = None
        self.closure_request: UUID | None = None
        self.lifecycle_at: datetime | None = None
        """When the last lifecycle step occurred: a step dated before it is out of order."""
        self.closed_at: datetime | None = None
        self.merged_into: UUID | None = None

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
        self.check_open(meta)
        if set(added) & set(removed):
            raise InvalidInput("a category cannot be both added and removed", field="add")
        if not added and not removed:
            raise InvalidInput("nothing to add or remove", field="add")
        self.trigger(CategoriesChanged, meta, added=added, removed=removed, reason=reason)

    def transfer(self, meta: Meta, to_jurisdiction: str, reason: str) -> None:
        target = parse_jurisdiction(to_jurisdiction, field="to_jurisdiction")
        self.check_open(meta)
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
        self.check_open(meta)
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

    def change_profile(self, meta: Meta, changes: dict[str, Any], reason: str) -> ProfileChanged:
        """Record a change in the child's life (a move, a new guardian, an ID number issued).

        A field whose value took effect after this change occurred keeps its newer value (the late rule).
        """
        unknown = set(changes) - LIFE_CHANGES
        if unknown:
            raise InvalidInput(f"not a profile change: {', '.join(sorted(unknown))}", field="changes")
        self.check_open(meta)
        superseded = sorted(f for f in changes if f in self.field_times and meta.occurred_at < self.field_times[f])
        return self.trigger(ProfileChanged, meta, changes=self._checked_changes(changes, meta), reason=reason,
                            superseded=superseded)

    # -- the case's lifecycle ---------------------------------------------------------------

    def check_open(self, meta: Meta) -> None:
        """Refuse (409 child_closed) a fact that occurred while the case is closed; one that occurred before the
        closure and arrives late is a fact of the open case and is kept."""
        if self.case_status is CaseStatus.CLOSED and self.closed_at is not None and meta.occurred_at >= self.closed_at:
            raise ChildClosed("the child's case is closed; reopen it first", case_status=self.case_status.value,
                              merged_into=str(self.merged_into) if self.merged_into else None)

    def _step(self, meta: Meta, step: Step) -> CaseStatus:
        if self.merged_into is not None:
            raise AlreadyMerged("this record was merged into another child", merged_into=str(self.merged_into))
        status = next_status(self.case_status, step)
        if self.lifecycle_at is not None and meta.occurred_at < self.lifecycle_at:
            raise OutOfOrder("dated before the case's last lifecycle step", field="occurred_at")
        return status

    def close(self, meta: Meta, reason: str, note: str) -> str:
        """A supervisor closes at once; a child director asks (a supervisor then approves or rejects)."""
        check_codes([reason], ClosureReason, "reason")
        if meta.actor_role == Role.SUPERVISOR:
            self._step(meta, Step.CLOSE)
            self.trigger(CaseClosed, meta, reason=reason, note=note, approves=self.closure_request)
        else:
            self._step(meta, Step.REQUEST)
            self.trigger(ClosureRequested, meta, reason=reason, note=note)
        return self.case_status.value

    def approve_closure(self, meta: Meta, note: str) -> None:
        self._step(meta, Step.APPROVE)
        self.trigger(CaseClosed, meta, reason=self.closure_reason or ClosureReason.OTHER, note=note,
                     approves=self.closure_request)

    def reject_closure(self, meta: Meta, note: str) -> None:
        self._step(meta, Step.REJECT)
        self.trigger(ClosureRejected, meta, rejects=self.closure_request, note=note)

    def reopen(self, meta: Meta, reason: str) -> None:
        if not reason.strip():
            raise InvalidInput("a reopening states its reason", field="reason")
        self._step(meta, Step.REOPEN)
        self.trigger(CaseReopened, meta, reason=reason)

    def close_as_duplicate(self, meta: Meta, kept: Child, note: str) -> None:
        """This record is the same child as `kept`: closed as a duplicate pointing to it; both histories stay."""
        if kept.id == self.id:
            raise MergeIntoSelf("a child cannot be merged into itself", field="duplicate_child_id")
        if kept.merged_into is not None:
            raise AlreadyMerged("the kept child was itself merged into another", merged_into=str(kept.merged_into))
        if kept.case_status is not CaseStatus.OPEN:
            raise ChildClosed("the kept child's case is not open", case_status=kept.case_status.value)
        self._step(meta, Step.CLOSE)
        self.trigger(CaseClosed, meta, reason=ClosureReason.DUPLICATE, note=note, approves=self.closure_request,
                     merged_into=kept.id)
        kept.trigger(DuplicateMerged, meta, duplicate_child_id=self.id, note=note)

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
        self.check_open(meta)
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
        self.field_times = dict.fromkeys(LIFE_CHANGES, event.meta.occurred_at)
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
        current = {k: v for k, v in event.changes.items() if k not in event.superseded}
        self.profile.update(_typed(current))
        self.field_times.update(dict.fromkeys(current, event.meta.occurred_at))
        self.event_ids.add(event.event_id)

    @when.register
    def _(self, event: ClosureRequested) -> None:
        self.case_status, self.closure_reason, self.closure_request = (
            CaseStatus.CLOSURE_REQUESTED, event.reason, event.event_id)
        self._lifecycle(event)

    @when.register
    def _(self, event: CaseClosed) -> None:
        self.case_status, self.closure_reason, self.closure_request = CaseStatus.CLOSED, event.reason, None
        self.closed_at, self.merged_into = event.meta.occurred_at, event.merged_into
        self._lifecycle(event)

    @when.register
    def _(self, event: ClosureRejected) -> None:
        self.case_status, self.closure_reason, self.closure_request = CaseStatus.OPEN, None, None
        self._lifecycle(event)

    @when.register
    def _(self, event: CaseReopened) -> None:
        self.case_status, self.closure_reason, self.closed_at = CaseStatus.OPEN, None, None
        self._lifecycle(event)

    @when.register
    def _(self, event: DuplicateMerged) -> None:
        self.event_ids.add(event.event_id)

    def _lifecycle(self, event: Event) -> None:
        self.lifecycle_at = event.meta.occurred_at
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
    if age_on(birth_date, today) >= ADULT_AGE:
        raise InvalidInput("the person is 18 or older: not a child", field="birth_date")
