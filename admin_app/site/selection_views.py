"""Actions on a selection of rows: bulk edit and bulk delete.

The rows are the list's own `ListQuery`: the checked ones (`pks=`) or all that
match the list's filters (`select=all`). A mixin of `AdminView`, so that every
generated or overridden view has them.
"""

import logging
from collections.abc import Sequence
from typing import Any

from anyio import to_thread
from sqladmin import Flash, action, expose
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from admin_app.db_errors import database_error_message
from admin_app.listing.query import ListQuery
from admin_app.model.labels import in_message
from admin_app.model.names import count_words
from admin_app.writing.bulk import (
    BulkChange,
    BulkEditor,
    editable_fields,
    link_fields,
    parse_change,
)
from admin_app.writing.deletion import Consequence, consequences, delete_selected
from admin_app.writing.writes import FormErrors

DELETE_NAMED = 20  # rows a deletion's confirmation names (the rest counted)
logger = logging.getLogger(__name__)


class SelectionActions:
    """Bulk edit and bulk delete routes, with their entries in the Actions menu."""

    def _selection(self, request: Request, permission: str, allowed: bool) -> ListQuery:
        if not (allowed and self.has_permission(request, permission)):
            raise HTTPException(403)
        query = self.list_query_for(request)
        if query.selection is None and request.query_params.get("select") != "all":
            raise HTTPException(
                400, "Choose rows first: tick them, or select all matching."
            )
        return query

    def _back_to_list(
        self, request: Request, dropped: Sequence[str] = ()
    ) -> RedirectResponse:
        """To the list the rows were chosen on, with its filters but those
        named in `dropped`."""
        back = request.url.remove_query_params(["pks", "select", *dropped]).query
        to_list = request.url_for("admin:list", identity=self.identity)
        return RedirectResponse(
            f"{to_list}?{back}" if back else str(to_list), status_code=302
        )

    def mapper_relationship(self, name: str) -> Any:
        return inspect(self.model).relationships[name]

    @expose("/bulk-edit", methods=["GET", "POST"])
    async def bulk_edit(self, request: Request) -> Response:
        """Change fields of many rows at once: the checked ones (`pks=`) or all
        that match the list's filters (`select=all`)."""
        query = self._selection(request, "bulk_edit", self.can_edit)
        form_class = await self.form_for(request, self._form_edit_rules)
        editor = BulkEditor(self, query)
        links = [
            name
            for name in link_fields(self)
            if self.may_link(request, self.mapper_relationship(name).mapper.class_)
        ]
        errors: dict[str, list[str]] = {}
        toggled: list[str] = []
        if request.method == "GET":
            form = form_class()
        else:
            formdata = await request.form()
            form = form_class(formdata)
            toggled = formdata.getlist("fields")
            change, errors = parse_change(self, editor, form, formdata)
            for name in {*change.add, *change.remove} - set(links):
                errors.setdefault("", []).append(f"You may not change {name} links.")
            if not errors:
                try:
                    changed = await to_thread.run_sync(
                        self._apply_bulk, editor, change, request
                    )
                except FormErrors as error:
                    errors = {"": [str(error)]}
            if not errors:
                Flash.success(
                    request,
                    f"{self.count_words(changed)} updated.",
                )
                # The filters (and search) on the changed fields go: with them
                # the list would no longer show the rows just changed.
                fields = {*change.values, *change.add, *change.remove}
                return self._back_to_list(request, query.parameters_on(fields))
        for name, messages in errors.items():
            if name and name in form:
                form[name].errors = list(messages)
        count = await to_thread.run_sync(self._count, query)  # only to show it
        context = {
            "model_view": self,
            "form": form,
            "count": count,
            "fields": [name for name in editable_fields(self) if name in form],
            "links": {
                name: await to_thread.run_sync(
                    self._choices, self.mapper_relationship(name).mapper.class_
                )
                for name in links
            },
            "toggled": toggled,
            # the form's own errors, and the links' (each names its field)
            "errors": [
                *errors.get("", []),
                *(m for n in links for m in errors.get(n, [])),
            ],
            "title": f"Edit {self.count_words(count)}",
        }
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/bulk_edit.html",
            context,
            status_code=400 if errors else 200,
        )

    def count_words(self, count: int) -> str:
        """`1 Task`, `2,500 Tasks`."""
        return count_words(count, self.name, self.name_plural)

    def _count(self, query: ListQuery) -> int:
        with self.session_maker() as session:
            return session.scalar(query.count()) or 0

    def _apply_bulk(
        self, editor: BulkEditor, change: BulkChange, request: Request
    ) -> int:
        try:
            with self.session_maker() as session, session.begin():
                return editor.apply(session, change, request)
        except SQLAlchemyError as error:
            logger.warning("Bulk edit of %s refused: %s", self.identity, error)
            raise FormErrors({}, database_error_message(error)) from error

    @expose("/bulk-delete", methods=["GET", "POST"])
    async def bulk_delete(self, request: Request) -> Response:
        """Confirm, then delete the checked rows (`pks=`) or all matching rows
        (`select=all`), in one transaction."""
        query = self._selection(request, "delete", self.can_delete)
        error = ""
        if request.method == "POST":
            try:
                deleted = await to_thread.run_sync(
                    self._delete_selected, query, request
                )
            except FormErrors as refused:
                error = str(refused)
            else:
                Flash.success(request, f"{self.count_words(deleted)} deleted.")
                return self._back_to_list(request)
        count, effects, named = await to_thread.run_sync(
            self._delete_preview, query, request
        )
        blocked = any(e.rule == "block" for e in effects)
        if "application/json" in request.headers.get("accept", ""):
            # what the trash icon's confirmation shows before the DELETE
            return JSONResponse(
                {
                    "count": count,
                    "blocked": blocked,
                    "question": _delete_question(self, count, named),
                    "effects": [
                        {"rule": e.rule, "sentence": e.sentence} for e in effects
                    ],
                }
            )
        context = {
            "model_view": self,
            "count": count,
            "named": named,
            "named_rest": count - len(named),
            "effects": effects,
            "blocked": blocked,
            "error": error,
            "title": f"Delete {self.count_words(count)}?",
        }
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/bulk_delete.html",
            context,
            status_code=400 if error else 200,
        )

    def _delete_preview(
        self, query: ListQuery, request: Request
    ) -> tuple[int, list[Consequence], list[tuple[str, str]]]:
        """How many rows the deletion takes, what goes or stays with them,
        and the first `DELETE_NAMED` of them in the list's order, each as
        (label, its page's address): as Django's confirmation names them."""
        with self.session_maker() as session:
            count = session.scalar(query.count()) or 0
            rows = session.scalars(query.ordered().limit(DELETE_NAMED))
            named = [self.labelled_link(request, row) for row in rows]
            return count, consequences(session, query), named

    def _delete_selected(self, query: ListQuery, request: Request) -> int:
        """The same deletion as the trash icon's (`delete_selected`): refused
        if other rows block it, else with what goes with it, audited."""
        try:
            with self.session_maker() as session, session.begin():
                return len(delete_selected(session, self, query, request))
        except (SQLAlchemyError, AssertionError) as error:  # see delete_keys
            logger.warning("Bulk delete of %s refused: %s", self.identity, error)
            raise FormErrors({}, database_error_message(error)) from error

    def _visible_custom_actions(
        self, request: Request, in_detail: bool = False
    ) -> dict[str, str]:
        """The Actions menu offers "Edit selected" and "Delete selected…"
        only where the pages they open would serve this user (the audit log,
        a view with `can_edit = False`, a user without the grant: a 403)."""
        shown = super()._visible_custom_actions(request, in_detail)  # type: ignore[misc]
        usable = {
            "bulk-edit": self.can_edit and self.has_permission(request, "bulk_edit"),
            "bulk-delete": self.can_delete and self.has_permission(request, "delete"),
        }
        return {slug: label for slug, label in shown.items() if usable.get(slug, True)}

    @action("bulk-delete", label="Delete selected…", add_in_detail=False)
    async def delete_selected_action(self, request: Request) -> Response:
        """The list's Actions menu: confirm deleting the checked rows."""
        url = request.url_for("admin:view-" + self.identity + "-bulk_delete")
        return RedirectResponse(f"{url}?{request.url.query}", status_code=302)

    @action("bulk-edit", label="Edit selected", add_in_detail=False)
    async def edit_selected(self, request: Request) -> Response:
        """The list's Actions menu: open the bulk-edit form for the checked rows."""
        url = request.url_for("admin:view-" + self.identity + "-bulk_edit")
        return RedirectResponse(f"{url}?{request.url.query}", status_code=302)


def _delete_question(view: Any, count: int, named: list[tuple[str, Any]]) -> str:
    """The trash icon's confirmation, naming the row by its label, as the
    deletion page does (SQLAdmin's names it by its key: "Post 1")."""
    if count == 1 and named:
        return f"This will permanently delete {view.name} “{in_message(named[0][0])}”?"
    return f"This will permanently delete {view.count_words(count)}?"
