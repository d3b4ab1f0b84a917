"""The write path every form shares: resolve, validate, then change in one transaction.

SQLAdmin sets form values on the ORM object as they come; here they first pass
through the SQLModel class's own validation (`model_validate`, with its field
constraints and validators), related rows are looked up by key, and unique
values are checked, so a mistake becomes a message next to its field instead
of a database exception with SQL text in it.
"""

import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Column, UniqueConstraint, and_, inspect, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty, Session

from admin_app.model.fields import BadValue, Kind, field_specs
from admin_app.model.keys import BadKey, parse_key
from admin_app.model.labels import field_label
from admin_app.model.values import normalise_datetime, unchanged
from admin_app.writing.links import LinkSpec, LinkWriter

logger = logging.getLogger(__name__)

NO_ROW = (None, "", "0", 0, "__None")  # what forms send for "no related row"
OMIT = object()  # leave the column out, so a new row gets its default


class FormErrors(ValueError):
    """What is wrong with submitted values: messages by form field, and overall."""

    def __init__(self, fields: dict[str, list[str]], message: str = "") -> None:
        self.fields = {name: msgs for name, msgs in fields.items() if name}
        overall = [*fields.get("", []), *([message] if message else [])]
        super().__init__(" ".join(overall) or "Please correct the errors below.")


