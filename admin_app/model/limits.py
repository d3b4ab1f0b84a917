"""The values a column cannot hold on the database that serves it.

PostgreSQL's integer columns hold 2, 4 or 8 bytes as the model declares them
(SQLModel's `int` is a 4-byte INTEGER, so 2147483648 does not fit), and its
text holds no NUL character. A statement that sends such a value fails with
a database error naming no row and no field, so the whole request was
refused, a 100,000-row import's preview for one cell. SQLite stores every
integer in 8 bytes. Such a value is refused by the write path as its
field's error (NUL characters on every database, as Django's forms refuse
them: tools cut text at them), and a key that is one names no row, before
any statement is sent. A query that only compares (a filter, a selection
of rows by key) binds a whole number as 8 bytes (`compared`): one beyond
the column's range matches no row, as Django's lookups do.

A column can also declare a size on the database's side only (`sa_type=
String(3)`, `Numeric(5, 2)`), which the model's validation does not know:
SQLite keeps a longer text or a larger number, PostgreSQL refuses the whole
statement. Such a value is refused as its field's error too (`too_large`),
on both databases, as the edit form's length check refuses it.
"""

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    Float,
    Integer,
    Numeric,
    SmallInteger,
    String,
    inspect,
    literal,
)
from sqlalchemy.dialects.postgresql import HSTORE
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from admin_app.model.keys import BadKey, parse_key
from admin_app.model.parsing import BadValue, json_nodes
from admin_app.model.types import is_text, nested_array, stored_type

_BITS_ON_POSTGRESQL = ((SmallInteger, 16), (BigInteger, 64), (Integer, 32))


def integer_bits(type_: TypeEngine, dialect_name: str) -> int | None:
    """How many bits a column of `type_` stores an integer in; None if it is
    not an integer type (or it converts values on their way in)."""
    if not isinstance(type_, Integer):
        return None
    if dialect_name == "postgresql":
        return next(
            bits for kind, bits in _BITS_ON_POSTGRESQL if isinstance(type_, kind)
        )
    return 64


def cannot_hold(column: Column, value: Any, session: Session) -> str | None:
    """Why `column` cannot hold `value` on `session`'s database, or None; a
    list (an array's) by each of its items."""
    return _cannot_hold(column.type, value, session)


NUL_WORDS = "Null characters are not allowed."
RAGGED_WORDS = (
    "Each list inside this one must hold as many items as the others "
    "(PostgreSQL's arrays of arrays are rectangular)."
)
HSTORE_WORDS = 'This field holds a text for each name: write it as {"name": "text"}.'


def _texts_by_name(value: Any) -> bool:
    """Whether `value` is what PostgreSQL's `hstore` holds: texts (or
    nothing) by name."""
    return isinstance(value, dict) and all(
        type(name) is str and (text is None or type(text) is str)
        for name, text in value.items()
    )


def _rectangular(value: list[Any]) -> bool:
    """Whether a list's lists (an array of arrays) are all lists of one
    length, and theirs too; a list of plain items is."""
    inner = [item for item in value if type(item) is list]
    if not inner:
        return True
    return (
        len(inner) == len(value)
        and len({len(item) for item in inner}) == 1
        and all(_rectangular(item) for item in inner)
    )


def _cannot_hold(type_: TypeEngine, value: Any, session: Session) -> str | None:
    if isinstance(value, str):
        return NUL_WORDS if "\0" in value else None
    stored = stored_type(type_)
    if isinstance(value, list) and isinstance(stored, ARRAY):
        if nested_array(stored) and not _rectangular(value):
            return RAGGED_WORDS
        refusals = (  # an array of arrays holds lists of the same items
            _cannot_hold(stored if type(v) is list else stored.item_type, v, session)
            for v in value
        )
        return next((refused for refused in refusals if refused), None)
    if isinstance(stored, HSTORE) and not _texts_by_name(value):
        return HSTORE_WORDS
    if isinstance(value, dict | list) and isinstance(stored, JSON | HSTORE):
        texts = (node for node, _level in json_nodes(value) if type(node) is str)
        return NUL_WORDS if any("\0" in text for text in texts) else None  # jsonb
    if type(value) is not int or -(2**15) <= value < 2**15:
        return None  # every integer column holds these
    bits = integer_bits(type_, session.get_bind().dialect.name)
    if bits is None or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        return None
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return (
        f"{value} is out of range: this field holds whole numbers from {low} to {high}."
    )


