"""Bulk edit: one change applied to every row of a selection, set-based.

The rows are the list's own `ListQuery` (checked rows by `pks`, or every row
matching the filters with `select=all`). Each toggled field is validated like
the edit form validates it (the model's field constraints, `0` foreign keys as
NULL), then applied with one UPDATE for all rows, in one transaction with its
audit entry, which keeps the affected keys and their old values for a revert
(computed by the database where it can: see `oldvalues`).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import (
    Column,
    and_,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    tuple_,
    update,
)
from sqlalchemy.orm import RelationshipProperty, Session
from sqlalchemy.sql import ColumnElement

from admin_app.listing.query import ListQuery
from admin_app.model.attributes import attribute_name
from admin_app.model.database_text import held_by_model
from admin_app.model.fields import FieldSpec, Kind, changed_field_label
from admin_app.model.keys import identifier, key_attributes, row_identifier
from admin_app.model.labels import label_for
from admin_app.model.limits import cannot_hold, row_named, too_large
from admin_app.model.values import OutOfCalendar, normalise_datetime
from admin_app.model.writable import writable
from admin_app.writing import oldvalues
from admin_app.writing.audit import (
    UNRECORDED,
    AuditEntry,
    jsonable,
    record,
    username_of,
)
from admin_app.writing.validation import problems, validated_values
from admin_app.writing.writes import FormErrors, names_no_row

VALIDATED_AT_ONCE = 500  # rows read at a time to validate a large selection
NAMED_REFUSALS = 5  # refused rows named in the message; the rest counted


def has_validators(model: type) -> bool:
    """Whether the model validates with code of its own (pydantic's
    `@model_validator`, `@field_validator` or their older forms), beyond
    each field's declared constraints."""
    found = getattr(model, "__pydantic_decorators__", None)
    return found is not None and any(
        (
            found.model_validators,
            found.field_validators,
            found.validators,
            found.root_validators,
        )
    )


class EditedView(Protocol):
    """What a bulk edit needs of the view it serves."""

    model: Any
    identity: str
    session_maker: Any
    bulk_edit_excluded: tuple[str, ...]
    field_specs: Mapping[str, FieldSpec]
    _form_prop_names: list[str]
    _audit_hidden: set[str]

    def count_words(self, count: int) -> str: ...
    def mapper_relationship(self, name: str) -> Any: ...


@dataclass
class BulkChange:
    """What the user asked to change: column values and links to add or remove."""

    values: dict[str, Any] = field(default_factory=dict)
    add: dict[str, list[Any]] = field(default_factory=dict)
    remove: dict[str, list[Any]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.values or self.add or self.remove)


def editable_fields(view: "EditedView") -> list[str]:
    """Form fields a bulk edit may set, as their descriptions say: not keys,
    not unique columns, not secrets, not those the view keeps out of bulk
    edits (links are added and removed instead, see `link_fields`)."""
    names = []
    for name in view._form_prop_names:
        spec = view.field_specs.get(name)
        if spec is not None:
            if spec.in_bulk_edit and spec.kind not in LINKS:
                names.append(name)
            continue
        column = inspect(view.model).columns.get(name)  # a project's own field
        if column is not None and (column.primary_key or column.unique):
            continue
        if name not in view.bulk_edit_excluded:
            names.append(name)
    return names


def link_fields(view: "EditedView") -> list[str]:
    """Plain many-to-many links on the form, added and removed in bulk."""
    return [
        name
        for name, spec in view.field_specs.items()
        if spec.kind is Kind.TO_MANY
        and spec.relationship is not None
        and spec.relationship.secondary is not None
        and name in view._form_prop_names
    ]


LINKS = (Kind.TO_MANY, Kind.LINK_WITH_DATA)


def _key_columns(model: type) -> list[Column]:
    return list(inspect(model).primary_key)


