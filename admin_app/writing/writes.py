"""The write path every form shares: resolve, validate, merge, then change in one
transaction.

SQLAdmin sets form values on the ORM object as they come; here they first pass
through the SQLModel class's own validation (`model_validate`, with its field
constraints and validators), related rows are looked up by key, and unique
values are checked, so a mistake becomes a message next to its field instead
of a database exception with SQL text in it. An edit then writes only the
fields the user changed (`admin_app.writing.concurrency.Merge`).
"""

import logging
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ARRAY, CheckConstraint, Column, func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper, RelationshipDirection, RelationshipProperty, Session
from sqlalchemy.orm.attributes import set_attribute
from sqlalchemy.orm.base import instance_dict, instance_state

from admin_app.db_errors import broken_rule
from admin_app.model.attributes import attribute_name
from admin_app.model.database_text import (
    database_value,
    held_by_model,
    model_value,
    read_by_database,
)
from admin_app.model.fields import BadValue, Kind, changed_field_label, field_specs
from admin_app.model.keys import identifier
from admin_app.model.labels import field_label, label_for
from admin_app.model.limits import cannot_hold, row_named, sized_columns, too_large
from admin_app.model.loading import related
from admin_app.model.names import count_words, table_words
from admin_app.model.relations import composite_keys, referring_constraints
from admin_app.model.types import stored_type
from admin_app.model.values import (
    OutOfCalendar,
    aware_in_utc,
    normalise_datetime,
    unchanged,
)
from admin_app.model.writable import writable
from admin_app.writing.concurrency import Merge
from admin_app.writing.links import LinkPlan, LinkSpec, LinkWriter
from admin_app.writing.unique import Asked, asked_values, key_group, taken
from admin_app.writing.validation import problems, validated_values

logger = logging.getLogger(__name__)

NO_ROW = (None, "", "0", 0, "__None")  # what forms send for "no related row"
OMIT = object()  # leave the column out, so a new row gets its default
_FOLLOWING = frozenset({"CASCADE", "SET NULL", "SET DEFAULT"})  # ON UPDATE rules
CONFLICT_MESSAGE = (
    "Someone else saved this row after you opened the form and changed some of "
    "the fields you changed. Nothing was saved. For each field marked below, "
    "choose whose value to keep, then save again. Your other changes are still "
    "in the form, and the fields you did not change show the new values."
)


def names_no_row(value: Any) -> bool:
    """Whether a submitted related value means "no related row" (`NO_ROW`).
    Only text, whole numbers and None are compared: `False` is not 0, and a
    row object is not compared at all (`in` would run its model's `__eq__`
    against each of NO_ROW: five calls a cell of an imported file)."""
    if isinstance(value, bool) or not isinstance(value, str | int | None):
        return False
    return value in NO_ROW


class FormErrors(ValueError):
    """What is wrong with submitted values: messages by form field, and overall.

    An expected refusal (a 400 with the form shown again), logged as one line.
    `merge` holds the save's decisions, so the form can be shown again with
    the user's changes in it and every other field as it is now."""

    def __init__(
        self,
        fields: dict[str, list[str]],
        message: str = "",
        merge: Merge | None = None,
    ) -> None:
        self.fields = {name: msgs for name, msgs in fields.items() if name}
        self.merge = merge
        overall = [*fields.get("", []), *([message] if message else [])]
        super().__init__(" ".join(overall) or "Please correct the errors below.")


class ExpectedRefusals(logging.Filter):
    """SQLAdmin's create and edit routes log every refused save with
    `logger.exception`. A FormErrors is an expected 400 (the form shown again
    with its messages): one line without a traceback, at INFO. Unexpected
    errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, FormErrors):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "Refused save: %s", (str(error),)
        return True


def log_refusals_in_one_line(logger_name: str = "sqladmin.application") -> None:
    """Install `ExpectedRefusals` on SQLAdmin's logger (once)."""
    target = logging.getLogger(logger_name)
    if not any(isinstance(f, ExpectedRefusals) for f in target.filters):
        target.addFilter(ExpectedRefusals())


