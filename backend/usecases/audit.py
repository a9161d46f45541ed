"""Recording that someone was shown sensitive or sealed data."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

from backend.disclosure import Shown
from backend.identity import Actor
from backend.ledger import AccessRecord
from backend.usecases.core import Core
from events.base import Meta
from events.ledger import ChildShown, ProtectedDataShown

ACCESS_EVENT_CHILDREN = 400
"""Children one access event names; a request that showed more (an export) adds events to its one stream."""


class Audit:
    """The access log is events too: each request that showed protected data is one stream (of one event, or of
    several for an export of hundreds of children: each event stays under the size one event may have)."""

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
        record = AccessRecord.create(uuid4(), meta, children=children[:ACCESS_EVENT_CHILDREN], endpoint=endpoint)
        for start in range(ACCESS_EVENT_CHILDREN, len(children), ACCESS_EVENT_CHILDREN):  # an export of a county
            record.trigger(ProtectedDataShown, meta, children=children[start:start + ACCESS_EVENT_CHILDREN],
                           endpoint=endpoint)
        recordings = self.core.guarded(lambda: self.core.store.save(record))
        return max(r.notification.id for r in recordings)
