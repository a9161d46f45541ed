"""Use cases on visits."""

from __future__ import annotations

from uuid import UUID, uuid4

from backend.commands import RecordVisit
from backend.identity import Actor, authorize
from backend.photo import Photo, PhotoEvidence, VisitEvidence, evidence_flags, photo_stream_id
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
            photos = list(dict.fromkeys(command.photos))
            facts = VisitEvidence(occurred_at=meta.occurred_at, geo=command.geo, child_seen=command.child_seen,
                                  late=meta.late, home_geo=child.profile.get("home_geo"))
            stored = {sha: self._stored(command.child_id, sha) for sha in photos}
            missing = [sha for sha, photo in stored.items() if photo is None]
            known = [photo for photo in stored.values() if photo is not None]
            flags = evidence_flags(self.core.policy, facts, known)
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
                flags=evidence_flags(self.core.policy, facts, []),  # what the visit alone raised: for the timeline
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

    def _stored(self, child_id: UUID, sha256: str) -> PhotoEvidence | None:
        """The photo's evidence if these bytes are stored for this child (the write side's own Photo stream)."""
        photo = self.core.load(Photo, photo_stream_id(child_id, sha256), for_update=False)
        return None if photo is None else PhotoEvidence(taken_at=photo.taken_at, exif_geo=photo.exif_geo)
