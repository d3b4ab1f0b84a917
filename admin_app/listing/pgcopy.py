"""The CSV export on PostgreSQL, written by the database: `COPY (SELECT ...)
TO STDOUT WITH (FORMAT csv)` through psycopg.

Reading rows into Python and writing them with `csv.writer` costs several
times what PostgreSQL's own CSV writer does. When every cell of the export is
made in SQL (`listing.cells`), the rows PostgreSQL writes are the CSV, byte for
byte, after three adjustments that make them the file `csv.writer` writes:

- `csv.writer` ends rows with CR LF, COPY with LF: each row's ending is
  replaced (a line break inside a quoted cell stays as it is);
- COPY writes an empty text as `""` to tell it from NULL, `csv.writer` writes
  both as nothing: text cells are `NULLIF(cell, '')`;
- COPY quotes a one-column row holding `\\.` (its end-of-data marker) and
  `csv.writer` quotes a one-column empty row: one-column exports keep Python.

The SELECT is the export's own statement, with its parameters exactly as
SQLAlchemy would send them to psycopg (captured from a no-op execution), and
psycopg merges them into the COPY with its own quoting: no user value is ever
put into the SQL text by this module.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Select, String, event, func, literal

CHUNK_BYTES = 64 * 1024  # whole rows, about this many bytes a chunk


def copy_select(stmt: Select) -> Select:
    """`stmt` with each text cell `NULLIF(cell, '')`, so COPY writes an empty
    text as `csv.writer` does (an empty cell, like NULL)."""
    columns = [
        func.nullif(column, literal("")) if isinstance(column.type, String) else column
        for column in stmt.selected_columns
    ]
    return stmt.with_only_columns(*columns, maintain_column_froms=True)


def driver_statement(connection: Connection, stmt: Select) -> tuple[str, Any]:
    """The SQL text and parameters SQLAlchemy sends psycopg for `stmt` (bind
    processors, expanded `IN` lists and casts included), taken from its
    execution event. What runs instead selects no rows."""
    captured: dict[str, Any] = {}
    width = len(stmt.selected_columns)
    nothing = "SELECT " + ", ".join(["NULL"] * width) + " WHERE false"

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        captured["sql"], captured["parameters"] = statement, parameters
        return nothing, None

    event.listen(connection, "before_cursor_execute", capture, retval=True)
    try:
        connection.execute(stmt).close()
    finally:
        event.remove(connection, "before_cursor_execute", capture)
    return captured["sql"], captured["parameters"]


def crlf(rows: bytes) -> bytes:
    """Whole CSV rows from COPY with each row's LF ending made CR LF. A line
    break outside quotes ends a row: each quoted cell holds an even number of
    quote characters, so the text between quotes alternates outside, inside."""
    if b'"' not in rows:
        return rows.replace(b"\n", b"\r\n")
    parts = rows.split(b'"')
    parts[::2] = [part.replace(b"\n", b"\r\n") for part in parts[::2]]
    return b'"'.join(parts)


def copy_chunks(connection: Connection, stmt: Select) -> Iterator[bytes]:
    """The CSV rows of `stmt` (without header), whole rows, about 64 KiB a chunk.

    Closing the generator early (a client that hangs up) cancels the COPY on
    the server; a broken connection is invalidated, never returned to the pool.
    """
    sql, parameters = driver_statement(connection, copy_select(stmt))
    if not isinstance(parameters, Mapping) or not parameters:
        # psycopg merges parameters (and un-doubles `%%`) only when there are
        # some; every export statement has them (see `listing.cells`).
        raise ValueError("the export statement has no parameters")
    copy = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, ENCODING 'UTF8')"
    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(copy, parameters) as rows:
            read = rows.read  # one CSV row per call: PostgreSQL sends them so
            buffer = bytearray()
            while row := read():
                buffer += row
                if len(buffer) >= CHUNK_BYTES:
                    chunk = bytes(buffer)
                    buffer.clear()
                    yield crlf(chunk)
            if buffer:
                yield crlf(bytes(buffer))
    except BaseException:
        if raw.broken or raw.closed:
            connection.invalidate()
        raise
