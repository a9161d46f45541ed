"""Projectors of a child's own record: registration, categories, transfer, grading, profile, assignment, sealing."""

from __future__ import annotations

import msgspec

from backend.rules.case_status import CaseStatus
from backend.rules.policy import is_higher
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
    ProfileChanged,
    RecordSealed,
    RiskAssessed,
)
from events.vocabulary import RiskLevel
from projections import notices
from projections.batch import Batch
from projections.rows import link, own, touch
from projections.tables import (
    MOVES,
    ChildRow,
    MoveRow,
    uuid_text,
)


def child_registered(b: Batch, e: ChildRegistered, position: int) -> None:
    row = ChildRow(
        child_id=uuid_text(e.originator_id), name=e.name, sex=e.sex, birth_date=e.birth_date.isoformat(),
        id_number=e.id_number, address=e.address, household_position=e.household_position,
        home_geo=msgspec.to_builtins(e.home_geo), guardians=msgspec.to_builtins(e.guardians),
        jurisdiction=e.jurisdiction, categories=list(e.categories), registered_at=e.meta.occurred_at,
        version=e.originator_version,
    )
    link(b, e.originator_id, e.originator_id, "child")
    touch(b, row, position)



def categories_changed(b: Batch, e: CategoriesChanged, position: int) -> None:
    if row := own(b, e):
        row.categories = sorted((set(row.categories) - set(e.removed)) | set(e.added))
        touch(b, row, position)


def child_transferred(b: Batch, e: ChildTransferred, position: int) -> None:
    if row := own(b, e):
        row.jurisdiction = e.to_jurisdiction
        row.owner = row.owner_id = row.partner = None  # a transfer ends the assignment
        b.put(MOVES, MoveRow(key=f"{position}:{row.child_id}", position=position, child_id=row.child_id,
                             from_jurisdiction=e.from_jurisdiction, to_jurisdiction=e.to_jurisdiction))
        touch(b, row, position)


def risk_assessed(b: Batch, e: RiskAssessed, position: int) -> None:
    row = own(b, e)
    if row is None:
        return
    notices.red_graded(b, e, row, row.risk_level)
    occurred = e.meta.occurred_at
    if e.current:
        if is_higher(e.level, row.risk_level):
            row.graded_up_at = occurred
        if e.level == RiskLevel.RED and row.risk_level != RiskLevel.RED:
            row.red_since = occurred
        elif e.level != RiskLevel.RED:
            row.red_since = None
        row.risk_level, row.risk_reasons, row.risk_occurred_at = e.level, list(e.reasons), occurred
    if e.conflicting:
        row.conflicting_assessments = True
    elif e.current and e.meta.actor_role == "supervisor":
        row.conflicting_assessments = False
    touch(b, row, position)


def profile_changed(b: Batch, e: ProfileChanged | CorrectionRecorded, position: int) -> None:
    """Changed fields take their new value, except those a newer change had already set (the late rule)."""
    superseded = set(e.superseded) if isinstance(e, ProfileChanged) else set()
    if row := own(b, e):
        for field, value in e.changes.items():
            if hasattr(row, field) and field not in superseded:
                setattr(row, field, value)
        touch(b, row, position)


def closure_requested(b: Batch, e: ClosureRequested, position: int) -> None:
    if row := own(b, e):
        row.case_status, row.closure_reason = CaseStatus.CLOSURE_REQUESTED, e.reason
        row.closure_due = e.meta.recorded_at + b.policy.closure_decision_within
        notices.closure_requested(b, e, row)
        touch(b, row, position)


def case_closed(b: Batch, e: CaseClosed, position: int) -> None:
    if row := own(b, e):
        row.case_status, row.closure_reason, row.closure_due = CaseStatus.CLOSED, e.reason, None
        row.merged_into = uuid_text(e.merged_into) if e.merged_into else None
        touch(b, row, position)


def case_opened_again(b: Batch, e: ClosureRejected | CaseReopened, position: int) -> None:
    """A rejected request or a reopening: the case is open, and its visits are due again."""
    if row := own(b, e):
        row.case_status, row.closure_reason, row.closure_due = CaseStatus.OPEN, None, None
        touch(b, row, position)


def duplicate_merged(b: Batch, e: DuplicateMerged, position: int) -> None:
    if row := own(b, e):
        touch(b, row, position)


def child_assigned(b: Batch, e: ChildAssigned, position: int) -> None:
    if row := own(b, e):
        row.owner, row.owner_id, row.partner = e.owner, uuid_text(e.owner_id), e.partner
        touch(b, row, position)


def record_sealed(b: Batch, e: RecordSealed, position: int) -> None:
    if row := own(b, e):
        row.sealed = True
        touch(b, row, position)
