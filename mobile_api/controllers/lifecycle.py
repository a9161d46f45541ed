"""A case's lifecycle and the child's life: closure, its approval or rejection, reopening, profile changes, merging."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from backend.commands import CloseCase, ClosureDecision, MergeChild, ReopenCase, UpdateProfile
from mobile_api.auth import Caller
from mobile_api.common import BEARER, permission, require_json, written
from mobile_api.schemas import ChildChange, MergeResult, ProfileChange
from mobile_api.services import Services
from mobile_api.showing import child_write_answer


class LifecycleController(Controller):
    path = "/api/v1/children"
    tags = ["children"]
    guards = [require_json]
    security = BEARER

    @post("/{child_id:uuid}/closure", operation_id="closeCase", guards=[permission("child.close")],
          sync_to_thread=True)
    def close(self, child_id: FromPath[UUID], data: CloseCase, caller: NamedDependency[Caller],
              services: NamedDependency[Services]) -> Response[ChildChange]:
        """Close the case: a child director asks (`case_status: closure_requested`, supervisors are told and get a
        `closure_approval` task); a supervisor closes at once (`closed`). A case not open: 409. What a closed case
        refuses and keeps: the document's "Closed cases" section."""
        outcome = services.app.lifecycle.close(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/closure/approve", operation_id="approveClosure",
          guards=[permission("child.decide_closure")], sync_to_thread=True)
    def approve(self, child_id: FromPath[UUID], data: ClosureDecision, caller: NamedDependency[Caller],
                services: NamedDependency[Services]) -> Response[ChildChange]:
        """Approve a waiting closure request: the case is closed for the reason asked. No request waiting: 409."""
        outcome = services.app.lifecycle.approve(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/closure/reject", operation_id="rejectClosure",
          guards=[permission("child.decide_closure")], sync_to_thread=True)
    def reject(self, child_id: FromPath[UUID], data: ClosureDecision, caller: NamedDependency[Caller],
               services: NamedDependency[Services]) -> Response[ChildChange]:
        """Reject a waiting closure request: the case stays open. No request waiting: 409."""
        outcome = services.app.lifecycle.reject(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/reopen", operation_id="reopenCase", guards=[permission("child.reopen")],
          sync_to_thread=True)
    def reopen(self, child_id: FromPath[UUID], data: ReopenCase, caller: NamedDependency[Caller],
               services: NamedDependency[Services]) -> Response[ChildChange]:
        """Reopen a closed case, saying why: its visits are due again. A case not closed: 409; a record merged into
        another child: 409 `already_merged` (its facts go to the kept child)."""
        outcome = services.app.lifecycle.reopen(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ChildChange, child_write_answer)

    @post("/{child_id:uuid}/profile", operation_id="updateProfile", guards=[permission("child.update_profile")],
          sync_to_thread=True)
    def profile(self, child_id: FromPath[UUID], data: UpdateProfile, caller: NamedDependency[Caller],
                services: NamedDependency[Services]) -> Response[ProfileChange]:
        """What changed in the child's life: any of address, home position, guardians, household position, school,
        phone. A change that occurred before one already recorded for the same field (made offline, synced late)
        is kept in history and does not replace the newer value: `superseded` names those fields."""
        outcome = services.app.lifecycle.update_profile(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, ProfileChange, child_write_answer)

    @post("/{child_id:uuid}/merge", operation_id="mergeChild", guards=[permission("child.merge")],
          sync_to_thread=True)
    def merge(self, child_id: FromPath[UUID], data: MergeChild, caller: NamedDependency[Caller],
              services: NamedDependency[Services]) -> Response[MergeResult]:
        """Merge a duplicate record of this child into it: the duplicate is closed as `duplicate` with `merged_into`
        naming this child (devices holding it get it so through sync); both histories stay. Both children must be
        in the caller's scope (404 otherwise). Into itself: 422 `merge_into_self`; a duplicate or kept child already
        merged: 409 `already_merged`; a kept child not open, or a duplicate already closed: 409."""
        outcome = services.app.lifecycle.merge(caller.actor, caller.device_id, child_id, data)
        return written(services, caller, outcome, MergeResult, child_write_answer)
