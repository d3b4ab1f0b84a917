"""The SQLAdmin site with the admin's own index page, static files and error pages."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from anyio import to_thread
from sqladmin import Admin, Flash
from sqladmin._menu import CategoryMenu, ViewMenu
from sqladmin.authentication import login_required
from sqladmin.templating import Jinja2Templates
from sqlalchemy import Select
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from admin_app.auth.csrf import csrf_token
from admin_app.auth.routes import AuthRoutes
from admin_app.db import limit_statement_time, statement_timed_out
from admin_app.db_errors import noted_outage, statement_too_large
from admin_app.listing.counts import RowCount, count_rows
from admin_app.listing.query import selected_keys
from admin_app.model.keys import row_identifier
from admin_app.model.labels import label_for, local_time
from admin_app.site.add_related import is_popup, popup_answer
from admin_app.site.back_links import ListQueryRedirects
from admin_app.site.exports import ExportRoutes
from admin_app.site.keyed_urls import KeyedRedirects, plain_or_link
from admin_app.site.templating import adapt
from admin_app.site.views import AdminView, form_request
from admin_app.writing.audit import AuditEntry
from admin_app.writing.list_editing import field_of_input

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


class UsableCategory(CategoryMenu):
    """A menu category that is there only while one of its pages is."""

    def is_accessible(self, request: Request) -> bool:
        return any(
            child.is_visible(request) and child.is_accessible(request)
            for child in self.children
        )


class AdminSite(ExportRoutes, ListQueryRedirects, KeyedRedirects, AuthRoutes, Admin):
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
        self.add_password_route()
        for route in self.admin.router.routes:
            if getattr(route, "name", None) == "import":
                route.methods = {"GET", "HEAD", "POST"}  # the form, then its preview
            if getattr(route, "name", None) == "list":
                route.methods = {"GET", "HEAD", "POST"}  # POST: a list edit's Save

    @login_required
    async def import_endpoint(self, request: Request) -> Response:
        """SQLAdmin's import route, replaced: the admin's own import with a
        preview (`admin_app.site.import_views`) for every table it serves."""
        view = self._find_model_view(request.path_params["identity"])
        if not isinstance(view, AdminView):
            raise HTTPException(404)
        return await view.import_page(request)

    async def _error_page(
        self, request: Request, status: int, message: str
    ) -> Response:
        """The admin's error page: the status and what to do, no SQL."""
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/error.html",
            {"status_code": status, "message": message},
            status_code=status,
        )

    async def _database_unavailable(self, request: Request, exc: Exception) -> Response:
        """A database that is down or locked: a page that says so, not a 500."""
        if statement_too_large(exc):
            return await self._statement_too_large(request, exc)
        if statement_timed_out(exc):
            return await self._took_too_long(request, exc)
        logger.error("Database unavailable: %s", exc)
        response = await self._error_page(
            request,
            503,
            "The database cannot be reached right now. "
            "Nothing was changed; try again in a minute.",
        )
        response.headers["Retry-After"] = "30"
        return response

    async def _took_too_long(self, request: Request, exc: Exception) -> Response:
        """A query the statement timeout (`ADMIN_STATEMENT_TIMEOUT`) cancelled:
        the database is up and the worker free again; the user can ask for
        less (a filter, a search, another sort)."""
        logger.warning("A query ran past the statement timeout: %s", request.url.path)
        response = await self._error_page(
            request,
            503,
            "This list took too long to load, and the database "
            "stopped it. Try a filter or a search to narrow it, or sort by "
            "another column. Nothing was changed.",
        )
        response.headers["Retry-After"] = "30"
        return response

    async def _statement_too_large(self, request: Request, exc: Exception) -> Response:
        """A request the database refuses as too large: the database is up,
        so this is no outage (no 503, no ERROR line), and the user can ask
        for less."""
        logger.warning("Database refused a statement as too large: %s", exc)
        return await self._error_page(
            request,
            400,
            "The request is too large for the database: choose "
            "fewer rows, or search for shorter text. Nothing was changed.",
        )

    async def _database_refused(self, request: Request, exc: Exception) -> Response:
        """A value the database cannot hold or compare (PostgreSQL refuses NUL
        characters, numbers beyond a column's range): a 400, not a 500."""
        logger.warning("Database refused a value: %s", exc)
        return await self._error_page(
            request,
            400,
            "A value in the request cannot be stored or compared "
            "by the database (a NUL character, or a number out of range).",
        )

    @login_required
    async def ajax_lookup(self, request: Request) -> Response:
        """SQLAdmin's search-as-you-type for form selects, which also needs view
        permission on the table searched: its rows are not everyone's to read."""
        view = self._find_model_view(request.path_params["identity"])
        name = field_of_input(request.query_params.get("name", ""))
        if name != request.query_params.get("name"):  # a list row's input
            query = request.url.include_query_params(name=name).query
            request.scope["query_string"] = query.encode()
            request.__dict__.pop("_query_params", None)
        loader = view._form_ajax_refs.get(name)
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

    def _build_menu(self, view: Any) -> None:
        """SQLAdmin's menu, with categories (Administration) shown only to
        users who may open one of their pages, never as an empty dropdown."""
        if not view.category:
            super()._build_menu(view)
            return
        menu = UsableCategory(name=view.category, icon=view.category_icon)
        menu.add_child(ViewMenu(view=view, name=view.name, icon=view.icon))
        self._menu.add(menu)

    def views_for(self, request: Request) -> list[AdminView]:
        """The tables the request's user may view: their menu, their dashboard,
        the audit entries and the links they may see. Read once per request
        (a list page asks for each of its rows and cells)."""
        kept = request.state.__dict__  # beside Starlette's own `_state`
        found = kept.get("_views_for")
        if found is None:
            found = [
                view
                for view in self.views
                if isinstance(view, AdminView) and view.is_accessible(request)
            ]
            kept["_views_for"] = found
        return list(found)

    def init_templating_engine(self) -> Jinja2Templates:
        templates = super().init_templating_engine()
        adapt(templates.env)
        templates.env.globals["csrf_token"] = csrf_token
        templates.env.globals["label_for"] = label_for
        templates.env.globals["plain_or_link"] = plain_or_link
        # SQLAdmin's reads a key by its column's name, not its attribute's
        templates.env.globals["get_object_identifier"] = row_identifier
        templates.env.globals["is_popup"] = is_popup
        templates.env.globals["local_time"] = local_time
        return templates

    @login_required
    async def index(self, request: Request) -> Response:
        views = self.views_for(request)
        counts = await to_thread.run_sync(self._count_rows, request, views)
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
        a time, after the same check as bulk delete.

        SQLAdmin's own checks (`_delete`) split `pks` at every comma, so they
        are made here on the keys as `pks` names them (`parse_selection`)."""
        view = self._find_model_view(request.path_params["identity"])
        if not view.can_delete or not view.is_accessible(request):
            raise HTTPException(403)
        pks = list(selected_keys(view.model, request.query_params) or ())
        if not pks:
            raise HTTPException(400, "Choose rows first: pks names none.")
        for pk in pks:
            request.path_params["pk"] = pk
            row = await view.get_object_for_details(request)
            if await view.check_can_delete(request, row) is not True:
                raise HTTPException(403)
        url = request.url_for("admin:list", identity=view.identity)
        try:
            deleted = await to_thread.run_sync(view.delete_keys, request, pks)
        except ValueError as error:
            # The message travels in the session, never in the URL: a URL's
            # text on the page would let any link put words in the admin's mouth.
            Flash.error(request, str(error))
        else:
            Flash.success(request, f"{view.count_words(deleted)} deleted.")
        return PlainTextResponse(str(url))

    def _recent_changes(self, entries: Select, limit: int = 10) -> list[AuditEntry]:
        """The latest of `entries` (the audit log as this user may see it)."""
        with self.session_maker() as session:
            stmt = entries.order_by(AuditEntry.id.desc()).limit(limit)
            return list(session.scalars(stmt))

    async def list(self, request: Request) -> Response:
        if request.method == "POST":
            return await self.save_list(request)
        with form_request(request):  # the filter panel shows what the user may use
            return await super().list(request)

    @login_required
    async def save_list(self, request: Request) -> Response:
        """A list edit's Save (`admin_app.site.list_edit_views`): back to the
        list, or the list again with each refused row's problem (4xx)."""
        view = self._find_model_view(request.path_params["identity"])
        if not isinstance(view, AdminView) or not view.is_accessible(request):
            raise HTTPException(403)
        with form_request(request):
            outcome = await view.save_list(request)
            if isinstance(outcome, Response):
                return outcome
            response = await super().list(request)
        if response.status_code == 200:
            response.status_code = outcome
        return response

    async def create(self, request: Request) -> Response:
        with form_request(request, add_links=True):
            response = await super().create(request)
        saved = getattr(request.state, "saved_row", None)
        if is_popup(request) and saved is not None and response.status_code == 302:
            response = await self._popup_answer(request, saved)
        return await self._unless_unavailable(request, response)

    async def _popup_answer(self, request: Request, row: Any) -> Response:
        """Instead of the redirect after a save in popup mode: the page that
        hands the new row to the form that opened the popup."""

        def answer() -> dict[str, str]:
            with self.session_maker() as session:
                return popup_answer(session, session.merge(row, load=False))

        view = self._find_model_view(request.path_params["identity"])
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/popup_answer.html",
            {
                "model_view": view,
                "answer": await to_thread.run_sync(answer),
                "details_url": view.details_url(request, row),
            },
        )

    async def edit(self, request: Request) -> Response:
        with form_request(request, add_links=True):
            response = await super().edit(request)
        return await self._unless_unavailable(request, response)

    async def _unless_unavailable(
        self, request: Request, response: Response
    ) -> Response:
        """`response`, or the 503 page if the database went away during it."""
        outage = noted_outage(request)
        if outage is None:
            return response
        return await self._database_unavailable(request, outage)

    def _count_rows(
        self, request: Request, views: list[AdminView]
    ) -> list[RowCount | None]:
        """Each table's rows as its list shows them to this user (its own
        `list_query`: the audit log counts only the entries the user may see),
        counted as its list page counts them: "about N" for a large table."""
        counts: list[RowCount | None] = []
        with self.session_maker() as session:
            for view in views:
                try:
                    limit_statement_time(session)  # again after a rollback
                    counts.append(
                        count_rows(
                            session,
                            view.list_query(request),
                            limits=view.count_limits(),
                        )
                    )
                except SQLAlchemyError as error:  # a table not created yet
                    if statement_timed_out(error):
                        raise
                    session.rollback()
                    counts.append(None)
        return counts
