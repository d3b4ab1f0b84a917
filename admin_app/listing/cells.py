"""CSV cells computed by the database, so the export does no work per cell.

Turning each value into its CSV text in Python (parse SQLite's datetime text
into a `datetime`, format it back, look an enum up, test text for a formula)
costs more than reading the row. For the common column types the database
writes the cell itself, in SQL that gives the same text on SQLite and
PostgreSQL; Python then only hands the driver's rows to `csv.writer`. Other
types (JSON, floats, SQLite's decimals, custom types) keep a converter in
Python (`listing.export.converter`), chosen once per column, which writes the
same text as the SQL would.

The cells, on every database:
- datetimes: ISO 8601 as Python's `isoformat()` writes it,
  `2026-12-01T20:37:50`, with `.ffffff` only when there are microseconds.
  Columns with a time zone (`DateTime(timezone=True)`, SQLModel's own
  `datetime` column) are converted to UTC and end in `+00:00`; SQLite keeps
  no offset, so its text is UTC by convention (as SQLModel stores it).
  Columns without one are naive UTC, written without offset.
- dates `2026-12-01`; times `20:37:50` (`.ffffff` as for datetimes);
- UUIDs in canonical hyphenated lowercase (SQLite holds 32 hex digits);
- decimals as plain numbers, never with an exponent (`0.0000001`);
- bytes as `\\x` and lowercase hex (PostgreSQL's own `bytea` text), which a
  spreadsheet never mistakes for a number;
- JSON as compact JSON text; enums by their value; flags `true`/`false`;
- text that a spreadsheet would evaluate, or read as its error value
  (`#N/A`), gets a leading `'` (see `needs_quote`); numbers stay numbers.

SQLite stores datetimes as text. Text in the shape SQLAlchemy writes is
formatted in SQL (the shape is checked with GLOB, which is cheap); anything
else goes through a small function registered on the connection that parses
it as Python would, and that escapes text it cannot parse.
"""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BINARY,
    VARBINARY,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Time,
    TypeDecorator,
    Uuid,
    and_,
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
from sqlalchemy.types import TypeEngine

from admin_app.model.labels import json_item

try:  # SQLModel 0.0.50's `datetime` column: aware, stored as UTC
    from sqlmodel.sql.sqltypes import UTCDateTime
except ImportError:  # older SQLModel: a plain `DateTime`
    UTCDateTime = None

Converter = Callable[[Any], Any]


def _chars(*ranges: tuple[int, int]) -> str:
    return "".join(chr(c) for start, end in ranges for c in range(start, end + 1))


# What spreadsheets read as the start of a formula: OWASP's `=`, `+`, `-`, `@`,
# DDE's `|`, and the characters that Unicode (NFKC) folds into them, which
# some spreadsheets accept as well (fullwidth U+FF1D, small U+FE66, minus U+2212).
FORMULA_CHARS = "=+-@|\uff1d\uff0b\uff0d\uff20\uff5c\ufe66\ufe62\ufe63\ufe6b\u2212"
# Characters that start a formula by themselves (OWASP; NUL from ASVS 5).
FORMULA_START = "\t\r\0" + FORMULA_CHARS
# Characters a reader does not see before a formula: every control, space,
# line or paragraph separator and format character (categories Cc, Zs, Zl, Zp,
# Cf), Unicode's other default-ignorable fillers and variation selectors, and
# the blank Braille pattern. Spreadsheets trim some of them (LibreOffice's
# "Trim spaces", Google Sheets), so a formula after them is still a formula.
# Not NUL, which SQLite's `ltrim` cannot take (a text starting with NUL is
# escaped by `FORMULA_START`).
BLANKS = _chars(
    (0x01, 0x20),
    (0x7F, 0xA0),
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x600, 0x605),
    (0x61C, 0x61C),
    (0x6DD, 0x6DD),
    (0x70F, 0x70F),
    (0x890, 0x891),
    (0x8E2, 0x8E2),
    (0x115F, 0x1160),
    (0x1680, 0x1680),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x2000, 0x200F),
    (0x2028, 0x202F),
    (0x205F, 0x2064),
    (0x2066, 0x206F),
    (0x2800, 0x2800),
    (0x3000, 0x3000),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
    (0xE0100, 0xE01EF),
)
# The error values a spreadsheet shows for a formula that failed (Excel's and
# LibreOffice's, the ones OOXML stores and Excel's newer ones). Typed into a
# cell, Excel takes such text for the error itself; an import refuses them
# (`importing.cells.CellReader.spreadsheet_errors`), so text that is exactly
# one of them is exported with a `'`, and an exported file imports unchanged.
ERROR_VALUES = frozenset(
    (
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#UNKNOWN!",
        "#BUSY!",
        "#PYTHON!",
    )
)
# Text whose first character lies in this range is plain: no formula character
# or blank is in it. In UTF-8 that is the first byte, so the database tests
# it with two byte-wise comparisons, before any character is looked at.
PLAIN_FROM, PLAIN_BEFORE = "A", "|"
_START = frozenset(FORMULA_START)
_FORMULA = frozenset(FORMULA_CHARS)
_BLANK = frozenset(BLANKS)