class RowWriter:
    """Applies one form's values to one row of `model`, inside `session`."""

    def __init__(
        self, model: type, session: Session, links: Sequence[LinkSpec] = ()
    ) -> None:
        self.model = model
        self.links = links
        self.mapper = inspect(model)
        self.session = session
        self.errors: dict[str, list[str]] = {}
        # foreign key column -> the relationship field the user sees for it
        self._field_of: dict[str, str] = {}

    def error(self, field: str, message: str) -> None:
        self.errors.setdefault(self._field_of.get(field, field), []).append(message)

    def apply(self, obj: Any, data: dict[str, Any]) -> Any:
        """Set `data` on `obj` after validation, or raise FormErrors."""
        values: dict[str, Any] = {}
        to_many: dict[str, list[Any]] = {}
        creating = inspect(obj).transient
        inline = {spec.name for spec in self.links}  # saved by `_apply_links`
        for key, value in data.items():
            if key in inline:
                continue
            if key in self.mapper.relationships:
                rel = self.mapper.relationships[key]
                if rel.direction is RelationshipDirection.MANYTOONE:
                    values.update(self._to_one(rel, value))
                elif rel.direction is RelationshipDirection.MANYTOMANY:
                    to_many[key] = self._to_many(rel, value)
            elif key in self.mapper.columns:
                value = self._column_value(self.mapper.columns[key], value, creating)
                if value is not OMIT:
                    values[key] = value
        validated = self._validate(obj, values)
        self._check_unique(obj, validated)
        if self.errors:
            raise FormErrors(self.errors)
        for prop in self.mapper.column_attrs:
            new = getattr(validated, prop.key)
            if not unchanged(getattr(obj, prop.key), new):
                setattr(obj, prop.key, new)
        for key, targets in to_many.items():
            setattr(obj, key, targets)
        self.session.add(obj)
        self.flush()
        self._apply_links(obj, data)
        return obj

    def _apply_links(self, obj: Any, data: dict[str, Any]) -> None:
        """Save inline link rows once the parent has its key, in its transaction."""
        for spec in self.links:
            if spec.name in data:
                errors = LinkWriter(self.session, spec).apply(
                    obj, data[spec.name] or []
                )
                if errors:
                    raise FormErrors({spec.name: errors})
        self.flush()

    def flush(self) -> None:
        """Flush, turning a constraint the checks above missed into plain words."""
        try:
            self.session.flush()
        except IntegrityError as error:
            logger.info("Refused write to %s: %s", self.model.__name__, error.orig)
            raise FormErrors(
                {},
                "The change conflicts with other data: a value that must be unique "
                "is taken, or a related row is missing or still in use.",
            ) from error

    def _column_value(self, column: Column, value: Any, creating: bool) -> Any:
        """The value to store, `OMIT` to let a new row take the column's default,
        or an error for an empty required field."""
        if column.foreign_keys and value in NO_ROW and not isinstance(value, bool):
            if not column.nullable:
                self.error(column.key, "This field is required.")
            return None
        if column.foreign_keys and isinstance(value, str):
            return self._related_key(column, value)
        if value is None or value == "":
            if column.nullable:
                return None
            if creating and (column.default is not None or column.server_default):
                return OMIT
            if value is None:
                self.error(column.key, "This field is required.")
                return None
        return normalise_datetime(column, value)

    def _related_key(self, column: Column, text: str) -> Any:
        """A foreign key that no relationship names, typed or chosen as text:
        the key of a row that exists, else one clear error."""
        spec = field_specs(self.model).get(column.key)
        if spec is None or spec.kind is not Kind.TO_ONE or spec.target is None:
            return text  # a key to a table the admin does not map
        try:
            key = spec.parse(text)
        except BadValue:
            key = None
        if key is None or self.session.get(spec.target, key) is None:
            self.error(column.key, "Choose a valid option: that row does not exist.")
            return None
        return key

    def _to_one(self, rel: RelationshipProperty, value: Any) -> dict[str, Any]:
        pairs = list(rel.local_remote_pairs or [])
        for local, _remote in pairs:
            self._field_of[local.key] = rel.key
        if value in NO_ROW:
            if not all(local.nullable for local, _ in pairs):
                self.error(rel.key, "This field is required.")
            return {local.key: None for local, _ in pairs}
        target = self._load(rel, value)
        if target is None:
            return {}
        return {local.key: getattr(target, remote.key) for local, remote in pairs}

    def _to_many(self, rel: RelationshipProperty, values: Any) -> list[Any]:
        if values in NO_ROW:
            return []
        if isinstance(values, str | int):
            values = [values]
        targets = [self._load(rel, value) for value in values if value not in NO_ROW]
        return [target for target in targets if target is not None]

    def _load(self, rel: RelationshipProperty, value: Any) -> Any:
        target_model = rel.mapper.class_
        if isinstance(value, target_model):
            return value
        try:
            target = self.session.get(target_model, parse_key(target_model, str(value)))
        except BadKey:
            target = None
        if target is None:
            self.error(rel.key, "Choose a valid option: that row does not exist.")
        return target

    def _validate(self, obj: Any, values: dict[str, Any]) -> Any:
        current = {
            prop.key: getattr(obj, prop.key) for prop in self.mapper.column_attrs
        }
        try:
            return self.model.model_validate({**current, **values})
        except ValidationError as error:
            for problem in error.errors():
                field = str(problem["loc"][0]) if problem["loc"] else ""
                if self._field_of.get(field, field) in self.errors:
                    continue  # one clear message per field: it has one already
                message = problem["msg"].removeprefix("Value error, ")
                self.error(field if field in current else "", message)
            raise FormErrors(self.errors) from error

    def _check_unique(self, obj: Any, validated: Any) -> None:
        """Name the field whose value another row already has."""
        table = self.mapper.local_table
        groups = {(col,) for col in table.columns if col.unique} | {
            tuple(constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint)
        }
        keys = list(self.mapper.primary_key)
        own_key = [
            getattr(obj, self.mapper.get_property_by_column(c).key) for c in keys
        ]
        for columns in groups:
            values = [
                getattr(validated, self.mapper.get_property_by_column(c).key)
                for c in columns
            ]
            if any(v is None for v in values):
                continue
            stmt = (
                select(1)
                .select_from(table)
                .where(and_(*(c == v for c, v in zip(columns, values, strict=True))))
            )
            if all(v is not None for v in own_key):
                stmt = stmt.where(
                    or_(*(k != v for k, v in zip(keys, own_key, strict=True)))
                )
            if self.session.execute(stmt.limit(1)).first() is not None:
                names = " and ".join(
                    field_label(self.model, c.key).lower() for c in columns
                )
                self.error(columns[0].key, f"Another row already has this {names}.")


def database_error_message(error: Exception) -> str:
    """Words for a database failure that show no SQL."""
    if isinstance(error, IntegrityError | AssertionError):
        return "The row is still used by other rows, or the change conflicts with them."
    return "The database refused the change. Nothing was saved."
