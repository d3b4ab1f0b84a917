"""What a model's metadata says a staff user should get, read independently of
the admin: the tests' own oracle.

Nothing here imports `admin_app`: the expectations come from SQLAlchemy's
inspection of the table and the rules written in DESIGN.md (secrets, long
text, labels, the CSV format), so a wrong rule in the admin cannot also make
the test agree with it.
"""

import base64
import contextlib
import enum
import json
import re
import types
import typing
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import annotated_types
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
from sqlalchemy.orm import (
    RelationshipDirection,
    RelationshipProperty,
    Session,
    selectinload,
)
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import SQLModel, select

SECRET_NAMES = {
    "password",
    "hashed_password",
    "password_hash",
    "secret",
    "token",
    "api_key",
}
SECRET_SUFFIXES = ("_secret", "_token", "_hash")
LABEL_COLUMNS = ("name", "title", "username", "email", "slug")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LONG_TEXT = 255


def tables_of(module: types.ModuleType) -> list[type[SQLModel]]:
    """The SQLModel table classes a module defines, in the order it defines them."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, SQLModel)
        and hasattr(value, "__table__")
        and value.__module__ == module.__name__
    ]


def identity(model: type) -> str:
    """SQLAdmin's slug of the class name (`HeroTeamLink` -> `hero-team-link`)."""
    dashed = re.sub("(.)([A-Z][a-z]+)", r"\1-\2", model.__name__)
    return re.sub("([a-z0-9])([A-Z])", r"\1-\2", dashed).lower()


@cache
def attr(column: Column) -> str:
    """The attribute that holds `column` on its model's rows: its key, unless
    the model names the column apart (`Column("SupplierName", ...)`). Kept
    once found: every mapper of the process is searched, and the stories ask
    for every cell they read."""
    for mapper in SQLModel._sa_registry.mappers:
        for prop in mapper.column_attrs:
            if prop.columns[0] is column:
                return prop.key
    return column.key


def words(name: str) -> str:
    """A class or column name as a person writes it: `HeroTeamLink` -> `hero
    team link`, `secret_name` -> `secret name`."""
    spaced = re.sub("([a-z0-9])([A-Z])", r"\1 \2", name).replace("_", " ")
    return " ".join(spaced.split()).lower()


def base_type(type_: TypeEngine) -> TypeEngine:
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def annotation(model: type, name: str) -> Any:
    """The pydantic annotation of a field, `Optional` removed."""
    field = model.model_fields.get(name)
    if field is None:
        return None
    found = field.annotation
    if typing.get_origin(found) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(found) if a is not type(None)]
        if len(args) == 1:
            found = args[0]
    return found


def literal_choices(model: type, name: str) -> list[str] | None:
    found = annotation(model, name)
    if typing.get_origin(found) is typing.Literal:
        return [str(value) for value in typing.get_args(found)]
    return None


def choices(model: type, column: Column) -> list[str] | None:
    """The values a choice column holds, as a query string or form names them
    (an enum member by its value), or None if it is not a choice column."""
    literal = literal_choices(model, attr(column))
    if literal is not None:
        return literal
    type_ = base_type(column.type)
    if isinstance(type_, Enum):
        if type_.enum_class is not None:
            return [str(member.value) for member in type_.enum_class]
        return list(type_.enums)
    found = annotation(model, attr(column))
    if isinstance(found, type) and issubclass(found, enum.Enum):  # stored as text
        return [str(member.value) for member in found]
    return None


def is_secret(name: str) -> bool:
    return name in SECRET_NAMES or name.endswith(SECRET_SUFFIXES)


def is_aware(column: Column) -> bool:
    return bool(getattr(base_type(column.type), "timezone", False))


def kind(model: type, column: Column) -> str:
    """One word for what the column holds, as DESIGN.md's field kinds name them."""
    if isinstance(column.type, Interval):  # a DateTime on SQLite, underneath
        return "duration"
    type_ = base_type(column.type)
    if is_secret(attr(column)):
        return "secret"
    if choices(model, column) is not None:
        return "choice"
    if isinstance(type_, Boolean):
        return "bool"
    if isinstance(type_, Uuid):
        return "uuid"
    if isinstance(type_, ARRAY):  # PostgreSQL's, JSON on SQLite by a variant
        return "list"
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, LargeBinary):
        return "bytes"
    if isinstance(type_, DateTime):
        return "aware" if is_aware(column) else "datetime"
    if isinstance(type_, Date):
        return "date"
    if isinstance(type_, Time):
        return "time"
    if isinstance(type_, Integer):
        return "int"
    if isinstance(type_, Float):
        return "float"
    if isinstance(type_, Numeric):
        return "decimal"
    if isinstance(type_, String):
        if isinstance(type_, Text) or (type_.length or 0) > LONG_TEXT:
            return "longtext"
        return "text"
    return "other"


