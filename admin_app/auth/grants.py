"""The permission matrix on a group's form: one row per table, one box per action.

It reuses SQLAdmin's `PermissionMatrixField` (which escapes every label and
refuses any value it did not offer), with rows in the staff's own vocabulary
(view, create, edit, delete, export, bulk edit, import) rather than SQLAdmin's,
and boxes a screen reader names by table as well as action.
"""

from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup
from sqladmin.authorization import custom_action
from sqladmin.contrib.rbac import PermissionMatrixWidget

from admin_app.auth.permissions import GRANTABLE, NEEDS

OWN_ACTIONS = {name for name in NEEDS if name.startswith("action:")}


@dataclass(frozen=True)
class GrantChoice:
    value: str  # "<identity>:<action>"
    label: str


@dataclass
class TableRow:
    identity: str
    label: str
    choices: list[GrantChoice] = field(default_factory=list)


def grant_value(identity: str, action: str) -> str:
    return f"{identity}:{action}"


def parse_grant(value: str) -> tuple[str, str]:
    identity, _, action = value.partition(":")
    return identity, action


def permission_rows(views: list[Any]) -> list[TableRow]:
    """What can be granted on each table, given what its page allows at all."""
    rows = []
    for view in views:
        if not getattr(view, "model", None):
            continue
        flags = {
            "view": True,
            "create": view.can_create,
            "edit": view.can_edit,
            "delete": view.can_delete,
            "export": view.can_export,
            "bulk_edit": view.can_edit,
            "import": view.can_create or view.can_edit,
        }
        if getattr(view, "superuser_writes", False):
            flags = {"view": True}
        row = TableRow(view.identity, view.name_plural)
        row.choices += [
            GrantChoice(grant_value(view.identity, action), label)
            for action, label in GRANTABLE.items()
            if flags.get(action)
        ]
        if not getattr(view, "superuser_writes", False):
            row.choices += [
                GrantChoice(grant_value(view.identity, custom_action(slug)), label)
                for slug, label in {
                    **view._custom_actions_in_list,
                    **view._custom_actions_in_detail,
                }.items()
                if custom_action(slug) not in OWN_ACTIONS
            ]
        rows.append(row)
    return rows


class NamedBoxesWidget(PermissionMatrixWidget):
    """SQLAdmin's matrix labels each box with its action alone, so a screen
    reader hears "View, View, View…" down the table; here each label also
    carries its table's name as hidden text ("View Tasks"). The posted names
    and values are SQLAdmin's, unchanged."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        return super().__call__(_NamedRows(field), **kwargs)


class _NamedRows:
    """The field as the widget reads it, with each choice's label naming its
    table (the field's own choices, which validate the post, stay plain)."""

    def __init__(self, field: Any) -> None:
        self.name, self.id, self.data = field.name, field.id, field.data
        self.rows = [
            replace(
                row,
                choices=[
                    replace(choice, label=_named(choice.label, row.label))
                    for choice in row.choices
                ],
            )
            for row in field.rows
        ]


def _named(action: str, table: str) -> Markup:
    return Markup('{}<span class="visually-hidden"> {}</span>').format(action, table)
