"""Streaming CSV export of exactly the rows the list shows.

SQLAdmin's export ignores the list's filters, loads every row into memory first,
writes `None` and Python reprs, and escapes no formulas. Here the export runs
the list's own `ListQuery` (all pages, in the list's order), reads it in
batches through a server-side cursor, and writes each batch with `csv.writer`,
so memory stays flat however many rows there are.

Format: UTF-8, a header row of column names, one row per record; None is an
empty cell; a to-one relationship is the related row's label (joined in the
query); text a spreadsheet would evaluate as a formula gets a leading `'`;
numbers stay numbers; datetimes are ISO 8601, in UTC with `+00:00` for columns
with a time zone. `listing.cells` has every format and writes most cells in SQL.

Which columns: every column of the table, keys and foreign keys included, a
foreign key also as its related row's label in the column beside it
(`team_id,team`), unless the view names its export columns; secrets never
(see `export_columns`, which reads the fields' descriptions).
"""

import csv
import enum
import io
from collections import Counter
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from anyio import to_thread
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    CursorResult,
    Engine,
    Select,
    and_,
    inspect,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, aliased

from admin_app.listing.cells import (
    Converter,
    bytes_text,
    datetime_text,
    json_text,
    register_sqlite_functions,
    safe_text,
    sql_cell,
    utc_datetime_text,
)
from admin_app.listing.pgcopy import copy_chunks
from admin_app.listing.query import ListQuery
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.labels import duration_text, label_column, label_for
from admin_app.model.values import JSON_DOCUMENTS

BATCH = 5000
# How many exports took each path since the process started: a figure to
# watch (and the tests' proof that PostgreSQL's COPY path is the one taken).
STREAMED: Counter[str] = Counter()


def _text_cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else cell(value)


def _number_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")  # never an exponent: `1E+2` is `100`
    return value


def _typed(kind: type, text: Callable[[Any], Any]) -> Converter:
    """A cell function for values of one type; other values as `cell` has them."""

    def convert(value: Any) -> Any:
        return text(value) if isinstance(value, kind) else cell(value)

    return convert


_UTC_DATETIME_CELL = _typed(datetime, utc_datetime_text)
_DATETIME_CELL = _typed(datetime, datetime_text)


def _json_cell(value: Any) -> Any:
    return "" if value is None else json_text(value)


def converter(column: Any) -> Callable[[Any], Any]:
    """The cell function for one selected column, chosen once per export: the
    per-row work is then one call per cell. It writes what `sql_cell` would."""
    type_ = column.type
    if isinstance(type_, JSON):
        return _json_cell
    try:
        python_type = type_.python_type
    except (NotImplementedError, AttributeError):
        return cell
    if python_type is datetime:
        # A naive value in a column with time zone is UTC by convention.
        timezone = getattr(type_, "timezone", False)
        return _UTC_DATETIME_CELL if timezone else _DATETIME_CELL
    if python_type in (int, float, Decimal) and not issubclass(python_type, bool):
        return _number_cell
    if python_type is str or python_type is object:
        return _text_cell
    return cell


def cell(value: Any) -> Any:
    """One value as a CSV cell (see `listing.cells` for the formats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime):
        return utc_datetime_text(value) if value.tzinfo else datetime_text(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes_text(value)
    if isinstance(value, JSON_DOCUMENTS):
        return json_text(value)
    return value  # numbers stay numbers


@dataclass(frozen=True)
class ExportColumn:
    """One column of the CSV: a stored value, or a related row's label."""

    header: str
    spec: FieldSpec
    column: Column | None = None  # the stored value; None for the label

    @property
    def is_label(self) -> bool:
        return self.column is None


