"""CSV cells computed by the database, so the export does no work per cell.

Turning each value into its CSV text in Python (parse SQLite's datetime text
into a `datetime`, format it back, look an enum up, test text for a formula)
costs more than reading the row. For the common column types the database
writes the cell itself, in SQL that gives the same text on SQLite and
PostgreSQL; Python then only hands the driver's rows to `csv.writer`. Other
types (time-zone aware datetimes, decimals, floats, custom types) keep a
converter in Python, chosen once per column.

SQLite stores datetimes as text. Text in the shape SQLAlchemy writes is
formatted in SQL (the shape is checked with GLOB, which is cheap); anything
else goes through a small function registered on the connection that parses
it the way SQLAlchemy does.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Enum,
    Integer,
    String,
    TypeDecorator,
    case,
    cast,
    func,
    literal,
    not_,
    null,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ColumnElement

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SQLITE_DATE = "????-??-??"
SQLITE_SECONDS = SQLITE_DATE + " ??:??:??"
SQLITE_DATETIME_FUNCTION = "admin_csv_datetime"
SQLITE_DATE_FUNCTION = "admin_csv_date"

Converter = Callable[[Any], Any]


def text_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement:
    """Text with a leading `'` when a spreadsheet would read it as a formula.

    Every formula character sorts before `A` byte-wise, so most text is let
    through by one comparison before the first character is looked at.
    """
    text = expr if isinstance(expr.type, String) else cast(expr, String)
    plain = text.collate("BINARY" if dialect.name == "sqlite" else "C") >= "A"
    return type_coerce(
        case(
            (plain, text),
            (func.substr(text, 1, 1).in_(FORMULA_START), literal("'") + text),
            else_=text,
        ),
        String,
    )


def enum_values(
    expr: ColumnElement, dialect: Dialect, show: Converter
) -> ColumnElement:
    """An enum column as `show(<Python value>)` in SQL: tables store the
    members' names, which map to values (formatted once here, not per row)."""
    stored = list(getattr(expr.type, "enums", None) or [])
    process = expr.type.result_processor(dialect, None)
    shown = {name: show(process(name) if process else name) for name in stored}
    text = type_coerce(cast(expr, String), String)
    changed = {name: out for name, out in shown.items() if out != name}
    return (
        type_coerce(case(changed, value=text, else_=text), String) if changed else text
    )


def _enum_cell(expr: ColumnElement, dialect: Dialect, cell: Converter) -> ColumnElement:
    """An enum as the text of its Python value."""
    if not getattr(expr.type, "enums", None):
        return text_cell(expr, dialect)
    return enum_values(expr, dialect, cell)


def _bool_cell(expr: ColumnElement) -> ColumnElement:
    return type_coerce(
        case((expr, literal("true")), (not_(expr), literal("false"))), String
    )


def _sqlite_datetime(text: str | None) -> str | None:
    """A datetime SQLite holds in another shape than SQLAlchemy writes, as the
    export formats every datetime (`datetime.isoformat(sep=" ")`)."""
    if text is None:
        return None
    try:
        return datetime.fromisoformat(str(text)).isoformat(sep=" ")
    except ValueError:
        return str(text)


def _sqlite_date(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text)[:10]).isoformat()
    except ValueError:
        return str(text)


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """The fallbacks the SQLite cell expressions call for unusual text."""
    dbapi_connection.create_function(
        SQLITE_DATETIME_FUNCTION, 1, _sqlite_datetime, deterministic=True
    )
    dbapi_connection.create_function(
        SQLITE_DATE_FUNCTION, 1, _sqlite_date, deterministic=True
    )


def _glob(expr: ColumnElement, pattern: str) -> ColumnElement:
    """SQLite's GLOB: a fast, exact test of the text's shape."""
    return expr.op("GLOB")(literal(pattern, String))


def _datetime_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    """`YYYY-MM-DD HH:MM:SS`, with `.ffffff` only when there are microseconds,
    as Python's `isoformat(sep=" ")` writes it."""
    if dialect.name == "sqlite":
        formatted = case(
            (expr.is_(None), null()),
            (
                _glob(expr, SQLITE_SECONDS + ".??????"),
                func.replace(expr, ".000000", ""),
            ),
            (_glob(expr, SQLITE_SECONDS), expr),
            else_=getattr(func, SQLITE_DATETIME_FUNCTION)(expr),
        )
        return type_coerce(formatted, String)
    if dialect.name == "postgresql":
        formatted = case(
            (
                expr == func.date_trunc("second", expr),
                func.to_char(expr, "YYYY-MM-DD HH24:MI:SS"),
            ),
            else_=func.to_char(expr, "YYYY-MM-DD HH24:MI:SS.US"),
        )
        return type_coerce(formatted, String)
    return None


def _date_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    if dialect.name == "sqlite":
        formatted = case(
            (expr.is_(None), null()),
            (_glob(expr, SQLITE_DATE), expr),
            else_=getattr(func, SQLITE_DATE_FUNCTION)(expr),
        )
        return type_coerce(formatted, String)
    if dialect.name == "postgresql":
        return type_coerce(func.to_char(expr, "YYYY-MM-DD"), String)
    return None


def sql_cell(
    expr: ColumnElement, dialect: Dialect, cell: Converter
) -> ColumnElement | None:
    """`expr` as its CSV cell computed in SQL, or None when Python must do it.

    `cell` is the Python formatting the SQL must agree with (used for enums,
    whose few values are formatted once here).
    """
    type_ = expr.type
    if dialect.name not in ("sqlite", "postgresql"):
        return None
    if isinstance(type_, TypeDecorator):
        if type(type_).process_result_value is not TypeDecorator.process_result_value:
            return None  # the project's own conversion: keep it
        type_ = type_.load_dialect_impl(dialect)
        expr = type_coerce(expr, type_)  # renders nothing; types the SQL below
    if isinstance(type_, Enum):
        return _enum_cell(expr, dialect, cell)
    if isinstance(type_, Boolean):
        return _bool_cell(expr)
    if isinstance(type_, String):
        return text_cell(expr, dialect)
    if isinstance(type_, Integer):
        return expr  # no conversion on either driver; numbers stay numbers
    if isinstance(type_, DateTime):
        return None if type_.timezone else _datetime_cell(expr, dialect)
    if isinstance(type_, Date):
        return _date_cell(expr, dialect)
    return None
