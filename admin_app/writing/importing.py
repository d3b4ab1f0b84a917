"""An imported file applied row by row through the edit form's write path.

Each row is found (by its key, or by the chosen unique column), its cells are
parsed by the fields' own parsers (`FieldSpec.parse`), and the values go
through `RowWriter`, as a form's would: the model's `model_validate`, `0`
foreign keys to NULL, the time-zone rule, the unique checks. Each row is
written in a savepoint: a refused row is rolled back alone and reported with
its row number, column and message, and the rows after it see the rows before
it (two new rows with the same unique name are caught in the preview).

A large file is applied in batches of `BATCH_ROWS` rows: the rows a batch
names are read with one query per table (locked, on a confirmation), every
row of the batch is validated in Python, and the batch is written by one
flush (the ORM's executemany INSERTs and UPDATEs) in one savepoint. Only a
batch in which a row is refused (its values, a unique value, a missing
related row) or the database refuses the flush is rolled back and run again
row by row, each in its own savepoint, so that its outcome and messages are
exactly those of a row-by-row import. The outcomes are handed on as each
batch is done (`sink`), and the result keeps only counts and the first rows
a preview shows, so memory does not grow with the file.

A preview and its confirmation run this same code: the preview in a
transaction that is rolled back, the confirmation in one that commits. Each
row's outcome has a digest (its status, key, values before and change), so
the confirmation can tell exactly which rows would now change differently
from what the user was shown.
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import Column, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from admin_app.listing.export import ExportColumn
from admin_app.model.fields import BadValue, FieldSpec, Kind
from admin_app.model.keys import BadKey, coerce_key_part, identifier, row_identifier
from admin_app.model.labels import label_column, label_for
from admin_app.writing.audit import diff, jsonable
from admin_app.writing.import_columns import ImportCell, ImportColumns
from admin_app.writing.writes import FormErrors, RowWriter

LABEL_SCAN_LIMIT = 10_000  # rows read to match labels made by `__admin_label__`
BATCH_ROWS = 500  # rows read, validated and written together
KEPT = 1_000  # refused rows and changed rows a result keeps to show


class ImportedView(Protocol):
    """What an import needs of the view it serves."""

    model: Any
    identity: str
    name: str
    name_plural: str
    field_specs: Mapping[str, FieldSpec]

    def export_columns(self) -> list[ExportColumn]: ...


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class RowOutcome:
    """What one row of the file does: `new`, `changed` or `unchanged`."""

    row: int
    status: str
    key: str
    before: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, list[Any]] = field(default_factory=dict)

    def digest(self) -> str:
        """The outcome in a few bytes, to compare a confirmation with its preview."""
        # `before` and `changes` hold JSON's types already (`jsonable`)
        text = json.dumps(
            [
                self.status,
                self.key if self.status != "new" else "",
                self.before,
                self.changes,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class ImportResult:
    """Counts of the whole file, and its first changed rows and messages."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0}
    )
    changed: list[RowOutcome] = field(default_factory=list)  # the first KEPT
    errors: list[RowError] = field(default_factory=list)  # the first KEPT
    error_count: int = 0
    kept: int = KEPT

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def add(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status == "changed" and len(self.changed) < self.kept:
            self.changed.append(outcome)

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < self.kept:
            self.errors.append(error)


Row = tuple[int, list[str]] | tuple[int, list[str], bool]  # bool: overlong
Sink = Callable[[RowOutcome, list[str]], None]


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
    before: dict[str, Any]


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
        self._labels: dict[type, dict[str, list[str]]] = {}
        self._seen: dict[str, int] = {}  # each written row's key: its row number
        self._new_seen: list[str] = []  # keys seen by the batch, forgotten on replay
        self._label_cache: dict[tuple[type, str], list[str]] = {}
        self._held: list[Any] = []  # the batch's rows, kept in the identity map
        self._by_key: dict[Any, Any] = {}  # the batch's rows by a unique column
        self._errors: list[RowError] = []  # the batch's, until it is done
        self._outcomes: list[tuple[RowOutcome, list[str]]] = []
        self._batched = False  # True while a batch runs without savepoints
        self.result = ImportResult()

    def run(self, rows: Iterable[Row]) -> ImportResult:
        _begin_for_savepoints(self.session)
        done = 0
        for batch in _batches(iter(rows), BATCH_ROWS):
            self._batch(batch)
            done += len(batch)
            if self.progress is not None:
                self.progress(done)
        return self.result

    def _batch(self, batch: list[Row]) -> None:
        self._preload(batch)
        savepoint = self.session.begin_nested()
        self._new_seen = []
        try:
            self._batched = True
            pending = []
            with self.session.no_autoflush:
                for row in batch:
                    pending.append(self._row(row[0], row[1]))
                    self._overlong(row)
            self.session.flush()
            self._finish([p for p in pending if p is not None])
        except (_Replay, IntegrityError):
            savepoint.rollback()
            self._errors, self._outcomes = [], []
            for key in self._new_seen:
                self._seen.pop(key, None)
            self._batched = False
            self._preload(batch)
            for row in batch:
                self._row(row[0], row[1])
                self._overlong(row)
        else:
            savepoint.commit()
        finally:
            self._batched = False
        for error in self._errors:
            self.result.add_error(error)
        for outcome, cells in self._outcomes:
            self.result.add(outcome)
            if self.sink is not None:
                self.sink(outcome, cells)
        self._errors, self._outcomes = [], []
        self._held, self._by_key, self._label_cache = [], {}, {}
        self.session.expunge_all()  # the identity map holds no more than a batch

    def _preload(self, rows: list[Row]) -> None:
        """Read the rows the batch names (its own rows by key, locked on a
        confirmation, and related rows by their keys), one query per table,
        and hold them: the session's identity map keeps rows only while
        something refers to them, and each row's lookup (`Session.get`, here
        and in `RowWriter`) would be a query of its own."""
        wanted: list[tuple[ImportCell, Column, type]] = []
        own = len(self.columns.key) == 1 and len(self.columns.key_columns) == 1
        if own:
            wanted.append(
                (self.columns.key[0], self.columns.key_columns[0], self.model)
            )
        for cell in self.columns.values:
            spec = cell.spec
            if (
                spec.kind is Kind.TO_ONE
                and spec.target is not None
                and len(spec.target_columns) == 1
            ):
                wanted.append((cell, spec.target_columns[0], spec.target))
        for index, (cell, column, model) in enumerate(wanted):
            keys = set()
            for row in rows:
                try:
                    keys.add(coerce_key_part(column, row[1][cell.position].strip()))
                except BadKey:
                    continue
            if not keys:
                continue
            stmt = select(model).where(column.in_(list(keys)))
            if own and index == 0 and self.lock:
                stmt = stmt.with_for_update()
            found = list(self.session.scalars(stmt))
            self._held.extend(found)
            if own and index == 0:
                self._by_key = {getattr(row, column.key): row for row in found}

    def error(self, row: int, column: str, message: str) -> None:
        self._errors.append(RowError(row, column, message))

    def _overlong(self, row: Row) -> None:
        if len(row) > 2 and row[2]:  # type: ignore[misc]
            self.error(row[0], "", "This row has more cells than the header has names.")

    def _saw(self, key: str, number: int) -> None:
        self._seen[key] = number
        self._new_seen.append(key)

    def state(self, obj: Any) -> dict[str, Any]:
        """The row's columns as the audit trail records them."""
        return {
            prop.key: getattr(obj, prop.key)
            for prop in self.mapper.column_attrs
            if prop.key not in self.hidden
        }

    def _row(self, number: int, cells: list[str]) -> _Pending | None:
        """Apply one row. In a batch, the row written at the batch's flush
        (None if it was refused); row by row, written now in a savepoint."""
        found = self._find(number, cells)
        if found is False:
            return None
        creating = found is None
        if not creating:
            earlier = self._seen.get(row_identifier(found))
            if earlier is not None:
                self.error(number, "", f"This row is the same row as row {earlier}.")
                return None
        keyless = not any(cells[c.position].strip() for c in self.columns.key)
        if creating and not self.permissions.create:
            self.error(number, "", f"You may not add {self.view.name_plural}.")
            return None
        if creating and not keyless and self._batched:
            raise _Replay  # a key given for a new row: a later row may name it
        data = self._data(number, cells, creating)
        if data is None:
            return None
        obj = self.model() if creating else found
        before = {} if creating else self.state(obj)
        if self._batched:
            try:
                if self.hook is not None:
                    self.hook(data, obj, creating)
                RowWriter(self.model, self.session).apply(obj, data, flush=False)
            except FormErrors as refused:
                raise _Replay from refused  # its message as a row-by-row run gives it
            if not creating:
                self._saw(row_identifier(obj), number)
            pending = _Pending(number, cells, obj, creating, keyless, before)
            if not creating and not self.permissions.edit and self._changes(pending):
                raise _Replay
            return pending
        savepoint = self.session.begin_nested()
        try:
            if self.hook is not None:
                self.hook(data, obj, creating)
            RowWriter(self.model, self.session).apply(obj, data)
        except FormErrors as refused:
            savepoint.rollback()
            self._refused(number, refused)
            return None
        pending = _Pending(number, cells, obj, creating, keyless, before)
        changes = self._changes(pending)
        if changes and not creating and not self.permissions.edit:
            savepoint.rollback()
            self.error(number, "", f"You may not change {self.view.name_plural}.")
            return None
        savepoint.commit()
        self._outcome(pending, changes)
        return None

    def _changes(self, row: _Pending) -> dict[str, list[Any]]:
        after = self.state(row.obj)
        if not row.creating:
            return diff(row.before, after)
        shown = self.columns.column_keys
        if row.keyless:  # a key the database numbers: not the file's to compare
            shown -= {column.key for column in self.mapper.primary_key}
        return {k: [None, jsonable(v)] for k, v in after.items() if k in shown}

    def _finish(self, pending: list[_Pending]) -> None:
        """The outcomes of a batch written by one flush."""
        for row in pending:
            self._outcome(row, self._changes(row))

    def _outcome(self, row: _Pending, changes: dict[str, list[Any]]) -> None:
        status = "new" if row.creating else "changed" if changes else "unchanged"
        key = row_identifier(row.obj)
        self._saw(key, row.number)
        outcome = RowOutcome(row.number, status, key, jsonable(row.before), changes)
        self._outcomes.append((outcome, row.cells))

    def _refused(self, number: int, refused: FormErrors) -> None:
        if not refused.fields:
            self.error(number, "", str(refused))
        for name, messages in refused.fields.items():
            for message in messages:
                self.error(number, self.columns.header_of(name), message)

    # -- finding the row -------------------------------------------------------

    def _find(self, number: int, cells: list[str]) -> Any:
        """The existing row the cells name, None for a new row, False (with
        the error reported) for a row that cannot be found."""
        texts = [cells[cell.position].strip() for cell in self.columns.key]
        if not self.columns.key or not any(texts):
            return None
        if len(self.columns.key) != len(self.columns.key_columns) or not all(texts):
            self.error(number, self.columns.key[0].header, "The key is incomplete.")
            return False
        values = []
        for cell, text in zip(self.columns.key, texts, strict=True):
            try:
                values.append(self._key_value(cell, text))
            except (BadKey, BadValue):
                self.error(number, cell.header, f"{text!r} is not a valid key.")
                return False
        by = {c.column.key: v for c, v in zip(self.columns.key, values, strict=True)}
        ordered = [by[column.key] for column in self.columns.key_columns]
        primary = self.columns.key_columns == list(self.mapper.primary_key)
        if primary:
            # a batch's rows were read (and locked) by `_preload`
            held = len(ordered) == 1 and ordered[0] in self._by_key
            obj = self.session.get(
                self.model,
                tuple(ordered),
                with_for_update=(self.lock and not held) or None,
            )
        elif ordered[0] in self._by_key:
            obj = self._by_key[ordered[0]]
        else:
            stmt = select(self.model).where(self.columns.key_columns[0] == ordered[0])
            if self.lock:
                stmt = stmt.with_for_update()
            obj = self.session.scalars(stmt.limit(1)).first()
        if obj is None and primary and self.columns.key[0].spec.generated:
            self.error(
                number,
                self.columns.key[0].header,
                f"No {self.view.name} has the key {identifier(ordered)}: leave it "
                "empty to add a new row.",
            )
            return False
        return obj

    @staticmethod
    def _key_value(cell: ImportCell, text: str) -> Any:
        if cell.spec.kind is Kind.TO_ONE or cell.spec.column is None:
            return coerce_key_part(cell.column, text)
        value = cell.spec.parse(text)
        if value is None:
            raise BadValue(text)
        return value

    # -- the row's values --------------------------------------------------------

    def _data(
        self, number: int, cells: list[str], creating: bool
    ) -> dict[str, Any] | None:
        """The form data of one row, or None after reporting a cell's error."""
        data: dict[str, Any] = {}
        ok = True
        for cell in self.columns.values:
            text = cells[cell.position]
            spec = cell.spec
            try:
                if spec.kind is Kind.TO_ONE:
                    single = spec.relationship is not None and len(spec.columns) == 1
                    data[spec.name if single else cell.column.key] = text.strip()
                elif spec.kind is Kind.BYTES:
                    data[spec.name] = _bytes(text)
                else:
                    data[spec.name] = spec.parse(text)
            except BadValue as error:
                self.error(number, cell.header, str(error))
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
            self.error(number, cell.header, f"No {what} is called {text!r}.")
        else:
            self.error(
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
                self._label_cache[(target, text)] = cached
            return cached
        if target not in self._labels:
            labels: dict[str, list[str]] = {}
            rows = self.session.scalars(select(target).limit(LABEL_SCAN_LIMIT))
            for row in rows:
                labels.setdefault(label_for(row), []).append(row_identifier(row))
            self._labels[target] = labels
        return self._labels[target].get(text, [])


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while batch := list(islice(rows, size)):
        yield batch


def _begin_for_savepoints(session: Session) -> None:
    """Start SQLite's transaction now. Python's sqlite3 begins one only before
    a write, so a SAVEPOINT issued first would be the outermost transaction
    and its RELEASE would commit: a preview would write its rows, and a
    refused confirmation would keep the rows before the refusal."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _bytes(text: str) -> bytes | None:
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
