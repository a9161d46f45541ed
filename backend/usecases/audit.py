"""Recording that someone was shown sensitive or sealed data."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from backend.identity import Actor
from backend.ledger import AccessRecord
from backend.usecases.core import Core
from events.base import Meta


class Audit:
    """The access log is events too: each showing is one stream of one event."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def record_access(self, actor: Actor, device_id: str, child_id: UUID, kinds: set[str], endpoint: str) -> int:
        """Record the showing; returns its position in the log."""
        now: datetime = self.core.clock()
        meta = Meta(
            actor_id=actor.id, actor_role=actor.role.value, device_id=device_id, submission_id=uuid4(),
            occurred_at=now, recorded_at=now,
        )
        record = AccessRecord.create(uuid4(), meta, child_id=child_id, kinds=sorted(kinds), endpoint=endpoint)
        recordings = self.core.guarded(lambda: self.core.store.save(record))
        return max(r.notification.id for r in recordings)
