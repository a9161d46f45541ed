"""Offline sync: what changed in the caller's scope since their cursor, over the global event order."""

from __future__ import annotations

from typing import Final

from litestar import Controller, get
from litestar.di import NamedDependency

from backend.errors import BadCursor, CursorExpired
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission
from mobile_api.controllers.children import statuses
from mobile_api.controllers.notifications import notification_page
from mobile_api.controllers.tasks import task_page
from mobile_api.schemas import SyncPage
from mobile_api.services import Services
from projections.queries import changed_since, left_scope_since

FEED_LIMIT: Final = 200
"""The tasks (soonest first) and latest notifications the last sync page carries."""


class SyncController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]
    security = BEARER

    @get("/", operation_id="sync", guards=[permission("sync")], sync_to_thread=True)
    def sync(self, caller: NamedDependency[Caller], services: NamedDependency[Services], cursor: Cursor = None, limit: Limit = 200) -> SyncPage:
        """Children changed in scope since the cursor, children that left the scope, and the next cursor; the last
        page (`has_more` false) also carries the caller's tasks and unread notifications, for use offline.

        No cursor: everything in scope. A cursor the server cannot honour: 410, start again without one.
        """
        services.runner.catch_up()
        upto = services.runner.checkpoint()
        position, after_child = _since(services, cursor, upto)
        actor = caller.actor
        rows = changed_since(services.read_db, actor.scope, position, after_child, limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        removed = left_scope_since(services.read_db, actor.scope, position, upto) if cursor else []
        next_cursor = services.cursors.write(cursors.SYNC, (rows[-1].changed_at, rows[-1].child_id) if has_more else (upto, ""))
        tasks, unread = [], []
        if not has_more:  # the last page also carries what the worker must do and has not yet read, for offline use
            tasks, _ = task_page(services, caller, FEED_LIMIT)
            unread = [n for n in notification_page(services, caller, FEED_LIMIT)[0] if n.read_at is None]
        return SyncPage(
            children=statuses(services, caller, rows, "sync"), removed=removed, cursor=next_cursor,
            has_more=has_more, tasks=tasks, notifications=unread,
        )


def _since(services: Services, cursor: str | None, upto: int) -> tuple[int, str]:
    """The (log position, child id) a sync cursor names; 410 for one the server cannot honour."""
    try:
        since = services.cursors.read(cursors.SYNC, cursor)
    except BadCursor:
        raise CursorExpired("this cursor cannot be honoured; sync again without one", field="cursor") from None
    if since is None:
        return 0, ""
    if since[0] > upto:
        raise CursorExpired("this cursor is ahead of the server; sync again without one", field="cursor")
    return since
