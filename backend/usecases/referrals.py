"""Use cases on referrals: send, and each department's steps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

from backend.aggregate import Aggregate
from backend.child import Child
from backend.commands import ReferralStep, SendReferral
from backend.disclosure import Disclosure
from backend.errors import ChildNotFound, InvalidInput, ReferralNotFound
from backend.identity import Actor, authorize
from backend.involvement import Involvement
from backend.referral import Referral
from backend.rules.policy import referral_deadlines
from backend.usecases.children import Children, child_facts
from backend.usecases.core import Change, Core, Outcome
from events.base import Meta
from events.vocabulary import ReferralStatus, Role

CLOSED = frozenset({ReferralStatus.DECLINED, ReferralStatus.COMPLETED})
"""A referral in these states is no longer open with its department."""


def referral_change(referral: Referral) -> dict[str, Any]:
    """What a referral step stores for its answer: which referral, at which version (the answer is the read side's
    row of it at that version: projections.written.referral_at)."""
    return {"referral_id": str(referral.id), "child_id": str(referral.child_id), "version": referral.version}


class Referrals:
    """Refer a child to a department; the department accepts, declines, progresses, completes."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def make(
        self, meta: Meta, child: Child, department: str, reason: str, urgency: str, report_id: UUID | None
    ) -> tuple[Referral, Involvement]:
        """A new referral with its deadlines from the policy (shorter for a red child), opened with its department."""
        accept_by, complete_by = referral_deadlines(self.core.policy, meta.occurred_at, child.risk_level)
        referral = Referral.create(
            uuid4(),
            meta,
            child_id=child.id,
            to_department=department,
            reason=reason,
            urgency=urgency,
            accept_by=accept_by,
            complete_by=complete_by,
            report_id=report_id,
            accept_within_hours=(accept_by - meta.occurred_at) / timedelta(hours=1),
            complete_within_days=(complete_by - meta.occurred_at) / timedelta(days=1),
        )
        return referral, self.children.open_matter(meta, child.id, department, referral.id)

    def send(self, actor: Actor, device_id: str, command: SendReferral) -> Outcome:
        authorize(actor, "referral.send")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, command.child_id, for_update=False)
            child.check_open(meta)
            referral, involvement = self.make(meta, child, command.to_department, command.reason, command.urgency, None)
            return Change([referral, involvement], referral_change(referral))

        return self.core.submit("referral.send", actor, device_id, command, None, handle)

    def accept(self, actor: Actor, device_id: str, referral_id: UUID, command: ReferralStep) -> Outcome:
        return self._step("referral.accept", "referral.respond", actor, device_id, referral_id, command,
                          lambda r, m: r.accept(m, command.note))

    def decline(self, actor: Actor, device_id: str, referral_id: UUID, command: ReferralStep) -> Outcome:
        if not command.note:
            raise InvalidInput("a decline says why", field="note")
        return self._step("referral.decline", "referral.respond", actor, device_id, referral_id, command,
                          lambda r, m: r.decline(m, command.note))

    def progress(self, actor: Actor, device_id: str, referral_id: UUID, command: ReferralStep) -> Outcome:
        if not command.note:
            raise InvalidInput("a progress note has text", field="note")
        return self._step("referral.progress", "referral.respond", actor, device_id, referral_id, command,
                          lambda r, m: r.note_progress(m, command.note))

    def complete(self, actor: Actor, device_id: str, referral_id: UUID, command: ReferralStep) -> Outcome:
        if not command.outcome:
            raise InvalidInput("a completed referral has an outcome", field="outcome")
        outcome = command.outcome
        return self._step("referral.complete", "referral.complete", actor, device_id, referral_id, command,
                          lambda r, m: r.complete(m, command.note, outcome))

    def escalate(self, actor: Actor, device_id: str, referral_id: UUID, command: ReferralStep) -> Outcome:
        return self._step("referral.escalate", "referral.escalate", actor, device_id, referral_id, command,
                          lambda r, m: r.escalate(m, command.note or "overdue"))

    def _step(
        self,
        name: str,
        permission: str,
        actor: Actor,
        device_id: str,
        referral_id: UUID,
        command: ReferralStep,
        act: Callable[[Referral, Meta], None],
    ) -> Outcome:
        authorize(actor, permission)

        def handle(meta: Meta) -> Change:
            referral = self.get(actor, referral_id)
            act(referral, meta)
            changed: list[Aggregate] = [referral]
            if referral.status in CLOSED and referral.child_id is not None:
                changed += self.children.close_matter(meta, referral.child_id, referral.department, referral.id)
            return Change(changed, referral_change(referral))

        return self.core.submit(name, actor, device_id, command, referral_id, handle)

    def get(self, actor: Actor, referral_id: UUID) -> Referral:
        """The referral, if the actor may see it: in scope, and of their department for a handler."""
        referral = self.core.load(Referral, referral_id)
        if referral is None or referral.child_id is None:
            raise ReferralNotFound("no such referral")
        if actor.role == Role.DEPARTMENT_HANDLER and referral.department != actor.department:
            raise ReferralNotFound("no such referral")
        try:
            child = self.children.get_for_own_matter(actor, referral.child_id)
        except ChildNotFound:
            raise ReferralNotFound("no such referral") from None
        if actor.id is not None and not Disclosure(actor, child_facts(child)).matter(referral.department):
            raise ReferralNotFound("no such referral")  # a sealed matter does not exist for this reader
        return referral
