"""The audit log in the admin: read-only, filterable, linked from each row."""

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from anyio import to_thread
from markupsafe import Markup, escape
from sqladmin import Flash, expose
from sqlalchemy import Select, inspect, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from admin_app.db_errors import database_error_message
from admin_app.importing.revert import ImportRevertRefused, revert_import
from admin_app.listing.filters import Chip, ChoiceFilter, ListFilter, RangeFilter
from admin_app.listing.query import key_condition
from admin_app.model.keys import identifier, url_key
from admin_app.model.names import count_words
from admin_app.site.audit_words import (
    IMPORT,
    LIST_EDIT,
    REVERTIBLE,
    ChangeLine,
    change_lines,
    find_view,
)
from admin_app.site.views import AdminView
from admin_app.writing.audit import (
    AuditEntry,
    DamagedValue,
    key_text,
    record,
    stored_value,
    unrecorded_refusal,
)


def lines_html(lines: list[ChangeLine]) -> Markup:
    """Changes as a small table: (row,) field, before, after."""
    if not lines:
        return Markup("")
    by_row = any(line.row for line in lines)
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in (["Row"] if by_row else []) + ["Field", "Before", "After"]
    )
    rows = []
    for line in lines:
        cells = [line.row] if by_row else []
        cells += [line.field, line.old, line.new]
        rows.append(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
        )
    return Markup(
        '<table class="table table-sm audit-changes">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


class AuditEntryAdmin(AdminView, model=AuditEntry):
    name = "Audit entry"
    name_plural = "Audit log"
    category = "Administration"
    icon = "fa-solid fa-clock-rotate-left"
    can_create = False
    can_edit = False
    can_delete = False
    column_list = ["id", "at", "username", "action", "table", "summary"]
    column_details_list = [
        "id",
        "at",
        "username",
        "action",
        "table",
        "object_keys",
        "summary",
        "changes",
    ]
    column_searchable_list = ["username", "summary", "object_keys"]
    column_default_sort = [("id", True)]
    column_formatters: ClassVar[dict[str, Any]] = {
        "action": lambda entry, _name: action_words(entry.action),
    }
    column_formatters_detail: ClassVar[dict[str, Any]] = {
        "action": lambda entry, _name: action_words(entry.action),
        "object_keys": lambda entry, _name: keys_text(entry.keys()),
    }

    def count_words(self, count: int) -> str:
        """`16 Audit entries`: the menu's "Audit log" is the whole, not a row."""
        return count_words(count, self.name, "Audit entries")

    def table_words(self, identity: str) -> str:
        """A table as its pages name it ("Task"), not its identity (`task`)."""
        view = find_view(self._admin_ref.views, identity)
        return view.name if view is not None else identity

    def row_url(self, request: Request, entry: AuditEntry, key: str) -> str:
        """Where one of the rows an entry is about links: its page, else (a
        deletion, a view without details pages) the row's history."""
        view = find_view(self._admin_ref.views, entry.table)
        if (
            entry.action in ("delete", "bulk_delete")
            or view is None
            or not view.can_view_details
        ):
            url = request.url_for("admin:list", identity=self.identity)
            return str(url.include_query_params(table=entry.table, key=key))
        return str(
            request.url_for("admin:details", identity=entry.table, pk=url_key(key))
        )

    async def get_list_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        if prop == "table":
            return obj.table, self.table_words(obj.table)
        return await super().get_list_value(obj, prop, request)

    async def get_detail_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        if prop == "table":
            return obj.table, self.table_words(obj.table)
        if prop == "changes":
            lines = await to_thread.run_sync(self._lines, obj, False)
            return obj.changes, lines_html(lines)
        return await super().get_detail_value(obj, prop, request)

    def _lines(self, entry: AuditEntry, undo: bool) -> list[ChangeLine]:
        view = find_view(self._admin_ref.views, entry.table)
        session_maker = view.session_maker if view is not None else self.session_maker
        with session_maker() as session:
            return change_lines(entry, view, session, undo=undo)

    def _generated_filters(self) -> list[ListFilter]:
        return audit_filters(self)

    def list_query(self, request: Request) -> Select:
        return super().list_query(request).where(visible_entries(self, request))

    def details_query(self, request: Request) -> Select:
        return super().details_query(request).where(visible_entries(self, request))

    @expose("/revert/{pk:int}", methods=["GET", "POST"])
    async def revert(self, request: Request) -> Response:
        """Undo a bulk edit, an import or a list edit from its audit entry, if
        its rows are as it left them; a GET shows what the revert would change
        first."""
        entry_id = request.path_params["pk"]
        if entry_id > MAX_KEY:
            raise HTTPException(404)
        url = request.url_for("admin:details", identity=self.identity, pk=entry_id)
        if request.method == "GET":
            return await self._confirm_revert(request, entry_id, str(url))

        def run() -> str:
            with self.session_maker() as session, session.begin():
                entry = session.get(AuditEntry, entry_id)
                if entry is None:
                    raise HTTPException(404)
                target = find_view(self._admin_ref.views, entry.table)
                if not may_revert(target, request, entry.action):
                    raise HTTPException(403)
                if entry.action in (IMPORT, LIST_EDIT):  # recorded alike
                    count = revert_import(session, entry, target, request)
                else:
                    count = revert_bulk_edit(session, entry, target, request)
                return f"{target.count_words(count)} put back as they were."

        try:
            Flash.success(request, await to_thread.run_sync(run))
        except (RevertRefused, ImportRevertRefused) as error:
            Flash.error(request, str(error))
        except SQLAlchemyError as error:
            Flash.error(request, database_error_message(error))
        return RedirectResponse(url, status_code=302)

    async def _confirm_revert(
        self, request: Request, entry_id: int, back_url: str
    ) -> Response:
        """The revert's confirmation: each row's fields as they are now and
        as the revert will leave them, and a POST button."""

        def read() -> AuditEntry | None:
            with self.session_maker() as session:
                stmt = self.details_query(request).where(
                    AuditEntry.__table__.c.id == entry_id
                )
                return session.scalars(stmt).first()

        entry = await to_thread.run_sync(read)
        if entry is None:
            raise HTTPException(404)
        target = find_view(self._admin_ref.views, entry.table)
        if entry.action not in REVERTIBLE:
            raise HTTPException(
                400,
                "Only a bulk edit, an import or a list edit can be reverted, "
                f"not this entry ({action_words(entry.action).lower()}).",
            )
        if not may_revert(target, request, entry.action):
            raise HTTPException(403)
        lines = await to_thread.run_sync(self._lines, entry, True)
        what = action_words(entry.action).lower()
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/audit_revert.html",
            {
                "model_view": self,
                "entry": entry,
                "what": what,
                "table_name": self.table_words(entry.table),
                "changes": lines_html(lines),
                "count": len(lines),
                "refusal": unrecorded_refusal(what, target, entry.change_data()),
                "action_url": str(request.url),
                "back_url": back_url,
                "title": f"Revert this {what}",
            },
        )