def is_email(model: type, column: Column) -> bool:
    found = annotation(model, attr(column))
    return getattr(found, "__name__", "") == "EmailStr" or attr(column) == "email"


def typed_text(model: type, column: Column, tag: str) -> str | None:
    """Text a text column's field takes where its model validates the text
    as something (an email, a URL, an address, a path), else None."""
    if is_email(model, column):
        return f"zoo.{tag}@example.com"
    found = annotation(model, attr(column))
    if typing.get_origin(found) is typing.Annotated:  # pydantic before 2.10's URL
        found = typing.get_args(found)[0]
    found = getattr(found, "__name__", "")
    if found in ("HttpUrl", "Url"):
        return f"https://{tag}.example.com/zoo"
    if found == "IPv4Address":
        return f"10.0.{len(tag)}.1"
    if found == "Path":
        return f"/srv/zoo/{tag}"
    return None


def takes_any_text(model: type, column: Column, length: int = 40) -> bool:
    """Whether a column holds plain text of `length` characters or more (not
    a key, a computed column, a choice, a secret, an email or a URL)."""
    return (
        kind(model, column) in ("text", "longtext")
        and not (column.primary_key or column.foreign_keys or column.computed)
        and typed_text(model, column, "") is None
        and (max_length(model, column) or length) >= length
    )


def columns(model: type) -> list[Column]:
    return list(model.__table__.columns)


def columns_by_attr(model: type) -> dict[str, Column]:
    """The table's columns by the attributes that hold them."""
    return {attr(c): c for c in columns(model)}


def without(rows: dict[str, dict], names: list[str]) -> dict[str, dict]:
    """`rows` less the columns `names` (the database's own `onupdate` times,
    which any write changes, a revert too)."""
    return {
        k: {n: v for n, v in row.items() if n not in names} for k, row in rows.items()
    }


def primary_key(model: type) -> list[Column]:
    return list(model.__table__.primary_key.columns)


def is_generated_key(column: Column) -> bool:
    """A single integer key the database numbers (or a key with a default
    factory): a create form may leave it empty."""
    table = column.table
    if not column.primary_key or len(table.primary_key.columns) != 1:
        return False
    if isinstance(base_type(column.type), Integer) and not column.foreign_keys:
        return True
    return column.default is not None


def model_of_table(table: Any) -> type | None:
    for mapper in SQLModel._sa_registry.mappers:
        if mapper.local_table is table:
            return mapper.class_
    return None


def to_one(model: type) -> dict[str, RelationshipProperty]:
    """Foreign key column key -> the many-to-one relationship that shows it."""
    found: dict[str, RelationshipProperty] = {}
    for rel in inspect(model).relationships:
        if rel.direction is RelationshipDirection.MANYTOONE:
            for local, _remote in rel.local_remote_pairs or []:
                found.setdefault(attr(local), rel)
    return found


def relationships(model: type) -> dict[str, RelationshipProperty]:
    return dict(inspect(model).relationships.items())


def fk_target(column: Column) -> tuple[type, Column] | None:
    """The model and column a foreign key column points at."""
    for fk in column.foreign_keys:
        target = model_of_table(fk.column.table)
        if target is not None:
            return target, fk.column
    return None


def label_column(model: type) -> str | None:
    """The first label column, else the first text column unique by itself
    that is not the key and holds no secret (a member's `handle`)."""
    columns = model.__table__.columns
    names = {attr(c) for c in columns}
    named = next((name for name in LABEL_COLUMNS if name in names), None)
    if named is not None:
        return named
    unique = [
        attr(c)
        for c in columns
        if c.unique
        and not c.primary_key
        and not is_secret(attr(c))
        and isinstance(base_type(c.type), String)
        and not isinstance(base_type(c.type), Enum)
    ]
    return unique[0] if unique else None


