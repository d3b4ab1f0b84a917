"""A row's cells read as the edit form's data.

Each cell is parsed by its field's own parser (`FieldSpec.parse`), bytes as
the export writes them, and a foreign key given by the label the export wrote
is matched to the one related row of that label (several or none: a refused
row, never a guess).
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_app.importing.columns import ImportCell, ImportColumns
from admin_app.model.fields import BadValue, Kind
from admin_app.model.keys import row_identifier
from admin_app.model.labels import label_column, label_for

LABEL_SCAN_LIMIT = 10_000  # rows read to match labels made by `__admin_label__`

Report = Callable[[int, str, str], None]  # row number, column, message


class CellReader:
    """Turns the cells of one file's rows into form data, reporting each bad
    cell by its row number and column."""

    def __init__(
        self,
        session: Session,
        columns: ImportColumns,
        report: Report,
        own: type | None = None,
    ) -> None:
        self.session = session
        self.columns = columns
        self.report = report
        self.own = own  # the imported table, whose rows change as it runs
        self._labels: dict[type, dict[str, list[str]]] = {}
        self._label_cache: dict[tuple[type, str], list[str]] = {}
        # how each value cell is read, worked out once a file, not once a row
        self._reading = [(cell, *_reading(cell)) for cell in columns.values]

    def forget(self) -> None:
        """Forget the labels looked up one by one (done after each batch, so
        memory does not grow with the file and a batch sees rows the one
        before it added)."""
        self._label_cache = {}

    def data(self, number: int, cells: list[str]) -> dict[str, Any] | None:
        """The form data of one row, or None after reporting a cell's error."""
        data: dict[str, Any] = {}
        ok = True
        for cell, name, read in self._reading:
            try:
                data[name] = read(cells[cell.position])
            except BadValue as error:
                self.report(number, cell.header, str(error))
                ok = False
        for cell in self.columns.labels:
            key = self._by_label(number, cell, cells[cell.position].strip())
            if key is False:
                ok = False
            elif cell.spec.relationship is not None:
                data[cell.spec.name] = key
            else:
                data[cell.spec.columns[0].key] = key
        return data if ok else None

    def _by_label(self, number: int, cell: ImportCell, text: str) -> Any:
        """The key of the one related row labelled `text` ("" for none)."""
        if not text:
            return ""
        target = cell.spec.target
        keys = self._label_keys(target, text)
        if len(keys) == 1:
            return keys[0]
        what = cell.spec.label.lower()
        if not keys:
            self.report(number, cell.header, f"No {what} is called {text!r}.")
        else:
            self.report(
                number,
                cell.header,
                f"{len(keys)} rows of {what} are called {text!r}: give the key "
                "instead.",
            )
        return False

    def _label_keys(self, target: type, text: str) -> list[str]:
        column = label_column(target)
        if column is not None and not hasattr(target, "__admin_label__"):
            cached = self._label_cache.get((target, text))
            if cached is None:
                stmt = select(target).where(getattr(target, column) == text).limit(2)
                cached = [row_identifier(row) for row in self.session.scalars(stmt)]
                if target is not self.own:  # a row of the file may add one
                    self._label_cache[(target, text)] = cached
            return cached
        if target not in self._labels:
            labels: dict[str, list[str]] = {}
            rows = self.session.scalars(select(target).limit(LABEL_SCAN_LIMIT))
            for row in rows:
                labels.setdefault(label_for(row), []).append(row_identifier(row))
            self._labels[target] = labels
        return self._labels[target].get(text, [])


def _reading(cell: ImportCell) -> tuple[str, Callable[[str], Any]]:
    """The form data's name for a value cell, and what reads its text: a
    to-one field's key as text (the write path finds the row), bytes as the
    export writes them, anything else by its field's parser."""
    spec = cell.spec
    if spec.kind is Kind.TO_ONE:
        single = spec.relationship is not None and len(spec.columns) == 1
        return (spec.name if single else cell.column.key), str.strip
    if spec.kind is Kind.BYTES:
        return spec.name, exported_bytes
    return spec.name, spec.parse


def exported_bytes(text: str) -> bytes | None:
    """Bytes as the export writes them: `\\x` and hex."""
    stripped = text.strip()
    if not stripped:
        return None
    if not stripped.startswith("\\x"):
        raise BadValue(f"{text[:40]!r} is not bytes written as \\x and hex digits.")
    try:
        return bytes.fromhex(stripped[2:])
    except ValueError as error:
        raise BadValue(f"{text[:40]!r} is not bytes written as \\x and hex.") from error
