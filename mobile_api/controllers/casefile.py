"""A child's case file: its visits, conferences and timeline for the people who work it, the personal file
(一人一档) as a PDF, conference follow-ups done, and the report register (线索台账).

The register shares its path with the intake of reports (POST), so its route sits on that controller and calls
`report_page` here; the conferences' read sits beside the conferences' write on the children's controller."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from backend.commands import FollowUpDone
from backend.disclosure import ChildFacts, Disclosure, Shown
from backend.rules.timing import check_moment, check_period
from media.stores import thumbnail_key
from mobile_api import cursors
from mobile_api.auth import Caller
from mobile_api.common import BEARER, Cursor, Limit, permission, require_json, written
from mobile_api.controllers.children import visible_child
from mobile_api.schemas import (
    FollowUpResult,
    ReportEntry,
    ReportPage,
    TimelineItem,
    TimelinePage,
    VisitPage,
)
from mobile_api.services import Services
from mobile_api.showing import record_shown
from projections.audit import child_events
from projections.casefile import (
    child_visits,
    file_content,
    timeline,
    timeline_events,
)
from projections.personal_file import render
from projections.queries import locator, photo_row
from projections.register import RegisterQuery, register, report_entry
from projections.views import facts_of, visit_view

CallerDep = NamedDependency[Caller]
ServicesDep = NamedDependency[Services]
ChildId = FromPath[UUID]


class CaseFileController(Controller):
    path = "/api/v1/children/{child_id:uuid}"
    tags = ["case file"]
    security = BEARER

    @get("/visits", operation_id="listChildVisits", guards=[permission("child.read")], sync_to_thread=True)
    def visits(self, child_id: ChildId, caller: CallerDep, services: ServicesDep, limit: Limit = 50,
               cursor: Cursor = None) -> VisitPage:
        """The child's visits, oldest first, each as `GET /visits/{id}` shows it."""
        child = visible_child(services, caller.actor, child_id)
        kind = cursors.child_list("visits", child_id)
        rows, after = child_visits(services.read_db, str(child_id), limit, services.cursors.read(kind, cursor))
        shown, items = Shown(), []
        for row in rows:
            view, disclosure = visit_view(row, child, caller.actor)
            shown.add(child_id, disclosure)
            items.append(view)
        record_shown(services, caller, shown, "listChildVisits")
        return VisitPage(items=items, next_cursor=services.cursors.write(kind, after))

    @get("/timeline", operation_id="childTimeline", guards=[permission("child.read")], sync_to_thread=True)
    def timeline(self, child_id: ChildId, caller: CallerDep, services: ServicesDep, limit: Limit = 200,
                 cursor: Cursor = None) -> TimelinePage:
        """The child's case file as one timeline, in the order things happened: registration, gradings, visits,
        photos, reports, referrals and their steps, interventions, conferences. What the caller may not see is
        left out and named in each item's `withheld`; a sealed matter shows only that something is withheld."""
        row = visible_child(services, caller.actor, child_id)
        events = timeline_events(child_events(services.app.store, services.read_db, child_id))
        kind = cursors.timeline(child_id)
        (start,) = services.cursors.read(kind, cursor) or (0,)
        items, disclosure = timeline(events, slice(start, start + limit), caller.actor, facts_of(row),
                                     locator(services.read_db))
        shown = Shown()
        shown.add(child_id, disclosure)
        record_shown(services, caller, shown, "childTimeline")
        more = start + limit < len(events)
        return TimelinePage(child_id=str(child_id), items=[msgspec.convert(i, TimelineItem) for i in items],
                            next_cursor=services.cursors.write(kind, (start + limit,) if more else None))

    @get("/file.pdf", operation_id="childFilePdf", guards=[permission("child.file")], sync_to_thread=True,
         media_type="application/pdf")
    def personal_file(self, child_id: ChildId, caller: CallerDep, services: ServicesDep) -> Response[bytes]:
        """The personal file (一人一档) as a PDF in Chinese: identity (ID number as the caller may see it),
        guardians, categories, risk history, visits with photo thumbnails, referrals, interventions, conferences.
        What the caller may not see is left out and said to be withheld; the showing is in the access log."""
        row = visible_child(services, caller.actor, child_id)
        events = child_events(services.app.store, services.read_db, child_id)
        content, disclosure = file_content(services.read_db, events, row, services.clock(),
                                           services.settings.policy, caller.actor)
        pdf = render(content, lambda sha: _thumbnail(services, str(child_id), sha))
        shown = Shown()
        shown.add(child_id, disclosure)
        record_shown(services, caller, shown, "childFilePdf")
        return Response(pdf, media_type="application/pdf", headers={
            "Cache-Control": "private, no-store", "Content-Disposition": f'attachment; filename="{child_id}.pdf"'})


def _thumbnail(services: Services, child_id: str, sha256: str) -> bytes | None:
    """The thumbnail of a photo stored for this child; None when it was not (a visit may name a photo not yet
    uploaded, or one uploaded for another child, which is no part of this child's file)."""
    if photo_row(services.read_db, child_id, sha256) is None:
        return None
    try:
        return services.objects.read(thumbnail_key(sha256))
    except FileNotFoundError:
        return None


class ConferencesController(Controller):
    path = "/api/v1/conferences"
    tags = ["conferences"]
    guards = [require_json]
    security = BEARER

    @post("/{conference_id:uuid}/follow_ups/{index:int}/done", operation_id="completeFollowUp",
          guards=[permission("conference.follow_up")], sync_to_thread=True)
    def done(self, conference_id: FromPath[UUID], index: FromPath[int], data: FollowUpDone, caller: CallerDep,
             services: ServicesDep) -> Response[FollowUpResult]:
        """Mark a conference's follow-up (`index` from the conference's `follow_ups`) done: its
        `conference_followup` task leaves the worklist. Done already: 409; no such follow-up: 404."""
        outcome = services.app.interventions.follow_up_done(caller.actor, caller.device_id, conference_id, index, data)
        return written(services, caller, outcome, FollowUpResult)


ReportStatus = Literal["untriaged", "triaged"]
From = Annotated[datetime | None, Parameter(query="from", description="received at or after")]


def report_page(services: Services, caller: Caller, limit: int, cursor: str | None, status: str | None,
                source: str | None, urgency: str | None, from_: datetime | None, to: datetime | None) -> ReportPage:
    """The report register (线索台账) as the caller may see it."""
    for moment, name in ((from_, "from"), (to, "to")):
        if moment is not None:
            check_moment(moment, name)
    if from_ is not None and to is not None:
        check_period(from_, to)
    query = RegisterQuery(reader=caller.actor, status=status, source=source, urgency=urgency, from_=from_, to=to)
    rows, after = register(services.read_db, query, limit, services.cursors.read(cursors.REPORTS, cursor))
    now, locate = services.clock(), locator(services.read_db)
    return ReportPage(items=[msgspec.convert(report_entry(r, now, Disclosure(caller.actor, ChildFacts(), locate)), ReportEntry)
                             for r in rows],
                      next_cursor=services.cursors.write(cursors.REPORTS, after))
