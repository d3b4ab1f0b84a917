"""The XLSX export: the CSV export's rows and columns as an Excel workbook.

The rows are the CSV's: the same `ListQuery` statement, the same columns and
the same labels of related rows (`listing.export.ListExport`); only the cells
differ. Numbers are number cells, flags boolean cells, dates and datetimes
date cells with a date format; text has the CSV's formula escaping (a leading
`'`, see `cells.safe_text`), so an import reads both files alike; times,
UUIDs, bytes and JSON are the CSV's text; None is an empty cell. The header
row is bold and frozen.

Where a cell cannot hold a value exactly, it holds the CSV's text instead,
never a rounded value:
- integers of 16 digits or more, and decimals with more than 15 significant
  digits (a spreadsheet keeps 15), NaN and infinities;
- dates and datetimes before 1900, which spreadsheets cannot show as dates.

Datetimes are written in UTC, as the CSV writes them: a spreadsheet has no
time zones, so a column with a time zone keeps its header (an import matches
columns by it) and its cells say `UTC` in their number format
(`2026-12-01 20:37:50 UTC`); columns without one hold naive UTC, as stored.

An XLSX is a zip archive whose directory comes last, so no byte of it can be
sent before the whole workbook is written. It is written in a worker thread
to a temporary file with XlsxWriter in constant-memory mode (one row in
memory at a time, rows read in batches through the CSV's server-side cursor),
then sent in chunks and removed: memory stays flat however many rows there
are, a client that leaves stops the writing (see `site.exports`), and a
workbook that cannot be written whole (`Refused`) is a 400 before the
download starts, never a file with rows or characters missing:
- a sheet holds at most `MAX_ROWS` rows, the header included (Excel's
  1,048,576): a longer export is refused, pointing to filters and the CSV;
- a cell holds at most 32,767 characters: a longer text refuses the export,
  naming the row and column.
"""

