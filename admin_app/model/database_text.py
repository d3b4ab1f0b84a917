"""Values of a type only the database knows, read from their text by the database.

PostgreSQL has types the admin has no field kind for (`cidr`, `macaddr8`,
ranges, `money`, bit strings, `tsvector`, a project's own): the pages and
the exports show such a value as its text, and a form or a file gives it
back as text. The database reads that text as its type does (`CAST`), so a
value is checked by what will store it, in its own rules, and comes back as
the driver gives it (a `Range`, a `BitString`): compared with what the row
holds, a value left as shown is unchanged. A model that annotates such a
column as `str` (as apps annotate an `inet` or `cidr` column) holds its text
(`model_value`), and validates the row's values as text (`held_by_model`):
the driver gives an `IPv4Address`, which the model's `str` refused.
"""

from functools import cache
from typing import Any

from sqlalchemy import Column, String, cast, literal, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from admin_app.model.attributes import attribute_name
from admin_app.model.fields import Kind, annotation, field_specs
from admin_app.model.parsing import BadValue

SHOWN = 60  # characters of a refused text the message repeats


@cache  # a column's description is fixed; an import asks for every cell
def read_by_database(model: type, column: Column) -> bool:
    """Whether `column`'s values are read from text by the database: its
    field is of no kind the admin parses itself (`Kind.OTHER`), and of a
    type the database can name (a column declared without a type has none
    to read into)."""
    spec = field_specs(model).get(attribute_name(column))
    return (
        spec is not None
        and spec.kind is Kind.OTHER
        and not isinstance(column.type, NullType)
    )


@cache
def _held_as_text(model: type) -> frozenset[str]:
    """The attributes of `model` read by the database that it annotates as text."""
    return frozenset(
        attribute_name(column)
        for column in model.__table__.columns
        if read_by_database(model, column)
        and annotation(model, attribute_name(column)) is str
    )


def model_value(model: type, name: str, value: Any) -> Any:
    """A value the driver gave for attribute `name`, as the model holds it:
    its text where the model annotates the column as `str`."""
    if value is None or isinstance(value, str) or name not in _held_as_text(model):
        return value
    return str(value)


def held_by_model(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values (by attribute) as the model holds them (`model_value`)."""
    if not _held_as_text(model):
        return values
    return {name: model_value(model, name, value) for name, value in values.items()}


def database_value(session: Session, column: Column, text: str) -> Any:
    """`text` read as `column`'s type, as the driver gives it back; BadValue
    in words if the database cannot read it. On PostgreSQL the reading is a
    savepoint of its own, as a refused statement ends the transaction."""
    connection = session.connection()
    statement = select(cast(literal(text, String()), column.type))
    try:
        if connection.dialect.name == "postgresql":
            with session.begin_nested():  # a refusal rolls back only this
                return session.connection().scalar(statement)
        return connection.scalar(statement)
    except DBAPIError as error:
        name = column.type.compile(dialect=connection.dialect).lower()
        shown = text if len(text) <= SHOWN else f"{text[:SHOWN]}…"
        raise BadValue(
            f"The database cannot read {shown!r} as {name}: write it as the "
            "list shows such values."
        ) from error
