"""Editing on the list page (Django's `list_editable`): the inputs and the Save.

A mixin of `AdminView`. A view names `list_editable` fields; users who may
edit its rows see those cells of the list as the edit form's own widgets
(selects for choices and related rows, checkboxes, date inputs), each input
tied by `form="list-edit"` to one form above the table that holds the CSRF
token, every row's key and version token, and the Save button. SQLAdmin's
table is not copied: each cell comes from `get_list_value`. The Save (`POST`
to the list's own URL) is `admin_app.writing.list_editing`.

A field that cannot be edited on a list stops the app when the view is made,
with a sentence naming it (`ListEditableError`): a secret (never shown), a
field the edit form leaves out (read-only or excluded), a key, a field the
list does not show, many-to-many selections and link rows (edited on the
form). An option that silently did nothing would read as a bug on the page.
"""

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any, ClassVar

from anyio import from_thread, to_thread
from markupsafe import Markup
from sqladmin import Flash
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms.utils import unset_value

from admin_app.db_errors import database_error_message
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.keys import row_identifier
from admin_app.site.keyed_urls import route_url
from admin_app.writing.list_editing import (
    BadListEdit,
    ListEditRefused,
    ListSave,
    RowChange,
    RowProblem,
    SubmittedRow,
    changed_fields,
    input_name,
    read_rows,
    row_version,
)

FORM_ID = "list-edit"
NOT_ON_A_LIST = {
    Kind.SECRET: "a secret is never shown",
    Kind.PASSWORD: "a password is typed on the form, twice",
    Kind.TO_MANY: "a many-to-many selection is edited on the form",
    Kind.LINK_WITH_DATA: "link rows are edited on the form",
    Kind.JSON: "JSON is edited on the form",
    Kind.LIST: "a list is edited on the form",
    Kind.BYTES: "bytes are edited on the form",
}


class ListEditableError(ValueError):
    """A `list_editable` that names a field no list can edit."""


@dataclass
class ListEditPage:
    """List editing as one request's page shows it."""

    may_edit: bool
    form_class: Any = None  # the editable fields' form, made once a request
    indices: dict[int, tuple[int, str]] = field(default_factory=dict)
    """id() of each row object on the page -> (its inputs' number, its key)"""
    editable: dict[str, bool] = field(default_factory=dict)  # key -> check_can_edit
    form: Any = None  # one form for the page, filled with each row in turn
    filled: str | None = None  # the key of the row the form holds now
    # a refused Save's typed values, by row key: only the fields the user changed
    submitted: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    problems: dict[str, RowProblem] = field(default_factory=dict)


