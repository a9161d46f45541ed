"""Offline sync: what changed in the caller's scope since their cursor, over the global event order."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException

from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission
from mobile_api.controllers.children import statuses
from mobile_api.schemas import SyncPage
from mobile_api.services import Services
from projections.queries import BadCursor, changed_since, decode_cursor, encode_cursor, left_scope_since


class Gone(HTTPException):
    status_code = 410


class SyncController(Controller):
    path = "/api/v1/sync"
    tags = ["sync"]
    security = BEARER

    @get("/", operation_id="sync", guards=[permission("sync")], sync_to_thread=True)
    def sync(self, caller: NamedDependency[Caller], services: NamedDependency[Services], cursor: Cursor = None, limit: Limit = 200) -> SyncPage:
        """Children changed in scope since the cursor, children that left the scope, and the next cursor.

        No cursor: everything in scope. A cursor the server cannot honour: 410, start again without one.
        """
        services.runner.catch_up()
        upto = services.runner.checkpoint()
        position, after_child = 0, ""
        if cursor:
            try:
                position, after_child = decode_cursor(cursor, 2)
            except BadCursor:
                raise Gone(detail="this cursor cannot be honoured; sync again without one") from None
            if not isinstance(position, int) or not isinstance(after_child, str) or position > upto:
                raise Gone(detail="this cursor cannot be honoured; sync again without one")
        actor = caller.actor
        rows = changed_since(services.read_db, actor.scope, position, after_child, limit + 1)
        has_more = len(rows) > limit
        rows = rows[:limit]
        removed = left_scope_since(services.read_db, actor.scope, position, upto) if cursor else []
        next_cursor = encode_cursor(rows[-1].changed_at, rows[-1].child_id) if has_more else encode_cursor(upto, "")
        return SyncPage(
            children=statuses(services, caller, rows, "sync"), removed=removed, cursor=next_cursor,
            has_more=has_more,
        )
