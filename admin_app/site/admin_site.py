"""The SQLAdmin site with the admin's own index page, static files and error pages."""

import logging
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqladmin import Admin, Flash
from sqladmin.authentication import login_required
from sqladmin.templating import Jinja2Templates
from sqlalchemy import Select, func, select
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
from starlette.datastructures import URL
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from admin_app.auth.csrf import csrf_token
from admin_app.auth.routes import AuthRoutes
from admin_app.clock import utcnow
from admin_app.listing.export import CsvExport
from admin_app.listing.query import ListQuery
from admin_app.model.labels import label_for, local_time
from admin_app.site.views import AdminView, form_request
from admin_app.writing.audit import AuditEntry, record

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


class AdminSite(AuthRoutes, Admin):
    """SQLAdmin's `Admin`, with an index that lists every table and its size."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admin.router.routes.append(
            Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="admin_static")
        )
        for error in (OperationalError, InterfaceError):
            self.admin.add_exception_handler(error, self._database_unavailable)
        self.admin.add_exception_handler(DataError, self._database_refused)
        self.allow_post_logout()

    async def _database_unavailable(self, request: Request, exc: Exception) -> Response:
        """A database that is down or locked: a page that says so, not a 500."""
        logger.error("Database unavailable: %s", exc)
        response = await self.templates.TemplateResponse(
            request,
            "sqladmin/error.html",
            {
                "status_code": 503,
                "message": "The database cannot be reached right now. "
                "Nothing was changed; try again in a minute.",
            },
            status_code=503,
        )
        response.headers["Retry-After"] = "30"
        return response

    async def _database_refused(self, request: Request, exc: Exception) -> Response:
        """A value the database cannot hold or compare (PostgreSQL refuses NUL
        characters, numbers beyond a column's range): a 400, not a 500."""
        logger.warning("Database refused a value: %s", exc)
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/error.html",
            {
                "status_code": 400,
                "message": "A value in the request cannot be stored or compared "
                "by the database (a NUL character, or a number out of range).",
            },
            status_code=400,
        )

    @login_required
    async def ajax_lookup(self, request: Request) -> Response:
        """SQLAdmin's search-as-you-type for form selects, which also needs view
        permission on the table searched: its rows are not everyone's to read."""
        view = self._find_model_view(request.path_params["identity"])
        loader = view._form_ajax_refs.get(request.query_params.get("name", ""))
        if loader is not None and not view.may_link(request, loader.model):
            raise HTTPException(403)
        return await super().ajax_lookup(request)

    async def _get_file(self, request: Request) -> Path:
        """SQLAdmin's file download and preview: a 404 for anything but a
        stored file (no shipped table has file columns)."""
        try:
            return await super()._get_file(request)
        except (AttributeError, LookupError, TypeError, ValueError) as error:
            raise HTTPException(404) from error

    def views_for(self, request: Request) -> list[AdminView]:
        """The tables the request's user may view: their menu, their dashboard,
        the audit entries and the links they may see."""
        return [
            view
            for view in self.views
            if isinstance(view, AdminView) and view.is_accessible(request)
        ]

    def init_templating_engine(self) -> Jinja2Templates:
        templates = super().init_templating_engine()
        templates.env.globals["csrf_token"] = csrf_token
        templates.env.globals["label_for"] = label_for
        templates.env.globals["local_time"] = local_time
        return templates

    @login_required
    async def index(self, request: Request) -> Response:
        views = self.views_for(request)
        counts = await to_thread.run_sync(self._count_rows, views)
        audit = next((v for v in views if v.model is AuditEntry), None)
        recent = (
            await to_thread.run_sync(self._recent_changes, audit.list_query(request))
            if audit
            else []
        )
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/index.html",
            {"tables": list(zip(views, counts, strict=True)), "recent": recent},
        )

    @login_required
    async def delete(self, request: Request) -> Response:
        """SQLAdmin's delete route (the trash icon, the details page and their
        modal): every selected row deleted in one transaction instead of one at
        a time, after the same check as bulk delete."""
        await self._delete(request)  # SQLAdmin's per-row permission checks
        view = self._find_model_view(request.path_params["identity"])
        pks = [pk for pk in request.query_params.get("pks", "").split(",") if pk]
        url = request.url_for("admin:list", identity=view.identity)
        try:
            deleted = await to_thread.run_sync(view.delete_keys, request, pks)
        except ValueError as error:
            return PlainTextResponse(
                str(URL(str(url)).include_query_params(error=str(error)))
            )
        Flash.success(request, f"{view.count_words(deleted)} deleted.")
        return PlainTextResponse(str(url))

    @login_required
    async def export(self, request: Request) -> Response:
        """Stream the filtered, sorted list as CSV (all pages, in the list's order)."""
        await self._export(request)  # SQLAdmin's permission checks
        view = self._find_model_view(request.path_params["identity"])
        query = view.list_query_for(request)
        export = CsvExport(query, view._export_prop_names)
        try:
            export.statement()  # an unexportable column: say so before logging
        except ValueError as error:
            raise HTTPException(400, str(error)) from error
        count = await to_thread.run_sync(self._record_export, request, view, query)
        filename = f"{view.identity}-{utcnow().strftime('%Y%m%d-%H%M%S')}.csv"
        return StreamingResponse(
            export.stream(self.engine),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "X-Row-Count": str(count),
            },
        )

    def _record_export(
        self, request: Request, view: AdminView, query: ListQuery
    ) -> int:
        with self.session_maker() as session, session.begin():
            count = session.scalar(query.count()) or 0
            record(
                session,
                request,
                "export",
                view.identity,
                summary=f"Exported {count:,} {view.name_plural}",
                changes={"parameters": request.url.query},
            )
        return count

    def _recent_changes(self, entries: Select, limit: int = 10) -> list[AuditEntry]:
        """The latest of `entries` (the audit log as this user may see it)."""
        with self.session_maker() as session:
            stmt = entries.order_by(AuditEntry.id.desc()).limit(limit)
            return list(session.scalars(stmt))

    async def create(self, request: Request) -> Response:
        with form_request(request):
            return await super().create(request)

    async def edit(self, request: Request) -> Response:
        with form_request(request):
            return await super().edit(request)

    def _count_rows(self, views: list[AdminView]) -> list[int | None]:
        counts: list[int | None] = []
        with self.session_maker() as session:
            for view in views:
                try:
                    counts.append(
                        session.scalar(select(func.count()).select_from(view.model))
                    )
                except SQLAlchemyError:  # a table not created yet
                    session.rollback()
                    counts.append(None)
        return counts
