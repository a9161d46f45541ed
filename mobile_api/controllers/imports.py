"""Rosters in and out: import a village's spreadsheet (dry run or commit), its template, the caseload's export."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from uuid import UUID

import anyio
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import MultipartBody
from litestar.response import Stream

from backend.disclosure import Shown
from backend.errors import ChildNotFound
from backend.roster import template_xlsx
from backend.rules.jurisdiction import parse_jurisdiction, within_scope
from backend.usecases.core import Outcome
from backend.usecases.imports import ImportReport
from media.ingest import spool
from mobile_api.auth import Caller
from mobile_api.common import BEARER, permission
from mobile_api.contract import XLSX
from mobile_api.services import Services
from mobile_api.showing import record_shown
from mobile_api.uploads import CHUNK, chunks, one_file
from projections.roster import export_roster, known_children

IMPORT_BODY_LIMIT: Final = 32 * 1024 * 1024
"""A roster of `backend.spreadsheet.MAX_ROWS` rows: about 4 MB as .xlsx and 10 MB as CSV, with room to spare."""


@dataclass
class RosterUpload:
    """The multipart form: the roster file, the mode, and the client's submission id."""

    file: UploadFile
    submission_id: UUID
    mode: Literal["dry_run", "commit"] = "dry_run"


class ImportsController(Controller):
    path = "/api/v1/imports"
    tags = ["imports"]
    security = BEARER

    @post("/", operation_id="importRoster", guards=[permission("child.import")], request_max_body_size=IMPORT_BODY_LIMIT,
          before_request=one_file("roster", "import"))
    async def import_roster(
        self, data: MultipartBody[RosterUpload], caller: NamedDependency[Caller], services: NamedDependency[Services]
    ) -> Response[ImportReport]:
        """Check a roster (.xlsx or .csv in the template's columns); `mode=commit` also registers its valid new rows.

        A dry run (200) stores nothing. A commit (201) registers each valid row not already registered, each
        row once however often the file is imported; errors and duplicates are reported row by row.
        """
        path, _, _ = await spool(chunks(data.file), services.settings.data_dir / "uploads", IMPORT_BODY_LIMIT,
                                 "a roster file")
        try:
            report = await anyio.to_thread.run_sync(self._run, services, caller, path, data)
        finally:
            path.unlink(missing_ok=True)
        return Response(report, status_code=201 if data.mode == "commit" else 200)

    @staticmethod
    def _run(services: Services, caller: Caller, path: Path, data: RosterUpload) -> ImportReport:
        known = known_children(services.read_db, caller.actor)
        report = services.app.imports.run(caller.actor, caller.device_id, path, data.submission_id,
                                          commit=data.mode == "commit", known=known)
        if report.created:
            services.project(Outcome({}, position=services.app.store.recorder.max_notification_id() or 0))
        return report

    @get("/template.xlsx", operation_id="getImportTemplate", guards=[permission("child.import")],
         sync_to_thread=True, media_type=XLSX)
    def template(self) -> Response[bytes]:
        """The roster template: its header row and one example row, every column formatted as text."""
        return Response(template_xlsx(), media_type=XLSX,
                        headers={"Content-Disposition": 'attachment; filename="huhang-roster-template.xlsx"'})


class ExportsController(Controller):
    path = "/api/v1/exports"
    tags = ["imports"]
    security = BEARER

    @get("/children.xlsx", operation_id="exportChildren", guards=[permission("child.export")], sync_to_thread=True,
         media_type=XLSX)
    def export_children(
        self, caller: NamedDependency[Caller], services: NamedDependency[Services], jurisdiction: str | None = None
    ) -> Stream:
        """The caseload of a jurisdiction (default: the caller's scope) in the import template's columns.

        What the caller may not see is not in it: ID numbers masked for roles that see them masked, withheld
        categories left out; what it shows of protected facts is recorded as an access.
        """
        scope = parse_jurisdiction(jurisdiction) if jurisdiction else caller.actor.scope
        if not within_scope(scope, caller.actor.scope):
            raise ChildNotFound("no such jurisdiction in your scope")
        folder = services.settings.data_dir / "uploads"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, name = tempfile.mkstemp(dir=folder, suffix=".xlsx")
        os.close(handle)
        target = Path(name)
        try:
            shown = Shown()
            export_roster(services.read_db, caller.actor, scope, target, shown, services.clock())
            record_shown(services, caller, shown, "export")
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        filename = f"huhang-children-{scope.replace('/', '-')}.xlsx"
        return Stream(_read_and_remove(target), media_type=XLSX,
                      headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _read_and_remove(path: Path) -> Iterator[bytes]:
    """The file's bytes a chunk at a time; the file is removed once read (or when the client goes away)."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
