"""One description of each field of a served model: what every page asks.

Lists, details, forms, filters, search, sort, export, bulk edit and the audit
trail all read a model's `FieldSpec`s instead of deciding from column types on
their own, so one rule (plain `str` is ordinary text, a name like
`hashed_password` is a secret, a foreign key is a related row) holds on every
page at once. `field_specs(model)` derives them once per model from its
metadata; a view changes one field's description without restating the
others (see `apply_overrides`)::

    class PatientAdmin(AdminView, model=Patient):
        field_overrides = {
            "notes": {"kind": "long_text"},      # placements follow the new kind
            "pin": {"kind": "secret"},
            "email": {"label": "E-mail", "in_search": False},
        }

A field is named as the view names it: a column by its attribute name, a
foreign key by its to-one relationship when it has one (`project`, not
`project_id`), else by the column (`shelf_id`, still shown as a related row).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    Uuid,
    and_,
    cast,
    inspect,
)
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty, aliased
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from admin_app.model.labels import enum_label, field_label, label_column
from admin_app.model.values import normalise_datetime

LONG_TEXT = 255  # text columns longer than this are long text (off the list)
SECRET_NAMES = frozenset(
    {"password", "hashed_password", "password_hash", "secret", "token", "api_key"}
)
SECRET_SUFFIXES = ("_secret", "_token", "_hash")
TRUE_WORDS = frozenset({"true", "1", "yes", "on", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "off", "n"})
INT64 = 2**63


class Kind(enum.StrEnum):
    """What a field holds, as DESIGN.md names the kinds."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    SECRET = "secret"
    CHOICE = "choice"
    NUMBER = "number"  # integers and floats (`FieldSpec.integer` tells which)
    DECIMAL = "decimal"
    BOOL = "bool"
    DATE = "date"
    DATETIME = "datetime"  # naive or aware (`FieldSpec.aware`)
    TIME = "time"
    UUID = "uuid"
    JSON = "json"
    BYTES = "bytes"
    OTHER = "other"
    TO_ONE = "to_one"
    TO_MANY = "to_many"
    LINK_WITH_DATA = "link_with_data"


PLACES = (
    "in_list",
    "in_details",
    "in_form",
    "in_filter",
    "in_search",
    "in_sort",
    "in_export",
    "in_bulk_edit",
    "in_audit",
)

# Where each kind appears unless the field or the view says otherwise, in the
# order of PLACES. A filter means a choice, range, related-row or empty filter.
_DEFAULT_PLACES: dict[Kind, tuple[bool, ...]] = {
    #                    list   details form  filter search sort   export bulk   audit
    Kind.TEXT: (True, True, True, False, True, True, True, True, True),
    Kind.LONG_TEXT: (False, True, True, False, True, False, True, True, True),
    Kind.SECRET: (False, False, True, False, False, False, False, False, False),
    Kind.CHOICE: (True, True, True, True, True, True, True, True, True),
    Kind.NUMBER: (True, True, True, True, False, True, True, True, True),
    Kind.DECIMAL: (True, True, True, True, False, True, True, True, True),
    Kind.BOOL: (True, True, True, True, False, True, True, True, True),
    Kind.DATE: (True, True, True, True, False, True, True, True, True),
    Kind.DATETIME: (True, True, True, True, False, True, True, True, True),
    Kind.TIME: (True, True, True, True, False, True, True, True, True),
    Kind.UUID: (True, True, True, True, False, True, True, False, True),
    Kind.JSON: (True, True, True, True, False, True, True, False, True),
    Kind.BYTES: (True, True, True, True, False, True, True, False, True),
    Kind.OTHER: (True, True, True, True, False, True, True, False, True),
    Kind.TO_ONE: (True, True, True, True, False, True, True, True, True),
    Kind.TO_MANY: (False, True, True, True, False, False, False, False, True),
    Kind.LINK_WITH_DATA: (False, False, True, False, False, False, False, False, True),
}
RANGE_KINDS = frozenset(
    {Kind.NUMBER, Kind.DECIMAL, Kind.DATE, Kind.DATETIME, Kind.TIME}
)


class BadValue(ValueError):
    """Submitted text that the field cannot hold; the message says what it expects."""


