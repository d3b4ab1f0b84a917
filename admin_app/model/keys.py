"""Primary keys as text: one canonical identifier per row, parsed strictly.

A row's identifier is SQLAdmin's (`get_object_identifier`): the key's text,
or for a composite key its parts joined by `;` (`\\` and `;` inside a part
escaped with `\\`). Only that exact text names the row. `012`, ` 12`, `1_2`
and fullwidth digits are not identifiers of row 12 (Python's `int()` reads
them all as 12), nor is an uppercase UUID one of its row: the audit trail
records the identifier, and a row's history must find every entry about it.

Identifiers travel in two places, each with its own escaping:
- in a URL path (`/details/<key>`), percent-encoded (`url_key`); the routes
  take the whole rest of the path, so a key may hold `/`;
- in a `pks=` list, joined by `,`, with `%` and `,` inside a key written
  `%25` and `%2C` (`selection_text`, `parse_selection`), before the query
  string's own encoding.

A malformed key in a URL is a 404 (it names no row); in `pks=` a 400.
"""

import enum
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from sqladmin.helpers import (
    _object_identifier_parts,
    get_column_python_type,
)
from sqlalchemy import Column, Numeric, inspect
from starlette.exceptions import HTTPException

from admin_app.model.names import model_words

INTEGER = re.compile(r"-?(0|[1-9][0-9]*)", re.ASCII)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SELECTION_ESCAPE = re.compile(r"%(25|2C)|(%)")
URL_SAFE = ";,:@"  # legal in a path segment and common in keys: kept readable


class BadKey(ValueError):
    """Text that is not the identifier of any row of the model."""


def part_text(value: Any) -> str:
    """The canonical text of one key value (an enum by its value, as SQLAdmin)."""
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value)


def identifier(values: Sequence[Any]) -> str:
    """A row's identifier from its key values: what `get_object_identifier`
    gives (as text), so that `parse_key` reads it back."""
    if len(values) == 1:
        return part_text(values[0])
    return ";".join(
        part_text(v).replace("\\", "\\\\").replace(";", r"\;") for v in values
    )


def row_identifier(obj: Any) -> str:
    """The identifier of an ORM row, as every link and audit entry writes it.

    `get_object_identifier`'s text, read by the key's attributes: SQLAdmin
    reads them by the columns' names, which a model over an older database
    may give other attributes (`id` for a column named `SupplierID`)."""
    names = key_attributes(type(obj))
    if len(names) == 1:  # read directly: an import names every row it writes
        return part_text(getattr(obj, names[0]))
    return identifier([getattr(obj, name) for name in names])


@lru_cache(maxsize=1024)
def key_attributes(model: type) -> tuple[str, ...]:
    """The attribute keys of `model`'s primary key columns, in the key's
    order (a column's Python name, which may differ from its name)."""
    mapper = inspect(model)
    return tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


def _enum_member(type_: type[enum.Enum], text: str) -> enum.Enum:
    for member in type_:
        if part_text(member) == text:
            return member
    raise BadKey(text)


@lru_cache(maxsize=1024)
def _python_type(column: Column) -> type:
    """The Python type a key column holds (asked once a column: an import
    asks for each key and foreign key of every row)."""
    type_ = get_column_python_type(column)
    if type_ is object:  # SQLModel's AutoString does not say it holds text
        type_ = str
    return type_


def coerce_key_part(column: Column, text: str) -> Any:
    """The value of one key column named by `text`, or BadKey.

    Only the canonical text of a value is accepted (see `parse_key`), so each
    row has exactly one identifier.
    """
    type_ = _python_type(column)
    try:
        if issubclass(type_, str):
            return text
        if issubclass(type_, bool):
            raise BadKey(text)
        if issubclass(type_, int) and not issubclass(type_, enum.Enum):
            if not INTEGER.fullmatch(text) or text == "-0":
                raise BadKey(text)
            value = int(text)
            if not -(2**63) <= value < 2**63:
                raise BadKey(text)  # no database column holds it
            return value
        if issubclass(type_, uuid.UUID):
            if not UUID_TEXT.fullmatch(text):
                raise BadKey(text)
            return uuid.UUID(text)
        if issubclass(type_, enum.Enum):
            return _enum_member(type_, text)
        if issubclass(type_, Decimal):
            return _decimal(column, text)
        if issubclass(type_, date | datetime | time):
            return type_.fromisoformat(text)
        return type_(text)
    except (TypeError, ValueError, ArithmeticError) as error:
        raise BadKey(text) from error


def _decimal(column: Column, text: str) -> Decimal:
    """A decimal key as the column stores it: `1.50` for two places, not `1.5`."""
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise BadKey(text) from error
    scale = column.type.scale if isinstance(column.type, Numeric) else None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or (scale is not None and exponent != -scale):
        raise BadKey(text)
    return value


def parse_key(model: type, text: str) -> tuple[Any, ...]:
    """The primary key values named by the identifier `text`, or BadKey.

    The text must be the row's canonical identifier: reading it and writing
    the values back gives the same text.
    """
    columns = list(inspect(model).primary_key)
    text = str(text)
    try:
        parts = _object_identifier_parts(text, model)
    except ValueError as error:
        raise BadKey(text) from error
    if len(parts) != len(columns):
        raise BadKey(text)
    values = tuple(coerce_key_part(c, p) for c, p in zip(columns, parts, strict=True))
    if identifier(values) != text:
        raise BadKey(text)
    return values


def key_or_404(model: type, text: str, name: str | None = None) -> tuple[Any, ...]:
    """The key `text` names, or a 404 saying no row of `model` (called
    `name`, as its view is) has it."""
    try:
        return parse_key(model, text)
    except BadKey as error:
        raise no_row(name or model_words(model.__name__), text) from error


def no_row(called: str, text: str) -> HTTPException:
    """The 404 of an address naming no row of the table `called`: the key as
    typed where it is short printable text, else no key (a null character
    would show as Python writes it)."""
    if len(text) <= 60 and text.isprintable():
        return HTTPException(404, f"No {called} has the key “{text}”.")
    return HTTPException(404, f"No {called} has that key.")


def url_key(text: str) -> str:
    """An identifier as one percent-encoded path segment (`%`, `?`, `#`, `/`,
    space and non-ASCII characters escaped), which the server decodes back."""
    return quote(text, safe=URL_SAFE)


def selection_text(identifiers: Iterable[str]) -> str:
    """Identifiers as one `pks=` value: joined by `,`, with `%` and `,` inside
    a key escaped (the admin's script writes the same for checked rows)."""
    return ",".join(
        text.replace("%", "%25").replace(",", "%2C") for text in identifiers
    )


def parse_selection(text: str) -> list[str]:
    """The identifiers of a `pks=` value, or BadKey for a `%` that is neither
    `%25` nor `%2C`. Empty items are skipped (`pks=1,,2`)."""
    found = []
    for item in text.split(","):
        if not item:
            continue
        if any(match.group(2) for match in SELECTION_ESCAPE.finditer(item)):
            raise BadKey(item)
        found.append(SELECTION_ESCAPE.sub(_unescape, item))
    return found


def _unescape(match: re.Match[str]) -> str:
    return "%" if match.group(1) == "25" else ","
