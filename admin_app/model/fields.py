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
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from typing import Any

from sqlalchemy import (
    ARRAY,
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
    inspect,
)
from sqlalchemy.dialects.postgresql import CITEXT, HSTORE
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty

from admin_app.model.attributes import attribute_name
from admin_app.model.labels import enum_label, field_label
from admin_app.model.parsing import (
    FALSE_WORDS,
    PARSERS,
    TRUE_WORDS,
    BadValue,
    choice_text,
)
from admin_app.model.relations import LinkFacts, foreign_key_target, link_facts
from admin_app.model.secret_names import is_password_hash_name, is_secret_name
from admin_app.model.types import is_text, nested_array, stored_type

__all__ = [
    "FALSE_WORDS",
    "PLACES",
    "RANGE_KINDS",
    "TRUE_WORDS",
    "BadValue",
    "FieldSpec",
    "Kind",
    "LinkFacts",
    "apply_overrides",
    "choice_text",
    "field_specs",
    "secrets_hidden",
    "spec_for_column",
]

LONG_TEXT = 255  # text columns longer than this are long text (off the list)
PASSWORD_LABEL = "Password"  # what is typed into a password hash's field


class Kind(enum.StrEnum):
    """What a field holds, as DESIGN.md names the kinds."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    SECRET = "secret"
    PASSWORD = "password"  # a secret that is a password's hash: typed, stored hashed
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
    DURATION = "duration"  # a `timedelta` (SQLAlchemy's Interval)
    LIST = "list"  # a list of values: PostgreSQL's arrays (`ARRAY`)
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

# Where each kind appears unless the field or the view says otherwise
# (Y: yes, N: no). A filter is a choice, range, related-row or empty filter.
Y, N = True, False
# fmt: off
_DEFAULT_PLACES: dict[Kind, tuple[bool, ...]] = {
    #                     list details form filter search sort export bulk audit
    Kind.TEXT:            (Y, Y, Y, Y, Y, Y, Y, Y, Y),
    Kind.LONG_TEXT:       (N, Y, Y, Y, Y, N, Y, Y, Y),
    Kind.SECRET:          (N, N, Y, N, N, N, N, N, N),
    Kind.PASSWORD:        (N, N, Y, N, N, N, N, N, N),
    Kind.CHOICE:          (Y, Y, Y, Y, Y, Y, Y, Y, Y),
    Kind.NUMBER:          (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.DECIMAL:         (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.BOOL:            (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.DATE:            (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.DATETIME:        (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.TIME:            (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.UUID:            (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.JSON:            (Y, Y, Y, Y, N, Y, Y, N, Y),
    Kind.BYTES:           (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.DURATION:        (Y, Y, Y, Y, N, Y, Y, N, Y),
    Kind.LIST:            (Y, Y, Y, Y, N, Y, Y, N, Y),
    Kind.OTHER:           (Y, Y, Y, Y, N, Y, Y, N, Y),
    Kind.TO_ONE:          (Y, Y, Y, Y, N, Y, Y, Y, Y),
    Kind.TO_MANY:         (N, Y, Y, Y, N, N, N, N, Y),
    Kind.LINK_WITH_DATA:  (N, Y, Y, N, N, N, N, N, Y),
}
# fmt: on
RANGE_KINDS = frozenset(
    {Kind.NUMBER, Kind.DECIMAL, Kind.DATE, Kind.DATETIME, Kind.TIME}
)


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
    computed: bool = False  # a value the database computes: read, never written
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

    @cached_property
    def choice_by_text(self) -> dict[str, Any]:
        """Each choice by the texts that name it (its value as text, and an
        enum member's name), the first choice winning a shared text; made
        once a field, as an import parses a choice in every row."""
        found: dict[str, Any] = {}
        for value, _label in self.choices:
            found.setdefault(choice_text(value), value)
            name = getattr(value, "name", None)
            if isinstance(name, str):
                found.setdefault(name, value)
        return found

    @cached_property
    def choices_by_name(self) -> dict[str, list[Any]]:
        """The choices each text a person may write for one names, case and
        spaces around it ignored: its value as text, an enum member's name,
        and its label as the pages show it (`In progress`). A text may name
        two choices (`a` and `A`)."""
        found: dict[str, list[Any]] = {}
        for value, label in self.choices:
            name = getattr(value, "name", None)
            for text in (choice_text(value), name, label):
                if isinstance(text, str) and text.strip():
                    named = found.setdefault(text.strip().casefold(), [])
                    if value not in named:
                        named.append(value)
        return found

    @property
    def column(self) -> Column | None:
        """The one column behind the field, or None (relations, composite keys)."""
        return self.columns[0] if len(self.columns) == 1 else None

    @property
    def nested_list(self) -> bool:
        """Whether it is a list of lists (PostgreSQL's array of arrays)."""
        return self.column is not None and nested_array(self.column.type)

    @property
    def size_dependent(self) -> bool:
        """Whether its form field and filter depend on the related table's size
        (a select of labels for a small table, search-as-you-type for a large)."""
        return self.kind in (Kind.TO_ONE, Kind.TO_MANY) and self.target is not None

    @property
    def is_secret(self) -> bool:
        return self.kind in (Kind.SECRET, Kind.PASSWORD)

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
        named = self.choices_by_name.get(term.strip().casefold())
        return (True, named[0]) if named else (False, None)

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
        parser = PARSERS.get(self.kind)
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


# -- deriving ----------------------------------------------------------------


def annotation(model: type, name: str) -> Any:
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
    """The choices of a `Literal[...]` or enum column, or of a text column
    the model types as an enum (`sa_type=String`, its values stored), or None."""
    found = annotation(model, attribute_name(column))
    if typing.get_origin(found) is typing.Literal:
        return tuple((value, enum_label(value)) for value in typing.get_args(found))
    type_ = stored_type(column.type)
    if isinstance(type_, Enum):
        members = list(type_.enum_class) if type_.enum_class else list(type_.enums)
        return tuple((member, enum_label(member)) for member in members)
    if isinstance(found, type) and issubclass(found, enum.Enum) and is_text(column):
        return tuple((member.value, enum_label(member)) for member in found)
    return None


def _holds(type_: Any, python_type: type) -> bool:
    """Whether values of the column type `type_` are `python_type`'s."""
    try:
        return type_.python_type is python_type
    except NotImplementedError:  # a type that does not say
        return False


def column_kind(model: type, column: Column) -> Kind:
    """The kind of a plain column by its name, annotation and type."""
    type_ = stored_type(column.type)
    if is_password_hash_name(attribute_name(column)):
        return Kind.PASSWORD
    if is_secret_name(attribute_name(column)):
        return Kind.SECRET
    if _choices(model, column) is not None:
        return Kind.CHOICE
    if isinstance(column.type, Interval) or _holds(type_, timedelta):
        return Kind.DURATION  # SQLAlchemy's (a datetime on SQLite) or PostgreSQL's
    if isinstance(type_, ARRAY):  # with a JSON variant on SQLite, a list too
        return Kind.LIST
    for sa_type, kind in (
        (Boolean, Kind.BOOL),
        (Uuid, Kind.UUID),
        (JSON, Kind.JSON),
        (HSTORE, Kind.JSON),  # PostgreSQL's texts by name: a JSON object
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
        # PostgreSQL's case-insensitive text holds names and emails, not prose
        long = (isinstance(type_, Text) and not isinstance(type_, CITEXT)) or (
            getattr(type_, "length", 0) or 0
        ) > LONG_TEXT
        return Kind.LONG_TEXT if long else Kind.TEXT
    return Kind.OTHER


def is_generated_key(column: Column) -> bool:
    """A single integer primary key the database numbers itself."""
    return (
        column.primary_key
        and len(column.table.primary_key.columns) == 1
        and isinstance(stored_type(column.type), Integer)
        and column.autoincrement in (True, "auto")
        and not column.foreign_keys
    )


def _made_by_model(model: type, column: Column) -> bool:
    """A single primary key the model makes itself (`default_factory=uuid4`,
    as the FastAPI template's keys): no form field, like a numbered key."""
    if not column.primary_key or len(column.table.primary_key.columns) != 1:
        return False
    info = getattr(model, "model_fields", {}).get(attribute_name(column))
    return info is not None and info.default_factory is not None


def placements(kind: Kind, spec: FieldSpec | None = None) -> dict[str, bool]:
    """Where a field of `kind` appears by default; keys are never bulk edited,
    generated keys and computed columns never typed in."""
    placed = dict(zip(PLACES, _DEFAULT_PLACES[kind], strict=True))
    if spec is not None:
        if spec.primary_key or spec.unique:
            placed["in_bulk_edit"] = False
        if spec.generated:
            placed["in_form"] = False
            placed["in_filter"] = False
        if spec.computed:
            placed["in_form"] = placed["in_bulk_edit"] = False
    return placed


def _spec(model: type, name: str, kind: Kind, **facts: Any) -> FieldSpec:
    draft = FieldSpec(
        name=name,
        kind=kind,
        label=facts.pop("label", None)
        or (PASSWORD_LABEL if kind is Kind.PASSWORD else field_label(model, name)),
        model=model,
        **facts,
    )
    return dataclasses.replace(draft, **placements(kind, draft))


def _column_spec(model: type, name: str, column: Column) -> FieldSpec:
    kind = column_kind(model, column)
    type_ = stored_type(column.type)
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
        generated=is_generated_key(column) or _made_by_model(model, column),
        computed=column.computed is not None,
        unique=bool(column.unique),
    )


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
        facts = link_facts(rel)
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
            # The details page shows the link rows as a table of their own
            # (admin_app.site.details_links), with the link's data.
            found.append(spec)
            continue
        spec = _spec(
            model, rel.key, Kind.TO_MANY, relationship=rel, target=rel.mapper.class_
        )
        if facts is not None:  # a second way to the same link rows: their
            # table on the details page shows them, with the link's data
            spec = spec.replace(
                in_form=False, in_details=False, in_bulk_edit=False, in_audit=False
            )
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
        target = foreign_key_target(column) if column.foreign_keys else None
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
    return _column_spec(model, attribute_name(column), column)


def changed_field_label(specs: Mapping[str, FieldSpec], model: type, key: str) -> str:
    """A changed column or field (`key`) as the pages name it: a to-one's key
    column (`assignee_id`) by its field's label ("Assignee"), as the form,
    the list and the audit log's change lines show it, not as "assignee id"."""
    for spec in specs.values():
        if spec.name == key or any(attribute_name(c) == key for c in spec.columns):
            return spec.label
    return field_label(model, key)


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
            known = ", ".join(changed)
            raise KeyError(f"field_overrides names {name!r}; the fields are {known}")
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