@dataclass(frozen=True)
class LinkFacts:
    """A link table with data of its own, seen from one parent: which link
    columns point at the parent and which at the row on the other side."""

    link_model: type
    parent_pairs: tuple[tuple[Column, Column], ...]  # (link column, parent column)
    other_model: type
    other_pairs: tuple[tuple[Column, Column], ...]  # (link column, other column)
    other_name: str  # the other side in words' source: `worker`
    other: RelationshipProperty | None  # link -> other, when the link declares it
    fields: tuple[str, ...]  # the link's own columns (`role`, `assigned_at`)


@dataclass(frozen=True)
class FieldSpec:
    """Everything the admin needs to know about one field of one model."""

    name: str
    kind: Kind
    label: str
    model: type
    columns: tuple[Column, ...] = ()
    relationship: RelationshipProperty | None = None
    target: type | None = None  # the related model of to-one, to-many, links
    target_columns: tuple[Column, ...] = ()  # what `columns` point at (to-one)
    choices: tuple[tuple[Any, str], ...] = ()  # (Python value, label)
    integer: bool = False
    aware: bool = False
    nullable: bool = True
    primary_key: bool = False
    generated: bool = False  # a key the database numbers: no form field
    unique: bool = False
    label_name: str = ""  # a to-one's label column in exports (`team`)
    description: str | None = None
    link: LinkFacts | None = None
    in_list: bool = True
    in_details: bool = True
    in_form: bool = True
    in_filter: bool = True
    in_search: bool = False
    in_sort: bool = True
    in_export: bool = True
    in_bulk_edit: bool = True
    in_audit: bool = True

    # -- reading -----------------------------------------------------------

    @property
    def column(self) -> Column | None:
        """The one column behind the field, or None (relations, composite keys)."""
        return self.columns[0] if len(self.columns) == 1 else None

    @property
    def size_dependent(self) -> bool:
        """Whether its form field and filter depend on the related table's size
        (a select of labels for a small table, search-as-you-type for a large)."""
        return self.kind in (Kind.TO_ONE, Kind.TO_MANY) and self.target is not None

    @property
    def is_secret(self) -> bool:
        return self.kind is Kind.SECRET

    @property
    def step(self) -> str:
        """The `step` of its number inputs: whole numbers for integers."""
        return "1" if self.integer else "any"

    @property
    def input_type(self) -> str:
        """The HTML input type of its filter and range inputs."""
        return {
            Kind.NUMBER: "number",
            Kind.DECIMAL: "number",
            Kind.DATE: "date",
            Kind.DATETIME: "datetime-local",
            Kind.TIME: "time",
        }.get(self.kind, "text")

    @property
    def choice_texts(self) -> list[tuple[str, str]]:
        """(value as a form or query string names it, label) of each choice."""
        return [(choice_text(value), label) for value, label in self.choices]

    def choice_for_search(self, term: str) -> tuple[bool, Any]:
        """(found, value): the choice whose value or label is `term` (case
        ignored). Search matches choices exactly, never by substring."""
        wanted = term.strip().casefold()
        for value, label in self.choices:
            names = {choice_text(value), label, getattr(value, "name", "")}
            if wanted in {n.casefold() for n in names if n}:
                return True, value
        return False, None

    # -- parsing -----------------------------------------------------------

    def parse(self, text: Any) -> Any:
        """Submitted text as the value the field stores; None for empty text.

        Raises `BadValue` with a sentence saying what was expected."""
        if text is None:
            return None
        if not isinstance(text, str):
            return text  # already a value (a form field parsed it)
        if text.strip() == "" and self.kind not in (Kind.TEXT, Kind.LONG_TEXT):
            return None
        parser = _PARSERS.get(self.kind)
        return parser(self, text) if parser is not None else text

    # -- changing ----------------------------------------------------------

    def replace(self, **changes: Any) -> FieldSpec:
        """A copy with `changes`; a new kind brings that kind's placements
        (unless `changes` sets them too), so `{"kind": "long_text"}` also
        takes the field off the list."""
        if "kind" in changes:
            kind = Kind(changes["kind"])
            changes["kind"] = kind
            if kind is not self.kind:
                placed = placements(kind, self)
                changes = {**placed, **changes}
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise TypeError(f"FieldSpec has no {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)


def choice_text(value: Any) -> str:
    """A choice as a form or query string names it: an enum by its value."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- parsers by kind ---------------------------------------------------------


def _parse_bool(spec: FieldSpec, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(f"{text!r} is not true or false.")


def _parse_choice(spec: FieldSpec, text: str) -> Any:
    for value, _label in spec.choices:
        if text in (choice_text(value), getattr(value, "name", None)):
            return value
    allowed = ", ".join(choice_text(value) for value, _label in spec.choices)
    raise BadValue(f"{text!r} is not one of {allowed}.")


def _parse_number(spec: FieldSpec, text: str) -> int | float:
    try:
        if spec.integer:
            number = int(text.strip())
            if not -INT64 <= number < INT64:
                raise ValueError(text)
            return number
        value = float(text.strip())
    except (ValueError, OverflowError) as error:
        expected = "a whole number" if spec.integer else "a number"
        raise BadValue(f"{text!r} is not {expected}.") from error
    if value != value or value in (float("inf"), float("-inf")):
        raise BadValue(f"{text!r} is not a number.")
    return value


def _parse_decimal(spec: FieldSpec, text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise BadValue(f"{text!r} is not a number.") from error
    if not value.is_finite():
        raise BadValue(f"{text!r} is not a number.")
    return value


def _parse_datetime(spec: FieldSpec, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as error:
        raise BadValue(
            f"{text!r} is not a date and time like 2026-01-31T09:30."
        ) from error
    column = spec.column
    return normalise_datetime(column, value) if column is not None else value


def _parse_date(spec: FieldSpec, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadValue(f"{text!r} is not a date like 2026-01-31.") from error


def _parse_time(spec: FieldSpec, text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError as error:
        raise BadValue(f"{text!r} is not a time like 09:30.") from error


def _parse_uuid(spec: FieldSpec, text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError as error:
        raise BadValue(f"{text!r} is not a UUID.") from error


def _parse_json(spec: FieldSpec, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise BadValue(f"{text!r} is not JSON.") from error


def _parse_related_key(spec: FieldSpec, text: str) -> Any:
    """The key of a related row (what the foreign key column stores)."""
    from admin_app.model.keys import BadKey, coerce_key_part

    if len(spec.target_columns) != 1:
        return text
    try:
        return coerce_key_part(spec.target_columns[0], text.strip())
    except BadKey as error:
        raise BadValue(f"{text!r} names no {spec.label.lower()}.") from error


_PARSERS = {
    Kind.BOOL: _parse_bool,
    Kind.CHOICE: _parse_choice,
    Kind.NUMBER: _parse_number,
    Kind.DECIMAL: _parse_decimal,
    Kind.DATETIME: _parse_datetime,
    Kind.DATE: _parse_date,
    Kind.TIME: _parse_time,
    Kind.UUID: _parse_uuid,
    Kind.JSON: _parse_json,
    Kind.TO_ONE: _parse_related_key,
}


# -- deriving ----------------------------------------------------------------


def _base_type(type_: TypeEngine) -> TypeEngine:
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def is_secret_name(name: str) -> bool:
    """DESIGN.md's secret names: `password`, `hashed_password`, ..., `*_token`."""
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)