class BulkEditor:
    """Validates and applies one `BulkChange` to the rows of a `ListQuery`."""

    def __init__(self, view: "EditedView", query: ListQuery) -> None:
        self.view, self.query, self.model = view, query, view.model
        self.mapper = inspect(self.model)
        self.hidden = frozenset(view._audit_hidden)

    def _recorded(self, change: BulkChange) -> list[str]:
        """The changed columns whose old and new values the entry records."""
        return [name for name in change.values if name not in self.hidden]

    def column_value(self, name: str, value: Any, errors: dict[str, list[str]]) -> dict:
        """{column: value} for one toggled field, validated like the edit form."""
        spec = self.view.field_specs.get(name)
        if spec is not None and spec.kind is Kind.TO_ONE:
            if spec.relationship is not None:
                return self._relation_value(spec.relationship, value, errors)
            if spec.column is not None:
                return self._key_value(spec, value, errors)
        column = self.mapper.columns[name]
        if value in ("", None) and column.nullable:
            return {name: None}
        info = self.model.model_fields.get(name)
        try:
            if info is not None:
                adapter = TypeAdapter(Annotated[info.annotation, info])
                valid = {name: adapter.validate_python(value)}
                value = writable(self.model, valid)[name]
        except ValidationError as error:
            errors.setdefault(name, []).extend(e["msg"] for e in error.errors())
            return {}
        if value is None and not column.nullable:
            errors.setdefault(name, []).append("This field is required.")
            return {}
        with self.view.session_maker() as session:  # its database's limits
            refused = cannot_hold(column, value, session) or too_large(column, value)
        if refused is not None:
            errors.setdefault(name, []).append(refused)
            return {}
        try:
            return {name: normalise_datetime(column, value)}
        except OutOfCalendar as error:
            errors.setdefault(name, []).append(str(error))
            return {}

    def _key_value(self, spec: FieldSpec, value: Any, errors: dict) -> dict:
        """A foreign key that no relationship names: the key of an existing row."""
        column = spec.column
        if names_no_row(value):
            if not column.nullable:
                errors.setdefault(spec.name, []).append("This field is required.")
                return {}
            return {attribute_name(column): None}
        with self.view.session_maker() as session:
            row = row_named(session, spec.target, str(value), spec.parse)
        if row is None:
            errors.setdefault(spec.name, []).append(
                "Choose a valid option: that row does not exist."
            )
            return {}
        return {
            attribute_name(column): getattr(row, attribute_name(spec.target_columns[0]))
        }

    def _relation_value(
        self, rel: RelationshipProperty, value: Any, errors: dict
    ) -> dict:
        pairs = list(rel.local_remote_pairs or [])
        if names_no_row(value):
            if not all(local.nullable for local, _ in pairs):
                errors.setdefault(rel.key, []).append("This field is required.")
                return {}
            return {attribute_name(local): None for local, _ in pairs}
        target = value if isinstance(value, rel.mapper.class_) else None
        if target is None:
            with self.view.session_maker() as session:
                target = row_named(session, rel.mapper.class_, str(value))
        if target is None:
            errors.setdefault(rel.key, []).append(
                "Choose a valid option: that row does not exist."
            )
            return {}
        return {
            attribute_name(local): getattr(target, attribute_name(remote))
            for local, remote in pairs
        }

    def apply(self, session: Session, change: BulkChange, request: Any) -> int:
        """Change every selected row in `session`'s transaction; return how many."""
        self._lock_selected(session)
        self._validate_rows(session, change)
        if oldvalues.supported(self.model, session.get_bind().dialect):
            return self._apply_in_sql(session, change, request)
        return self._apply_reading_rows(session, change, request)

    def _validate_rows(self, session: Session, change: BulkChange) -> None:
        """Each selected row with the change, validated by the model as the
        edit form validates it, where the model has validators of its own: a
        `@model_validator` or `@field_validator` may refuse a value in one row
        and not in another (a published post needs a publication date), which
        the field's own check above cannot tell. One refused row refuses the
        edit (FormErrors naming the first ones); a model without validators
        costs nothing here."""
        if not change.values or not has_validators(self.model):
            return
        refused: list[str] = []
        count = 0
        attrs = self.mapper.column_attrs
        names = [prop.key for prop in attrs]
        rows = session.execute(  # values, not row objects: half the time
            select(*(prop.columns[0] for prop in attrs))
            .where(self.query.where_selected())
            .execution_options(yield_per=VALIDATED_AT_ONCE)
        )
        for row in rows:
            current = held_by_model(self.model, dict(zip(names, row, strict=True)))
            try:
                validated_values(self.model, {**current, **change.values})
            except ValidationError as error:
                count += 1
                if len(refused) < NAMED_REFUSALS:
                    named = session.get(
                        self.model,
                        tuple(current[k] for k in key_attributes(self.model)),
                    )
                    refused.append(f"{label_for(named)}: {self._problems(error)}")
        if count:
            raise FormErrors(
                {},
                f"Nothing was changed: the change would break the model's rules "
                f"for {self.view.count_words(count)}. "
                + " ".join(refused)
                + (
                    f" And {count - len(refused):,} more."
                    if count > len(refused)
                    else ""
                ),
            )

    def _problems(self, error: ValidationError) -> str:
        """A validation error's messages, each after its field's label."""
        said = [
            f"{self._label(name)}: {message}" if name else message
            for name, message in problems(self.model, error)
        ]
        return "; ".join(said).rstrip(".") + "."

    def _lock_selected(self, session: Session) -> None:
        """Lock the selected rows before their old values are read.

        Where the database locks rows (PostgreSQL), a second bulk edit of the
        same rows waits here for the first to commit, then reads the values
        the first one wrote: each audit entry holds the values its edit
        really replaced, and a revert puts back those. Locked in key order,
        so two edits wait for each other instead of deadlocking. SQLite lets
        one writer at a time in anyway."""
        if session.get_bind().dialect.name != "postgresql":
            return
        keys = _key_columns(self.model)
        locked = (
            select(*keys)
            .where(self.query.where_selected())
            .order_by(*keys)
            .with_for_update()
            .subquery()
        )
        session.execute(select(func.count()).select_from(locked))

    def _summary(self, change: BulkChange, count: int) -> str:
        names = [self._label(n).lower() for n in change.values]
        names += [f"{self._label(n).lower()} added" for n in change.add]
        names += [f"{self._label(n).lower()} removed" for n in change.remove]
        return f"Bulk edit of {self.view.count_words(count)}: {', '.join(names)}"

    def _label(self, key: str) -> str:
        """A changed field as its pages name it: a to-one's key column
        (`assignee_id`) by its field's label ("Assignee"), as the entry's
        change lines read it, not as "assignee id"."""
        return changed_field_label(self.view.field_specs, self.model, key)

    def _head(self, change: BulkChange) -> dict[str, Any]:
        """What the entry records besides the old values: the new values, of
        a column whose values it never records its name alone (`UNRECORDED`,
        which a revert cannot put back)."""
        head = {
            "new": {name: change.values[name] for name in self._recorded(change)},
            "add": {k: [row_identifier(t) for t in v] for k, v in change.add.items()},
            "remove": {
                k: [row_identifier(t) for t in v] for k, v in change.remove.items()
            },
        }
        unrecorded = [name for name in change.values if name in self.hidden]
        return {**head, UNRECORDED: unrecorded} if unrecorded else head

    def _apply_in_sql(self, session: Session, change: BulkChange, request: Any) -> int:
        """The database writes the entry with the old values, then one UPDATE."""
        written = oldvalues.insert_entry(
            session,
            self.model,
            self.query.where_selected(),
            self._recorded(change),
            username=username_of(request),
            table=self.view.identity,
            head=self._head(change),
        )
        if written is None:
            return 0
        entry_id, count = written
        dialect = session.get_bind().dialect
        self._change(
            session, change, oldvalues.recorded_rows(self.model, entry_id, dialect)
        )
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == entry_id)
            .values(summary=self._summary(change, count)[:500]),
            execution_options={"synchronize_session": False},
        )
        return count

    def _change(
        self, session: Session, change: BulkChange, rows: ColumnElement
    ) -> None:
        """Links of the selected rows, then one UPDATE of `rows` (the selected
        rows, named by a condition on the table)."""
        # Links first: the UPDATE may change the very columns the filters read.
        for name, targets in change.add.items():
            self._link(session, name, targets, add=True)
        for name, targets in change.remove.items():
            self._link(session, name, targets, add=False)
        if change.values:
            session.execute(
                update(self.model).where(rows).values(**change.values),
                execution_options={"synchronize_session": False},
            )

    def _apply_reading_rows(
        self, session: Session, change: BulkChange, request: Any
    ) -> int:
        """Keys that need escaping (or a composite key): old values read here."""
        keys = _key_columns(self.model)
        names = self._recorded(change)
        old_rows = session.execute(
            self.query.filtered().with_only_columns(
                *keys, *(self.mapper.columns[n] for n in names)
            )
        ).all()
        if not old_rows:
            return 0
        self._change(session, change, self.query.where_selected())
        width = len(keys)
        old = {
            identifier(row[:width]): dict(
                zip(names, jsonable(list(row[width:])), strict=True)
            )
            for row in old_rows
        }
        record(
            session,
            request,
            "bulk_edit",
            self.view.identity,
            list(old),
            self._summary(change, len(old)),
            {**self._head(change), "old": old},
        )
        return len(old)

    def _link(
        self, session: Session, name: str, targets: list[Any], *, add: bool
    ) -> None:
        """Add or remove many-to-many links for every selected row, set-based."""
        rel = self.mapper.relationships[name]
        table = rel.secondary
        mine = list(rel.synchronize_pairs)  # (our column, link column)
        theirs = list(rel.secondary_synchronize_pairs)  # (their column, link column)
        selected = self.query.filtered().with_only_columns(*(c for c, _ in mine))
        for target in targets:
            target_values = [getattr(target, attribute_name(c)) for c, _ in theirs]
            fixed = [
                link == value
                for (_, link), value in zip(theirs, target_values, strict=True)
            ]
            if add:
                exists_already = (
                    select(1)
                    .select_from(table)
                    .where(*fixed, *(link == ours for ours, link in mine))
                )
                rows = selected.where(~exists_already.exists()).add_columns(
                    *(literal(v) for v in target_values)
                )
                columns = [link.key for _, link in mine] + [
                    link.key for _, link in theirs
                ]
                session.execute(insert(table).from_select(columns, rows))
            else:
                ours = (
                    tuple_(*(link for _, link in mine)) if len(mine) > 1 else mine[0][1]
                )
                session.execute(delete(table).where(and_(*fixed), ours.in_(selected)))


