"""The export routes: `/{identity}/export/csv` and `/{identity}/export/xlsx`.

A mixin of the admin site. Both formats run the same checks in the same
order (another site's link is refused, then SQLAdmin's permission checks),
export the same `ListQuery` through the same columns, and write the same
audit entry, naming the format. A HEAD is answered with the GET's headers;
it exports nothing, so it writes no entry.
"""

import threading
from collections.abc import AsyncIterator
from typing import Any

import anyio
from anyio import to_thread
from sqladmin.authentication import login_required
from sqlalchemy import Engine
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from admin_app.auth.csrf import CSRFRefused, refuse_cross_site
from admin_app.auth.methods import answers_head
from admin_app.clock import utcnow
from admin_app.listing import xlsx
from admin_app.listing.export import CsvExport
from admin_app.listing.query import ListQuery
from admin_app.replica import engine_for_reads
from admin_app.site.views import AdminView
from admin_app.writing.audit import record

# How often a workbook being written checks that its client is still there.
DISCONNECT_POLL_SECONDS = 0.5
# nginx's "client closed request": no one reads it, the access log tells.
CLIENT_LEFT = 499
_CROSS_SITE_EXPORT = (
    "Exports start from this site's own pages only. Open the list here and "
    "use its Export button."
)


async def _written(
    request: Request, export: xlsx.XlsxExport, engine: Engine, sheet: str
) -> xlsx.XlsxFile:
    """The workbook, written in a worker thread while the request is watched:
    a client that leaves (closes the tab, cancels the download) stops the
    writing at the next batch, freeing the thread and the connection instead
    of writing a workbook nobody will read."""
    stop = threading.Event()
    failed: Exception | None = None
    # Made here, so that it is removed even if this task is cancelled while
    # the thread writes (the thread's result is then lost).
    workbook = xlsx.new_file()

    async def watch() -> None:
        while not await request.is_disconnected():
            await anyio.sleep(DISCONNECT_POLL_SECONDS)
        stop.set()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        try:
            await to_thread.run_sync(export.write, engine, sheet, workbook, stop)
        except Exception as error:  # raised below, outside the task group
            failed = error
        except BaseException:
            workbook.remove()
            raise
        finally:
            group.cancel_scope.cancel()
    if failed is not None:
        raise failed
    return workbook


async def _nothing() -> AsyncIterator[bytes]:
    """The body of a HEAD's answer, which is never sent: no length is
    claimed for it (the GET's would be the workbook's)."""
    return
    yield b""


class _TemporaryFileResponse(StreamingResponse):
    """A streamed workbook whose file is removed however the response ends:
    sent, failed, or never read because the client left first (then the
    chunks' generator never starts, and its own clean-up never runs)."""

    def __init__(self, workbook: xlsx.XlsxFile, **kwargs: Any) -> None:
        super().__init__(workbook.chunks(), **kwargs)
        self.workbook = workbook

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.workbook.remove()  # first: nothing below may stop it
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


class ExportRoutes:
    """SQLAdmin's export route, serving the CSV and XLSX exports."""

    @login_required
    async def export(self, request: Request) -> Response:
        """Stream the filtered, sorted list as CSV or XLSX (all pages, in the
        list's order).

        An export writes an audit entry in the user's name, so another site may
        not start one with a link (a cross-site top-level GET carries the
        SameSite=Lax cookie): refused before anything is written."""
        try:
            refuse_cross_site(request.headers)
        except CSRFRefused as refused:
            raise HTTPException(403, _CROSS_SITE_EXPORT) from refused
        await self._export(request)  # SQLAdmin's permission checks (and format)
        view = self._find_model_view(request.path_params["identity"])
        query = view.list_query_for(request)
        kind = request.path_params["export_type"]
        exporter = xlsx.XlsxExport if kind == "xlsx" else CsvExport
        try:
            export = exporter(query, view.export_columns())
            export.statement()  # an unexportable column: say so before logging
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        filename = f"{view.identity}-{utcnow().strftime('%Y%m%d-%H%M%S')}.{kind}"
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if isinstance(export, xlsx.XlsxExport):
            return await self._xlsx(request, view, query, export, headers)
        count = await to_thread.run_sync(self._record_export, request, view, query)
        return StreamingResponse(
            export.stream(engine_for_reads(self.session_maker)),
            media_type="text/csv; charset=utf-8",
            headers={**headers, "X-Row-Count": str(count)},
        )

    async def _xlsx(
        self,
        request: Request,
        view: AdminView,
        query: ListQuery,
        export: xlsx.XlsxExport,
        headers: dict[str, str],
    ) -> Response:
        """The workbook is written whole before its first byte is sent (see
        `listing.xlsx`), so a list a sheet cannot hold is refused first, by
        its count, and the entry is written once the workbook is."""
        count = await to_thread.run_sync(self._count_export, query)
        if count >= xlsx.MAX_ROWS:
            raise HTTPException(400, str(xlsx.too_many_rows(count)))
        headers["X-Row-Count"] = str(count)
        if answers_head(request.scope):  # no body will be read: write none
            return StreamingResponse(
                _nothing(), media_type=xlsx.MEDIA_TYPE, headers=headers
            )
        engine = engine_for_reads(self.session_maker)
        sheet = xlsx.sheet_name(str(view.name_plural))
        try:
            workbook = await _written(request, export, engine, sheet)
        except xlsx.Refused as refused:
            raise HTTPException(400, str(refused)) from refused
        except xlsx.Abandoned:
            return Response(status_code=CLIENT_LEFT)
        try:
            await to_thread.run_sync(
                self._record_export, request, view, query, "xlsx", workbook.rows
            )
            headers["X-Row-Count"] = str(workbook.rows)
            headers["Content-Length"] = str(workbook.size)
        except BaseException:
            workbook.remove()
            raise
        return _TemporaryFileResponse(
            workbook, media_type=xlsx.MEDIA_TYPE, headers=headers
        )

    def _count_export(self, query: ListQuery) -> int:
        with self.session_maker() as session:
            return session.scalar(query.count()) or 0

    def _record_export(
        self,
        request: Request,
        view: AdminView,
        query: ListQuery,
        kind: str = "csv",
        count: int | None = None,
    ) -> int:
        """The export's audit entry (none for a HEAD), with its rows: `count`,
        or counted here in the entry's transaction."""
        with self.session_maker() as session, session.begin():
            if count is None:
                count = session.scalar(query.count()) or 0
            if answers_head(request.scope):
                return count
            changes = {"parameters": request.url.query}
            summary = f"Exported {view.count_words(count)}"
            if kind != "csv":
                changes["format"] = kind
                summary += f" as {kind.upper()}"
            record(
                session,
                request,
                "export",
                view.identity,
                summary=summary,
                changes=changes,
            )
        return count