def label(obj: Any) -> str:
    """The label: `__admin_label__`, else the label column's value (above),
    else the class's name in words and the key (`Tracker step #3`)."""
    if obj is None:
        return ""
    custom = getattr(type(obj), "__admin_label__", None)
    if custom is not None:
        value = obj.__admin_label__
        return str(value() if callable(value) else value)
    column = label_column(type(obj))
    if column is not None and getattr(obj, column) not in (None, ""):
        return str(getattr(obj, column))
    keys = ",".join("" if v is None else str(v) for v in key_values(obj))
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(obj).__name__).capitalize()
    return f"{words} #{keys}"  # "Tracker task label #1,2": a key's parts by commas


def key_values(obj: Any) -> tuple[Any, ...]:
    return tuple(getattr(obj, attr(column)) for column in primary_key(type(obj)))


def key_text(value: Any) -> str:
    return str(value)


def identifier(obj: Any) -> str:
    """SQLAdmin's identifier of a row in URLs: the key, or `a;b` with `;` and
    `\\` escaped for a composite key."""
    values = [key_text(v) for v in key_values(obj)]
    if len(values) == 1:
        return values[0]
    return ";".join(v.replace("\\", "\\\\").replace(";", r"\;") for v in values)


def rows(session: Session, model: type) -> list[Any]:
    """Every row, its related rows loaded with it (a relationship the model
    declares `lazy="raise"` loads only when asked to)."""
    session.expire_all()
    return list(session.exec(select(model).options(selectinload("*"))).all())


def by_identifier(session: Session, model: type) -> dict[str, Any]:
    return {identifier(row): row for row in rows(session, model)}


def snapshot(session: Session, model: type) -> dict[str, dict[str, Any]]:
    """Every row's column values by identifier, for before/after comparisons."""
    return {
        key: {attr(c): getattr(row, attr(c)) for c in columns(model)}
        for key, row in by_identifier(session, model).items()
    }