# GLOB shapes of the text SQLAlchemy writes. The first character must be a
# digit (no formula starts with one); the others only need to be there, which
# GLOB tests much faster than a class per character.
SQLITE_DATE = "[0-9]???-??-??"
SQLITE_TIME = "[0-9]?:??:??"
SQLITE_SECONDS = SQLITE_DATE + " ??:??:??"
SQLITE_MICROSECONDS = ".??????"
SQLITE_UUID = "[0-9a-f]" + "?" * 31
SQLITE_DATETIME_FUNCTION = "admin_csv_datetime"
SQLITE_UTC_DATETIME_FUNCTION = "admin_csv_utc_datetime"
SQLITE_DATE_FUNCTION = "admin_csv_date"
SQLITE_TIME_FUNCTION = "admin_csv_time"
SQLITE_UUID_FUNCTION = "admin_csv_uuid"
PG_DATETIME = 'YYYY-MM-DD"T"HH24:MI:SS.US'
PG_TIME = "HH24:MI:SS.US"
NO_MICROSECONDS = ".000000"
UTC_OFFSET = "+00:00"


def needs_quote(text: str) -> bool:
    """Whether a spreadsheet would evaluate this text: it starts with a formula
    character, or with blanks (spaces, invisible characters, line breaks)
    followed by one, or it is exactly an error value (`#N/A`)."""
    if not text or PLAIN_FROM <= text[0] < PLAIN_BEFORE:
        return False
    if text[0] in _START:
        return True
    if text[0] == "#":
        return text in ERROR_VALUES
    if text[0] not in _BLANK:
        return False
    rest = text.lstrip(BLANKS)
    return bool(rest) and rest[0] in _FORMULA


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text, never as a formula."""
    return "'" + text if needs_quote(text) else text


def text_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement:
    """`needs_quote` in SQL: text with a leading `'` when a spreadsheet would
    read it as a formula or an error value.

    Most text starts with a letter and is let through by two byte-wise
    comparisons; only other text has its first character looked up, and is
    trimmed of blanks to find the first visible one.
    """
    text = expr if isinstance(expr.type, String) else cast(expr, String)
    binary = text.collate("BINARY" if dialect.name == "sqlite" else "C")
    sqlite = dialect.name == "sqlite"
    # PostgreSQL text cannot hold NUL, and refuses it as a parameter.
    start = FORMULA_START if sqlite else FORMULA_START.replace("\0", "")
    first = func.substr(text, 1, 1)
    quoted = literal("'") + text
    whens: list[tuple[Any, Any]] = [
        (text.is_(None), null()),  # else NULL would go through every test
        (and_(binary >= PLAIN_FROM, binary < PLAIN_BEFORE), text),
        (binary.in_(sorted(ERROR_VALUES)), quoted),
    ]
    if sqlite:  # SQLite's text functions stop at a NUL; comparisons do not
        whens.append((and_(binary < "\x01", binary != ""), quoted))
    whens += [
        (first.in_(list(start)), quoted),
        # One parameter, however many blanks: a wide table stays far below
        # the databases' limits on parameters per statement.
        (
            func.substr(func.ltrim(text, literal(BLANKS, String)), 1, 1).in_(
                list(FORMULA_CHARS)
            ),
            quoted,
        ),
    ]
    return type_coerce(case(*whens, else_=text), String)


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
    """An enum as the text of its Python value (an IntEnum's number as text,
    which `csv.writer` writes as it writes the number)."""
    if not getattr(expr.type, "enums", None):
        return text_cell(expr, dialect)
    return enum_values(expr, dialect, lambda value: str(cell(value)))


def _bool_cell(expr: ColumnElement) -> ColumnElement:
    return type_coerce(
        case((expr, literal("true")), (not_(expr), literal("false"))), String
    )


# Python's side of every cell the database writes. The SQLite fallbacks below
# and `listing.export` both use these, so the two paths cannot drift apart.


def datetime_text(value: datetime) -> str:
    """A datetime of a column without time zone: naive UTC (an aware value is
    converted), `2026-12-01T20:37:50[.ffffff]`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def utc_datetime_text(value: datetime) -> str:
    """A datetime of a column with time zone: UTC (a naive value is UTC by
    convention), `2026-12-01T20:37:50[.ffffff]+00:00`."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC).isoformat()
    return value.astimezone(UTC).isoformat()


def bytes_text(value: bytes | bytearray | memoryview | str) -> str:
    """Bytes as `\\x` and lowercase hex (text in a binary column: its UTF-8)."""
    data = value.encode() if isinstance(value, str) else bytes(value)
    return "\\x" + data.hex()


def json_text(value: Any) -> Any:
    """JSON compactly, non-ASCII as it is; a JSON number stays a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), default=json_item
    )
    return safe_text(text)


