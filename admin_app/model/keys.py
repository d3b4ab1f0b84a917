"""Primary keys in URLs: SQLAdmin's `a;b` identifiers, parsed and checked.

A malformed key in a URL is a 404, never a 500: it names no row.
"""

from datetime import date, datetime, time
from typing import Any

from sqladmin.helpers import _object_identifier_parts, get_column_python_type
from sqlalchemy import Column, inspect
from starlette.exceptions import HTTPException


class BadKey(ValueError):
    """Text that cannot be a primary key of the model."""


def coerce_key_part(column: Column, text: str) -> Any:
    type_ = get_column_python_type(column)
    if type_ is object:  # SQLModel's AutoString does not say it holds text
        type_ = str
    try:
        if issubclass(type_, date | datetime | time):
            return type_.fromisoformat(text)
        if issubclass(type_, bool):
            raise BadKey(text)
        value = type_(text)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise BadKey(text)  # no database column holds it
        return value
    except (TypeError, ValueError) as error:
        raise BadKey(text) from error


def parse_key(model: type, identifier: str) -> tuple[Any, ...]:
    """The primary key values named by `identifier`, or BadKey."""
    columns = list(inspect(model).primary_key)
    try:
        parts = _object_identifier_parts(str(identifier), model)
    except ValueError as error:
        raise BadKey(identifier) from error
    if len(parts) != len(columns):
        raise BadKey(identifier)
    return tuple(coerce_key_part(c, p) for c, p in zip(columns, parts, strict=True))


def key_or_404(model: type, identifier: str) -> tuple[Any, ...]:
    try:
        return parse_key(model, identifier)
    except BadKey as error:
        raise HTTPException(
            404, f"No {model.__name__} has the key {identifier!r}."
        ) from error


def identifier(values: tuple[Any, ...] | list[Any]) -> str:
    """The URL identifier of a row from its key values, escaped as SQLAdmin's
    `get_object_identifier` does, so `parse_key` reads it back."""
    if len(values) == 1:
        return str(values[0])
    return ";".join(str(v).replace("\\", "\\\\").replace(";", r"\;") for v in values)