class ListEditing:
    """The list page's inputs and its Save, for the fields `list_editable` names."""

    list_editable: ClassVar[Sequence[str]] = ()
    """Fields edited in the list's cells, e.g. `["status", "assignee"]`
    (Django's `list_editable`); each must be on the list and on the edit form."""
    _list_editable: list[str] = []

    def _checked_list_editable(self) -> list[str]:
        """`list_editable` as field names, each one a list may edit."""
        view = type(self)
        names = [self._get_prop_name(item) for item in view.list_editable]
        where = f"{view.__name__}.list_editable"
        for name in names:
            spec: FieldSpec | None = self.field_specs.get(name)
            if spec is None:
                raise ListEditableError(
                    f"{where}: {self.model.__name__} has no {name!r}."
                )
            if spec.kind in NOT_ON_A_LIST:
                reason = NOT_ON_A_LIST[spec.kind]
                raise ListEditableError(f"{where}: {name!r} cannot be: {reason}.")
            if spec.primary_key or any(c.primary_key for c in spec.columns):
                raise ListEditableError(
                    f"{where}: {name!r} is a key: it names the row."
                )
            if name not in self._form_prop_names:
                raise ListEditableError(
                    f"{where}: {name!r} is not on the edit form (read-only or "
                    "excluded), so it cannot be edited on the list either."
                )
            if name not in self._list_prop_names:
                raise ListEditableError(
                    f"{where}: {name!r} is not a column of the list (column_list)."
                )
        return names

    def may_edit_list(self, request: Request) -> bool:
        """Whether the list shows inputs to `request`'s user: the edit grant
        (asked once a request: the template asks for every cell)."""
        return self.list_edit_page(request).may_edit

    def list_edit_page(self, request: Request) -> ListEditPage:
        page = getattr(request.state, "list_edit", None)
        if page is None:
            may_edit = bool(
                self._list_editable
                and self.can_edit
                and self.has_permission(request, "edit")
            )
            page = ListEditPage(may_edit)
            request.state.list_edit = page
        return page

    def list_edit_rows(
        self, request: Request, rows: Sequence[Any]
    ) -> list[tuple[int, str, str]]:
        """(input number, key, version token) of each row on the page, for the
        form's hidden inputs; the cells then use the same numbers."""
        page = self.list_edit_page(request)
        found = []
        for index, row in enumerate(rows):
            key = row_identifier(row)
            page.indices[id(row)] = (index, key)
            found.append(
                (index, key, row_version(self.identity, row, self._secret_columns))
            )
        return found

    async def _list_form_class(self, request: Request) -> Any:
        """The edit form's `list_editable` fields as `request`'s user may fill
        them in, made once a request (not cached longer: a select's choices
        and whether it searches as you type are read from its table when the
        form is made). It is scaffolded by a copy of this view whose edit form
        has only those fields, so the edit form's other selects and its link
        editors do not read their tables for a list page."""
        page = self.list_edit_page(request)
        if page.form_class is None:
            narrowed = copy.copy(self)
            narrowed._form_prop_names = [
                name for name in self._form_prop_names if name in self._list_editable
            ]
            narrowed._link_specs = []  # link rows are never list cells
            edit_form = await narrowed.form_for(request, None)
            page.form_class = only_fields(edit_form, self._list_editable)
        return page.form_class

    async def _filled_form(
        self, request: Request, page: ListEditPage, obj: Any, index: int, key: str
    ) -> Any:
        """The page's one form, holding row `obj`'s values (or what a refused
        Save typed into it) under the row's input names. Binding a form for
        every row cost more than rendering its inputs; a related select's
        choices are also read once a page, not once a row."""
        if page.form is None:
            page.form = (await self._list_form_class(request))(prefix="row")
        if page.filled != key:
            data = self._row_data(obj)
            formdata = self._typed(page, key, index, data)
            for bound in page.form:
                bound.name = bound.id = input_name(index, bound.short_name)
                bound.raw_data = None  # as a field of a fresh form has it
                bound.process(formdata, data.get(bound.short_name, unset_value))
            page.filled = key
        return page.form

    async def list_edit_cell(self, obj: Any, prop: str, request: Request | None) -> Any:
        """The input of an editable cell (None for a plain cell)."""
        if request is None or prop not in self._list_editable:
            return None
        page = self.list_edit_page(request)
        if not page.may_edit or id(obj) not in page.indices:
            return None
        index, key = page.indices[id(obj)]
        if key not in page.editable:
            page.editable[key] = bool(await self.check_can_edit(request, obj))
        if not page.editable[key]:
            return None
        prefix = f"row-{index}"
        form = await self._filled_form(request, page, obj, index, key)
        if prop not in form:
            return None  # a related table this user may not view: a plain cell
        widget = form[prop]
        problem = page.problems.get(key)
        errors = problem.fields.get(prop, []) if problem is not None else []
        label = f"{self._column_labels.get(prop, prop)} of {self.name} {key}"
        classes = (widget.render_kw or {}).get("class", "")
        if widget.type == "BooleanField":
            classes = "form-check-input"
        kwargs: dict[str, Any] = {
            "form": FORM_ID,
            "aria-label": label,
            "class": f"{classes} list-edit-input{' is-invalid' if errors else ''}",
        }
        if getattr(widget, "loader", None) is not None:
            _label_from_loaded_row(widget, obj, prop)
            kwargs["data-url"] = route_url(request, "admin:ajax_lookup", self.identity)
        if errors:
            kwargs["aria-describedby"] = f"{prefix}-{prop}-error"
        html = widget(**kwargs)
        if isawaitable(html):  # SQLAdmin's search-as-you-type select
            html = await html
        if errors:
            message = " ".join(errors)
            html += Markup(
                '<div class="invalid-feedback d-block" id="{}">{}</div>'
            ).format(f"{prefix}-{prop}-error", message)
        return Markup('<div class="list-edit-cell">{}</div>').format(html)

    def _typed(
        self, page: ListEditPage, key: str, index: int, data: dict[str, Any]
    ) -> FormData | None:
        """The values a refused Save typed into row `key`, as its inputs
        show them again; a box the user did not change shows the row now
        (a box absent from submitted values reads as unticked)."""
        typed = page.submitted.get(key)
        if not typed:
            return None
        pairs = [
            (input_name(index, name), value)
            for name, values in typed.items()
            for value in values
        ]
        for name in self._list_editable:
            spec = self.field_specs[name]
            if spec.kind is Kind.BOOL and name not in typed and data.get(name):
                pairs.append((input_name(index, name), "y"))
        return FormData(pairs)

    def _row_data(self, obj: Any) -> dict[str, Any]:
        """The editable fields of `obj` as its edit form holds them (a related
        row by its key, which the select marks chosen)."""
        data = {}
        for name in self._list_editable:
            spec = self.field_specs[name]
            if spec.kind is Kind.TO_ONE and spec.relationship is not None:
                values = [getattr(obj, attribute_name(c)) for c in spec.columns]
                data[name] = (
                    None
                    if any(v is None for v in values)
                    else ";".join(str(v) for v in values)
                )
            else:
                data[name] = getattr(obj, name)
        return data

    async def save_list(self, request: Request) -> Response | int:
        """`POST` to the list: save every changed row, then back to the list
        (302), or the status to show the list again with its problems."""
        if not self.may_edit_list(request):
            raise HTTPException(403, "You may not edit these rows.")
        formdata = await request.form()
        try:
            rows = read_rows(
                list(formdata.multi_items()),
                self._list_editable,
                max(self.page_size_options or [self.page_size]),
                self.name,
            )
        except BadListEdit as error:
            raise HTTPException(400, str(error)) from error
        form_class = await self._list_form_class(request)
        changes = [self._parsed(form_class, row) for row in rows]
        save = ListSave(
            self,
            self.list_query(request),
            self._save_hook(request),
            lambda row: from_thread.run(self.check_can_edit, request, row),
        )
        try:
            saved = await to_thread.run_sync(self._run_save, save, changes, request)
        except BadListEdit as error:
            raise HTTPException(400, str(error)) from error
        except ListEditRefused as refused:
            page = self.list_edit_page(request)
            page.submitted = {
                change.row.key: {
                    name: change.row.values.get(name, [])
                    for name in changed_fields(self, change)
                }
                for change in changes
            }
            page.problems = {p.key: p for p in refused.problems}
            return 409 if all(p.conflict for p in refused.problems) else 400
        if saved:
            Flash.success(request, f"{self.count_words(saved)} saved.")
        else:
            Flash.info(request, f"No changes: no {self.name_plural} saved.")
        url = request.url_for("admin:list", identity=self.identity)
        query = request.url.query
        return RedirectResponse(f"{url}?{query}" if query else str(url), 302)

    def _parsed(self, form_class: Any, row: SubmittedRow) -> RowChange:
        """A row's texts read by the edit form's own fields: values for the
        write path, and the fields' own errors (a date that is no date)."""
        pairs = [(name, v) for name, values in row.values.items() for v in values]
        form = form_class(formdata=FormData(pairs))
        data: dict[str, Any] = {}
        errors: dict[str, list[str]] = {}
        for name in self._list_editable:
            if name not in form:
                if name in row.values:
                    errors[name] = ["You may not choose rows of that table."]
                continue
            widget = form[name]
            if name not in row.values and widget.type != "BooleanField":
                continue  # not sent: left as it is (an unticked box sends nothing)
            if not widget.validate(form):
                errors[name] = list(widget.errors)
                continue
            data[name] = widget.data
        return RowChange(row, data, errors)

    def _save_hook(self, request: Request) -> Any:
        def hook(data: dict[str, Any], obj: Any) -> None:
            from_thread.run(self.on_model_change, data, obj, False, request)

        return hook

    def _run_save(
        self, save: ListSave, changes: list[RowChange], request: Request
    ) -> int:
        try:
            with self.session_maker() as session:
                return save.run(session, changes, request)
        except SQLAlchemyError as error:
            message = database_error_message(error)  # an outage is raised again
            problem = RowProblem("", self.name_plural, message=message)
            raise ListEditRefused([problem]) from error


def only_fields(form_class: Any, names: Sequence[str]) -> Any:
    """`form_class` with only the fields `names`: a list row's cells need no
    link editors or other fields, each of which would be built for every row
    (WTForms leaves out a field a subclass sets to None)."""
    dropped = {
        name: None
        for name in dir(form_class)
        if name not in names and hasattr(getattr(form_class, name), "_formfield")
    }
    return type(form_class.__name__, (form_class,), dropped)


def _label_from_loaded_row(widget: Any, obj: Any, prop: str) -> None:
    """Give a search-as-you-type select the related row the list has loaded
    already, so that it is labelled without a query for every row."""
    if prop not in inspect(obj).dict or not isinstance(widget.data, str):
        return  # not loaded (reading it would query)
    shown = getattr(obj, prop, None)
    if shown is not None and row_identifier(shown) == widget.data:
        widget.data = shown
