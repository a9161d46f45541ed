"""Use cases on visits."""

from __future__ import annotations

from uuid import uuid4

from backend.commands import RecordVisit
from backend.identity import Actor, authorize
from backend.photo import VisitEvidence, evidence_flags
from backend.usecases.children import Children
from backend.usecases.core import Change, Core, Outcome
from backend.visit import Visit
from events.base import Meta


class Visits:
    """Record home visits; read one back within scope."""

    def __init__(self, core: Core, children: Children) -> None:
        self.core = core
        self.children = children

    def record(self, actor: Actor, device_id: str, command: RecordVisit) -> Outcome:
        authorize(actor, "visit.record")

        def handle(meta: Meta) -> Change:
            child = self.children.get(actor, command.child_id, for_update=False)
            child.check_open(meta)
            facts = VisitEvidence(occurred_at=meta.occurred_at, geo=command.geo, child_seen=command.child_seen,
                                  late=meta.late, home_geo=child.profile.get("home_geo"))
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
                flags=evidence_flags(self.core.policy, facts, []),  # what the visit alone raised: for the timeline
            )
            # The answer (flags with the photos stored by then, missing photos) is the read side's view of the
            # visit as recorded: projections.written.visit_as_recorded.
            return Change([visit], {"visit_id": str(visit.id), "child_id": str(command.child_id)})

        return self.core.submit("visit.record", actor, device_id, command, None, handle)
