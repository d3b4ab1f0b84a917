"""Editing on the list page: every row one Save changed, in one transaction.

The list page shows a view's `list_editable` fields as inputs, one row of
inputs per row, named `row-<n>-<field>`, with the row's key (`row-<n>-pk`)
and the version token it was shown at (`row-<n>-version`, a
`concurrency.Shown` of its columns). On Save each row goes through the write
path the edit form uses (`writes.RowWriter`: the model's validation, `0`
foreign keys as NULL, the time-zone rule, unique checks), but only if the
user changed it, and only if nobody changed it since the list was shown: a
list holds many rows, so a stale row is refused as a whole rather than merged
field by field. Any refused row refuses the Save: nothing is written, and the
list comes back with every problem on its row.

The changed rows are recorded as one audit entry (`list_edit`) with each
row's old and new values, in the shape of an import's entry, so it is
reverted the same way (`importing.revert`).
"""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Select, inspect
from sqlalchemy.orm import Session

from admin_app.listing.query import key_condition
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import BadValue, FieldSpec, Kind, changed_field_label
from admin_app.model.keys import BadKey, parse_key, row_identifier
from admin_app.model.labels import label_for
from admin_app.writing.audit import UNRECORDED, RecordedChanges, record
from admin_app.writing.concurrency import DamagedToken, Merge, Shown, digest
from admin_app.writing.writes import FormErrors, RowWriter, column_values, names_no_row

ROW_NAME = re.compile(r"row-(\d{1,6})-(.+)")
KEY, VERSION = "pk", "version"
ACTION = "list_edit"


class BadListEdit(ValueError):
    """A submission the list page never sends (a 400 with this sentence)."""


@dataclass
class SubmittedRow:
    """One row of inputs as the Save sent it."""

    index: int
    key: str
    token: str
    values: dict[str, list[str]] = field(default_factory=dict)  # field -> texts


def input_name(index: int, name: str) -> str:
    """The name of row `index`'s input for `name` (a field, `pk` or `version`)."""
    return f"row-{index}-{name}"


def field_of_input(name: str) -> str:
    """The field a list row's input edits (`row-3-parent` -> `parent`), or
    `name` itself: SQLAdmin's search-as-you-type asks by the input's name."""
    found = ROW_NAME.fullmatch(name)
    return found.group(2) if found else name


def read_rows(
    items: Sequence[tuple[str, Any]],
    editable: Sequence[str],
    limit: int,
    model_name: str,
) -> list[SubmittedRow]:
    """The rows of a Save, from its `(name, value)` pairs; BadListEdit for
    anything the page does not send: another field, a row without its key
    or version, a key twice, more rows than a page holds."""
    rows: dict[int, dict[str, list[str]]] = {}
    for name, value in items:
        if name == "csrf_token":
            continue
        found = ROW_NAME.fullmatch(name)
        if found is None:
            raise BadListEdit(f"{name!r} is not an input of this list.")
        index, part = int(found.group(1)), found.group(2)
        if part not in (KEY, VERSION, *editable):
            raise BadListEdit(
                f"{part!r} cannot be edited on this list (it edits "
                f"{', '.join(editable)})."
            )
        if not isinstance(value, str):
            raise BadListEdit(f"{name!r} must be text, not a file.")
        rows.setdefault(index, {}).setdefault(part, []).append(value)
    if len(rows) > limit:
        raise BadListEdit(f"A Save holds at most {limit:,} rows, not {len(rows):,}.")
    submitted: list[SubmittedRow] = []
    seen: set[str] = set()
    for index in sorted(rows):
        parts = rows[index]
        keys, tokens = parts.pop(KEY, []), parts.pop(VERSION, [])
        if len(keys) != 1 or not keys[0]:
            raise BadListEdit(f"Row {index} names no {model_name} (its pk is missing).")
        if len(tokens) != 1 or not tokens[0]:
            raise BadListEdit(
                f"Row {index} ({model_name} {keys[0]!r}) has no version: reload "
                "the list and make the change again."
            )
        if keys[0] in seen:
            raise BadListEdit(f"{model_name} {keys[0]!r} is named twice.")
        seen.add(keys[0])
        submitted.append(SubmittedRow(index, keys[0], tokens[0], parts))
    return submitted


def row_version(identity: str, obj: Any, hidden: frozenset[str] | set[str]) -> str:
    """The version token of `obj` as a list row shows it: its columns now."""
    columns = column_values(obj, hidden)
    return Shown.of(identity, row_identifier(obj), columns, {}, {}).encode()


