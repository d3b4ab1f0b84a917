"""An imported file applied row by row through the edit form's write path.

Each row is found (by its key, or by the chosen unique column), its cells are
parsed by the fields' own parsers (`FieldSpec.parse`), those repeating what
an existing row holds are left out (as a form's fields left as shown), and
the values go through `RowWriter`, as a form's would: the model's
`model_validate`, `0` foreign keys to NULL, the time-zone rule, the unique
checks. Each row is
written in a savepoint: a refused row is rolled back alone and reported with
its row number, column and message, and the rows after it see the rows before
it (two new rows with the same unique name are caught in the preview).

A large file is applied in batches of `BATCH_ROWS` rows: the rows a batch
names are read with one query per table (locked, on a confirmation), every
row of the batch is validated in Python, and the batch is written in one
savepoint: by one statement per shape of row when the table's rows are plain
columns (`batch_writes`), else by one flush (the ORM's executemany). Only a
batch in which a row is refused (its values, a unique value, a missing
related row) or the database refuses the flush is rolled back and run again
row by row, each in its own savepoint, so that its outcome and messages are
exactly those of a row-by-row import. The outcomes are handed on as each
batch is done (`sink`), and the result keeps only counts and the first rows
a preview shows, so memory does not grow with the file.

The parts live beside this module, one concept each: finding the row a file's
row names (`finding`), reading its cells as form data
(`cells`), and what each row does (`outcomes`).

A preview runs this code in a transaction that is rolled back. Each row's
outcome carries what `BatchWrites` was given for it (`Written`), which its
confirmation writes again without deciding it anew (`decisions`);
where a row was written by the ORM's flush, the confirmation runs this same
code again in a transaction that commits, and each row's outcome digest (its
status, key, values before and change) tells exactly which rows would now
change differently from what the user was shown.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admin_app.db import begin_for_savepoints
from admin_app.importing.batch_writes import BatchWrites, UnorderedInsert, plain_columns
from admin_app.importing.cells import CellReader
from admin_app.importing.columns import ImportColumns
from admin_app.importing.finding import RowFinder
from admin_app.importing.outcomes import (
    KEPT,
    HeldCell,
    ImportResult,
    Row,
    RowError,
    RowOutcome,
    Sink,
    Written,
)
from admin_app.importing.seen import SeenRows
from admin_app.listing.export import ExportColumn
from admin_app.model.fields import FieldSpec
from admin_app.model.keys import identifier, key_attributes, row_identifier
from admin_app.model.relations import own_row_columns
from admin_app.writing.audit import diff, jsonable
from admin_app.writing.unique import Asked, BatchUniqueCheck
from admin_app.writing.writes import FormErrors, RowWriter, column_values

__all__ = [
    "BATCH_ROWS",
    "KEPT",
    "ImportResult",
    "ImportRun",
    "ImportedView",
    "Permissions",
    "Row",
    "RowError",
    "RowOutcome",
    "Sink",
]

BATCH_ROWS = 1_000  # rows read, validated and written together
RELATED_KEPT = 5_000  # related rows kept from one batch to the next


class ImportedView(Protocol):
    """What an import needs of the view it serves."""

    model: Any
    identity: str
    name: str
    name_plural: str
    field_specs: Mapping[str, FieldSpec]

    def export_columns(self) -> list[ExportColumn]: ...


class _Replay(Exception):
    """A batch to run again row by row."""


@dataclass
class _Pending:
    """A row of the batch written at the batch's flush."""

    number: int
    cells: list[str]
    obj: Any
    creating: bool
    keyless: bool
    before: dict[str, Any]  # an existing row's columns as found
    asked: dict[str, Any]
    key: str = ""  # an existing row's identifier as found
    # as written by `BatchWrites`: a new row's columns, a changed row's changes
    after: dict[str, Any] | None = None
    written: Written | None = None  # what `BatchWrites` was given


@dataclass
class Permissions:
    """Whether the user may add rows and change rows (the import grant is
    checked before the file is read)."""

    create: bool = True
    edit: bool = True


