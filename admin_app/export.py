"""Streaming CSV export of exactly the rows the list shows.

SQLAdmin's export ignores the list's filters, loads every row into memory first,
writes `None` and Python reprs, and escapes no formulas. Here the export runs
the list's own `ListQuery` (all pages, in the list's order), reads it in
batches through a server-side cursor, and writes each batch with `csv.writer`,
so memory stays flat however many rows there are.

Format: UTF-8, a header row of column names, one row per record; None is an
empty cell; a to-one relationship is the related row's label (joined in the
query); text starting with `=`, `+`, `-`, `@`, tab or carriage return gets a
leading `'` so spreadsheets never evaluate it; numbers stay numbers.
"""

import csv
import enum
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from anyio import to_thread
from sqlalchemy import Engine, Select, and_, inspect, select
from sqlalchemy.orm import RelationshipDirection, Session, aliased

from admin_app import metadata
from admin_app.labels import label_column, label_for
from admin_app.query import ListQuery

BATCH = 5000
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text a spreadsheet shows as text, never as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _text_cell(value: Any) -> Any:
    return safe_text(value) if isinstance(value, str) else cell(value)


def _number_cell(value: Any) -> Any:
    return "" if value is None else value


def converter(column: Any) -> Callable[[Any], Any]:
    """The cell function for one selected column, chosen once per export: the
    per-row work is then one call per cell."""
    try:
        python_type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return cell
    if python_type in (int, float, Decimal) and not issubclass(python_type, bool):
        return _number_cell
    if python_type is str or python_type is object:
        return _text_cell
    return cell


def cell(value: Any) -> Any:
    """One value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value  # numbers stay numbers


@dataclass
class _Relation:
    """A to-one relationship whose label cannot be read with a join (a custom
    `__admin_label__`): its rows are loaded once per batch by key."""

    position: int  # where its key columns start in the result row
    width: int
    target: type


class CsvExport:
    """The CSV of one `ListQuery`."""

    def __init__(self, query: ListQuery, names: Sequence[str]) -> None:
        self.query = query
        self.model = query.view.model
        self.names = list(names)

    def statement(self) -> tuple[Select, list[_Relation]]:
        """The list's own query, narrowed to the exported columns, with the
        labels of related rows joined in."""
        mapper = inspect(self.model)
        relations = metadata.to_one(self.model)
        columns: list[Any] = []
        joins: list[tuple[Any, Any]] = []
        deferred: list[_Relation] = []
        for name in self.names:
            if name in mapper.columns:
                columns.append(mapper.columns[name])
                continue
            rel = relations.get(name)
            if rel is None or rel.direction is not RelationshipDirection.MANYTOONE:
                raise ValueError(
                    f"{name!r} cannot be exported: not a column or a to-one link"
                )
            target = rel.mapper.class_
            label = label_column(target)
            if label is None or hasattr(target, "__admin_label__"):
                keys = [local for local, _remote in rel.local_remote_pairs]
                deferred.append(_Relation(len(columns), len(keys), target))
                columns.extend(keys)
                continue
            alias = aliased(target)
            on = [
                local == getattr(alias, remote.key)
                for local, remote in rel.local_remote_pairs
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

    def _format(
        self, connection: Any, rows: list[Any], deferred: list[_Relation]
    ) -> list[list]:
        lookups = [(rel, self._labels(connection, rel, rows)) for rel in deferred]
        out = []
        for row in rows:
            values = list(row)
            for rel, labels in reversed(lookups):
                key = tuple(values[rel.position : rel.position + rel.width])
                values[rel.position : rel.position + rel.width] = [labels.get(key)]
            out.append([cell(v) for v in values])
        return out

    async def stream(self, engine: Engine) -> AsyncIterator[bytes]:
        """The CSV in chunks, one batch of rows each. The connection is released
        when the download ends, fails or is abandoned by the client."""
        stmt, deferred = self.statement()
        cells = [converter(c) for c in stmt.selected_columns]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(self.names)
        yield buffer.getvalue().encode()
        connection = await to_thread.run_sync(engine.connect)
        try:
            streaming = connection.execution_options(
                stream_results=True, max_row_buffer=BATCH
            )
            result = await to_thread.run_sync(streaming.execute, stmt)

            def next_chunk() -> bytes:
                rows = result.fetchmany(BATCH)
                if not rows:
                    return b""
                buffer.seek(0)
                buffer.truncate()
                if deferred:
                    writer.writerows(self._format(connection, rows, deferred))
                else:
                    writer.writerows(
                        [f(v) for f, v in zip(cells, row, strict=True)] for row in rows
                    )
                return buffer.getvalue().encode()

            while chunk := await to_thread.run_sync(next_chunk):
                yield chunk
        finally:
            connection.close()  # synchronous: it must run even when cancelled
