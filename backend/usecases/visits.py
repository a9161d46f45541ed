"""Use cases on visits."""

from __future__ import annotations

from uuid import UUID, uuid4

from backend.commands import RecordVisit
from backend.errors import ChildNotFound, VisitNotFound
from backend.identity import Actor, authorize
from backend.usecases.children import Children
from backend.usecases.core import Change, Core, Outcome
from backend.visits import Visit, visit_flags
from events.base import Meta


class Visits:
    """Record home visits; read one back within scope."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def record(self, actor: Actor, device_id: str, command: RecordVisit) -> Outcome:
        authorize(actor, "visit.record")

        def handle(meta: Meta) -> Change:
            self.children.get(actor, command.child_id)
            flags = visit_flags(command.child_seen, command.geo)
            if meta.late:
                flags.append("late")
            visit = Visit.create(
                uuid4(),
                meta,
                child_id=command.child_id,
                visit_type=command.visit_type,
                child_seen=command.child_seen,
                guardian_present=command.guardian_present,
                observations=command.observations,
                photos=list(dict.fromkeys(command.photos)),
                notes=command.notes,
                follow_up=command.follow_up,
                flags=flags,
            )
            result = {
                "visit_id": str(visit.id),
                "child_id": str(command.child_id),
                "late": meta.late,
                "evidence_complete": not visit.photos,
                "missing_photos": visit.photos,
                "flags": flags,
            }
            return Change([visit], result)

        return self.core.submit("visit.record", actor, device_id, command, None, handle)

    def get(self, actor: Actor, visit_id: UUID) -> Visit:
        visit = self.core.load(Visit, visit_id)
        if visit is None or visit.child_id is None:
            raise VisitNotFound("no such visit")
        try:
            self.children.get(actor, visit.child_id)
        except ChildNotFound:
            raise VisitNotFound("no such visit") from None
        return visit
