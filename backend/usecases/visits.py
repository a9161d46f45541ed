"""Use cases on visits."""

from __future__ import annotations

from uuid import uuid4

from backend.commands import RecordVisit
from backend.identity import Actor, authorize
from backend.photos import Photo, home_flags, photo_flags, photo_stream_id
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
            child = self.children.get(actor, command.child_id, for_update=False)
            policy = self.core.policy
            photos = list(dict.fromkeys(command.photos))
            flags = visit_flags(command.child_seen, command.geo, policy.low_accuracy_m)
            flags += home_flags(policy, command.geo, child.profile.get("home_geo"))
            missing = []
            for sha in photos:
                photo = self.core.load(Photo, photo_stream_id(command.child_id, sha), for_update=False)
                if photo is None:
                    missing.append(sha)
                else:
                    flags += photo_flags(policy, command.geo, meta.occurred_at, photo.taken_at, photo.exif_geo)
            if meta.late:
                flags.append("late")
            flags = list(dict.fromkeys(flags))
            visit = Visit.create(
                uuid4(),
                meta,
                child_id=command.child_id,
                visit_type=command.visit_type,
                child_seen=command.child_seen,
                guardian_present=command.guardian_present,
                observations=command.observations,
                photos=photos,
                notes=command.notes,
                follow_up=command.follow_up,
                flags=flags,
            )
            result = {
                "visit_id": str(visit.id),
                "child_id": str(command.child_id),
                "late": meta.late,
                "evidence_complete": not missing,
                "missing_photos": missing,
                "flags": flags,
            }
            return Change([visit], result)

        return self.core.submit("visit.record", actor, device_id, command, None, handle)
