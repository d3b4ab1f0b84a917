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
from admin_app.listing.filters import Chip, ChoiceFilter, ListFilter, RangeFilter
from admin_app.listing.query import key_condition
from admin_app.model.keys import identifier
from admin_app.site.views import AdminView
from admin_app.writing.audit import (
    AuditEntry,
    DamagedValue,
    key_text,
    record,
    stored_value,
)
from admin_app.writing.import_revert import ImportRevertRefused, revert_import
from admin_app.writing.list_editing import ACTION as LIST_EDIT


def _changes_html(entry: AuditEntry, _name: str) -> Markup:
    """The recorded changes as a small table: field, before, after."""
    data = entry.change_data()
    if not data:
        return Markup("")
    rows = []
    for field, value in list(data.items())[:200]:
        if isinstance(value, list) and len(value) == 2:
            old, new = (json.dumps(v, ensure_ascii=False) for v in value)
        else:
            old, new = "", json.dumps(value, ensure_ascii=False)[:2000]
        rows.append(
            f"<tr><th>{escape(field)}</th><td>{escape(old)}</td><td>{escape(new)}</td></tr>"
        )
    head = "<tr><th>Field</th><th>Before</th><th>After</th></tr>"
    return Markup(
        f'<table class="table table-sm audit-changes">{head}{"".join(rows)}</table>'
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
    column_formatters_detail: ClassVar[dict[str, Any]] = {"changes": _changes_html}

    def _generated_filters(self) -> list[ListFilter]:
        return audit_filters(self)

    def list_query(self, request: Request) -> Select:
        return super().list_query(request).where(visible_entries(self, request))

    def details_query(self, request: Request) -> Select:
        return super().details_query(request).where(visible_entries(self, request))

    @expose("/revert/{pk:int}", methods=["POST"])
    async def revert(self, request: Request) -> Response:
        """Undo a bulk edit, an import or a list edit from its audit entry, if
        its rows are as it left them."""
        entry_id = request.path_params["pk"]
        if entry_id > MAX_KEY:
            raise HTTPException(404)
        url = request.url_for("admin:details", identity=self.identity, pk=entry_id)

        def run() -> str:
            with self.session_maker() as session, session.begin():
                entry = session.get(AuditEntry, entry_id)
                if entry is None:
                    raise HTTPException(404)
                target = next(
                    (
                        v
                        for v in self._admin_ref.views
                        if getattr(v, "identity", "") == entry.table
                    ),
                    None,
                )
                if entry.action == "import":
                    if target is None or not target.may_import(request):
                        raise HTTPException(403)
                    count = revert_import(session, entry, target, request)
                    return f"{target.count_words(count)} put back as they were."
                if entry.action == LIST_EDIT:  # recorded like an import's changes
                    if target is None or not target.has_permission(request, "edit"):
                        raise HTTPException(403)
                    count = revert_import(session, entry, target, request)
                    return f"{target.count_words(count)} put back as they were."
                if target is None or not target.has_permission(request, "bulk_edit"):
                    raise HTTPException(403)
                count = revert_bulk_edit(session, entry, target, request)
                return f"{target.count_words(count)} put back as they were."

        try:
            Flash.success(request, await to_thread.run_sync(run))
        except (RevertRefused, ImportRevertRefused) as error:
            Flash.error(request, str(error))
        except SQLAlchemyError as error:
            Flash.error(request, database_error_message(error))
        return RedirectResponse(url, status_code=302)


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
}


def visible_entries(view: AdminView, request: Request) -> ColumnElement[bool]:
    """Entries about tables the user may view: the log must not show the rows
    (and old values) of a table the user cannot open."""
    tables = [v.identity for v in view._admin_ref.views_for(request)]
    return AuditEntry.__table__.c.table.in_(tables)


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