ACTIONS = {
    "create": "Added",
    "edit": "Changed",
    "delete": "Deleted",
    "bulk_edit": "Bulk edit",
    "bulk_delete": "Bulk delete",
    "export": "Export",
    "revert": "Revert",
    "import": "Import",
    LIST_EDIT: "List edit",
    "login_failed": "Failed login",
    "login_throttled": "Throttled login",
    "password_change_failed": "Failed password change",
}


SHOWN_KEYS = 20  # keys of an entry's rows its page lists; the rest counted


def keys_text(keys: list[str]) -> str:
    """An entry's keys as a person reads them (`3, 4, 5`), not as stored
    (`,3,4,5,`); past `SHOWN_KEYS` of them, how many more."""
    shown = ", ".join(keys[:SHOWN_KEYS])
    rest = len(keys) - SHOWN_KEYS
    return f"{shown} and {rest:,} more" if rest > 0 else shown


def action_words(action: str) -> str:
    """An entry's action as staff read it ("Bulk edit"), not its code."""
    return ACTIONS.get(action, action.replace("_", " ").capitalize())


def visible_entries(view: AdminView, request: Request) -> ColumnElement[bool]:
    """Entries about tables the user may view: the log must not show the rows
    (and old values) of a table the user cannot open."""
    tables = [v.identity for v in view._admin_ref.views_for(request)]
    return AuditEntry.__table__.c.table.in_(tables)


