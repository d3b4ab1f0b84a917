"""Keyset pagination: deep pages without reading the rows before them.

`OFFSET 5000000` makes the database produce and throw away five million rows.
Instead, the links a list page renders carry a cursor: the sort values and
primary key of the row next to the page they lead to, so the page is
`WHERE (sort values, key) > (cursor) ORDER BY ... LIMIT n`, which an index on
the sort columns answers at once however deep the page is.

A cursor is opaque to the user (URL-safe base64 of compact JSON) and checked,
not trusted: it names the list it belongs to (order, filters, page size); one
that is malformed, hostile or from another list is ignored, and the page is
read by its number (`OFFSET`), as a hand-typed `?page=N` is.

NULLs sort where the database puts them (SQLite: first ascending, last
descending; PostgreSQL: last ascending, first descending), so the list's
order, and an index on it, stay the database's own.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Enum, String, and_, false, literal, or_
from sqlalchemy.sql import ColumnElement

from admin_app.listing.instants import at_instant, from_instant

MAX_CURSOR = 4_000
"""Characters a cursor may have; the longest sort value a list cuts short."""
MAX_SKIP_PAGES = 10
"""A cursor may skip this many pages past its row (the numbered page links
beside the next one)."""


@dataclass(frozen=True)
class SortTerm:
    """One ORDER BY term of a list: its expression and where its NULLs go."""

    expression: ColumnElement
    descending: bool
    nullable: bool
    nulls_first: bool

    def reversed(self) -> SortTerm:
        return SortTerm(
            self.expression, not self.descending, self.nullable, not self.nulls_first
        )


def nulls_first(dialect: str, descending: bool) -> bool:
    """Where the database puts NULLs of an ORDER BY term without NULLS FIRST/LAST."""
    return descending if dialect == "postgresql" else not descending


@dataclass(frozen=True)
class Cursor:
    """A position in a list: after (or, `before`, ahead of) the row whose sort
    values are `values`, then `skip` rows further."""

    values: tuple[Any, ...]
    before: bool = False
    skip: int = 0


def _bound_value(term: SortTerm, value: Any) -> Any:
    """`value` as a parameter of the term's type (SQLAlchemy refuses `<` with a
    bare True or False)."""
    return literal(value, type_=term.expression.type)


def _equal(term: SortTerm, value: Any) -> ColumnElement:
    if value is None:
        return term.expression.is_(None)
    return at_instant(term.expression, value)


def _beyond(term: SortTerm, value: Any) -> ColumnElement | None:
    """Rows whose term sorts strictly after `value` (None: no row does)."""
    column = term.expression
    if value is None:
        return column.is_not(None) if term.nulls_first else None
    if term.descending:
        step = column < from_instant(column, value)
    else:
        step = column > _bound_value(term, value)
    if term.nullable and not term.nulls_first:
        return or_(step, column.is_(None))
    return step


def _bound(term: SortTerm, value: Any) -> ColumnElement | None:
    """A condition on the first term alone that every later row meets: a range
    the database can read from an index before checking the rest."""
    column = term.expression
    if value is None:
        return None if term.nulls_first else column.is_(None)
    if term.descending:
        step = column <= _bound_value(term, value)
    else:
        step = column >= from_instant(column, value)
    if term.nullable and not term.nulls_first:
        return or_(step, column.is_(None))
    return step


def after(terms: Sequence[SortTerm], values: Sequence[Any]) -> ColumnElement:
    """Rows that sort after the row whose terms are `values` (ties broken by
    the later terms; the last terms are the primary key, so no two rows tie)."""
    branches = []
    for index, term in enumerate(terms):
        step = _beyond(term, values[index])
        if step is None:
            continue
        equal = [
            _equal(t, v) for t, v in zip(terms[:index], values[:index], strict=True)
        ]
        branches.append(and_(*equal, step))
    if not branches:
        return false()
    condition = or_(*branches)
    bound = _bound(terms[0], values[0])
    return condition if bound is None else and_(bound, condition)


def list_identity(parts: Sequence[Any]) -> str:
    """A short fingerprint of what a cursor's position means: the list's order,
    filters and page size. A cursor of another list is not used."""
    text = json.dumps([str(part) for part in parts])
    return hashlib.blake2s(text.encode(), digest_size=6).hexdigest()


_TAGS: dict[str, Any] = {
    "d": Decimal,
    "t": dt.datetime.fromisoformat,
    "a": dt.date.fromisoformat,
    "h": dt.time.fromisoformat,
    "u": uuid.UUID,
    "b": base64.urlsafe_b64decode,
    "e": str,  # an enum member's name, made a member again by its column's type
    "f": float,  # floats as text: JSON has no NaN or infinities
}


def _encode_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return {"e": value.name}
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"a": value.isoformat()}
    if isinstance(value, dt.time):
        return {"h": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": value.hex}
    if isinstance(value, bytes):
        return {"b": base64.urlsafe_b64encode(value).decode()}
    raise TypeError(type(value).__name__)


def _decode_value(raw: Any) -> Any:
    if raw is None or isinstance(raw, bool | int | str):
        return raw
    if isinstance(raw, dict) and len(raw) == 1:
        ((tag, text),) = raw.items()
        if tag in _TAGS and isinstance(text, str):
            return (tag, _TAGS[tag](text))
    raise ValueError("not a sort value")


def encode_cursor(identity: str, cursor: Cursor) -> str | None:
    """The cursor as URL text, or None for values it cannot carry."""
    try:
        values = [_encode_value(value) for value in cursor.values]
    except TypeError:
        return None
    payload = [identity, 1 if cursor.before else 0, cursor.skip, values]
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    token = base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return token if len(token) <= MAX_CURSOR else None


def decode_cursor(
    identity: str, token: str, terms: Sequence[SortTerm], page_size: int
) -> Cursor | None:
    """The cursor `token` names for this list, or None if it is not one of its
    own (malformed, hostile, from another order or filter, values of the
    wrong kind)."""
    if not token or len(token) > MAX_CURSOR or not token.isascii():
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(text)
        owner, before, skip, raw_values = payload
        if owner != identity or before not in (0, 1) or not isinstance(skip, int):
            return None
        if isinstance(skip, bool) or not 0 <= skip <= MAX_SKIP_PAGES * page_size:
            return None
        if not isinstance(raw_values, list) or len(raw_values) != len(terms):
            return None
        values = tuple(
            _typed(term, _decode_value(raw))
            for term, raw in zip(terms, raw_values, strict=True)
        )
    except (
        ValueError,
        TypeError,
        KeyError,
        binascii.Error,
        InvalidOperation,
        RecursionError,
        UnicodeDecodeError,
    ):
        return None
    return Cursor(values, before=bool(before), skip=skip)


def _typed(term: SortTerm, decoded: Any) -> Any:
    """`decoded` as a value of `term`'s column, or ValueError: a cursor never
    binds a value of another kind than the column holds."""
    if decoded is None:
        if not term.nullable:
            raise ValueError("NULL in a column without NULLs")
        return None
    tag, value = decoded if isinstance(decoded, tuple) else ("", decoded)
    column_type = term.expression.type
    try:
        expected = column_type.python_type
    except NotImplementedError:
        expected = object
    if isinstance(column_type, String) and not isinstance(column_type, Enum):
        expected = str  # SQLModel's AutoString says `object`
    if expected is object:
        return value
    if isinstance(expected, type) and issubclass(expected, enum.Enum):
        if tag != "e":
            raise ValueError("not an enum member")
        return expected[value]
    if expected is bool:
        if not isinstance(value, bool):
            raise ValueError("not a bool")
        return value
    if expected is float and isinstance(value, int | float) and tag in ("", "f"):
        return float(value)
    if expected is dt.date and isinstance(value, dt.datetime):
        raise ValueError("a datetime for a date")
    if isinstance(value, bool) or not isinstance(value, expected):
        raise ValueError(f"not a {expected.__name__}")
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError("beyond any column's range")  # SQLite cannot bind it
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("not a finite number")
    return value
