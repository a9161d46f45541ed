"""Recording that someone was shown sensitive or sealed data."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from backend.disclosure import Shown
from backend.identity import Actor
from backend.ledger import AccessRecord
from backend.usecases.core import Core
from events.base import Meta
from events.ledger import ChildShown


class Audit:
    """The access log is events too: each request that showed protected data is one stream of one event."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def record_access(self, actor: Actor, device_id: str, shown: Shown, endpoint: str) -> int:
        """Record one request's showings (every child and kind in one event); returns its position in the log."""
        if not shown:
            return 0
        now: datetime = self.core.clock()
        meta = Meta(
            actor_id=actor.id, actor_role=actor.role.value, device_id=device_id, submission_id=uuid4(),
            occurred_at=now, recorded_at=now,
        )
        children = [ChildShown(child_id=child_id, kinds=sorted(kinds)) for child_id, kinds in sorted(shown.kinds.items())]
        record = AccessRecord.create(uuid4(), meta, children=children, endpoint=endpoint)
        recordings = self.core.guarded(lambda: self.core.store.save(record))
        return max(r.notification.id for r in recordings)
