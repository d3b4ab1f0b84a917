"""Text read from a file in a code page, which has no byte for most of
Unicode's characters: a spreadsheet saving `Łódź 😀` in Windows-1252 writes
`?ód? ?`, a `?` for each character it lacks (`files.CellFormat.lossy`).

Such a cell is the text it stands for where exactly one text of the table
is written so: a row's own text is left as it is, and a key or a label
finds the row whose text it is.
"""

from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

ROWS_READ = 20  # rows a pattern may find before the text is given up on


def as_written(text: str, codec: str) -> str:
    """`text` as a file in `codec` holds it: `?` for each character the code
    page has no byte for (as spreadsheets and Python write them)."""
    return text.encode(codec, "replace").decode(codec)


def holds(text: str, codec: str) -> bool:
    """Whether the code page `codec` has a byte for every character of `text`."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def stands_for(cell: Any, text: Any, codec: str | None) -> bool:
    """Whether a cell's text is `text` as a file in `codec` (None: a file
    that holds every character) writes it, where the two differ."""
    return (
        codec is not None
        and type(cell) is str
        and type(text) is str
        and "?" in cell
        and cell != text
        and as_written(text, codec) == cell
    )


def rows_written_as(
    session: Session,
    model: type,
    name: str,
    cell: str,
    codec: str,
    *,
    lock: bool = False,
) -> list[Any]:
    """The rows of `model` whose text in attribute `name` the cell (with `?`
    in it) stands for, read by a pattern with one character where each `?`
    is (a character a code page lacks is one character), compared as text
    (a name column may be of any type); `lock`ed as a confirmation locks
    the rows it changes."""
    escaped = cell.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = escaped.replace("?", "_")
    written = cast(getattr(model, name), String)
    stmt = select(model).where(written.like(pattern, escape="\\")).limit(ROWS_READ)
    if lock:
        stmt = stmt.with_for_update(of=model)
    return [
        row
        for row in session.scalars(stmt)
        if stands_for(cell, getattr(row, name), codec)
    ]