def _annotation(model: type, name: str) -> Any:
    """The pydantic annotation of a field with `Optional` removed."""
    field = getattr(model, "model_fields", {}).get(name)
    if field is None:
        return None
    found = field.annotation
    if typing.get_origin(found) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(found) if a is not type(None)]
        if len(args) == 1:
            found = args[0]
    return found


def _choices(model: type, column: Column) -> tuple[tuple[Any, str], ...] | None:
    """The choices of a `Literal[...]` or enum column, or None."""
    found = _annotation(model, column.key)
    if typing.get_origin(found) is typing.Literal:
        return tuple((value, enum_label(value)) for value in typing.get_args(found))
    type_ = _base_type(column.type)
    if isinstance(type_, Enum):
        members = list(type_.enum_class) if type_.enum_class else list(type_.enums)
        return tuple((member, enum_label(member)) for member in members)
    return None


def column_kind(model: type, column: Column) -> Kind:
    """The kind of a plain column by its name, annotation and type."""
    type_ = _base_type(column.type)
    if is_secret_name(column.key):
        return Kind.SECRET
    if _choices(model, column) is not None:
        return Kind.CHOICE
    if isinstance(column.type, Interval):  # stored as a datetime, not one
        return Kind.OTHER
    for sa_type, kind in (
        (Boolean, Kind.BOOL),
        (Uuid, Kind.UUID),
        (JSON, Kind.JSON),
        (LargeBinary, Kind.BYTES),
        (DateTime, Kind.DATETIME),
        (Date, Kind.DATE),
        (Time, Kind.TIME),
        (Integer, Kind.NUMBER),
        (Float, Kind.NUMBER),
        (Numeric, Kind.DECIMAL),
    ):
        if isinstance(type_, sa_type):
            return kind
    if isinstance(type_, String):
        length = getattr(type_, "length", None) or 0
        return (
            Kind.LONG_TEXT
            if isinstance(type_, Text) or length > LONG_TEXT
            else (Kind.TEXT)
        )
    return Kind.OTHER


