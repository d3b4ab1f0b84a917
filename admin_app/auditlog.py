"""The audit log in the admin: read-only, filterable, linked from each row."""

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from markupsafe import Markup, escape
from sqlalchemy.sql import ColumnElement

from admin_app.audit import AuditEntry, key_text
from admin_app.filters import Chip, ChoiceFilter, ListFilter, RangeFilter
from admin_app.views import AdminView


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


ACTIONS = {
    "create": "Added",
    "edit": "Changed",
    "delete": "Deleted",
    "bulk_edit": "Bulk edit",
    "bulk_delete": "Bulk delete",
    "export": "Export",
    "revert": "Revert",
    "login_failed": "Failed login",
    "login_throttled": "Throttled login",
}


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