def compared(column: Any, value: Any) -> Any:
    """`value` as a query compares it with `column`: a whole number compared
    with an integer column is sent as an 8-byte one, so a number beyond a
    4-byte column (PostgreSQL's `integer`) matches no row instead of making
    the database refuse the query. Any other value as it is."""
    if type(value) is int and isinstance(getattr(column, "type", None), Integer):
        return literal(value, BigInteger())
    return value


def key_fits(columns: list[Column], key: Any, session: Session) -> bool:
    """Whether a row could have `key` (one value, or a tuple for `columns`):
    a key its column cannot hold names no row, and asking for it would be
    refused by the database."""
    parts = key if isinstance(key, tuple) else (key,)
    return all(
        cannot_hold(column, part, session) is None
        for column, part in zip(columns, parts, strict=False)
    )


def row_with_key(session: Session, model: type, key: Any) -> Any:
    """The row of `model` whose primary key is `key` (a value, or a tuple of
    a composite key's), or None; a key its
    columns cannot hold is no row's, and is not asked for (`key_fits`)."""
    if not key_fits(list(inspect(model).primary_key), key, session):
        return None
    return session.get(model, key)


def row_named(
    session: Session,
    model: type,
    text: str,
    parse: Callable[[str], Any] | None = None,
) -> Any:
    """The row of `model` whose key `text` names (read by `parse`, a foreign
    key's field parser, else as the model's key: `parse_key`), or None: text
    that is no key, or a key no row has or its columns cannot hold. How a
    form, a bulk edit and an import preview find the row a typed key names."""
    try:
        key = parse(text) if parse is not None else parse_key(model, text)
    except (BadKey, BadValue):
        return None
    return row_with_key(session, model, key)


def declared_size(column: Column) -> String | Numeric | None:
    """The type of `column` when it declares a size: a text's length (not
    an enum's), a fixed-point number's precision; else None."""
    kind = stored_type(column.type)
    if is_text(column) and kind.length:
        return kind
    if isinstance(kind, Numeric) and not isinstance(kind, Float) and kind.precision:
        return kind
    return None


@cache
def sized_columns(model: type) -> dict[str, Column]:
    """The columns of `model` that declare a size, by attribute key: only
    their values need `too_large`'s look (a save asks for each value)."""
    return {
        prop.key: prop.columns[0]
        for prop in inspect(model).column_attrs
        if declared_size(prop.columns[0]) is not None
    }


def too_large(column: Column, value: Any) -> str | None:
    """Why the size `column` declares cannot hold `value` (a text longer than
    its length, a number with more whole digits than its precision leaves or
    more decimal places than its scale), or None."""
    kind = declared_size(column)
    if isinstance(kind, String):
        if isinstance(value, str) and len(value) > kind.length:
            return (
                f"This field holds at most {kind.length:,} characters "
                f"(this text has {len(value):,})."
            )
        return None
    if kind is None or not isinstance(value, Decimal | int) or isinstance(value, bool):
        return None
    scale = kind.scale or 0
    largest = Decimal(10) ** (kind.precision - scale) - Decimal(1).scaleb(-scale)
    try:  # as the database rounds it to the column's scale
        stored = Decimal(value).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_UP)
        fits = stored.is_finite() and abs(stored) <= largest
    except InvalidOperation:  # more digits than any column holds
        fits = False
    if not fits:
        return (
            f"{value} is out of range: this field holds numbers "
            f"from -{largest} to {largest}."
        )
    places = _decimal_places(value)
    if kind.scale is not None and places > kind.scale:
        # the database would round it: the audit trail and a preview would
        # name a value no row holds (and a revert find the row changed)
        return (
            f"This field holds at most {kind.scale} decimal places "
            f"(this number has {places})."
        )
    return None


def _decimal_places(value: Decimal | int) -> int:
    """The decimal places a number needs, trailing zeros not counted."""
    if not isinstance(value, Decimal) or not value.is_finite():
        return 0
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
