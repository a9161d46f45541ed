"""Marking a notification read: a fact recorded once per recipient and notification."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import IntegrityError

from backend.errors import Forbidden
from backend.identity import Actor
from backend.ledger import ReadMark, read_mark_id
from backend.usecases.core import Core
from events.base import Meta


class Notices:
    """The recipient's read marks (which notifications are addressed to whom is the read side's to answer)."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def mark_read(self, actor: Actor, device_id: str, notification_id: UUID) -> int:
        """Record that `actor` read the notification; again, or at once from two devices, records nothing more.
        Returns the position of what was stored (0 when it was already marked)."""
        if actor.id is None:
            raise Forbidden("only a signed-in user has an inbox")
        stream = read_mark_id(actor.id, notification_id)
        if self.core.load(ReadMark, stream, for_update=False) is not None:
            return 0
        now = self.core.clock()
        meta = Meta(actor_id=actor.id, actor_role=actor.role.value, device_id=device_id, submission_id=stream,
                    occurred_at=now, recorded_at=now)
        mark = ReadMark.create(stream, meta, user_id=actor.id, notification_id=notification_id)
        try:
            recordings = self.core.guarded(lambda: self.core.store.save(mark))
        except IntegrityError:  # marked at the same moment from another device
            return 0
        return max(r.notification.id for r in recordings)