def is_generated_key(column: Column) -> bool:
    """A single integer primary key the database numbers itself."""
    return (
        column.primary_key
        and len(column.table.primary_key.columns) == 1
        and isinstance(_base_type(column.type), Integer)
        and column.autoincrement in (True, "auto")
        and not column.foreign_keys
    )


def placements(kind: Kind, spec: FieldSpec | None = None) -> dict[str, bool]:
    """Where a field of `kind` appears by default; keys are never bulk edited,
    generated keys are never typed in."""
    placed = dict(zip(PLACES, _DEFAULT_PLACES[kind], strict=True))
    if spec is not None:
        if spec.primary_key or spec.unique:
            placed["in_bulk_edit"] = False
        if spec.generated:
            placed["in_form"] = False
            placed["in_filter"] = False
    return placed


def mapped_class(table: Any) -> type | None:
    """The class SQLModel (or any registry of the same base) maps to `table`."""
    from sqlmodel import SQLModel

    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def _spec(model: type, name: str, kind: Kind, **facts: Any) -> FieldSpec:
    draft = FieldSpec(
        name=name,
        kind=kind,
        label=facts.pop("label", None) or field_label(model, name),
        model=model,
        **facts,
    )
    return dataclasses.replace(draft, **placements(kind, draft))


def _column_spec(model: type, name: str, column: Column) -> FieldSpec:
    kind = column_kind(model, column)
    type_ = _base_type(column.type)
    return _spec(
        model,
        name,
        kind,
        columns=(column,),
        choices=_choices(model, column) or (),
        integer=isinstance(type_, Integer) and not isinstance(type_, Boolean),
        aware=bool(getattr(column.type, "timezone", False)),
        nullable=bool(column.nullable),
        primary_key=bool(column.primary_key),
        generated=is_generated_key(column),
        unique=bool(column.unique),
    )


def _foreign_key_target(column: Column) -> tuple[type, Column] | None:
    """The mapped class and key column a single foreign key column points at,
    when it points at that class's whole primary key."""
    for fk in column.foreign_keys:
        target = mapped_class(fk.column.table)
        key = list(inspect(target).primary_key) if target is not None else []
        if target is not None and key == [fk.column]:
            return target, fk.column
    return None


def _label_name(name: str, taken: set[str]) -> str:
    """A foreign key column's label column in exports: `shelf_id` -> `shelf`."""
    shorter = name.removesuffix("_id")
    return shorter if shorter != name and shorter not in taken else f"{name}_label"


def _key_label(model: type, name: str) -> str:
    """A foreign key column shown as its row: `shelf_id` -> "Shelf", unless
    the model titles the field itself."""
    field = getattr(model, "model_fields", {}).get(name)
    if field is not None and field.title:
        return field.title
    return field_label(model, name.removesuffix("_id"))


def _to_one_spec(
    model: type,
    rel: RelationshipProperty | None,
    columns: tuple[Column, ...],
    target: type,
    target_columns: tuple[Column, ...],
    name: str,
    taken: set[str],
) -> FieldSpec:
    return _spec(
        model,
        name,
        Kind.TO_ONE,
        label=None if rel is not None else _key_label(model, name),
        columns=columns,
        relationship=rel,
        target=target,
        target_columns=target_columns,
        nullable=all(c.nullable for c in columns),
        primary_key=any(c.primary_key for c in columns),
        unique=len(columns) == 1 and bool(columns[0].unique),
        label_name=name if rel is not None else _label_name(name, taken),
    )