class ImportRun:
    """Applies the rows of one file to one table in `session`'s transaction."""

    def __init__(
        self,
        view: ImportedView,
        session: Session,
        columns: ImportColumns,
        *,
        hidden: frozenset[str] = frozenset(),
        permissions: Permissions | None = None,
        hook: Callable[[dict[str, Any], Any, bool], None] | None = None,
        hook_sets_row: bool = True,
        lock: bool = False,
        sink: Sink | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.view, self.model, self.session = view, view.model, session
        self.columns = columns
        self.hidden = hidden  # columns never recorded (secrets, audit_hidden)
        self.permissions = permissions or Permissions()
        self.hook = hook  # the view's `on_model_change`, as a form save calls it
        self.lock = lock
        self.sink = sink  # each row's outcome and cells, batch by batch
        self.progress = progress  # told how many rows are done, batch by batch
        self.mapper = inspect(self.model)
        self._own_rows = own_row_columns(self.model)
        self._key_attributes = key_attributes(self.model)
        # a new row's columns its outcome shows: those the file sets, less
        # (for a row without a key) the key the database numbers
        self._shown = frozenset(columns.column_keys)
        self._shown_keyless = self._shown - set(key_attributes(self.model))
        self.finder = RowFinder(
            self.model, view.name, session, columns, self.error, lock=lock
        )
        self.cells = CellReader(
            session,
            columns,
            self.error,
            own=self.model,
            own_row_missing=self._own_row_missing,
            held=self._held_cell,
        )
        self._adding = False  # the batch adds a row before the one at hand
        # each written row's key: its row number (a file of its own while `run` runs)
        self._seen: SeenRows
        self._errors: list[RowError] = []  # the batch's, until it is done
        self._held: list[HeldCell] = []  # the batch's, until it is done
        self._unique: list[Asked] = []  # the unique values the batch asks for
        self._unique_check = BatchUniqueCheck(session, self.model)
        self._outcomes: list[tuple[RowOutcome, list[str]]] = []
        self._batched = False  # True while a batch runs without savepoints
        # related rows by their key's text: the batch's, or while the batch
        # statements write (which only read their keys) the file's, up to
        # `RELATED_KEPT` of them
        self._related: dict[tuple[type, str], Any] = {}
        # a batch's writes, made by statements of their own when the rows are
        # plain columns and no hook may set anything on the row object
        plain = plain_columns(self.model, session) and not (hook and hook_sets_row)
        self.writes = BatchWrites(self.model) if plain else None
        self.result = ImportResult()

    def run(self, rows: Iterable[Row]) -> ImportResult:
        begin_for_savepoints(self.session)
        self._seen = SeenRows()
        done = 0
        try:
            for batch in _batches(iter(rows), BATCH_ROWS):
                self._batch(batch)
                done += len(batch)
                if self.progress is not None:
                    self.progress(done)
        finally:
            self._seen.close()
        return self.result

    def _batch(self, batch: list[Row]) -> None:
        self.finder.preload(batch, known=self._related)
        self._seen.recall(self.finder.held_identifiers())
        savepoint = self.session.begin_nested()
        try:
            self._batched, self._adding = True, False
            self._unique = []
            pending = []
            with self.session.no_autoflush:
                for row in batch:
                    pending.append(self._row(row[0], row[1]))
                    self._overlong(row)
                if self._unique and self._unique_check.taken(self._unique):
                    raise _Replay  # each row's check names its field
            if self.writes is not None:
                self.writes.write(self.session)
            else:
                self.session.flush()
            self._finish([p for p in pending if p is not None])
        except (_Replay, UnorderedInsert, IntegrityError):
            savepoint.rollback()
            self._errors, self._held, self._outcomes = [], [], []
            self._related = {}
            if self.writes is not None:
                self.writes = BatchWrites(self.model)
            self._seen.forget_batch()
            self._batched = False
            self.cells.forget()  # labels looked up before the rows they name
            self.finder.preload(batch)
            for row in batch:
                self._row(row[0], row[1])
                self._overlong(row)
        else:
            savepoint.commit()
        finally:
            self._batched = False
        for error in self._errors:
            self.result.add_error(error)
        for cell in self._held:
            self.result.add_held(cell)
        for outcome, cells in self._outcomes:
            self.result.add(outcome)
            if self.sink is not None:
                self.sink(outcome, cells)
        self._errors, self._held, self._outcomes = [], [], []
        self._seen.keep_batch()
        self.finder.forget()
        self.cells.forget()
        if self.writes is None or len(self._related) > RELATED_KEPT:
            self._related = {}  # a flush would attach the rows it was given
        self.session.expunge_all()  # the identity map holds no more than a batch

    def _own_row_missing(self) -> None:
        """No row of this table has a label a row asks for: in a batch, its
        writes are not made yet (a row it adds or renames), so the batch
        runs again row by row, where the label is looked for after them."""
        if self._batched:
            raise _Replay

    def error(self, row: int, column: str, message: str) -> None:
        self._errors.append(RowError(row, column, message))

    def _held_cell(self, attribute: str, cell: HeldCell) -> None:
        """A cell read as its row's value: listed, unless the column is one
        never recorded (as its changes are not)."""
        if attribute not in self.hidden:
            self._held.append(cell)

    def _overlong(self, row: Row) -> None:
        if len(row) > 2 and row[2]:  # type: ignore[misc]
            self.error(row[0], "", "This row has more cells than the header has names.")

    def state(self, obj: Any) -> dict[str, Any]:
        """The row's columns as the audit trail records them."""
        return column_values(obj, self.hidden)

    def _row(self, number: int, cells: list[str]) -> _Pending | None:
        """Apply one row. In a batch, the row written at the batch's flush
        (None if it was refused); row by row, written now in a savepoint."""
        if self.cells.spreadsheet_errors(number, cells):
            return None
        found = self.finder.find(number, cells, fresh=self._batched)
        if found is False:
            return None
        creating = found is None
        key = "" if creating else row_identifier(found)
        if not creating:
            earlier = self._seen.earlier(key)
            if earlier is not None:
                self.error(number, "", f"This row is the same row as row {earlier}.")
                return None
        keyless = not any(cells[c.position].strip() for c in self.columns.key)
        if creating and not self.permissions.create:
            self.error(number, "", f"You may not add {self.view.name_plural}.")
            return None
        if self._batched and self._adding and self.cells.names_own_row_by_label(cells):
            raise _Replay  # its label may name a row the batch adds: row by row
        data = self.cells.data(number, cells, found)
        if data is None:
            return None
        if not creating:
            obj = found
        elif self.writes is not None and self._batched:
            obj = self.writes.new_row()
        else:
            obj = self.model()
        current = column_values(obj)
        before = {} if creating else current
        if self._batched:
            try:
                asked = self._asked(number, data, obj, creating, current)
                if not (asked or creating):  # every cell repeats the row
                    changes = {}
                else:
                    writer = RowWriter(
                        self.model,
                        self.session,
                        related=self._related,
                        unique_later=self._unique,
                    )
                    if self.writes is None:
                        writer.apply(obj, asked, flush=False)
                    else:
                        changes = writer.column_changes(obj, asked, current)
                    asked = writer.asked
            except FormErrors as refused:
                raise _Replay from refused  # its message as a row-by-row run gives it
            if not creating:
                if self.writes is None:
                    key = row_identifier(obj)  # as set on it for the flush
                self._seen.saw(key, number)
            pending = _Pending(
                number, cells, obj, creating, keyless, before, asked, key
            )
            if self.writes is not None:
                self._written(pending, current, changes)
            if not creating and not self.permissions.edit and self._changed(pending):
                raise _Replay
            self._adding = self._adding or creating
            return pending
        savepoint = self.session.begin_nested()
        try:
            asked = self._asked(number, data, obj, creating, current)
            writer = RowWriter(self.model, self.session)
            writer.apply(obj, asked)
        except FormErrors as refused:
            savepoint.rollback()
            self._refused(number, refused)
            return None
        pending = _Pending(
            number, cells, obj, creating, keyless, before, writer.asked, key
        )
        changes = self._changes(pending)
        if not creating and not self.permissions.edit and self._changed(pending):
            savepoint.rollback()
            self.error(number, "", f"You may not change {self.view.name_plural}.")
            return None
        savepoint.commit()
        self._outcome(pending, changes)
        return None

    def _asked(
        self,
        number: int,
        data: dict[str, Any],
        obj: Any,
        creating: bool,
        current: dict[str, Any],
    ) -> dict[str, Any]:
        """The form data the write path is given for a row: the view's hook
        sees every cell, as a form's hook sees every field; then a cell
        repeating what an existing row held (`current`) is left out
        (`CellReader.asked`), so what the hook set on the row stays, as on
        an edit form whose field the user left as shown."""
        if self.hook is not None:
            self.hook(data, obj, creating)
        return data if creating else self.cells.asked(number, data, current)

    def _written(
        self, row: _Pending, current: dict[str, Any], changes: dict[str, Any]
    ) -> None:
        """Hand a batched row's changes to `self.writes`, and keep in `row`
        what it was given and the row's columns as they will be (for a new
        row, a dict filled with them at the write). `current` is the row's
        columns before the changes."""
        assert self.writes is not None
        if row.creating:
            row.written = Written(None, changes)
            row.after = self.writes.insert({**current, **changes})
            return
        key = self.mapper.primary_key_from_instance(row.obj)
        row.written = Written(tuple(key), changes)
        self.writes.update(key, changes)
        # the row's other columns as before: only these can differ
        row.after = {k: v for k, v in changes.items() if k not in self.hidden}

    def _changes(self, row: _Pending) -> dict[str, list[Any]]:
        after = self.state(row.obj) if row.after is None else row.after
        if not row.creating:
            return diff(row.before, after)
        shown = self._shown_keyless if row.keyless else self._shown
        values = {k: v for k, v in after.items() if k in shown and k not in self.hidden}
        return {k: [None, v] for k, v in jsonable(values).items()}

    def _unrecorded(self, row: _Pending) -> list[str]:
        """The row's changed columns whose values are never shown or recorded
        (`hidden`: a secret a hook sets, a view's `audit_hidden`): a change
        all the same, named alone; of a new row, those its cells set."""
        if not self.hidden:
            return []
        if row.creating:
            return [k for k in row.asked if k in self.hidden and row.asked[k]]
        after = column_values(row.obj) if row.written is None else row.written.values
        return list(diff(row.before, {k: after[k] for k in self.hidden if k in after}))

    def _changed(self, row: _Pending) -> bool:
        """Whether an existing row changes, in any column."""
        return bool(self._changes(row) or self._unrecorded(row))

    def _finish(self, pending: list[_Pending]) -> None:
        """The outcomes of a batch written together (a flush, or `self.writes`)."""
        for row in pending:
            self._outcome(row, self._changes(row))

    def _outcome(self, row: _Pending, changes: dict[str, list[Any]]) -> None:
        unrecorded = self._unrecorded(row)
        changed = changes or unrecorded
        status = "new" if row.creating else "changed" if changed else "unchanged"
        if row.after is None:  # written by the ORM, which may change its key
            key = row_identifier(row.obj)
        elif row.creating:
            key = identifier([row.after[k] for k in self._key_attributes])
        else:
            key = row.key
        self._seen.saw(key, row.number, row.creating)
        outcome = RowOutcome(
            row.number,
            status,
            key,
            row.before,
            changes,
            row.asked if row.creating else dict.fromkeys(row.asked),
            row.written,
            self._names(changes),
            unrecorded,
        )
        self._outcomes.append((outcome, row.cells))

    def _names(self, changes: dict[str, list[Any]]) -> dict[str, str]:
        """The columns of the change that name a row of this table which the
        import added before (a parent task the file adds), by that row's
        number in the file: the row they name, whatever key it gets. (A row
        it found keeps its key; and a confirmation runs again only the rows
        that change, not the rows a file's row found unchanged.)"""
        names = {}
        for name in self._own_rows:
            value = changes.get(name, (None, None))[1]
            if value is not None:
                earlier = self._seen.added_earlier(identifier([value]))
                if earlier is not None:
                    names[name] = f"row {earlier}"
        return names

    def _refused(self, number: int, refused: FormErrors) -> None:
        if not refused.fields:
            self.error(number, "", str(refused))
        for name, messages in refused.fields.items():
            for message in messages:
                self.error(number, self.columns.header_of(name), message)


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch
