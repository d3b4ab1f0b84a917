"""The existing row each row of an imported file names.

By its primary key (a composite one too: a link table's rows), or by the
unique column the user picked. A batch's rows (and the related rows its
cells name) are read with one query per table before the batch is applied,
locked on a confirmation, and held: the session's identity map keeps rows
only while something refers to them, and each row's lookup (`Session.get`,
here and in `RowWriter`) would otherwise be a query of its own.
"""

from collections.abc import Container, Sequence
from typing import Any

from sqlalchemy import Column, inspect, select, tuple_
from sqlalchemy.orm import Session

from admin_app.importing.cells import Report
from admin_app.importing.code_pages import rows_written_as
from admin_app.importing.columns import ImportCell, ImportColumns
from admin_app.importing.digit_texts import (
    dropped_zeros,
    in_e_notation,
    rows_with_zeros,
)
from admin_app.importing.files import ENCODINGS
from admin_app.importing.outcomes import Row
from admin_app.importing.value_texts import rows_read_as
from admin_app.model.fields import BadValue, Kind
from admin_app.model.keys import BadKey, coerce_key_part, identifier, row_identifier
from admin_app.model.limits import cannot_hold
from admin_app.model.names import listed

_NO_KEY = object()  # text that names no row


class RowFinder:
    """Finds the rows of one table that an import's rows name."""

    def __init__(
        self,
        model: type,
        name: str,
        session: Session,
        columns: ImportColumns,
        report: Report,
        *,
        lock: bool = False,
    ) -> None:
        self.model, self.name, self.session = model, name, session
        self.columns = columns
        self.report = report
        self.lock = lock
        self.mapper = inspect(model)
        self._lossy = columns.format.lossy
        self._held: list[Any] = []  # the batch's rows, kept in the identity map
        self._by_key: dict[Any, Any] = {}  # the batch's rows by their key
        self._absent: set[Any] = set()  # the batch's keys no row had

    def forget(self) -> None:
        """Let go of the batch's rows."""
        self._held, self._by_key, self._absent = [], {}, set()

    def held_identifiers(self) -> list[str]:
        """The identifiers of the batch's own rows that `preload` read."""
        return [row_identifier(row) for row in self._by_key.values()]

    def preload(
        self, rows: Sequence[Row], known: Container[tuple[type, str]] = ()
    ) -> None:
        """Read the rows the batch names (its own rows by key, locked on a
        confirmation, and related rows by their keys but those `known` by
        their model and key text), one query per table, and hold them."""
        self._preload_own(rows)
        for cell in self.columns.values:
            spec = cell.spec
            if (
                spec.kind is not Kind.TO_ONE
                or spec.target is None
                or len(spec.target_columns) != 1
            ):
                continue
            column, model = spec.target_columns[0], spec.target
            keys = set()
            for text in {row[1][cell.position].strip() for row in rows}:
                if (model, text) not in known:  # each text once: a batch
                    key = self._key_part(column, text)  # names few rows often
                    if key is not _NO_KEY:
                        keys.add(key)
            if keys:
                stmt = select(model).where(column.in_(list(keys)))
                self._held.extend(self.session.scalars(stmt))

    def _preload_own(self, rows: Sequence[Row]) -> None:
        """Read the batch's own rows by the key the file finds them by (a
        composite key too: a link table's rows), with one query."""
        self._by_key, self._absent = {}, set()
        columns = self.columns.key_columns
        cells = {cell.column.key: cell for cell in self.columns.key}
        if not columns or len(cells) != len(columns):
            return
        by_column = [(column, cells[column.key]) for column in columns]
        keys = set()
        for row in rows:
            written = [row[1][cell.position] for _column, cell in by_column]
            stripped = [text.strip() for text in written]
            # as `find` looks: as written (where spaces are around), stripped
            for texts in (written, stripped) if written != stripped else (stripped,):
                parts = []
                for (column, _cell), text in zip(by_column, texts, strict=True):
                    part = self._key_part(column, text)
                    if part is _NO_KEY:
                        break
                    parts.append(part)
                else:
                    keys.add(parts[0] if len(parts) == 1 else tuple(parts))
        if not keys:
            return
        if len(columns) == 1:
            stmt = select(self.model).where(columns[0].in_(list(keys)))
        else:
            stmt = select(self.model).where(tuple_(*columns).in_(list(keys)))
        if self.lock:  # its own rows: a joined eager load's are not locked
            stmt = stmt.with_for_update(of=self.model)
        found = list(self.session.scalars(stmt))
        self._held.extend(found)
        names = [self.mapper.get_property_by_column(c).key for c in columns]
        for obj in found:
            parts = [getattr(obj, name) for name in names]
            self._by_key[parts[0] if len(parts) == 1 else tuple(parts)] = obj
        # where each row came back holding a key as asked for (not as a column
        # comparing text without case has it), the keys not found name no row
        exact = self._by_key.keys() <= keys
        self._absent = keys - self._by_key.keys() if exact else set()

    def _key_part(self, column: Column, text: str) -> Any:
        """The value of a key column that `text` names, or _NO_KEY: empty, not
        a key, or one the column cannot hold (no row has it)."""
        if not text:
            return _NO_KEY
        try:
            key = coerce_key_part(column, text)
        except BadKey:
            return _NO_KEY
        return key if cannot_hold(column, key, self.session) is None else _NO_KEY

    def find(self, number: int, cells: list[str], *, fresh: bool = False) -> Any:
        """The existing row the cells name, None for a new row, False (with
        the error reported) for a row that cannot be found. `fresh`: nothing
        was written since `preload`, so a key it found no row for is a new
        row's, without a query of its own (a file adding 100,000 rows by
        their emails made as many)."""
        written = [cells[cell.position] for cell in self.columns.key]
        texts = [text.strip() for text in written]
        if not self.columns.key or not any(texts):
            return None
        if len(self.columns.key) != len(self.columns.key_columns) or not all(texts):
            self.report(number, self.columns.key[0].header, "The key is incomplete.")
            return False
        if written != texts:  # a text key with spaces around it, as typed
            ordered = self._key_values(number, written, report=False)
            found = None if ordered is None else self._row_of(ordered, fresh)
            if found is not None:  # else read stripped: a stray space typed
                return found
        ordered = self._key_values(number, texts, report=True)
        if ordered is None:
            return False
        primary = self.columns.key_columns == list(self.mapper.primary_key)
        one = ordered[0] if len(ordered) == 1 else tuple(ordered)
        obj = self._row_of(ordered, fresh)
        if obj is None:
            obj = self._written_otherwise(number, one)
            if obj is False:
                return False
        if obj is None and primary and self.columns.key[0].spec.generated:
            self.report(
                number,
                self.columns.key[0].header,
                f"No {self.name} has the key {identifier(ordered)}: leave it "
                "empty to add a new row.",
            )
            return False
        return obj

    def _key_values(
        self, number: int, texts: list[str], *, report: bool
    ) -> list[Any] | None:
        """The values the key cells' `texts` name, in `key_columns`' order;
        None where one is not a valid key, or not one its column can hold
        (reported, with `report`)."""
        values = {}
        for cell, text in zip(self.columns.key, texts, strict=True):
            try:
                value = _key_value(cell, text)
                refused = cannot_hold(cell.column, value, self.session)
            except (BadKey, BadValue):
                refused = f"{text!r} is not a valid key."
            if refused is not None:
                if report:
                    self.report(number, cell.header, refused)
                return None
            values[cell.column.key] = value
        return [values[column.key] for column in self.columns.key_columns]

    def _row_of(self, ordered: list[Any], fresh: bool) -> Any:
        """The row whose key columns (in `key_columns`' order) hold `ordered`,
        or None: read by `preload`, else looked up."""
        one = ordered[0] if len(ordered) == 1 else tuple(ordered)
        if one in self._by_key:
            return self._by_key[one]  # read (and locked) by `preload`
        if fresh and one in self._absent:
            return None
        if self.columns.key_columns == list(self.mapper.primary_key):
            return self.session.get(
                self.model,
                tuple(ordered),
                with_for_update={"of": self.model} if self.lock else None,
            )
        stmt = select(self.model).where(self.columns.key_columns[0] == ordered[0])
        if self.lock:
            stmt = stmt.with_for_update(of=self.model)
        return self.session.scalars(stmt.limit(1)).first()

    def _written_otherwise(self, number: int, key: Any) -> Any:
        """The row whose text key a key cell stands for as a spreadsheet
        may have written it, where no row has the key as written: with `?`
        for each character a code page lacks (`code_pages`), digits without
        their leading zeros (`digit_texts`), or a text it read as a date, a
        time, a number or a flag (`value_texts`). None for none, False
        (reported) for several, and for a key in E-notation (its digits are
        lost; it would have been a new row's key)."""
        if not isinstance(key, str) or len(self.columns.key_columns) != 1:
            return None
        column = self.columns.key_columns[0]
        name = self.mapper.get_property_by_column(column).key
        lock = self.lock
        if self._lossy is not None and "?" in key:
            found = rows_written_as(
                self.session, self.model, name, key, self._lossy, lock=lock
            )
            how = f"a ? for a character {ENCODINGS[self._lossy][0]} has no byte for"
            fix = "save the file as CSV UTF-8 or as XLSX"
        elif dropped_zeros(key):
            found = rows_with_zeros(self.session, self.model, column, key, lock=lock)
            how = "leading zeros, which a spreadsheet drops"
            fix = "write the key with its zeros, or save the file as XLSX"
        elif in_e_notation(key):
            self.report(
                number,
                self.columns.key[0].header,
                f"{key!r} is a key of digits a spreadsheet read as a number and "
                "wrote in E-notation, its last digits lost: format the column "
                "as text there and type the keys again, or save the export as "
                "XLSX, which keeps them.",
            )
            return False
        else:
            found = rows_read_as(self.session, self.model, column, key, lock=lock)
            how = "a text a spreadsheet read as a date, a time, a number or a flag"
            fix = "write the key as the row has it, or save the export as XLSX"
        if len(found) > 1:
            keys = listed(sorted(repr(getattr(row, name)) for row in found))
            self.report(
                number,
                self.columns.key[0].header,
                f"Rows with the keys {keys} have a key {key!r} may stand for "
                f"({how}): {fix}.",
            )
            return False
        return found[0] if found else None


def _key_value(cell: ImportCell, text: str) -> Any:
    if cell.spec.kind is Kind.TO_ONE or cell.spec.column is None:
        return coerce_key_part(cell.column, text)
    value = cell.spec.parse(text)
    if value is None:
        raise BadValue(text)
    return value