@dataclass
class RowProblem:
    """Why one row refused the Save: by field, and for the row as a whole."""

    key: str
    label: str
    fields: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
    conflict: bool = False
    labels: dict[str, str] = field(default_factory=dict)  # field -> its label

    def summary(self) -> str:
        """The problem in one sentence or a few, fields by their labels."""
        if self.conflict:
            return self.message
        parts = [self.message] if self.message else []
        parts += [
            f"{self.labels.get(name, name)}: {' '.join(msgs)}"
            for name, msgs in self.fields.items()
        ]
        return " ".join(parts)


class ListEditRefused(ValueError):
    """A Save that wrote nothing; `problems` says which rows refused it."""

    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} rows refused the Save.")


class ListEditedView(Protocol):
    """What a list Save needs of the view it serves."""

    model: Any
    identity: str
    name: str
    field_specs: Mapping[str, FieldSpec]
    _audit_hidden: set[str]
    _secret_columns: set[str]

    def count_words(self, count: int) -> str: ...
    def _describe_value(self, name: str, value: Any) -> str: ...


@dataclass
class RowChange:
    """A row's parsed values, ready for the write path (`data`), and its
    field errors from the form fields' own parsing."""

    row: SubmittedRow
    data: dict[str, Any]
    errors: dict[str, list[str]]


class ListSave:
    """Applies one Save's changed rows of `view` within `rows` (the user's
    rows: the view's own `list_query`), all or none."""

    def __init__(
        self,
        view: ListEditedView,
        rows: Select,
        hook: Callable[[dict[str, Any], Any], None] | None = None,
        may_edit: Callable[[Any], bool] = lambda _row: True,
    ) -> None:
        self.view, self.rows, self.hook = view, rows, hook
        self.may_edit = may_edit  # the view's per-row check (`check_can_edit`)
        self.model = view.model
        self.hidden = frozenset(view._audit_hidden)  # values never recorded
        self.secret = frozenset(view._secret_columns)  # not in a version token
        # a Save's changed columns whose values its entry does not record
        self._unrecorded: set[str] = set()

    def _label(self, key: str) -> str:
        return changed_field_label(self.view.field_specs, self.model, key)

    def run(self, session: Session, changes: list[RowChange], request: Any) -> int:
        """Write every changed row with one audit entry; return how many
        rows changed. ListEditRefused (nothing written) if any row refuses."""
        self._unrecorded = set()
        with session.begin():
            found = self._load(session, changes)
            problems: list[RowProblem] = []
            old: dict[str, dict[str, Any]] = {}
            new: dict[str, dict[str, Any]] = {}
            for change in changes:
                obj = found.get(change.row.key)
                problem = self._apply(session, change, obj, old, new)
                if problem is not None:
                    problem.labels = {n: self._label(n) for n in problem.fields}
                    problems.append(problem)
                if not session.is_active:
                    break  # a failed statement: the transaction is over
            if problems:
                raise ListEditRefused(problems)
            if old:
                self._record(session, request, old, new)
        return len(old)

    def _load(self, session: Session, changes: list[RowChange]) -> dict[str, Any]:
        """The submitted rows the user may see, locked until the Save ends."""
        keys = [change.row.key for change in changes]
        for key in keys:
            try:
                parse_key(self.model, key)
            except BadKey as error:
                raise BadListEdit(f"{key!r} names no {self.view.name}.") from error
        if not keys:
            return {}
        stmt = self.rows.where(key_condition(self.model, keys)).with_for_update(
            of=self.model
        )
        rows = session.scalars(stmt).unique().all()
        return {row_identifier(row): row for row in rows}

    def _apply(
        self,
        session: Session,
        change: RowChange,
        obj: Any,
        old: dict[str, dict[str, Any]],
        new: dict[str, dict[str, Any]],
    ) -> RowProblem | None:
        row = change.row
        if obj is None:
            if not change.errors and not changed_fields(self.view, change):
                return None  # gone meanwhile, but the user left it as it was
            return RowProblem(
                row.key,
                f"{self.view.name} {row.key}",
                message="This row does not exist (deleted meanwhile?), or is "
                "not on your list.",
            )
        label = label_for(obj)
        try:
            shown = Shown.decode(row.token, self.view.identity, row.key)
        except DamagedToken as error:
            raise BadListEdit(
                f"The version of {self.view.name} “{label}” is damaged: reload "
                "the list and make the change again."
            ) from error
        if not change.errors and not changed_fields(self.view, change, shown):
            return None  # as shown: not written, not validated
        if not self.may_edit(obj):
            return RowProblem(row.key, label, message="You may not edit this row.")
        stale = self._changed_meanwhile(obj, shown)
        if stale:
            names = ", ".join(self._label(n).lower() for n in stale)
            return RowProblem(
                row.key,
                label,
                fields={
                    n: [f"Changed meanwhile to {text}."] for n, text in stale.items()
                },
                message=(
                    f"Someone else changed this row after the list was shown "
                    f"({names}). Nothing of it was overwritten; your values are "
                    "still in the inputs: check them and save again."
                ),
                conflict=True,
            )
        if change.errors:
            return RowProblem(row.key, label, fields=dict(change.errors))
        before = column_values(obj)
        try:
            if self.hook is not None:
                self.hook(change.data, obj)
            writer = RowWriter(
                self.model, session, (), Merge(shown, {}), self.view._describe_value
            )
            writer.apply(obj, change.data)
        except FormErrors as error:
            overall = [] if error.fields else [str(error)]
            return RowProblem(
                row.key,
                label,
                fields={self._field_of(n): m for n, m in error.fields.items()},
                message=" ".join(overall),
            )
        changes = RecordedChanges(before, column_values(obj), self.hidden)
        if changes:
            old[row.key] = {name: pair[0] for name, pair in changes.values.items()}
            new[row.key] = {name: pair[1] for name, pair in changes.values.items()}
            self._unrecorded.update(changes.unrecorded)
        return None

    def _columns(self, obj: Any) -> dict[str, Any]:
        """The row's columns as its version token holds them."""
        return column_values(obj, self.secret)

    def _field_of(self, name: str) -> str:
        """The list's field showing column `name` (`assignee` for `assignee_id`)."""
        if name in self.view.field_specs:
            return name
        return next(
            (
                n
                for n, s in self.view.field_specs.items()
                if name in [attribute_name(c) for c in s.columns]
            ),
            name,
        )

    def _changed_meanwhile(self, obj: Any, shown: Shown) -> dict[str, str]:
        """{field: its value now, as a person reads it} for each column
        someone changed since the row was shown."""
        changed: dict[str, str] = {}
        for name, value in self._columns(obj).items():
            if name in shown.columns and digest(value) != shown.columns[name]:
                field_name = self._field_of(name)
                spec = self.view.field_specs.get(field_name)
                if spec is not None and spec.kind is Kind.TO_ONE and spec.relationship:
                    value = getattr(obj, spec.relationship.key)
                changed[field_name] = self.view._describe_value(field_name, value)
        return changed

    def _record(
        self,
        session: Session,
        request: Any,
        old: dict[str, dict[str, Any]],
        new: dict[str, dict[str, Any]],
    ) -> None:
        names = sorted(
            {name for values in new.values() for name in values} | self._unrecorded
        )
        fields = ", ".join(self._label(n).lower() for n in names)
        data: dict[str, Any] = {"old": old, "new": new, "added": {}}
        if self._unrecorded:
            data[UNRECORDED] = sorted(self._unrecorded)
        record(
            session,
            request,
            ACTION,
            self.view.identity,
            list(old),
            f"List edit of {self.view.count_words(len(old))}: {fields}",
            data,
        )