def parse_change(
    view: "EditedView", editor: BulkEditor, form: Any, formdata: Any
) -> tuple[BulkChange, dict[str, list[str]]]:
    """The change a bulk-edit form asks for, and what is wrong with it."""
    change, errors = BulkChange(), {}
    # A field left out of this user's form (it chooses rows of a table they
    # may not view) cannot be changed in bulk either.
    allowed = [name for name in editable_fields(view) if name in form]
    for name in formdata.getlist("fields"):
        if name not in allowed:
            errors.setdefault("", []).append(f"{name!r} cannot be changed in bulk.")
            continue
        if not form[name].validate(form):
            errors[name] = list(form[name].errors)
            continue
        change.values.update(editor.column_value(name, form[name].data, errors))
    for name in link_fields(view):
        target = view.mapper_relationship(name).mapper.class_
        for verb, bucket in (("add", change.add), ("remove", change.remove)):
            keys = [k for k in formdata.getlist(f"{verb}__{name}") if k]
            if not keys:
                continue
            with view.session_maker() as session:
                rows = []
                for key in keys:
                    row = row_named(session, target, key)
                    if row is None:
                        errors.setdefault(name, []).append(
                            f"{key!r} names no {name} row."
                        )
                    else:
                        rows.append(row)
            bucket[name] = rows
    if not change and not errors:
        errors[""] = [
            "Tick at least one field to change, or choose links to add or remove."
        ]
    return change, errors