def as_utc(value: datetime) -> datetime:
    """An aware column's value in UTC (SQLite gives it back naive, as UTC)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def comparable(model: type, column: Column, value: Any) -> Any:
    """A stored value in a form that compares across databases and drivers."""
    if value is None:
        return None
    found = kind(model, column)
    if found == "aware" and isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, enum.Enum):
        return value.value
    if found == "decimal":
        return Decimal(value)
    return value


def query_text(value: Any) -> str:
    """A value as a query string or form names it."""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def constraint(model: type, name: str, cls: type) -> Any:
    field = model.model_fields.get(name)
    for item in field.metadata if field is not None else ():
        if isinstance(item, cls):
            return item
    return None


def max_length(model: type, column: Column) -> int | None:
    found = constraint(model, attr(column), annotated_types.MaxLen)
    if found is not None:
        return found.max_length
    return getattr(base_type(column.type), "length", None)


def int_bounds(model: type, column: Column) -> tuple[int, int]:
    low = constraint(model, attr(column), annotated_types.Ge)
    high = constraint(model, attr(column), annotated_types.Le)
    return (
        low.ge if low is not None else -1000,
        high.le if high is not None else 1000,
    )


# The CSV contract of DESIGN.md, cell by cell.


def safe_text(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def duration_words(value: timedelta) -> str:
    """A duration as the admin writes it: Python's words, a negative one as
    `-H:MM:SS` with all its hours (so that every reader reads it back)."""
    if value >= timedelta(0):
        return str(value)
    whole = -value
    hours, rest = divmod(whole.days * 86400 + whole.seconds, 3600)
    text = f"-{hours}:{rest // 60:02}:{rest % 60:02}"
    return f"{text}.{whole.microseconds:06}" if whole.microseconds else text


def cell_matches(model: type, column: Column, value: Any, cell: str) -> bool:
    """Whether a CSV cell is the stored value as DESIGN.md writes it."""
    if value is None:
        return cell == ""
    found = kind(model, column)
    if found == "aware":
        return cell == as_utc(value).isoformat()
    if found == "datetime":
        return cell == value.isoformat()
    if found in ("date", "time"):
        return cell == value.isoformat()
    if found == "duration":
        return cell == duration_words(value)
    if found == "bool":
        return cell == ("true" if value else "false")
    if found == "choice":
        return cell == safe_text(query_text(value))
    if found == "int":
        return cell == str(value)
    if found == "float":
        return _number(cell) == value
    if found == "decimal":
        return _number(cell, Decimal) == Decimal(value)
    if found == "uuid":
        return cell == str(value)
    if found in ("json", "list"):
        try:
            return json.loads(cell.removeprefix("'")) == value
        except ValueError:
            return False
    if found == "bytes":
        return value in _bytes_readings(cell)
    return cell == safe_text(str(value))


def _number(cell: str, cls: type = float) -> Any:
    try:
        return cls(cell)
    except (ValueError, ArithmeticError):
        return None


def _bytes_readings(cell: str) -> list[bytes]:
    """The bytes a cell may spell: DESIGN.md does not fix one encoding, so hex
    (plain, or `\\x`-prefixed as PostgreSQL writes `bytea`) and base64 are
    all taken."""
    found = []
    with contextlib.suppress(ValueError):
        found.append(bytes.fromhex(cell.removeprefix("\\x")))
    with contextlib.suppress(ValueError):
        found.append(base64.b64decode(cell, validate=True))
    return found


@dataclass(frozen=True)
class Reference:
    """Rows of another table that point at a row through one foreign key."""

    model: type
    column: Column
    rule: str  # "delete", "empty", "block" or "either"


def references_to(model: type, tables: Iterable[type]) -> list[Reference]:
    """Every single-column foreign key of the served tables pointing at
    `model`, with what deleting a referenced row does to the referencing ones:
    CASCADE (or an ORM delete cascade) deletes them, SET NULL empties them, as
    does the ORM through a one-to-many relationship over a nullable key;
    anything else blocks (the database refuses). A plain link row without
    data of its own (the secondary of a many-to-many) may go either way."""
    table = model.__table__
    found = []
    cascaded = {
        rel.mapper.class_
        for rel in inspect(model).relationships
        if "delete" in rel.cascade and rel.secondary is None
    }
    nulled = {  # the ORM empties these keys when it deletes the row
        column
        for rel in inspect(model).relationships
        if rel.direction is RelationshipDirection.ONETOMANY
        and not rel.viewonly
        and not rel.passive_deletes
        for _local, column in rel.local_remote_pairs or []
    }
    plain_links = {
        rel.secondary
        for rel in inspect(model).relationships
        if rel.secondary is not None
    }
    for other in tables:
        for fk_constraint in other.__table__.foreign_key_constraints:
            if fk_constraint.referred_table is not table:
                continue
            if len(fk_constraint.elements) != 1:
                continue
            column = fk_constraint.elements[0].parent
            rule = (fk_constraint.elements[0].ondelete or "").upper()
            if rule == "CASCADE" or other in cascaded:
                verdict = "delete"
            elif rule == "SET NULL" or (column.nullable and column in nulled):
                verdict = "empty"
            elif other.__table__ in plain_links and all(
                c.foreign_keys for c in other.__table__.columns
            ):
                verdict = "either"
            else:
                verdict = "block"
            found.append(Reference(other, column, verdict))
    return found


def referring_rows(session: Session, reference: Reference, obj: Any) -> list[Any]:
    target = next(iter(reference.column.foreign_keys)).column
    value = getattr(obj, attr(target))
    return list(
        session.exec(
            select(reference.model).where(reference.column == value)  # type: ignore[arg-type]
        ).all()
    )


def holds(model: type, obj: Any, term: str) -> bool:
    """Whether a search for `term` may find the row: a text value contains it,
    a choice value is exactly it (a choice is a word, not text to search
    inside), or another value or related row's label contains it as text."""
    wanted = term.casefold()
    for column in columns(model):
        value = getattr(obj, attr(column))
        if value is None or is_secret(attr(column)):
            continue
        value_text = query_text(value).casefold()
        if kind(model, column) == "choice":
            if value_text == wanted:
                return True
        elif wanted in value_text:
            return True
    for rel in inspect(model).relationships:
        related = getattr(obj, rel.key)
        for item in related if isinstance(related, list) else [related]:
            if item is not None and wanted in label(item).casefold():
                return True
    return False


def parse_like(model: type, column: Column, text: str) -> Any:
    """Query-string text as the column's value, for range filters."""
    found = kind(model, column)
    if found == "int":
        return int(text)
    if found == "float":
        return float(text)
    if found == "decimal":
        return Decimal(text)
    if found == "date":
        return date.fromisoformat(text)
    if found == "time":
        return time.fromisoformat(text)
    if found in ("datetime", "aware"):
        value = datetime.fromisoformat(text)
        if found == "aware":
            return as_utc(value)
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if found == "uuid":
        return uuid.UUID(text)
    return text