def plain_text(value: Any) -> str:
    """A value as a sentence shows it, when the view gives no formatter."""
    if value is None:
        return ""
    if hasattr(value, "__table__"):
        return label_for(value)
    return str(getattr(value, "value", value))


@dataclass
class _Submitted:
    """A form's values resolved to columns and related rows."""

    columns: dict[str, Any] = field(default_factory=dict)  # column key -> value
    related: dict[str, Any] = field(default_factory=dict)  # to-one field -> row
    to_many: dict[str, list[Any]] = field(default_factory=dict)


class RowWriter:
    """Applies one form's values to one row of `model`, inside `session`."""

    def __init__(
        self,
        model: type,
        session: Session,
        links: Sequence[LinkSpec] = (),
        merge: Merge | None = None,
        describe: Callable[[str, Any], str] | None = None,
        related: dict[tuple[type, str], Any] | None = None,
        unique_later: list[Asked] | None = None,
    ) -> None:
        self.model = model
        self.links = links
        self.mapper = _mapper(model)
        self.session = session
        self.merge = merge if merge is not None else Merge(None, {})
        self.describe = describe or (lambda _name, value: plain_text(value))
        self.errors: dict[str, list[str]] = {}
        # the column values the submitted values ask for, as validated: a new
        # row's other columns, and those asked to be empty, take their
        # defaults at the flush (an import compares only these with its
        # preview, as the defaults are made again when it is confirmed)
        self.asked: dict[str, Any] = {}
        # foreign key column -> the relationship field the user sees for it
        self._field_of: dict[str, str] = {}
        # related rows found by their key text, shared by the writers of one
        # import batch (whose rows name the same few projects again and again)
        self.related = related if related is not None else {}
        # the unique values each save asks for, checked by the caller for many
        # rows at once (`unique.taken_among`), or None to check them here
        self.unique_later = unique_later

    def error(self, field: str, message: str) -> None:
        name = self._field_of.get(field, field)
        messages = self.errors.setdefault(name, [])
        if name and messages:
            return  # one clear message per field, never two contradictory ones
        messages.append(message)

    def apply(self, obj: Any, data: dict[str, Any], *, flush: bool = True) -> Any:
        """Set `data` on `obj` after validation and the merge, or raise FormErrors.

        `flush=False` leaves the writing to the caller's next flush (an
        import writes a batch of rows with one): a constraint the checks
        missed then fails there, not here. Only without link editors."""
        creating = instance_state(obj).transient
        changes, to_many, plans = self._decide(obj, data, creating)
        for key, new in changes.items():
            set_attribute(obj, key, new)  # as validated: not again on assignment
        for key, targets in to_many.items():
            if set(map(id, targets)) != set(map(id, related(obj, key))):
                setattr(obj, key, targets)
        if obj not in self.session:  # a row of the session tracks its changes
            self.session.add(obj)
        if not flush and not self.links:
            return obj
        self.flush()
        if creating:
            plans = self._plan_links(obj, data)
            if self.errors:
                raise FormErrors(self.errors, merge=self.merge)
        for plan in plans:
            plan.apply()
        self.flush()
        return obj

    def column_changes(
        self, obj: Any, data: dict[str, Any], current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The column values a save of `data` would set on `obj` (validated,
        merged, checked; only those that differ from `obj`'s), or FormErrors.
        Nothing is set: an import writes a batch's changes itself, with one
        statement for many rows (`importing.batch_writes`). Only for data without
        to-many fields and link editors, which need the row object. `current`
        is `column_values(obj)`, when the caller has it already."""
        creating = instance_state(obj).transient
        changes, _to_many, _plans = self._decide(obj, data, creating, current)
        return changes

    def _decide(
        self,
        obj: Any,
        data: dict[str, Any],
        creating: bool,
        current: dict[str, Any] | None = None,
    ) -> tuple[dict[str, Any], dict[str, list[Any]], list[LinkPlan]]:
        """The columns to set, the to-many rows to link and the link editors'
        plans of one save; FormErrors if any value is refused."""
        current = held_by_model(self.model, current or column_values(obj))
        submitted = self._parse(data, None if creating else current)
        canonical, validated = self._canonical(current, submitted.columns)
        self.asked = canonical
        values = self._merge_columns(obj, current, submitted, canonical)
        to_many = {
            name: self._merge_to_many(obj, name, targets)
            for name, targets in submitted.to_many.items()
        }
        plans = [] if creating else self._plan_links(obj, data)
        if self.errors:
            raise FormErrors(self.errors, merge=self.merge)
        if self.merge.conflicts:
            raise FormErrors({}, CONFLICT_MESSAGE, merge=self.merge)
        if not values and not creating:
            validated = None  # no column changed: nothing to validate or write
        elif values != canonical and not _left_as_is(current, values, canonical):
            # the merge kept current values: validate what is written
            validated = self._validate(current, values)
        changes: dict[str, Any] = {}
        if validated is not None:
            made = _values_of(validated, current)
            for key, old in current.items():
                new = made[key]
                if old is not new and not unchanged(old, new):
                    changes[key] = new
            if creating:  # a model's default follows the time-zone rule too
                defaults = self._defaults_in_time_zone(made, values)
                made.update(defaults)
                changes.update(defaults)
            self._check_sizes(changes)
            self._check_composite_keys(made, None if creating else changes)
            if not self.errors and not creating:
                self._check_referred(current, changes)
            if not self.errors:
                typed = values.keys() if creating else changes.keys()
                self._check_unique(obj, made, None if creating else changes, typed)
            if self.errors:
                raise FormErrors(self.errors, merge=self.merge)
        return changes, to_many, plans

    def _parse(self, data: dict[str, Any], held: dict[str, Any] | None) -> _Submitted:
        """The submitted values resolved; `held` is the row's columns as they
        are, None for a new row."""
        submitted = _Submitted()
        inline = {spec.name for spec in self.links}  # saved by the link plans
        fields = _form_fields(self.model)
        for key, value in data.items():
            found = fields.get(key)
            if found is None or key in inline:
                continue
            kind, target = found
            if kind is _TO_ONE:
                submitted.columns.update(self._to_one(target, value, submitted))
            elif kind is _TO_MANY:
                submitted.to_many[key] = self._to_many(target, value)
            else:
                value = self._column_value(key, target, value, held)
                if value is not OMIT:
                    submitted.columns[key] = value
        return submitted

    def _canonical(
        self, current: dict[str, Any], values: dict[str, Any]
    ) -> tuple[dict[str, Any], Any]:
        """The submitted values as the model holds them once validated (enum
        members, normalised numbers), to compare with what the form showed, and
        the validated row. If validation fails, the errors are kept and the
        values stay as sent."""
        if not values:
            return {}, None
        try:
            validated = validated_values(self.model, {**current, **values})
        except ValidationError as error:
            self._report(error)
            return dict(values), None
        return _values_of(validated, values), validated

    def _merge_columns(
        self,
        obj: Any,
        current: dict[str, Any],
        submitted: _Submitted,
        canonical: dict[str, Any],
    ) -> dict[str, Any]:
        """The submitted column values this save writes: those the user changed."""
        if instance_state(obj).transient:
            return canonical
        field_of = self._field_of
        if self.merge.shown is None:
            changed = self.merge.unversioned_fields(
                {c: (field_of.get(c, c), v, current[c]) for c, v in canonical.items()}
            )
            return {c: v for c, v in canonical.items() if field_of.get(c, c) in changed}
        by_field: dict[str, list[str]] = {}
        for column in canonical:
            by_field.setdefault(field_of.get(column, column), []).append(column)
        chosen: dict[str, Any] = {}
        for name, columns in by_field.items():
            pairs = {c: (canonical[c], current[c]) for c in columns}

            def describe(name: str = name, columns: list[str] = columns) -> tuple:
                if name in submitted.related or name in self.mapper.relationships:
                    theirs, mine = related(obj, name), submitted.related.get(name)
                else:
                    theirs, mine = getattr(obj, columns[0]), canonical[columns[0]]
                label = field_label(self.model, name)
                return label, self.describe(name, theirs), self.describe(name, mine)

            if self.merge.column_field(name, pairs, describe):
                chosen.update({c: canonical[c] for c in columns})
        return chosen

    def _merge_to_many(self, obj: Any, name: str, targets: list[Any]) -> list[Any]:
        """The rows to link: the user's additions and removals, merged."""
        current = {_key_of(t): t for t in related(obj, name)}
        submitted = {_key_of(t): t for t in targets}
        keys = self.merge.to_many(name, submitted, current)
        rows = {**current, **submitted}
        return [rows[k] for k in sorted(keys)]

    def _plan_links(self, obj: Any, data: dict[str, Any]) -> list[LinkPlan]:
        """Each inline editor's rows, planned against the database (and merged)."""
        plans = []
        added: dict[tuple[type, tuple[Any, ...]], str] = {}  # row -> its editor
        for spec in self.links:
            if spec.name in data:
                writer = LinkWriter(self.session, spec, self.merge, self.describe)
                plan = writer.plan(obj, data[spec.name] or [])
                for number, key in plan.added:
                    first = added.setdefault((spec.link_model, key), spec.name)
                    if first != spec.name:  # one row, added by two editors
                        writer.errors.append(
                            f"Row {number}: this is the row added under "
                            f"{field_label(self.model, first)} too: add it once."
                        )
                if writer.errors:
                    self.errors.setdefault(spec.name, []).extend(writer.errors)
                plans.append(plan)
        return plans

    def flush(self) -> None:
        """Flush, turning a constraint the checks above missed into plain words."""
        try:
            self.session.flush()
        except IntegrityError as error:
            logger.info("Refused write to %s: %s", self.model.__name__, error.orig)
            rule = broken_rule(error)
            if rule is not None:  # on the fields it reads, else the form's
                names = rule_fields(self.model, rule[0]) or [""]
                for name in names:
                    self.error(name, rule[1])
                raise FormErrors(self.errors, merge=self.merge) from error
            raise FormErrors(
                {},
                "The change conflicts with other data: a value that must be unique "
                "is taken, or a related row is missing or still in use.",
                merge=self.merge,
            ) from error

    def _column_value(
        self, name: str, column: Column, value: Any, held: dict[str, Any] | None
    ) -> Any:
        """The value to store in `column` (attribute `name`), `OMIT` to let a
        new row take the column's default, or an error: an empty required
        field, a value the column cannot hold. `held` is the row's columns as
        they are (None: a new row)."""
        creating = held is None
        if column.computed is not None:  # an import's cell: the database's to set
            if value in (None, "") and creating:
                return OMIT
            if not creating and unchanged(held.get(name), value):
                return OMIT
            self.error(name, "The database computes this value: it cannot be set.")
            return OMIT
        if column.foreign_keys and names_no_row(value):
            if not column.nullable:
                self.error(name, "This field is required.")
                return OMIT
            return None
        if column.foreign_keys and isinstance(value, str):
            return self._related_key(name, value, held)
        if (
            value == []
            and not creating
            and held.get(name) is None
            and isinstance(stored_type(column.type), ARRAY)
        ):
            return None  # a tags input shows no list and no items alike
        if value is None or value == "":
            if column.nullable:
                return None
            defaulted = bool(
                column.default is not None
                or column.server_default
                or _model_default(self.model, name)
            )
            if creating and defaulted:
                return OMIT
            # Empty text is a value where the field has a default (`name:
            # str = ""`) or the row holds it already; else the field is
            # required, as the form's own check says (an import's empty
            # cell, a new row's empty text key).
            kept = not creating and held.get(name) == ""
            if value is None or not (defaulted or kept):
                self.error(name, "This field is required.")
                return OMIT
        refused = cannot_hold(column, value, self.session)
        if refused is not None:
            self.error(name, refused)
            return OMIT
        if isinstance(value, str) and read_by_database(self.model, column):
            try:
                read = database_value(self.session, column, value)
                return model_value(self.model, name, read)
            except BadValue as error:
                self.error(name, str(error))
                return OMIT
        try:
            return normalise_datetime(column, value)
        except OutOfCalendar as error:
            self.error(name, str(error))
            return OMIT

    def _defaults_in_time_zone(
        self, made: dict[str, Any], values: dict[str, Any]
    ) -> dict[str, Any]:
        """A new row's datetimes the model made (`default_factory=
        datetime.utcnow`, naive), read as UTC for a column with a time zone
        as a typed one is: SQLModel's own type refuses a naive value there,
        and the row could not be saved with the box left empty."""
        found = {}
        for key, value in made.items():
            if key not in values and isinstance(value, datetime):
                column = self.mapper.column_attrs[key].columns[0]
                if (normalised := normalise_datetime(column, value)) is not value:
                    found[key] = normalised
        return found

    def _related_key(self, name: str, text: str, held: dict[str, Any] | None) -> Any:
        """A foreign key (attribute `name`) that no relationship names, typed
        or chosen as text: the key of a row that exists, else one clear
        error. The key the row holds already is kept as it is, without a
        look: a row it names may be gone (a database whose foreign keys are
        not enforced), and a form that shows it and sends it back changes
        nothing."""
        spec = field_specs(self.model).get(name)
        if spec is None or spec.kind is not Kind.TO_ONE or spec.target is None:
            return text  # a key to a table the admin does not map
        try:
            key = spec.parse(text)
        except BadValue:
            key = None
        if key is not None and held is not None and key == held.get(name):
            return key
        if key is None or self._row_named(spec.target, text, lambda _: key) is None:
            self.error(name, "Choose a valid option: that row does not exist.")
            return None
        return key

    def _to_one(
        self, rel: RelationshipProperty, value: Any, submitted: _Submitted
    ) -> dict[str, Any]:
        pairs = _attribute_pairs(rel)
        for local, _remote in pairs:
            self._field_of[local] = rel.key
        if names_no_row(value):
            if not all(c.nullable for c, _ in rel.local_remote_pairs or ()):
                self.error(rel.key, "This field is required.")
                return {}
            submitted.related[rel.key] = None
            return dict.fromkeys((local for local, _ in pairs), None)
        target = self._load(rel, value)
        if target is None:
            return {}
        submitted.related[rel.key] = target
        return {local: getattr(target, remote) for local, remote in pairs}

    def _to_many(self, rel: RelationshipProperty, values: Any) -> list[Any]:
        if names_no_row(values):
            return []
        if isinstance(values, str | int):
            values = [values]
        targets = [
            self._load(rel, value) for value in values if not names_no_row(value)
        ]
        return [target for target in targets if target is not None]

    def _load(self, rel: RelationshipProperty, value: Any) -> Any:
        target_model = rel.mapper.class_
        if isinstance(value, target_model):
            return value
        target = self._row_named(target_model, str(value))
        if target is None:
            self.error(rel.key, "Choose a valid option: that row does not exist.")
        return target

    def _row_named(
        self, model: type, text: str, key: Callable[[str], Any] | None = None
    ) -> Any:
        """The row of `model` whose key `text` names (`key` reads it, else
        `parse_key`), or None; found once a text by the writers sharing
        `related`."""
        found = self.related.get((model, text))
        if found is None:
            found = row_named(self.session, model, text, key)
            if found is not None:
                self.related[(model, text)] = found
        return found

    def _report(self, error: ValidationError) -> None:
        """The model's validation errors, each next to its field."""
        columns = set(self.mapper.columns.keys())
        for name, message in problems(self.model, error):
            self.error(name if name in columns else "", message)

    def _validate(self, current: dict[str, Any], values: dict[str, Any]) -> Any:
        try:
            return validated_values(self.model, {**current, **values})
        except ValidationError as error:
            self._report(error)
            raise FormErrors(self.errors, merge=self.merge) from error

    def _check_sizes(self, changes: dict[str, Any]) -> None:
        """Name the field whose value is beyond the size its column declares
        on the database's side only (`model.limits.too_large`), or a list
        holding an item its column cannot (read from text by validation)."""
        sized = sized_columns(self.model)
        for key, value in changes.items():
            refused = None
            if key in sized:
                refused = too_large(sized[key], value)
            elif isinstance(value, list) and key in self.mapper.columns:
                refused = cannot_hold(self.mapper.columns[key], value, self.session)
            if refused is not None:
                self.error(key, refused)

    def _check_composite_keys(
        self, values: dict[str, Any], changes: dict[str, Any] | None
    ) -> None:
        """Name the field of a foreign key over several columns whose values
        name no row (the database refused the write naming no field), of
        the row's validated columns (`values`), for the keys the save sets
        (`changes`; None: a new row's), as a key of one column is checked
        (`_related_key`)."""
        for target, names in composite_keys(self.model):
            if changes is not None and not any(name in changes for name in names):
                continue
            key = tuple(values[name] for name in names)
            if None in key:
                continue  # no row named (a required part is the model's to say)
            if self._row_named(target, identifier(key), lambda _, k=key: k) is None:
                self.error(names[0], "Choose a valid option: that row does not exist.")

    def _check_referred(self, current: dict[str, Any], changes: dict[str, Any]) -> None:
        """A value other rows name by a foreign key (a book's isbn, which its
        loans hold) cannot change under them: the database refuses it in
        words no one can read (SQLite without its foreign key checks would
        leave them pointing at nothing). Say how many rows, as the deletion
        page does. Keys that follow the change (`ON UPDATE CASCADE`) pass."""
        for constraint in referring_constraints(self.mapper.local_table):
            if (constraint.onupdate or "").upper() in _FOLLOWING:
                continue
            pairs = [(e.parent, e.column) for e in constraint.elements]
            names = [attribute_name(referred) for _, referred in pairs]
            if not any(name in changes for name in names):
                continue
            held = [current.get(name) for name in names]
            if None in held:
                continue
            count = self.session.scalar(
                select(func.count())
                .select_from(constraint.table)
                .where(*(col == v for (col, _), v in zip(pairs, held, strict=True)))
            )
            if count:
                one, many = table_words(constraint.table)
                label = changed_field_label(
                    field_specs(self.model), self.model, names[0]
                )
                self.error(
                    names[0],
                    f"{count_words(count, one.lower(), many.lower())} "
                    f"{'refers' if count == 1 else 'refer'} to this "
                    f"{label.lower()}: it cannot change while "
                    f"{'it does' if count == 1 else 'they do'}.",
                )

    def _check_unique(
        self,
        obj: Any,
        values: dict[str, Any],
        changes: dict[str, Any] | None,
        typed: Collection[str],
    ) -> None:
        """Name the field whose value another row already has, of the row's
        validated columns (`values`), for the groups the save sets (`changes`:
        an existing row's; None: a new row's), and of its primary key where
        the save sets it (`typed`: a product's `sku`, a link row's pair; a key
        the database or the model makes is not asked). With `unique_later`,
        the values are handed to it instead (an import asks for a batch's at
        once)."""
        own_key = self.mapper.primary_key_from_instance(obj)
        asked = list(asked_values(self.model, values, own_key, changes))
        key = key_group(self.model)
        if all(a in typed for a in key.attributes):
            held = tuple(values[a] for a in key.attributes)
            if None not in held:
                stored = None if None in own_key else tuple(own_key)
                asked.append(Asked(key, held, stored))
        for one in asked:
            if self.unique_later is not None:
                self.unique_later.append(one)
            elif taken(self.session, self.model, one):
                columns, specs = one.group.columns, field_specs(self.model)
                names = " and ".join(
                    changed_field_label(specs, self.model, attribute_name(c)).lower()
                    for c in columns
                )
                self.error(
                    attribute_name(columns[0]), f"Another row already has this {names}."
                )


def _values_of(validated: Any, names: Iterable[str]) -> dict[str, Any]:
    """The validated values of `names`, read as pydantic set them, in the
    form their columns store them (`writable`: a URL's text)."""
    made = validated.__dict__
    return writable(
        type(validated),
        {
            name: made[name] if name in made else getattr(validated, name)
            for name in names
        },
    )


def _left_as_is(
    current: dict[str, Any], values: dict[str, Any], canonical: dict[str, Any]
) -> bool:
    """Whether every column the merge left out was submitted exactly as the
    row holds it: then the row validated with all the submitted values is
    the row validated with the chosen ones (an import's unchanged cells), and
    validating it again would change nothing."""
    return all(
        type(value) is type(current[name]) and value == current[name]
        for name, value in canonical.items()
        if name not in values
    )


_TO_ONE, _TO_MANY, _COLUMN = "to one", "to many", "column"


@cache
def _form_fields(model: type) -> dict[str, tuple[str, Any]]:
    """The names a save's data may use, each with what it sets: a to-one or
    many-to-many relationship, or a column (worked out once a model; a save
    asks for each of its values, an import for every cell)."""
    mapper = inspect(model)
    fields: dict[str, tuple[str, Any]] = {
        key: (_COLUMN, column) for key, column in mapper.columns.items()
    }
    for rel in mapper.relationships:
        if rel.direction is RelationshipDirection.MANYTOONE:
            fields[rel.key] = (_TO_ONE, rel)
        elif rel.direction is RelationshipDirection.MANYTOMANY:
            fields[rel.key] = (_TO_MANY, rel)
        else:
            fields.pop(rel.key, None)
    return fields


@cache  # a model's fields are fixed; an import asks once an empty cell
def _model_default(model: type, name: str) -> bool:
    """Whether the model gives field `name` a default of its own (a column
    declared by `sa_column=` carries none of the model's on the column)."""
    info = getattr(model, "model_fields", {}).get(name)
    return info is not None and not info.is_required()


def rule_fields(model: type, rule: str) -> list[str]:
    """The attributes of `model` that its CHECK constraint `rule` (a name,
    or the expression SQLite reports for one without) reads."""
    for constraint in model.__table__.constraints:
        if not isinstance(constraint, CheckConstraint):
            continue
        text = str(constraint.sqltext)
        if rule not in (constraint.name, text):
            continue
        columns = list(constraint.columns) or [
            c
            for c in model.__table__.columns
            if re.search(rf"(?<![\w\"]){re.escape(c.name)}(?![\w\"])", text)
            or f'"{c.name}"' in text
        ]
        return [attribute_name(c) for c in columns]
    return []


@cache  # a relationship's columns are fixed; an import asks once a row
def _attribute_pairs(rel: RelationshipProperty) -> tuple[tuple[str, str], ...]:
    """A to-one's (local, remote) key columns by the attributes holding them."""
    return tuple(
        (attribute_name(local), attribute_name(remote))
        for local, remote in rel.local_remote_pairs or ()
    )


@cache
def _mapper(model: type) -> Mapper:
    """`inspect(model)`, which looks the class up anew at every call (a
    save of each of an import's rows makes a writer)."""
    return inspect(model)


def column_values(obj: Any, hidden: Collection[str] = ()) -> dict[str, Any]:
    """Every column of an ORM row but those `hidden`, by attribute key (a
    loaded value read straight from the row's state: an import asks twice a
    row). What the audit trail records of a row and its version token hold."""
    loaded = instance_dict(obj)
    values = {
        key: loaded[key] if key in loaded else getattr(obj, key)
        for key in _column_keys(type(obj))
        if key not in hidden
    }
    if not instance_state(obj).has_identity:
        return values  # a new row's defaults: a naive one is made UTC when written
    return aware_in_utc(type(obj), values)  # as read back: SQLite's are naive


@cache
def _column_keys(model: type) -> tuple[str, ...]:
    """The attribute keys of `model`'s columns."""
    return tuple(prop.key for prop in inspect(model).column_attrs)


def _key_of(row: Any) -> str:
    return identifier(inspect(type(row)).primary_key_from_instance(row))