def export_columns(
    fields: Mapping[str, FieldSpec], names: Sequence[str] | None = None
) -> list[ExportColumn]:
    """The CSV's columns from the fields' descriptions.

    Without `names`: every column of every exported field (keys first, in
    table order), each to-one's label beside its key. With `names` (a view's
    `column_export_list`): those, a to-one by its label (`team`), a foreign
    key column by its value (`team_id`). A secret is never exported; a name
    that is neither a column nor a to-one is a ValueError."""
    found: list[ExportColumn] = []
    if names is None:
        seen: set[Column] = set()
        for spec in fields.values():
            if not spec.in_export or spec.is_secret:
                continue
            for column in spec.columns:
                if column not in seen:
                    seen.add(column)
                    found.append(ExportColumn(attribute_name(column), spec, column))
            if spec.kind is Kind.TO_ONE and spec.target is not None:
                found.append(ExportColumn(spec.label_name, spec))
        return found
    labels = {s.label_name: s for s in fields.values() if s.kind is Kind.TO_ONE}
    columns = {attribute_name(c): (c, s) for s in fields.values() for c in s.columns}
    for name in names:
        spec = fields.get(name)
        if spec is not None and spec.is_secret:
            continue
        if spec is not None and spec.kind is Kind.TO_ONE and spec.relationship:
            found.append(ExportColumn(name, spec))
        elif name in columns:
            column, owner = columns[name]
            if not owner.is_secret:
                found.append(ExportColumn(name, owner, column))
        elif name in labels:
            found.append(ExportColumn(name, labels[name]))
        else:
            raise ValueError(
                f"{name!r} cannot be exported: not a column or a to-one link"
            )
    return found


@dataclass
class _Relation:
    """A to-one relationship whose label cannot be read with a join (a custom
    `__admin_label__`): its rows are loaded once per batch by key."""

    position: int  # where its key columns start in the result row
    width: int
    target: type


def key_positions(deferred: Sequence[_Relation]) -> set[int]:
    """Result positions of the keys read for custom labels: they stay as
    stored, to look the labels up by, whatever the file format."""
    return {
        position
        for rel in deferred
        for position in range(rel.position, rel.position + rel.width)
    }


class ListExport:
    """What every export of one `ListQuery` shares, whatever its file format:
    the columns, the list's own statement narrowed to them, and the labels of
    related rows that SQL cannot join (`CsvExport`, `listing.xlsx`)."""

    def __init__(self, query: ListQuery, columns: Sequence[ExportColumn]) -> None:
        self.query = query
        self.model = query.view.model
        self.columns = list(columns)
        self.names = [column.header for column in self.columns]

    def statement(self) -> tuple[Select, list[_Relation]]:
        """The list's own query, narrowed to the exported columns, with the
        labels of related rows joined in."""
        columns: list[Any] = []
        joins: list[tuple[Any, Any]] = []
        deferred: list[_Relation] = []
        for exported in self.columns:
            if exported.column is not None:
                columns.append(exported.column)
                continue
            spec = exported.spec
            target = spec.target
            pairs = list(zip(spec.columns, spec.target_columns, strict=True))
            label = label_column(target)
            if label is None or hasattr(target, "__admin_label__"):
                deferred.append(_Relation(len(columns), len(pairs), target))
                columns.extend(local for local, _remote in pairs)
                continue
            alias = aliased(target)
            mapper = inspect(target)
            on = [
                local == getattr(alias, mapper.get_property_by_column(remote).key)
                for local, remote in pairs
            ]
            joins.append((alias, on))
            columns.append(getattr(alias, label))
        stmt = self.query.ordered().with_only_columns(
            *columns, maintain_column_froms=True
        )
        for alias, on in joins:
            stmt = stmt.outerjoin(alias, and_(*on))
        return stmt, deferred

    def _labels(self, connection: Any, relation: _Relation, rows: list[Any]) -> dict:
        """Labels of the batch's related rows, loaded with one query."""
        keys = {
            tuple(row[relation.position : relation.position + relation.width])
            for row in rows
        }
        keys.discard(tuple([None] * relation.width))
        if not keys:
            return {}
        pk = list(inspect(relation.target).primary_key)
        with Session(bind=connection) as session:
            if len(pk) == 1:
                found = session.scalars(
                    select(relation.target).where(pk[0].in_([k[0] for k in keys]))
                )
            else:
                found = [session.get(relation.target, key) for key in keys]
            return {
                tuple(inspect(row).identity): label_for(row)
                for row in found
                if row is not None
            }

    def execute(self, connection: Connection, stmt: Select) -> CursorResult:
        """`stmt` run to be read in batches. SQLite's cursor already reads the
        database row by row as rows are fetched (SQLAlchemy's `stream_results`
        would only add a buffer); others read through a server-side cursor."""
        if connection.dialect.name != "sqlite":
            connection = connection.execution_options(
                stream_results=True, max_row_buffer=BATCH
            )
        return connection.execute(stmt)

    def _format(
        self,
        connection: Any,
        rows: Sequence[Any],
        python: list[tuple[int, Converter]],
        deferred: list[_Relation],
        label: Converter | None = None,
    ) -> list[list]:
        """The batch's rows with each converter applied at its position, and
        each custom-labelled relation's key columns replaced by one cell: the
        related row's label as `label` (the CSV's `cell` by default) has it."""
        label = label or cell
        lookups = [(rel, self._labels(connection, rel, rows)) for rel in deferred]
        out = []
        for row in rows:
            values = _converted(row, python)
            for rel, labels in reversed(lookups):
                key = tuple(values[rel.position : rel.position + rel.width])
                values[rel.position : rel.position + rel.width] = [
                    label(labels.get(key))
                ]
            out.append(values)
        return out


