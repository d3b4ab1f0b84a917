"""An imported file applied row by row through the edit form's write path.

Each row is found (by its key, or by the chosen unique column), its cells are
parsed by the fields' own parsers (`FieldSpec.parse`), and the values go
through `RowWriter`, as a form's would: the model's `model_validate`, `0`
foreign keys to NULL, the time-zone rule, the unique checks. Each row is
written in a savepoint: a refused row is rolled back alone and reported with
its row number, column and message, and the rows after it see the rows before
it (two new rows with the same unique name are caught in the preview).

A preview and its confirmation run this same code: the preview in a
transaction that is rolled back, the confirmation in one that commits. Each
row's outcome has a digest (its status, key, values before and change), so
the confirmation can tell exactly which rows would now change differently
from what the user was shown.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Column, inspect, select
from sqlalchemy.orm import Session

from admin_app.listing.export import ExportColumn
from admin_app.model.fields import BadValue, FieldSpec, Kind
from admin_app.model.keys import BadKey, coerce_key_part, identifier, row_identifier
from admin_app.model.labels import label_column, label_for
from admin_app.writing.audit import diff, jsonable
from admin_app.writing.import_columns import ImportCell, ImportColumns
from admin_app.writing.writes import FormErrors, RowWriter

LABEL_SCAN_LIMIT = 10_000  # rows read to match labels made by `__admin_label__`
PRELOAD_BATCH = 500  # keys per query when the rows a file names are read


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
        text = json.dumps(
            jsonable(
                [
                    self.status,
                    self.key if self.status != "new" else "",
                    self.before,
                    self.changes,
                ]
            ),
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass
class ImportResult:
    outcomes: list[RowOutcome] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)


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
    ) -> None:
        self.view, self.model, self.session = view, view.model, session
        self.columns = columns
        self.hidden = hidden  # columns never recorded (secrets, audit_hidden)
        self.permissions = permissions or Permissions()
        self.hook = hook  # the view's `on_model_change`, as a form save calls it
        self.lock = lock
        self.mapper = inspect(self.model)
        self._labels: dict[type, dict[str, list[str]]] = {}
        self._seen: dict[str, int] = {}
        self._held: list[Any] = []  # preloaded rows, kept in the identity map
        self.result = ImportResult()

    def run(self, rows: list[tuple[int, list[str]]]) -> ImportResult:
        _begin_for_savepoints(self.session)
        self._preload(rows)
        for number, cells in rows:
            self._row(number, cells)
        return self.result

    def _preload(self, rows: list[tuple[int, list[str]]]) -> None:
        """Read the rows the file names (its own rows by key, related rows by
        their keys) in batches, and hold them: the session's identity map
        keeps rows only while something refers to them, and each row's lookup
        (`Session.get`, here and in `RowWriter`) would be a query of its own."""
        wanted: list[tuple[ImportCell, Column, type]] = []
        if len(self.columns.key) == 1 and len(self.columns.key_columns) == 1:
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
        for cell, column, model in wanted:
            keys = set()
            for _number, cells in rows:
                try:
                    keys.add(coerce_key_part(column, cells[cell.position].strip()))
                except BadKey:
                    continue
            found = list(keys)
            for start in range(0, len(found), PRELOAD_BATCH):
                chunk = found[start : start + PRELOAD_BATCH]
                stmt = select(model).where(column.in_(chunk))
                self._held.extend(self.session.scalars(stmt))

    def error(self, row: int, column: str, message: str) -> None:
        self.result.errors.append(RowError(row, column, message))

    def state(self, obj: Any) -> dict[str, Any]:
        """The row's columns as the audit trail records them."""
        return {
            prop.key: getattr(obj, prop.key)
            for prop in self.mapper.column_attrs
            if prop.key not in self.hidden
        }

    def _row(self, number: int, cells: list[str]) -> None:
        found = self._find(number, cells)
        if found is False:
            return
        creating = found is None
        if not creating:
            earlier = self._seen.get(row_identifier(found))
            if earlier is not None:
                self.error(number, "", f"This row is the same row as row {earlier}.")
                return
        keyless = not any(cells[c.position].strip() for c in self.columns.key)
        if creating and not self.permissions.create:
            self.error(number, "", f"You may not add {self.view.name_plural}.")
            return
        data = self._data(number, cells, creating)
        if data is None:
            return
        obj = self.model() if creating else found
        before = {} if creating else self.state(obj)
        savepoint = self.session.begin_nested()
        try:
            if self.hook is not None:
                self.hook(data, obj, creating)
            RowWriter(self.model, self.session).apply(obj, data)
        except FormErrors as refused:
            savepoint.rollback()
            self._refused(number, refused)
            return
        after = self.state(obj)
        if creating:
            shown = self.columns.column_keys
            if keyless:  # a key the database numbers: not the file's to compare
                shown -= {column.key for column in self.mapper.primary_key}
            changes = {k: [None, jsonable(v)] for k, v in after.items() if k in shown}
        else:
            changes = diff(before, after)
        if changes and not creating and not self.permissions.edit:
            savepoint.rollback()
            self.error(number, "", f"You may not change {self.view.name_plural}.")
            return
        savepoint.commit()
        status = "new" if creating else "changed" if changes else "unchanged"
        key = row_identifier(obj)
        self._seen[key] = number
        self.result.outcomes.append(
            RowOutcome(number, status, key, jsonable(before), changes)
        )

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
            obj = self.session.get(
                self.model, tuple(ordered), with_for_update=self.lock or None
            )
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
            stmt = select(target).where(getattr(target, column) == text).limit(2)
            return [row_identifier(row) for row in self.session.scalars(stmt)]
        if target not in self._labels:
            labels: dict[str, list[str]] = {}
            rows = self.session.scalars(select(target).limit(LABEL_SCAN_LIMIT))
            for row in rows:
                labels.setdefault(label_for(row), []).append(row_identifier(row))
            self._labels[target] = labels
        return self._labels[target].get(text, [])


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
