"""Datetimes compared on SQLite however their text was written.

SQLite has no datetime type: SQLAlchemy writes a datetime as text with
microseconds (`2026-01-01 10:00:00.000000`), while SQLite's own
`CURRENT_TIMESTAMP` (a `server_default=func.now()`), Python's `sqlite3`
and most other programs write a whole second without them
(`2026-01-01 10:00:00`), which sorts before it as text. Compared with the
text SQLAlchemy binds, such a row is not "at or after" its own second: a
list's next page skipped the rows sharing the last row's second, and a
filter from that second left them out. A whole second is therefore
compared from its shorter text where a bound must take both (`>=`, and `<`
for the rows before it) and as the range between the two for equality. On
PostgreSQL, which stores datetimes as datetimes, the value is bound as it
is.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, String, and_, literal
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeDecorator, TypeEngine

from admin_app.model.types import stored_type


class _SecondText(TypeDecorator):
    """A datetime parameter bound on SQLite as a whole second's text."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if dialect.name == "sqlite" and isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value


def _whole_second(type_: Any, value: Any) -> bool:
    return (
        isinstance(value, datetime)
        and not value.microsecond
        and isinstance(stored_type(type_), DateTime)
    )


def from_instant(expression: Any, value: Any) -> Any:
    """`value` as the lowest text its instant may be stored as, to compare
    `expression` with it by `>=` (rows from it) or `<` (rows before it)."""
    type_ = getattr(expression, "type", None)
    if _whole_second(type_, value):
        aware = bool(stored_type(type_).timezone)
        return literal(value, _SecondText(timezone=aware))
    return literal(value, type_)


def at_instant(expression: Any, value: Any) -> ColumnElement:
    """Rows whose `expression` holds `value`, in whichever text it was written."""
    if _whole_second(getattr(expression, "type", None), value):
        return and_(
            expression >= from_instant(expression, value),
            expression <= literal(value, expression.type),
        )
    return expression == literal(value, expression.type)