class CsvExport(ListExport):
    """The CSV of one `ListQuery`."""

    def formatted(
        self, dialect: Dialect
    ) -> tuple[Select, list[tuple[int, Converter]], list[_Relation]]:
        """`statement()` with each cell computed in SQL where the database can
        (see `listing.cells`), and the Python converters of the other columns by
        position. Keys read for a custom label stay as stored."""
        stmt, deferred = self.statement()
        keys = key_positions(deferred)
        columns: list[Any] = []
        python: list[tuple[int, Converter]] = []
        for position, column in enumerate(stmt.selected_columns):
            in_sql = None if position in keys else sql_cell(column, dialect, cell)
            if in_sql is None:
                columns.append(column)
                if position not in keys:
                    python.append((position, converter(column)))
            else:
                columns.append(in_sql)
        stmt = stmt.with_only_columns(*columns, maintain_column_froms=True)
        return stmt, python, deferred

    # PostgreSQL writes the CSV itself (`listing.pgcopy`) when it can write
    # every cell; False keeps the Python path everywhere.
    use_copy: bool = True

    def copies(
        self, stmt: Select, python: list, deferred: list, dialect: Dialect
    ) -> bool:
        """Whether PostgreSQL's COPY writes this export: every cell made in
        SQL (else the whole file is Python's, never a mix) and more than one
        column (see `listing.pgcopy` for the one-column rows COPY writes)."""
        return (
            self.use_copy
            and dialect.name == "postgresql"
            and dialect.driver == "psycopg"
            and not python
            and not deferred
            and len(self.columns) > 1
            and bool(stmt.compile(dialect=dialect).params)
        )

    async def stream(self, engine: Engine) -> AsyncIterator[bytes]:
        """The CSV in chunks, one batch of rows each. The connection is released
        when the download ends, fails or is abandoned by the client; a failure
        mid-way propagates, so the download ends broken, never looking whole."""
        stmt, python, deferred = self.formatted(engine.dialect)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.names)
        yield buffer.getvalue().encode()
        if self.copies(stmt, python, deferred, engine.dialect):
            STREAMED["copy"] += 1
            async for chunk in _copied(engine, stmt):
                yield chunk
            return
        STREAMED["python"] += 1
        connection = await to_thread.run_sync(engine.connect)
        try:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                register_sqlite_functions(connection.connection.driver_connection)
            result = await to_thread.run_sync(self.execute, connection, stmt)
            # With every cell made in SQL the driver's rows are the CSV rows:
            # read them from its cursor, skipping the making of result rows.
            raw = sqlite and not python and not deferred
            fetch = result.cursor.fetchmany if raw else result.fetchmany

            def next_chunk() -> bytes:
                rows: Sequence[Any] = fetch(BATCH)
                if not rows:
                    return b""
                buffer.seek(0)
                buffer.truncate()
                if deferred:
                    rows = self._format(connection, rows, python, deferred)
                elif python:
                    rows = [_converted(row, python) for row in rows]
                writer.writerows(rows)
                return buffer.getvalue().encode()

            while chunk := await to_thread.run_sync(next_chunk):
                yield chunk
        finally:
            connection.close()  # synchronous: it must run even when cancelled


async def _copied(engine: Engine, stmt: Select) -> AsyncIterator[bytes]:
    """The rows of `stmt` as PostgreSQL's COPY writes them, read in a thread."""
    connection = await to_thread.run_sync(engine.connect)
    chunks = None
    try:
        chunks = copy_chunks(connection, stmt)
        while chunk := await to_thread.run_sync(next, chunks, b""):
            yield chunk
    finally:  # synchronous: it must run even when cancelled
        if chunks is not None:
            chunks.close()  # cancels an unfinished COPY
        connection.close()


def _converted(row: Any, python: list[tuple[int, Converter]]) -> list[Any]:
    values = list(row)
    for position, convert in python:
        values[position] = convert(values[position])
    return values