def may_revert(target: AdminView | None, request: Request, action: str) -> bool:
    """Whether the user may revert an entry of `action` on `target`'s table:
    the grants the change itself needed."""
    if target is None:
        return False
    if action == IMPORT:
        return target.may_import(request)
    if action == LIST_EDIT:
        return target.has_permission(request, "edit")
    return target.has_permission(request, "bulk_edit")


MAX_KEY = 2**63 - 1  # the largest key either database stores


class KeyFilter(ListFilter):
    """Entries about one row (`key=5`), for the history link on details pages."""

    title = "Row"
    parameter_name = "key"

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        key = params.get("key")
        if not key:
            return []
        return [AuditEntry.object_keys.contains(f",{key_text(key)},", autoescape=True)]

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        key = params.get("key")
        return [Chip(f"Row: {key}", ("key",))] if key else []


def audit_filters(view: AdminView) -> list[ListFilter]:
    tables = sorted(
        (v.identity, v.name_plural)
        for v in view._admin_ref.views
        if isinstance(v, AdminView)
    )
    return [
        ChoiceFilter(AuditEntry, AuditEntry.__table__.c.action, list(ACTIONS.items())),
        ChoiceFilter(AuditEntry, AuditEntry.__table__.c.table, tables),
        RangeFilter(AuditEntry, AuditEntry.__table__.c.at),
        KeyFilter(),
    ]


class RevertRefused(ValueError):
    """A bulk edit that cannot be reverted; the message says why."""


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def revert_bulk_edit(
    session: Session, entry: AuditEntry, view: AdminView, request: Any
) -> int:
    """Put back the values a bulk edit replaced, if no row changed since."""
    data = entry.change_data()
    if entry.action != "bulk_edit":
        raise RevertRefused("Only bulk edits can be reverted.")
    if data.get("add") or data.get("remove"):
        raise RevertRefused("Links added or removed in bulk cannot be put back.")
    if data.get("reverted_by"):
        raise RevertRefused("This bulk edit was reverted already.")
    refusal = unrecorded_refusal("bulk edit", view, data)
    if refusal:
        raise RevertRefused(refusal)
    new, old = data.get("new", {}), data.get("old", {})
    model, names = view.model, list(data.get("new", {}))
    keys = list(inspect(model).primary_key)
    width = len(keys)
    current = {}
    for chunk in _chunks(list(old)):
        columns = [*keys, *(getattr(model, n) for n in names)]
        for row in session.execute(select(*columns).where(key_condition(model, chunk))):
            current[identifier(row[:width])] = list(row[width:])
    # Compare as the columns hold values: JSON of `10` and of `10.00` differ.
    expected = [_python_value(model, n, new[n]) for n in names]
    changed = [key for key in old if current.get(key) != expected]
    if changed:
        raise RevertRefused(
            f"{view.count_words(len(changed))} changed or went away since this bulk "
            "edit; reverting it would overwrite those changes."
        )
    groups: dict[str, list[str]] = {}
    for key, previous in old.items():
        groups.setdefault(json.dumps(previous, sort_keys=True), []).append(key)
    for previous_json, group in groups.items():
        previous = {
            name: _python_value(model, name, value)
            for name, value in json.loads(previous_json).items()
        }
        for chunk in _chunks(group):
            session.execute(
                update(model).where(key_condition(model, chunk)).values(**previous),
                execution_options={"synchronize_session": False},
            )
    revert = record(
        session,
        request,
        "revert",
        entry.table,
        list(old),
        f"Reverted bulk edit #{entry.id} of {view.count_words(len(old))}",
        {"entry": entry.id},
    )
    session.flush()
    entry.changes = json.dumps({**data, "reverted_by": revert.id})
    return len(old)


def _python_value(model: type, name: str, value: Any) -> Any:
    """A value read back from the audit log's JSON, as the column stores it."""
    try:
        return stored_value(model, name, value)
    except DamagedValue as error:
        raise RevertRefused(str(error)) from error
