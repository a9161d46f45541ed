"""Use cases on interventions and case conferences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

from backend.aggregate import Aggregate
from backend.commands import FollowUpDone, FollowUpInput, HoldConference, InterventionStep, PlanIntervention
from backend.conference import Conference
from backend.errors import ChildNotFound, ConferenceNotFound, InterventionNotFound, InvalidInput
from backend.identity import Actor, authorize
from backend.intervention import Intervention
from backend.rules.timing import check_moment
from backend.usecases.children import Children
from backend.usecases.core import Change, Core, Outcome
from events.base import Meta
from events.cases import FollowUp, Goal
from events.vocabulary import InterventionStatus, Role


def intervention_change(intervention: Intervention) -> dict[str, Any]:
    """What an intervention step stores for its answer: which intervention, at which version (the answer is the read
    side's row of it at that version: projections.written.intervention_at)."""
    return {"intervention_id": str(intervention.id), "child_id": str(intervention.child_id),
            "version": intervention.version}


class Interventions:
    """Plan, start, review and end interventions; hold case conferences."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def plan(self, actor: Actor, device_id: str, command: PlanIntervention) -> Outcome:
        authorize(actor, "intervention.manage")
        self._check_department(actor, command.responsible_department)
        if command.review_by is not None:
            check_moment(command.review_by, "review_by")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, command.child_id, for_update=False)
            child.check_open(meta)
            intervention = Intervention.create(
                uuid4(),
                meta,
                child_id=command.child_id,
                intervention_type=command.type,
                plan=command.plan,
                responsible_department=command.responsible_department,
                goals=[Goal(text=g.text, due_date=g.due_date) for g in command.goals],
                review_by=command.review_by,
            )
            involvement = self.children.open_matter(meta, child.id, command.responsible_department, intervention.id)
            return Change([intervention, involvement], intervention_change(intervention))

        return self.core.submit("intervention.plan", actor, device_id, command, None, handle)

    def start(self, actor: Actor, device_id: str, intervention_id: UUID, command: InterventionStep) -> Outcome:
        return self._step("intervention.start", actor, device_id, intervention_id, command,
                          lambda i, m: i.start(m, command.note))

    def review(self, actor: Actor, device_id: str, intervention_id: UUID, command: InterventionStep) -> Outcome:
        if not command.note:
            raise InvalidInput("a review has a note", field="note")
        if command.next_review_by is not None:
            check_moment(command.next_review_by, "next_review_by")
        return self._step("intervention.review", actor, device_id, intervention_id, command,
                          lambda i, m: i.review(m, command.note, command.next_review_by))

    def end(self, actor: Actor, device_id: str, intervention_id: UUID, command: InterventionStep) -> Outcome:
        if not command.outcome:
            raise InvalidInput("an ended intervention has an outcome", field="outcome")
        outcome = command.outcome
        return self._step("intervention.end", actor, device_id, intervention_id, command,
                          lambda i, m: i.end(m, command.note, outcome))

    def hold_conference(self, actor: Actor, device_id: str, child_id: UUID, command: HoldConference) -> Outcome:
        authorize(actor, "conference.hold")
        if not command.participants:
            raise InvalidInput("a conference has participants", field="participants")

        def handle(meta: Meta) -> Change:
            self.children.get(actor, child_id, for_update=False).check_open(meta)
            conference = Conference.create(
                uuid4(),
                meta,
                child_id=child_id,
                participants=list(command.participants),
                decisions=list(command.decisions),
                follow_up_items=[_follow_up(f) for f in command.follow_ups],
            )
            result = {"conference_id": str(conference.id), "child_id": str(child_id)}
            return Change([conference], result)

        return self.core.submit("conference.hold", actor, device_id, command, child_id, handle)

    def follow_up_done(self, actor: Actor, device_id: str, conference_id: UUID, index: int, command: FollowUpDone) -> Outcome:
        """Mark one of a conference's follow-ups done: its task leaves the worklist."""
        authorize(actor, "conference.follow_up")

        def handle(meta: Meta) -> Change:
            conference = self.conference(actor, conference_id)
            conference.follow_up_done(meta, index, command.note)
            result = {"conference_id": str(conference.id), "child_id": str(conference.child_id), "index": index,
                      "status": "done"}
            return Change([conference], result)

        # the follow-up's number is part of what is submitted: the same submission for another follow-up is refused
        return self.core.submit(f"conference.follow_up:{index}", actor, device_id, command, conference_id, handle)

    def conference(self, actor: Actor, conference_id: UUID) -> Conference:
        """A conference about a child the actor may see; otherwise it does not exist for them."""
        conference = self.core.load(Conference, conference_id)
        if conference is None or conference.child_id is None:
            raise ConferenceNotFound("no such conference")
        try:
            self.children.get(actor, conference.child_id, for_update=False)
        except ChildNotFound:
            raise ConferenceNotFound("no such conference") from None
        return conference

    def _step(
        self,
        name: str,
        actor: Actor,
        device_id: str,
        intervention_id: UUID,
        command: InterventionStep,
        act: Callable[[Intervention, Meta], None],
    ) -> Outcome:
        authorize(actor, "intervention.manage")

        def handle(meta: Meta) -> Change:
            intervention = self.get(actor, intervention_id)
            act(intervention, meta)
            changed: list[Aggregate] = [intervention]
            if intervention.status == InterventionStatus.ENDED and intervention.child_id is not None:
                changed += self.children.close_matter(meta, intervention.child_id, intervention.department, intervention.id)
            return Change(changed, intervention_change(intervention))

        return self.core.submit(name, actor, device_id, command, intervention_id, handle)

    def get(self, actor: Actor, intervention_id: UUID) -> Intervention:
        intervention = self.core.load(Intervention, intervention_id)
        if intervention is None or intervention.child_id is None:
            raise InterventionNotFound("no such intervention")
        if actor.role == Role.DEPARTMENT_HANDLER and intervention.department != actor.department:
            raise InterventionNotFound("no such intervention")
        try:
            self.children.get_for_own_matter(actor, intervention.child_id)
        except ChildNotFound:
            raise InterventionNotFound("no such intervention") from None
        return intervention

    @staticmethod
    def _check_department(actor: Actor, department: str) -> None:
        if actor.role == Role.DEPARTMENT_HANDLER and department != actor.department:
            raise InvalidInput("a department handler plans for their own department", field="responsible_department")


def _follow_up(given: str | FollowUpInput) -> FollowUp:
    """A follow-up as plain text has no owner and no due date: it is recorded, and tracked once it has one."""
    if isinstance(given, str):
        return FollowUp(text=given)
    return FollowUp(text=given.text, owner=given.owner, due_date=given.due_date)