import enum
import math
import os
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from anyio import to_thread
from sqlalchemy import (
    BINARY,
    JSON,
    VARBINARY,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    String,
    Time,
    Uuid,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

from admin_app.listing.cells import (
    Converter,
    datetime_text,
    json_text,
    register_sqlite_functions,
    safe_text,
    sql_cell,
    stored_type,
    utc_datetime_text,
)
from admin_app.listing.export import (
    BATCH,
    ExportColumn,
    ListExport,
    cell,
    key_positions,
)

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_048_576  # a sheet's rows in Excel and LibreOffice, header included
MAX_CELL_TEXT = 32_767  # characters a cell holds (XlsxWriter counts them)
EXACT_DIGITS = 15  # significant digits a spreadsheet keeps of a number
CHUNK_BYTES = 64 * 1024
# Where the workbooks are written before they are sent (None: the system's).
TEMP_DIR: str | None = None
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
UTC_DATETIME_FORMAT = 'yyyy-mm-dd hh:mm:ss "UTC"'
# Column widths (characters) at which a date cell shows whole, not `####`.
WIDTHS = {DATE_FORMAT: 11, DATETIME_FORMAT: 20, UTC_DATETIME_FORMAT: 24}
_EXCEL_EPOCH = date(1900, 1, 1)
# Types whose cell is the CSV's text: times, UUIDs, bytes.
_CSV_TEXT_TYPES = (Time, Uuid, LargeBinary, BINARY, VARBINARY)


class Refused(ValueError):
    """A workbook that cannot hold the export whole; the message says why
    and what to do instead."""


class Abandoned(Exception):
    """The client left before the workbook was written: nobody will read it."""


def too_many_rows(count: int | None = None) -> Refused:
    """The refusal of an export longer than a sheet (`count`: its rows, when
    counted before writing)."""
    rows = f"{count:,} rows" if count is not None else "More rows than that"
    return Refused(
        f"A spreadsheet holds at most {MAX_ROWS - 1:,} rows below its header; "
        f"{rows} do not fit. Narrow the list with a filter or a search, or "
        "export it as CSV."
    )


def _number(value: int | float | Decimal) -> int | float | str:
    """A number a spreadsheet holds exactly, else the CSV's text of it."""
    if isinstance(value, int):
        return value if abs(value) < 10**EXACT_DIGITS else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if not value.is_finite():
        return str(value)
    digits = value.normalize().as_tuple().digits
    exact = float(value)
    if len(digits) > EXACT_DIGITS or not math.isfinite(exact):
        return format(value, "f")
    return exact


def _datetime(value: datetime, utc: bool) -> datetime | str:
    """A datetime in UTC without offset (a naive value is UTC already, by the
    CSV's convention), or before 1900 the CSV's text."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    if value.date() < _EXCEL_EPOCH:
        return utc_datetime_text(value) if utc else datetime_text(value)
    return value


def value_cell(value: Any) -> Any:
    """One value as a workbook cell: None, a bool, a number, a naive UTC
    datetime, a date or text (the CSV's text for everything else)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, enum.Enum):
        value = value.value  # by value, as in the CSV
        if value is None or isinstance(value, bool):
            return value
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, datetime):
        return _datetime(value, utc=value.tzinfo is not None)
    if isinstance(value, date):
        return value if value >= _EXCEL_EPOCH else value.isoformat()
    if isinstance(value, str):
        return safe_text(value)
    text = cell(value)  # times, UUIDs, bytes, JSON: the CSV's text
    if isinstance(text, int | float) and not isinstance(text, bool):
        return _number(text)
    return text if isinstance(text, str) else str(text)  # as csv.writer has it


def _json_cell(value: Any) -> Any:
    """A JSON number is a number; any other JSON value the CSV's compact text."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _number(value)
    return json_text(value)


def _parsed(parse: Callable[[str], Any]) -> Converter:
    """SQLite holds dates as text that any program may have written: parsed
    as the CSV's SQL fallbacks parse it, else kept as (escaped) text."""

    def convert(value: Any) -> Any:
        if value is None:
            return None
        try:
            return parse(str(value))
        except ValueError:
            return safe_text(str(value))

    return convert


def _is_aware(column: Any, type_: Any) -> bool:
    """A datetime column with a time zone (SQLModel's own `datetime` included;
    `type_` is the stored type, the column's own for a project's type)."""
    if isinstance(type_, DateTime):
        return bool(type_.timezone)
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return False
    return python_type is datetime and bool(getattr(column.type, "timezone", False))


def column_cell(column: Any, dialect: Dialect) -> tuple[Any, Converter, str | None]:
    """What to select for one exported column, its cell function and its date
    format, chosen once per export."""
    stored = stored_type(column, dialect)
    type_ = stored[1] if stored else column.type
    if isinstance(type_, JSON):
        return column, _json_cell, None
    if stored and isinstance(type_, _CSV_TEXT_TYPES):
        # The CSV's own cell, made by the database as for the CSV (with its
        # fallbacks for odd values SQLite may hold, which Python would refuse).
        in_sql = sql_cell(column, dialect, cell)
        if in_sql is not None:
            return in_sql, _as_is, None
    aware = _is_aware(column, type_)
    shown = UTC_DATETIME_FORMAT if aware else DATETIME_FORMAT
    if stored and dialect.name == "sqlite" and isinstance(type_, DateTime):

        def parse(text: str) -> Any:
            return _datetime(datetime.fromisoformat(text), utc=aware)

        return type_coerce(column, String), _parsed(parse), shown
    if stored and dialect.name == "sqlite" and isinstance(type_, Date):

        def parse_date(text: str) -> Any:
            return value_cell(date.fromisoformat(text[:10]))

        return type_coerce(column, String), _parsed(parse_date), DATE_FORMAT
    if isinstance(type_, DateTime) or aware:
        return column, lambda value: _aware_cell(value, aware), shown
    if isinstance(type_, Date):
        return column, value_cell, DATE_FORMAT
    return column, value_cell, None


def _as_is(value: Any) -> Any:
    return value


def _aware_cell(value: Any, utc: bool) -> Any:
    return _datetime(value, utc) if isinstance(value, datetime) else value_cell(value)


@dataclass
class XlsxFile:
    """A written workbook waiting in a temporary file to be sent."""

    path: str
    rows: int = 0  # below the header

    @property
    def size(self) -> int:
        return os.path.getsize(self.path)

    def remove(self) -> None:
        Path(self.path).unlink(missing_ok=True)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The file in chunks, read in a thread; removed when sent."""
        try:
            with open(self.path, "rb") as file:
                while chunk := await to_thread.run_sync(file.read, CHUNK_BYTES):
                    yield chunk
        finally:
            self.remove()


def new_file() -> XlsxFile:
    """An empty temporary file for a workbook (in `TEMP_DIR`)."""
    handle, path = tempfile.mkstemp(
        prefix="admin-export-", suffix=".xlsx", dir=TEMP_DIR
    )
    os.close(handle)
    return XlsxFile(path)


class XlsxExport(ListExport):
    """The workbook of one `ListQuery`: the CSV's rows and columns."""

    def typed(
        self, dialect: Dialect
    ) -> tuple[Select, list[tuple[int, Converter]], list, list[str | None]]:
        """`statement()` with each column's cell function by position, and the
        date format of each exported column."""
        stmt, deferred = self.statement()
        keys = key_positions(deferred)
        columns: list[Any] = []
        python: list[tuple[int, Converter]] = []
        for position, column in enumerate(stmt.selected_columns):
            if position in keys:  # read as stored, to look the labels up by
                columns.append(column)
                continue
            selected, convert, _format = column_cell(column, dialect)
            columns.append(selected)
            python.append((position, convert))
        stmt = stmt.with_only_columns(*columns, maintain_column_froms=True)
        formats = [_date_format(exported, dialect) for exported in self.columns]
        return stmt, python, deferred, formats

    def write(
        self,
        engine: Engine,
        sheet_name: str,
        file: XlsxFile | None = None,
        stop: threading.Event | None = None,
    ) -> XlsxFile:
        """Write the workbook to `file` (a `new_file()` by default), in the
        calling thread: run it in a worker. On `Refused` or any failure the
        file is removed. `stop` set (the client left) ends the writing at the
        next batch with `Abandoned`: a thread cannot be cancelled from outside."""
        file = file or new_file()
        try:
            file.rows = self._write(
                engine, file.path, sheet_name, stop or threading.Event()
            )
        except BaseException:
            file.remove()
            raise
        return file

    def _write(
        self, engine: Engine, path: str, sheet_name: str, stop: threading.Event
    ) -> int:
        stmt, python, deferred, formats = self.typed(engine.dialect)
        book = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,  # one row in memory, the rest on disk
                "tmpdir": TEMP_DIR,
                # Cells are written by type below; never guess from text.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        try:
            sheet = book.add_worksheet(sheet_name)
            styles = {name: book.add_format({"num_format": name}) for name in WIDTHS}
            bold = book.add_format({"bold": True})
            shown = [styles[name] if name else None for name in formats]
            for position, name in enumerate(formats):
                width = max(WIDTHS[name], len(self.names[position]) + 2) if name else 0
                if width:  # before any row: constant-memory mode needs it so
                    sheet.set_column(position, position, width)
            sheet.freeze_panes(1, 0)
            for position, name in enumerate(self.names):
                sheet.write_string(0, position, name, bold)
            with engine.connect() as connection:
                if engine.dialect.name == "sqlite":  # for the CSV's text cells
                    raw = connection.connection.driver_connection
                    register_sqlite_functions(raw)
                result = self.execute(connection, stmt)
                written = 0
                while batch := result.fetchmany(BATCH):
                    if stop.is_set():
                        raise Abandoned
                    if written + len(batch) >= MAX_ROWS:
                        raise too_many_rows()
                    rows = self._format(connection, batch, python, deferred, value_cell)
                    for values in rows:
                        written += 1
                        self._write_row(sheet, written, values, shown, styles)
            return written
        finally:
            book.close()  # also removes XlsxWriter's own temporary files

    def _write_row(
        self,
        sheet: Any,
        number: int,
        values: Sequence[Any],
        shown: list[Any],
        styles: dict[str, Any],
    ) -> None:
        for position, value in enumerate(values):
            if value is None:
                continue  # an empty cell
            if isinstance(value, str):
                if sheet.write_string(number, position, value) == -2:
                    raise Refused(
                        f"Row {number:,} of the export has {len(value):,} "
                        f"characters in {self.names[position]}; a spreadsheet "
                        f"cell holds at most {MAX_CELL_TEXT:,}. Export the list "
                        "as CSV, or leave that row out with a filter."
                    )
            elif isinstance(value, bool):
                sheet.write_boolean(number, position, value)
            elif isinstance(value, date):  # datetimes too
                style = (
                    shown[position]
                    or styles[
                        DATETIME_FORMAT if isinstance(value, datetime) else DATE_FORMAT
                    ]
                )
                sheet.write_datetime(number, position, value, style)
            else:
                sheet.write_number(number, position, value)


def _date_format(exported: ExportColumn, dialect: Dialect) -> str | None:
    if exported.column is None:
        return None
    return column_cell(exported.column, dialect)[2]


def sheet_name(name: str) -> str:
    """A sheet name spreadsheets accept: at most 31 characters, none of
    `[]:*?/\\`, not starting or ending with `'`."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in name).strip("' ")
    return cleaned[:31].strip() or "Export"