def changed_fields(
    view: ListEditedView, change: RowChange, shown: Shown | None = None
) -> set[str]:
    """The fields of a row whose submitted values may differ from what the
    row showed (and those that could not be read). Only a changed row is
    validated and written, so a row nobody touched is never refused for data
    already stored; this errs towards "changed", and the write path's merge
    then decides exactly."""
    if shown is None:
        try:
            shown = Shown.decode(change.row.token, view.identity, change.row.key)
        except DamagedToken:
            return set(change.data) | set(change.errors)
    found = set(change.errors)
    for name, value in change.data.items():
        spec = view.field_specs.get(name)
        values = _column_values(spec, value) if spec is not None else None
        if values is None or any(
            key not in shown.columns or digest(v) != shown.columns[key]
            for key, v in values.items()
        ):
            found.add(name)
    return found


def _column_values(spec: FieldSpec, value: Any) -> dict[str, Any] | None:
    """{column key: value} a submitted field value stands for, or None when
    that takes the write path to find out."""
    if spec.kind is Kind.TO_ONE:
        if names_no_row(value):
            return {attribute_name(c): None for c in spec.columns}
        if hasattr(type(value), "__table__"):
            return None
        if spec.relationship is None and spec.column is not None:
            try:
                return {attribute_name(spec.column): spec.parse(str(value))}
            except BadValue:
                return None
        target = spec.target
        if target is None or list(spec.target_columns) != list(
            inspect(target).primary_key
        ):
            return None
        try:
            parts = parse_key(target, str(value))
        except BadKey:
            return None
        return {attribute_name(c): v for c, v in zip(spec.columns, parts, strict=True)}
    column = spec.column
    if column is None:
        return None
    if value == "" and column.nullable:
        value = None
    return {attribute_name(column): value}
