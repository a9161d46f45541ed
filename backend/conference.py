"""The Conference aggregate: a case conference (个案会商) about one child, and its follow-ups done one by one."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import ClassVar
from uuid import UUID

from backend.aggregate import Aggregate
from backend.errors import FollowUpNotFound, IllegalTransition
from backend.rules.order import check_follows
from events.base import Event, Meta
from events.cases import CaseConferenceHeld, ConferenceFollowUpDone


class Conference(Aggregate):
    """Who met about a child, what they decided, what follows."""

    CREATED: ClassVar = CaseConferenceHeld

    def __init__(self, aggregate_id: UUID) -> None:
        super().__init__(aggregate_id)
        self.child_id: UUID | None = None
        self.follow_ups = 0
        self.done: set[int] = set()

    def follow_up_done(self, meta: Meta, index: int, note: str) -> None:
        """Mark the follow-up numbered `index` (from 0, in the order recorded) done; done twice is refused."""
        self.check_follow_up(index)
        check_follows(meta.occurred_at, self.created_meta.occurred_at if self.created_meta else None,
                      "the conference was held")
        self.trigger(ConferenceFollowUpDone, meta, index=index, note=note)

    def check_follow_up(self, index: int) -> None:
        if not 0 <= index < self.follow_ups:
            raise FollowUpNotFound(f"the conference has no follow-up {index}")
        if index in self.done:
            raise IllegalTransition(f"follow-up {index} was already done")

    @singledispatchmethod
    def when(self, event: Event) -> None:
        self.unhandled(event)

    @when.register
    def _(self, event: CaseConferenceHeld) -> None:
        self.child_id = event.child_id
        self.follow_ups = len(event.follow_up_items) or len(event.follow_ups)

    @when.register
    def _(self, event: ConferenceFollowUpDone) -> None:
        self.done.add(event.index)
