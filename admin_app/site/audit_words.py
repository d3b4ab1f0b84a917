"""An audit entry in a staff user's words: "Assignee: Ada Allen → Ben Ortiz".

Entries record values as JSON by column (`{"assignee_id": [38, 39]}`), which is
what a revert needs and what no staff user reads. Here each recorded value is
put into words by the field description of its table's view: a related row by
its label (read once per table and entry), a choice by its label, a datetime
in UTC with the zone named, a field by the label its form gives it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from admin_app.listing.query import key_condition
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.keys import BadKey, row_identifier
from admin_app.model.labels import field_label, format_datetime, json_text, label_for
from admin_app.writing.audit import (
    UNRECORDED,
    AuditEntry,
    DamagedValue,
    jsonable,
    stored_value,
)
from admin_app.writing.list_editing import ACTION as LIST_EDIT

MAX_LINES = 500  # a details page shows at most this many changes
EMPTY = "empty"


@dataclass(frozen=True)
class ChangeLine:
    """One field of one row: before and after, in words."""

    row: str  # the row's label, or "" when the entry is about one row
    field: str
    old: str
    new: str


class ValueWords:
    """Recorded values of one view's table put into words."""

    def __init__(self, view: Any, session: Session) -> None:
        self.view, self.session = view, session
        specs: Mapping[str, FieldSpec] = view.field_specs if view else {}
        self.by_key: dict[str, FieldSpec] = {}
        for spec in specs.values():
            self.by_key.setdefault(spec.name, spec)
            for column in spec.columns:
                self.by_key[attribute_name(column)] = spec
        self._labels: dict[tuple[str, str], str] = {}

    def field(self, key: str) -> str:
        spec = self.by_key.get(key)
        if spec is not None:
            return spec.label
        return field_label(self.view.model, key) if self.view else key

    def value(self, key: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return EMPTY
        spec = self.by_key.get(key)
        if isinstance(value, list):
            return ", ".join(self._item(v) for v in value)
        if spec is None:
            return plain_value(value)
        if spec.kind is Kind.TO_ONE and spec.target is not None:
            return self._related(spec, value)
        if spec.kind in (Kind.CHOICE, Kind.BOOL):
            for choice, label in spec.choices:
                if jsonable(choice) == value:
                    return label
        if spec.kind is Kind.BOOL or isinstance(value, bool):
            return "Yes" if value else "No"
        if spec.kind is Kind.DATETIME and isinstance(value, str):
            try:
                return format_datetime(datetime.fromisoformat(value))
            except ValueError:
                return value
        return plain_value(value)

    def _item(self, item: Any) -> str:
        """A to-many selection's label, or a link row as "label (role, …)"."""
        if isinstance(item, Mapping):
            own = [
                plain_value(v)
                for k, v in item.items()
                if k not in ("other", "label", "remove") and v not in (None, "")
            ]
            label = str(item.get("label") or item.get("other") or "")
            return f"{label} ({', '.join(own)})" if own else label
        return plain_value(item)

    def _related(self, spec: FieldSpec, value: Any) -> str:
        """The related row's label, `#key` if it is gone."""
        text = str(value)
        cache_key = (spec.name, text)
        if cache_key not in self._labels:
            self._labels[cache_key] = self._read_label(spec, value)
        return self._labels[cache_key]

    def _read_label(self, spec: FieldSpec, value: Any) -> str:
        columns = spec.target_columns
        if len(columns) != 1:
            return f"#{value}"
        try:  # as the column holds it: a UUID key was recorded as its text
            value = stored_value(spec.target, attribute_name(columns[0]), value)
        except (DamagedValue, ValidationError):
            return f"#{value}"
        try:
            row = self.session.scalars(
                select(spec.target).where(columns[0] == value).limit(1)
            ).first()
        except SQLAlchemyError:  # a value its column cannot hold
            self.session.rollback()
            return f"#{value}"
        return label_for(row) if row is not None else f"#{value} (deleted)"

    def row_labels(self, keys: Iterable[str]) -> dict[str, str]:
        """Each row's label by its recorded key; a key no row has any more
        reads `#key`."""
        keys = list(keys)
        labels = {key: f"#{key}" for key in keys}
        if self.view is None or not keys:
            return labels
        model = self.view.model
        for chunk in range(0, len(keys), 500):
            part = keys[chunk : chunk + 500]
            try:
                rows = self.session.scalars(
                    select(model).where(key_condition(model, part))
                ).all()
            except (BadKey, ValueError, SQLAlchemyError):
                self.session.rollback()
                continue
            for row in rows:
                labels[row_identifier(row)] = label_for(row)
        return labels


def plain_value(value: Any) -> str:
    """A recorded value in words, as the audit log and the import preview
    show it: a flag as Yes or No, JSON as JSON, at most 2,000 characters."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict | list):
        return json_text(value)[:2000]
    return str(value)[:2000]


UNRECORDED_WORDS = "changed (its values are not recorded)"
IMPORT = "import"
REVERTIBLE = ("bulk_edit", IMPORT, LIST_EDIT)
"""The actions whose entries hold the old values a revert puts back."""


def change_lines(
    entry: AuditEntry, view: Any, session: Session, *, undo: bool = False
) -> list[ChangeLine]:
    """The entry's changes in words, one line per field and row; with `undo`,
    the changes a revert would make (each line's new value put back)."""
    words = ValueWords(view, session)
    data = entry.change_data()
    lines: list[ChangeLine] = []
    if entry.action == "bulk_edit":
        new = data.get("new", {})
        old: dict[str, dict[str, Any]] = data.get("old", {})
        labels = words.row_labels(list(old)[:MAX_LINES])
        for key, values in list(old.items())[:MAX_LINES]:
            for name in new:
                lines.append(
                    ChangeLine(
                        labels.get(key, f"#{key}"),
                        words.field(name),
                        words.value(name, values.get(name)),
                        words.value(name, new[name]),
                    )
                )
        for verb, what in (("added", "add"), ("removed", "remove")):
            for name, targets in (data.get(what) or {}).items():
                lines.append(
                    ChangeLine("", f"{words.field(name)} {verb}", "", str(len(targets)))
                )
    elif entry.action in (IMPORT, LIST_EDIT):  # the same shape
        old = data.get("old", {})
        new = data.get("new", {})
        added = data.get("added", {})
        labels = words.row_labels([*old, *added][:MAX_LINES])
        for key, values in list(old.items())[:MAX_LINES]:
            for name, previous in values.items():
                lines.append(
                    ChangeLine(
                        labels.get(key, f"#{key}"),
                        words.field(name),
                        words.value(name, previous),
                        words.value(name, new.get(key, {}).get(name)),
                    )
                )
        for key in list(added)[:MAX_LINES]:
            lines.append(ChangeLine(labels.get(key, f"#{key}"), "Row", "", "added"))
    elif entry.action == "bulk_delete":
        old = data.get("old", {})
        for key, values in list(old.items())[:MAX_LINES]:
            label = next(
                (str(values[n]) for n in ("name", "title", "username") if n in values),
                f"#{key}",
            )
            lines.append(ChangeLine(label, "Row", "", "deleted"))
    else:
        for name, value in data.items():
            if isinstance(value, list) and len(value) == 2:
                lines.append(
                    ChangeLine(
                        "",
                        words.field(name),
                        words.value(name, value[0]),
                        words.value(name, value[1]),
                    )
                )
            elif name == "entry":
                lines.append(ChangeLine("", "Reverts entry", "", f"#{value}"))
            elif name != "reverted_by":
                lines.append(ChangeLine("", words.field(name), "", plain_value(value)))
    if entry.action in REVERTIBLE:
        for name in data.get(UNRECORDED) or ():  # named, its values never kept
            lines.append(ChangeLine("", words.field(name), "", UNRECORDED_WORDS))
    if undo:
        lines = [_undone(line) for line in lines]
    return lines[:MAX_LINES]


def _undone(line: ChangeLine) -> ChangeLine:
    """What a revert does to a line: the new value goes, the old comes back
    (a row the import added is deleted)."""
    if line.field == "Row" and line.new == "added":
        return ChangeLine(line.row, line.field, "", "deleted")
    if line.new == UNRECORDED_WORDS:
        return line  # not put back: the revert is refused, saying why
    return ChangeLine(line.row, line.field, line.new, line.old)


def find_view(views: Iterable[Any], identity: str) -> Any:
    """The view an entry's `table` names, or None (a table no longer served)."""
    return next((v for v in views if getattr(v, "identity", "") == identity), None)