def _link_facts(model: type, rel: RelationshipProperty) -> LinkFacts | None:
    """How `rel` reaches rows of a link table with data of its own, or None
    when it does not (a plain many-to-many, a one-to-many to ordinary rows)."""
    if rel.direction is RelationshipDirection.MANYTOMANY:
        link_model = mapped_class(rel.secondary)
        if link_model is None:
            return None
        parent = tuple((link, mine) for mine, link in rel.synchronize_pairs)
        other = tuple(
            (link, theirs) for theirs, link in rel.secondary_synchronize_pairs
        )
        other_model = rel.mapper.class_
        other_rel = next(
            (
                r
                for r in inspect(link_model).relationships
                if r.direction is RelationshipDirection.MANYTOONE
                and {local for local, _ in r.local_remote_pairs or []}
                == {link for link, _ in other}
            ),
            None,
        )
    elif rel.direction is RelationshipDirection.ONETOMANY:
        link_model = rel.mapper.class_
        parent = tuple(
            (remote, local) for local, remote in rel.local_remote_pairs or []
        )
        keys = set(inspect(link_model).primary_key)
        rest = keys - {link for link, _ in parent}
        others = [
            r
            for r in inspect(link_model).relationships
            if r.direction is RelationshipDirection.MANYTOONE
            and {local for local, _ in r.local_remote_pairs or []} == rest
        ]
        if len(others) != 1:
            return None
        other_rel = others[0]
        other = tuple(other_rel.local_remote_pairs or ())
        other_model = other_rel.mapper.class_
    else:
        return None
    keys = set(inspect(link_model).primary_key)
    if {link for link, _ in parent} | {link for link, _ in other} != keys:
        return None  # the two sides do not name a link row
    if not {link for link, _ in parent} < keys:
        return None
    fields = tuple(c.key for c in inspect(link_model).columns if c not in keys)
    if not fields:
        return None  # a plain link: edited as a multi-select
    other_name = (
        other_rel.key
        if other_rel is not None
        else other[0][0].key.removesuffix("_id")
        if len(other) == 1
        else "row"
    )
    return LinkFacts(
        link_model, parent, other_model, other, other_name, other_rel, fields
    )


def _relationship_specs(model: type) -> list[FieldSpec]:
    """To-many relationships and link editors, one editor per link table."""
    found: list[FieldSpec] = []
    inline_links: set[tuple[type, frozenset]] = set()
    rels = [
        r
        for r in inspect(model).relationships
        if r.direction is not RelationshipDirection.MANYTOONE
    ]
    # The link's own one-to-many comes first, so a `link_model=` many-to-many
    # over the same rows does not get a second editor.
    rels.sort(key=lambda r: r.direction is RelationshipDirection.MANYTOMANY)
    for rel in rels:
        facts = _link_facts(model, rel)
        identity = (
            (facts.link_model, frozenset(c for c, _ in facts.parent_pairs))
            if facts is not None
            else None
        )
        if facts is not None and identity not in inline_links:
            inline_links.add(identity)
            spec = _spec(
                model,
                rel.key,
                Kind.LINK_WITH_DATA,
                relationship=rel,
                target=facts.other_model,
                link=facts,
            )
            # Through `link_model=` the details page lists the rows linked.
            many = rel.direction is RelationshipDirection.MANYTOMANY
            found.append(spec.replace(in_details=many))
            continue
        spec = _spec(
            model, rel.key, Kind.TO_MANY, relationship=rel, target=rel.mapper.class_
        )
        if facts is not None:  # a second way to the same link rows: shown only
            spec = spec.replace(in_form=False, in_bulk_edit=False, in_audit=False)
        if rel.direction is RelationshipDirection.ONETOMANY:
            # rows that point here (a project's tasks): not part of this row
            spec = spec.replace(**dict.fromkeys(PLACES, False))
        found.append(spec)
    order = {rel.key: n for n, rel in enumerate(inspect(model).relationships)}
    return sorted(found, key=lambda s: order[s.name])


