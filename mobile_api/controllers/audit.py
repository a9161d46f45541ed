"""Audit: a child's whole history, its status as of a time, chain verification, the access log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from backend.disclosure import Shown
from backend.errors import ChildNotFound
from backend.identity import Actor
from backend.rules.timing import check_moment
from backend.tamper import Verification, verify
from events.base import Event
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission
from mobile_api.controllers.children import status_of, visible_child
from mobile_api.schemas import AccessEntry, AccessPage, ChildStatus, HistoryEntry, HistoryPage, VerifyResult
from mobile_api.services import Services
from mobile_api.showing import record_shown
from projections.audit import as_of, child_events, child_streams, history, streams_in_scope
from projections.queries import access_log, locator
from projections.tables import ChildRow
from projections.views import facts_of

Basis = Literal["recorded", "occurred"]


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    security = BEARER

    @get("/children/{child_id:uuid}/history", operation_id="childHistory", guards=[permission("audit.read")], sync_to_thread=True)
    def child_history(self, child_id: FromPath[UUID], caller: NamedDependency[Caller], services: NamedDependency[Services],
                      limit: Limit = 200, cursor: Cursor = None) -> HistoryPage:
        """Every event about the child, in the order recorded, with actor, device, times, place and hash links."""
        row = visible_child(services, caller.actor, child_id)
        events = child_events(services.app.store, services.read_db, child_id)
        kind = cursors.history(child_id)
        (start,) = services.cursors.read(kind, cursor) or (0,)
        entries, disclosure = history(events, slice(start, start + limit), caller.actor, facts_of(row),
                                      locator(services.read_db))
        shown = Shown()
        shown.add(child_id, disclosure)
        record_shown(services, caller, shown, "childHistory")
        more = start + limit < len(events)
        return HistoryPage(
            child_id=str(child_id),
            items=[msgspec.convert(e, HistoryEntry) for e in entries],
            next_cursor=services.cursors.write(kind, (start + limit,) if more else None),
        )

    @get("/children/{child_id:uuid}/as-of", operation_id="childAsOf", guards=[permission("audit.read")], sync_to_thread=True)
    def child_as_of(self, child_id: FromPath[UUID], at: datetime, caller: NamedDependency[Caller],
                    services: NamedDependency[Services], basis: Basis = "recorded") -> ChildStatus:
        """The child's status as it stood at `at`: what the system knew then (recorded) or what had happened by then (occurred)."""
        current = visible_child(services, caller.actor, child_id)
        events = child_events(services.app.store, services.read_db, child_id)
        shown = Shown()
        status = status_as_of(services, caller, current, events, check_moment(at, "at"), basis, shown)
        if status is None:
            raise ChildNotFound("the child was not registered at that time")
        record_shown(services, caller, shown, "childAsOf")
        return status

    @get("/verify", operation_id="verifyChains", guards=[permission("audit.verify")], sync_to_thread=True)
    def verify_chains(self, caller: NamedDependency[Caller], services: NamedDependency[Services],
                      child_id: UUID | None = None) -> VerifyResult:
        """Walk the hash chains of one child's streams, or of every child's in the caller's jurisdiction, and the
        anchors of those streams (the whole store, users and receipts included, is `huhang verify`'s)."""
        return msgspec.convert(msgspec.to_builtins(verify_for(services, caller.actor, child_id)), VerifyResult)

    @get("/access-log", operation_id="accessLog", guards=[permission("audit.verify")], sync_to_thread=True)
    def access(self, child_id: UUID, caller: NamedDependency[Caller], services: NamedDependency[Services],
               limit: Limit = 200, cursor: Cursor = None) -> AccessPage:
        """Who was shown sensitive or sealed data about the child, when, and where."""
        visible_child(services, caller.actor, child_id)
        services.runner.catch_up()
        kind = cursors.access_log(child_id)
        rows, after = access_log(services.read_db, str(child_id), limit, services.cursors.read(kind, cursor))
        next_cursor = services.cursors.write(kind, after)
        items: list[Any] = [msgspec.convert(msgspec.to_builtins(r), AccessEntry) for r in rows]
        return AccessPage(items=items, next_cursor=next_cursor)


def status_as_of(services: Services, caller: Caller, current: ChildRow, events: list[Event], moment: datetime,
                 basis: Basis, shown: Shown) -> ChildStatus | None:
    """The child's status as it stood at `moment` by `basis`, as the caller may see it (None: not registered yet)."""
    row = as_of(events, moment, basis, services.settings.policy, UUID(current.child_id))
    if row is None:
        return None
    row.sealed = row.sealed or current.sealed  # today's sealing order covers every past state too
    row.ever_sensitive = row.ever_sensitive or current.ever_sensitive  # and what is protected now stays so
    return status_of(services, caller, row, shown)


def verify_for(services: Services, actor: Actor, child_id: UUID | None) -> Verification:
    """The chain check of one child's streams (a child the actor sees), or of every child's in the actor's scope."""
    if child_id is not None:
        visible_child(services, actor, child_id)
        streams = child_streams(services.read_db, child_id)
    else:
        services.runner.catch_up()
        streams = streams_in_scope(services.read_db, actor.scope)
    return verify(services.app.store, streams)