def _parsed(parse: Callable[[Any], str]) -> Callable[[Any], str | None]:
    """A SQLite fallback: `parse` the stored value, or keep text it cannot
    parse as it is (escaped: SQLite lets any text into any column)."""

    def fallback(value: Any) -> str | None:
        if value is None:
            return None
        try:
            return parse(value)
        except (ValueError, TypeError):
            return safe_text(str(value))

    return fallback


def _parse_uuid(value: Any) -> str:
    if isinstance(value, bytes) and len(value) == 16:
        return str(UUID(bytes=value))
    return str(UUID(str(value)))


SQLITE_FUNCTIONS: dict[str, Callable[[Any], str | None]] = {
    SQLITE_DATETIME_FUNCTION: _parsed(
        lambda v: datetime_text(datetime.fromisoformat(str(v)))
    ),
    SQLITE_UTC_DATETIME_FUNCTION: _parsed(
        lambda v: utc_datetime_text(datetime.fromisoformat(str(v)))
    ),
    SQLITE_DATE_FUNCTION: _parsed(
        lambda v: date.fromisoformat(str(v)[:10]).isoformat()
    ),
    SQLITE_TIME_FUNCTION: _parsed(lambda v: time.fromisoformat(str(v)).isoformat()),
    SQLITE_UUID_FUNCTION: _parsed(_parse_uuid),
}


def register_sqlite_functions(dbapi_connection: Any) -> None:
    """The fallbacks the SQLite cell expressions call for unusual values."""
    for name, function in SQLITE_FUNCTIONS.items():
        dbapi_connection.create_function(name, 1, function, deterministic=True)


def _glob(expr: ColumnElement, pattern: str) -> ColumnElement:
    """SQLite's GLOB: a fast, exact test of the text's shape."""
    return expr.op("GLOB")(literal(pattern, String))


def _sqlite_formatted(
    expr: ColumnElement, shapes: list[tuple[str, Any]], fallback: str
) -> ColumnElement:
    """The first shape's formatting whose GLOB pattern the text matches, else
    the named Python fallback; NULL stays NULL without calling it."""
    formatted = case(
        (expr.is_(None), null()),
        *[(_glob(expr, pattern), out) for pattern, out in shapes],
        else_=getattr(func, fallback)(expr),
    )
    return type_coerce(formatted, String)


def _datetime_cell(
    expr: ColumnElement, dialect: Dialect, *, utc: bool
) -> ColumnElement | None:
    """See `datetime_text` and `utc_datetime_text`."""

    def zoned(text: ColumnElement) -> ColumnElement:
        return text + literal(UTC_OFFSET) if utc else text

    if dialect.name == "sqlite":
        # As few function calls per row as can be: they are the cost.
        shapes = [
            (
                SQLITE_SECONDS + NO_MICROSECONDS,
                zoned(func.replace(func.substr(expr, 1, 19), " ", "T")),
            ),
            (SQLITE_SECONDS + SQLITE_MICROSECONDS, zoned(func.replace(expr, " ", "T"))),
            (SQLITE_SECONDS, zoned(func.replace(expr, " ", "T"))),
        ]
        fallback = SQLITE_UTC_DATETIME_FUNCTION if utc else SQLITE_DATETIME_FUNCTION
        return _sqlite_formatted(expr, shapes, fallback)
    if dialect.name == "postgresql":
        # In UTC whatever the session's time zone; naive values as they are.
        value = func.timezone("UTC", expr) if utc else expr
        text = func.replace(func.to_char(value, PG_DATETIME), NO_MICROSECONDS, "")
        return type_coerce(zoned(text), String)
    return None


def _date_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    if dialect.name == "sqlite":
        return _sqlite_formatted(expr, [(SQLITE_DATE, expr)], SQLITE_DATE_FUNCTION)
    if dialect.name == "postgresql":
        return type_coerce(func.to_char(expr, "YYYY-MM-DD"), String)
    return None


