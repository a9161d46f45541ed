"""The worklist: what the caller must do next, soonest first."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from backend.disclosure import ChildFacts, Disclosure
from backend.rules.policy import is_overdue
from backend.rules.timing import check_moment
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission
from mobile_api.schemas import TaskItem, TaskPage
from mobile_api.services import Services
from projections.queries import locator
from projections.tasks import KINDS_BY_ROLE, TaskQuery, task_view, tasks

Kind = Literal["visit_due", "referral_accept", "referral_complete", "report_triage", "intervention_review",
               "closure_approval", "aging_out", "conference_followup"]


class TasksController(Controller):
    path = "/api/v1/me/tasks"
    tags = ["worklist"]
    security = BEARER

    @get("/", operation_id="listTasks", guards=[permission("tasks.read")], sync_to_thread=True)
    def list_tasks(self, caller: NamedDependency[Caller], services: NamedDependency[Services], limit: Limit = 50,
                   cursor: Cursor = None, due_before: datetime | None = None, kind: Kind | None = None) -> TaskPage:
        """What the caller must do next, soonest due first: visits due for the children of their jurisdiction
        (grid workers, child directors), reports to triage (child directors, supervisors; 2 h for urgent ones,
        24 h otherwise), their department's referrals to accept and to complete (department handlers), closure
        requests to approve or reject (supervisors), children who turn 18 within 30 days to close (their owner, or
        the village's child directors; such a child's visits leave the list on the 18th birthday), conference
        follow-ups due by the end of their due date (child directors, supervisors). A task
        leaves the list when the thing is done, not when it is read."""
        if due_before is not None:
            check_moment(due_before, "due_before")
        found, after = task_page(services, caller, limit, services.cursors.read(cursors.TASKS, cursor), due_before, kind)
        return TaskPage(items=found, next_cursor=services.cursors.write(cursors.TASKS, after))


def task_page(services: Services, caller: Caller, limit: int, after: tuple[str, str] | None = None,
              due_before: datetime | None = None, kind: str | None = None) -> tuple[list[TaskItem], tuple[str, str] | None]:
    """The caller's tasks as the API shows them (the worklist, and the sync feed's copy of it)."""
    actor = caller.actor
    kinds = tuple(k for k in KINDS_BY_ROLE.get(actor.role, ()) if kind is None or k == kind)
    now = services.clock()
    found, next_after = tasks(services.read_db, TaskQuery(actor=actor, kinds=kinds, due_before=due_before, now=now), limit, after)
    locate = locator(services.read_db)
    items = [msgspec.convert(task_view(t, Disclosure(actor, ChildFacts(), locate)) | {
        "due_at": t.due_at.isoformat(), "overdue": is_overdue(t.due_at, now)}, TaskItem) for t in found]
    return items, next_after
