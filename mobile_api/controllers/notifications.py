"""The caller's notifications, and marking one read."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from backend.disclosure import ChildFacts, Disclosure
from backend.errors import NotificationNotFound
from backend.usecases.core import Outcome
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission
from mobile_api.schemas import NotificationItem, NotificationPage
from mobile_api.services import Services
from projections.notices import addressed_to, inbox, notice_view
from projections.queries import locator


class NotificationsController(Controller):
    path = "/api/v1/me/notifications"
    tags = ["worklist"]
    security = BEARER
    guards = [permission("notifications.read")]

    @get("/", operation_id="listNotifications", sync_to_thread=True)
    def list_notifications(self, caller: NamedDependency[Caller], services: NamedDependency[Services],
                           limit: Limit = 50, cursor: Cursor = None) -> NotificationPage:
        """The caller's notifications, newest first, with when each was read: supervisors are told of a child
        newly graded red (`red_graded`) and of an urgent report (`urgent_report`) in their jurisdiction, a
        department's handlers of a referral to their department (`referral_received`)."""
        services.runner.catch_up()
        items, before = notification_page(services, caller, limit, services.cursors.read(cursors.NOTIFICATIONS, cursor))
        return NotificationPage(items=items, next_cursor=services.cursors.write(cursors.NOTIFICATIONS, before))

    @post("/{notification_id:uuid}/read", operation_id="markNotificationRead", status_code=204, sync_to_thread=True)
    def mark_read(self, notification_id: FromPath[UUID], caller: NamedDependency[Caller],
                  services: NamedDependency[Services]) -> Response[None]:
        """Mark one of the caller's notifications read (204; again is the same). Not the caller's: 404."""
        if not addressed_to(services.read_db, caller.actor, str(notification_id)):
            raise NotificationNotFound("no such notification for you")
        position = services.app.notices.mark_read(caller.actor, caller.device_id, notification_id)
        services.project(Outcome({}, position=position))  # the inbox shows the mark at once
        return Response(None, status_code=204)


def notification_page(services: Services, caller: Caller, limit: int, before: tuple[str, str] | None = None
                      ) -> tuple[list[NotificationItem], tuple[str, str] | None]:
    """The caller's notifications as the API shows them (the inbox, and the sync feed's unread copy)."""
    found, next_before = inbox(services.read_db, caller.actor, limit, before)
    locate = locator(services.read_db)
    items = [msgspec.convert(notice_view(n, Disclosure(caller.actor, ChildFacts(), locate)) | {
        "notification_id": n.notice_id, "read_at": read_at, "created_at": n.created_at.isoformat()}, NotificationItem)
             for n, read_at in found]
    return items, next_before