def _time_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    """`20:37:50[.ffffff]`, as `time.isoformat()` writes it."""
    if dialect.name == "sqlite":
        shapes = [
            (SQLITE_TIME + NO_MICROSECONDS, func.substr(expr, 1, 8)),
            (SQLITE_TIME + SQLITE_MICROSECONDS, expr),
            (SQLITE_TIME, expr),
        ]
        return _sqlite_formatted(expr, shapes, SQLITE_TIME_FUNCTION)
    if dialect.name == "postgresql":
        text = func.to_char(cast(expr, Interval), PG_TIME)
        return type_coerce(func.replace(text, NO_MICROSECONDS, ""), String)
    return None


def _uuid_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    """`str(uuid)`: SQLAlchemy keeps 32 hex digits in SQLite."""
    if dialect.name == "sqlite":
        parts = [func.substr(expr, start, length) for start, length in _UUID_PARTS]
        hyphenated = parts[0]
        for part in parts[1:]:
            hyphenated = hyphenated + literal("-") + part
        return _sqlite_formatted(
            expr, [(SQLITE_UUID, func.lower(hyphenated))], SQLITE_UUID_FUNCTION
        )
    if dialect.name == "postgresql":
        return type_coerce(cast(expr, String), String)
    return None


_UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _bytes_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    """See `bytes_text`."""
    if dialect.name == "sqlite":
        hexed = literal("\\x") + func.lower(func.hex(expr))
        return type_coerce(case((expr.is_(None), null()), else_=hexed), String)
    if dialect.name == "postgresql":
        return type_coerce(literal("\\x") + func.encode(expr, "hex"), String)
    return None


def _decimal_cell(expr: ColumnElement, dialect: Dialect) -> ColumnElement | None:
    """PostgreSQL's text of a `numeric` never has an exponent, like
    `format(decimal, "f")`. SQLite stores decimals as floats that SQLAlchemy
    rounds to the column's scale: Python does that."""
    if dialect.name == "postgresql":
        return type_coerce(cast(expr, String), String)
    return None


def _is_utc_datetime(type_: Any) -> bool:
    """SQLModel's `datetime` column: a `DateTime(timezone=True)` whose only
    conversion is to UTC, which the SQL below does too."""
    return UTCDateTime is not None and isinstance(type_, UTCDateTime)


def stored_type(
    expr: ColumnElement, dialect: Dialect
) -> tuple[ColumnElement, TypeEngine] | None:
    """The type the database holds `expr` in, and `expr` typed by it (which
    renders nothing), or None for a project's own type with a conversion of
    its own, which Python must keep."""
    type_ = expr.type
    if isinstance(type_, Interval):
        return None  # SQLite holds a duration as a datetime since 1970
    if _is_utc_datetime(type_):
        type_ = DateTime(timezone=True)
        return type_coerce(expr, type_), type_
    if isinstance(type_, TypeDecorator):
        if type(type_).process_result_value is not TypeDecorator.process_result_value:
            return None  # the project's own conversion: keep it
        type_ = type_.load_dialect_impl(dialect)
        return type_coerce(expr, type_), type_
    return expr, type_


def sql_cell(
    expr: ColumnElement, dialect: Dialect, cell: Converter
) -> ColumnElement | None:
    """`expr` as its CSV cell computed in SQL, or None when Python must do it.

    `cell` is the Python formatting the SQL must agree with (used for enums,
    whose few values are formatted once here).
    """
    if dialect.name not in ("sqlite", "postgresql"):
        return None
    stored = stored_type(expr, dialect)
    if stored is None:
        return None
    expr, type_ = stored
    if isinstance(type_, Enum):
        return _enum_cell(expr, dialect, cell)
    if isinstance(type_, Boolean):
        return _bool_cell(expr)
    if isinstance(type_, Uuid):
        return _uuid_cell(expr, dialect)
    if isinstance(type_, String):
        return text_cell(expr, dialect)
    if isinstance(type_, Integer):
        return expr  # no conversion on either driver; numbers stay numbers
    if isinstance(type_, Numeric) and not isinstance(type_, Float):
        return _decimal_cell(expr, dialect) if type_.asdecimal else None
    if isinstance(type_, DateTime):
        return _datetime_cell(expr, dialect, utc=bool(type_.timezone))
    if isinstance(type_, Date):
        return _date_cell(expr, dialect)
    if isinstance(type_, Time):
        return None if type_.timezone else _time_cell(expr, dialect)
    if isinstance(type_, LargeBinary | BINARY | VARBINARY):
        return _bytes_cell(expr, dialect)
    return None