@cache
def field_specs(model: type) -> Mapping[str, FieldSpec]:
    """Every field of `model` by name, in the order pages show them: keys
    first, then columns in table order (each foreign key as its related row),
    then relationships. Derived once per model; read-only."""
    mapper = inspect(model)
    attr_of = {prop.columns[0]: prop.key for prop in mapper.column_attrs}
    to_one_of: dict[Column, RelationshipProperty] = {}
    for rel in mapper.relationships:
        if rel.direction is RelationshipDirection.MANYTOONE:
            for local, _remote in rel.local_remote_pairs or []:
                to_one_of.setdefault(local, rel)
    columns = sorted(mapper.columns, key=lambda c: not c.primary_key)
    taken = {prop.key for prop in mapper.attrs}
    specs: dict[str, FieldSpec] = {}
    for column in columns:
        name = attr_of.get(column)
        if name is None:
            continue
        rel = to_one_of.get(column)
        if rel is not None:
            if rel.key not in specs:
                pairs = list(rel.local_remote_pairs or [])
                specs[rel.key] = _to_one_spec(
                    model,
                    rel,
                    tuple(local for local, _ in pairs),
                    rel.mapper.class_,
                    tuple(remote for _, remote in pairs),
                    rel.key,
                    taken,
                )
            continue
        target = _foreign_key_target(column) if column.foreign_keys else None
        if target is not None:
            specs[name] = _to_one_spec(
                model, None, (column,), target[0], (target[1],), name, taken
            )
            taken.add(specs[name].label_name)
            continue
        specs[name] = _column_spec(model, name, column)
    for spec in _relationship_specs(model):
        specs[spec.name] = spec
    return types.MappingProxyType(specs)


def spec_for_column(model: type, column: Column) -> FieldSpec:
    """The description of `column` of `model`: the field behind it, or one
    derived from the column alone (a column no served field names)."""
    for spec in field_specs(model).values():
        if spec.columns == (column,) and spec.kind is not Kind.TO_ONE:
            return spec
    return _column_spec(model, column.key, column)


def apply_overrides(
    specs: Mapping[str, FieldSpec], overrides: Mapping[str, Any]
) -> dict[str, FieldSpec]:
    """`specs` with a view's `field_overrides` applied: each value is a dict of
    changes (`{"kind": "long_text"}`, `{"label": "E-mail", "in_search": False}`)
    or a whole `FieldSpec`. Naming a field the model does not have is an
    error, so a typo does not pass unnoticed."""
    changed = dict(specs)
    for name, override in overrides.items():
        if name not in changed:
            raise KeyError(
                f"field_overrides names {name!r}, which is not a field of "
                f"{next(iter(specs.values())).model.__name__ if specs else 'the model'}"
            )
        if isinstance(override, FieldSpec):
            changed[name] = override
        else:
            changed[name] = changed[name].replace(**dict(override))
    return changed


def secrets_hidden(spec: FieldSpec) -> FieldSpec:
    """A secret appears on the form only: never listed, shown, exported,
    searched, filtered, sorted, bulk edited or recorded in the audit trail."""
    if not spec.is_secret:
        return spec
    return dataclasses.replace(
        spec, **{place: False for place in PLACES if place != "in_form"}
    )


def sort_terms(spec: FieldSpec) -> tuple[list[tuple[Any, Any]], list[ColumnElement]]:
    """How a list sorts by a field: the outer joins it needs and its ORDER BY
    terms. A related row sorts by its label column (joined), or by its key
    when its label is not a column (`__admin_label__`, `<Class> #<key>`)."""
    if spec.kind is Kind.TO_ONE and spec.target is not None and spec.target_columns:
        label = label_column(spec.target)
        if label is not None and not hasattr(spec.target, "__admin_label__"):
            alias = aliased(spec.target)
            mapper = inspect(spec.target)
            on = and_(
                *(
                    local == getattr(alias, mapper.get_property_by_column(remote).key)
                    for local, remote in zip(
                        spec.columns, spec.target_columns, strict=True
                    )
                )
            )
            return [(alias, on)], [getattr(alias, label)]
    if spec.kind is Kind.JSON:  # PostgreSQL cannot order `json` itself
        return [], [cast(column, String) for column in spec.columns]
    return [], list(spec.columns)
