"""Preview an import, then apply exactly what was previewed.

The preview runs the whole import in a transaction that is rolled back, and
keeps the rows that would change in the admin's `ImportPreview` table, in
parts (compressed as they come: `PackedRows`): what it decided for each row
(`decisions`) where every row was written by the batch statements,
else each row's cells and outcome digest. The confirmation, on any worker,
applies them in one transaction, locking the rows it changes: it writes the
decisions after checking that each changed row still holds the values the
preview read, or runs the cells through the import again and compares each
row's outcome with its preview's. If any row changed since the preview (or
a related row went away, a unique value was taken), nothing is written and
the message names the rows. Otherwise the change commits together with one
audit entry that holds every old value, so the import can be reverted from
the audit log. A user who may no longer add or change the table's rows is
refused before anything is read.
"""

import bisect
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, update
from sqlalchemy.orm import Session

from admin_app.db import begin_for_savepoints
from admin_app.importing.columns import ImportColumns, plan_columns
from admin_app.importing.decisions import DecidedImport, DecidedRows
from admin_app.importing.files import (
    EXPORTED,
    BadFile,
    CellFormat,
    SheetFits,
    UploadStream,
    date_order_named,
    encoding_named,
    stream_upload,
)
from admin_app.importing.previews import (
    ImportPreview,
    PackedRows,
    PreviewGone,
    forget,
    store_preview,
    stored_rows,
)
from admin_app.importing.run import (
    BATCH_ROWS,
    ImportedView,
    ImportResult,
    ImportRun,
    Permissions,
    Row,
    RowOutcome,
    Sink,
)
from admin_app.model.names import listed
from admin_app.writing.audit import UNRECORDED, AuditEntry, key_text, record

STALE_LISTED = 20  # rows a refused confirmation names
SUMMARY = "Import: "  # an entry's summary: "Import: 12 Tasks changed, 3 added"


class ImportRefused(ValueError):
    """A confirmation that wrote nothing; the message says why."""


@dataclass
class ImportSetup:
    """Who imports, into which view, and what they may do there."""

    view: ImportedView
    username: str
    editable: Callable[[Any], bool]
    hidden: frozenset[str]
    permissions: Permissions
    hook: Callable[[dict[str, Any], Any, bool], None] | None = None
    hook_sets_row: bool = True  # False: the hook only reads the row's data

    def columns(
        self,
        header: list[str],
        key: str | None,
        cell_format: CellFormat = EXPORTED,
    ) -> ImportColumns:
        view = self.view
        return plan_columns(
            view.model,
            view.name_plural,
            header,
            view.export_columns(),
            view.field_specs,
            self.editable,
            key,
            cell_format,
        )

    def names_a_column(self, header: list[str]) -> bool:
        """Whether a sheet's first row names a column the export writes: the
        sheet of a workbook to import (`files.chosen_sheet`)."""
        names = {column.header for column in self.view.export_columns()}
        return not names.isdisjoint(header)

    def run(
        self,
        session: Session,
        columns: ImportColumns,
        *,
        lock: bool = False,
        sink: Sink | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportRun:
        return ImportRun(
            self.view,
            session,
            columns,
            hidden=self.hidden,
            permissions=self.permissions,
            hook=self.hook,
            hook_sets_row=self.hook_sets_row,
            lock=lock,
            sink=sink,
            progress=progress,
        )


@dataclass
class Preview:
    result: ImportResult
    token: str | None


@dataclass
class OpenedFile:
    """An uploaded file whose kind, header and columns passed their checks;
    its rows are read by the preview (`rows`, as often as it needs)."""

    upload: UploadStream
    columns: ImportColumns
    key: str | None
    file: bytes | BinaryIO
    limit: int
    fits: SheetFits | None = None

    def rows(self) -> Iterator[tuple[int, list[str], bool]]:
        """The file's rows from the first, read anew from the upload (from
        the same sheet: it is chosen alike)."""
        encoding = self.columns.format.encoding
        return stream_upload(self.file, self.limit, encoding, self.fits).rows


def open_import(
    setup: ImportSetup,
    data: bytes | BinaryIO,
    key: str | None,
    limit: int,
    encoding: str | None = None,
    dates: str | None = None,
) -> OpenedFile:
    """Check the file's size, kind, encoding and header, or raise BadFile.
    `encoding` is the one the user chose for a CSV (`files.ENCODINGS`),
    `dates` which comes first in its dates with the year last (`CellFormat`).

    Done before the rows are checked, so that a file refused as a whole is a
    400 even when the preview's progress is streamed (a stream answers 200
    before its rows are read); only a fault found deep in the rows (an
    unreadable CSV line, a value under a column without a name) ends the
    stream instead."""
    order = date_order_named(dates)
    fits = setup.names_a_column
    upload = stream_upload(data, limit, encoding_named(encoding), fits)
    upload.format = replace(upload.format, dates=order)
    try:
        columns = setup.columns(upload.header, key, upload.format)
    except BadFile as refused:
        if not upload.sheets:
            raise
        sheets = listed(map(repr, upload.sheets))
        read = f"(Read from the sheet {upload.sheet!r}, of {sheets}.)"
        raise BadFile(f"{refused} {read}") from refused
    return OpenedFile(upload, columns, key, data, limit, fits)


class _CellsNeeded(Exception):
    """A row the preview's decisions cannot hold: the preview is made again
    keeping each row's cells."""


def preview_import(
    setup: ImportSetup,
    session: Session,
    opened: OpenedFile,
    progress: Callable[[int], None] | None = None,
) -> Preview:
    """What importing the file would do; nothing of it is written. A token is
    given when there is something to confirm and no row is refused.
    `progress` is told how many rows are checked, batch by batch.

    The preview keeps what it decided for each row to write, for the
    confirmation to write that (`DecidedRows`). The first row whose decision
    cannot be kept (a value without an exact form, a row that names a row the
    file adds) ends that run: the file is previewed again keeping each row's
    cells and outcome digest instead, for the confirmation to run the rows
    again. Keeping both all along cost a sixth of every preview; a table
    whose rows the ORM's flush writes keeps cells from the start."""
    reached = 0

    def report(done: int) -> None:  # the bar does not go back
        nonlocal reached
        if progress is not None and done > reached:
            reached = done
            progress(done)

    try:
        return _preview(setup, session, opened, opened.upload.rows, True, report)
    except _CellsNeeded:
        pass
    return _preview(setup, session, opened, opened.rows(), False, report)


def _preview(
    setup: ImportSetup,
    session: Session,
    opened: OpenedFile,
    rows: Iterable[Row],
    deciding: bool,
    progress: Callable[[int], None] | None,
) -> Preview:
    """One run of the preview, keeping decisions (`deciding`, or
    `_CellsNeeded`) or cells."""
    # what it decided for each row, to write that; or its cells, to run it again
    decided = DecidedRows(setup.view.model) if deciding else None
    kept = decided.packed if decided is not None else PackedRows()

    def keep(outcome: RowOutcome, cells: list[str]) -> None:
        if outcome.status == "unchanged" or run.result.error_count:
            return
        if decided is None:
            kept.add([outcome.row, cells, outcome.digest()])
            return
        decided.add(outcome)
        if not decided.usable:
            raise _CellsNeeded

    run = setup.run(session, opened.columns, sink=keep, progress=progress)
    if deciding and run.writes is None:  # no row will have a decision
        raise _CellsNeeded
    try:
        transaction = session.begin()
        try:
            result = run.run(rows)
        finally:
            transaction.rollback()
        if result.error_count or not kept.count:
            return Preview(result, None)
        payload = {
            "header": opened.upload.header,
            "key": opened.key,
            **opened.columns.format.stored(),
            "new": result.count("new"),
            "changed": result.count("changed"),
            "decided": deciding,
        }
        with session.begin():
            token = store_preview(
                session, setup.username, setup.view.identity, payload, kept
            )
        return Preview(result, token)
    finally:
        kept.close()  # stored by then, or not to be


@dataclass
class _Stale:
    """Rows that would now change differently: the first few, and how many."""

    first: list[int] = field(default_factory=list)
    count: int = 0

    def add(self, row: int) -> None:
        self.count += 1
        bisect.insort(self.first, row)
        del self.first[STALE_LISTED:]

    def message(self) -> str:
        listed = ", ".join(str(n) for n in self.first)
        more = self.count - len(self.first)
        rows_word = "Row" if self.count == 1 else "Rows"
        return (
            f"Nothing was imported: {rows_word} {listed}"
            f"{f' and {more} more' if more else ''} of the file "
            "changed in the database since the preview, or would now change "
            "differently. Upload the file again to see the change as it is now."
        )


class _ImportEntry:
    """The audit entry's old, new and added values and its row keys, made as
    JSON text while the rows are applied (a revert reads them back:
    `revert`).

    The text of a large import runs to tens of megabytes: it is kept in
    temporary files (in memory up to `SPOOLED` bytes each) and written into
    the entry in pieces of `PIECE` characters, so the confirmation's memory
    does not grow with the file (`write`)."""

    SPOOLED = 1 << 20
    PIECE = 1 << 20

    def __init__(self) -> None:
        names = ("old", "new", "added", "changed_keys", "new_keys")
        self.files = {name: _spooled(self.SPOOLED) for name in names}
        self.count = dict.fromkeys(names, 0)
        self.unrecorded: set[str] = set()  # columns changed, values not recorded

    def _add(self, name: str, text: str) -> None:
        self.files[name].write(f",{text}" if self.count[name] else text)
        self.count[name] += 1

    def add(self, outcome: RowOutcome) -> None:
        key = json.dumps(outcome.key)
        if outcome.status == "new":
            self._add("new_keys", key_text(outcome.key))
            self._add("added", f"{key}:{json.dumps(outcome.new_values())}")
            return
        self._add("changed_keys", key_text(outcome.key))
        self.unrecorded.update(outcome.unrecorded)
        old = {k: v[0] for k, v in outcome.changes.items()}
        new = outcome.new_values()
        self._add("old", f"{key}:{json.dumps(old)}")
        self._add("new", f"{key}:{json.dumps(new)}")

    @property
    def changed(self) -> int:
        return self.count["changed_keys"]

    @property
    def added(self) -> int:
        return self.count["new_keys"]

    def _changes(self) -> Iterator[str]:
        yield "{"
        for n, name in enumerate(("old", "new", "added")):
            yield f'{"," if n else ""}"{name}":{{'
            yield from self._read(name)
            yield "}"
        if self.unrecorded:
            yield f',"{UNRECORDED}":{json.dumps(sorted(self.unrecorded))}'
        yield "}"

    def _object_keys(self) -> Iterator[str]:
        if not (self.changed or self.added):
            return
        yield ","
        yield from self._read("changed_keys")
        if self.changed and self.added:
            yield ","
        yield from self._read("new_keys")
        yield ","

    def _read(self, name: str) -> Iterator[str]:
        file = self.files[name]
        file.seek(0)
        while piece := file.read(self.PIECE):
            yield piece

    def write(self, session: Session, audit: AuditEntry) -> None:
        """Put the values into `audit` (added to `session`), piece by piece.

        PostgreSQL appends each piece to the text in the database (`changes
        || piece`). SQLite would make each longer text in this process's
        memory (twice the whole entry by the last piece), so there the entry
        first holds a text of the final length, which the pieces then
        overwrite in place (SQLite's incremental I/O, `blobopen`)."""
        audit.changes, audit.object_keys = "", ""
        session.flush()
        raw = session.connection().connection.driver_connection
        in_place = getattr(raw, "blobopen", None)
        piece = self.PIECE
        try:
            for column, pieces in (
                (AuditEntry.changes, self._changes),
                (AuditEntry.object_keys, self._object_keys),
            ):
                if in_place is not None:
                    _overwritten(session, in_place, audit.id, column, pieces, piece)
                else:
                    _appended(session, audit.id, column, _joined(pieces(), piece))
        finally:
            for file in self.files.values():
                file.close()
        session.expire(audit, ["changes", "object_keys"])


def _appended(session: Session, entry: Any, column: Any, pieces: Iterable[str]) -> None:
    """PostgreSQL: each piece appended to the entry's `column` in the database.

    A statement of the table, not of the model: SQLAlchemy's ORM-enabled
    UPDATE kept every piece it was given until the transaction ended (the
    whole entry again in this process's memory), and a piece is not
    evaluated on `audit` in Python either."""
    table = AuditEntry.__table__
    target = table.c[column.key]
    stmt = (
        update(table)
        .where(table.c.id == bindparam("entry"))
        .values({target: target + bindparam("piece")})
    )
    for piece in pieces:
        session.execute(stmt, {"entry": entry, "piece": piece})


def _overwritten(
    session: Session,
    blobopen: Callable[..., Any],
    entry: Any,
    column: Any,
    pieces: Callable[[], Iterator[str]],
    size_of_piece: int,
) -> None:
    """SQLite: the entry's `column` made a text of the pieces' length (in
    UTF-8), then the pieces written over it in place, one after another."""
    size = sum(len(piece.encode()) for piece in pieces())
    if not size:
        return
    table = AuditEntry.__table__
    target = table.c[column.key]
    session.execute(
        update(table)
        .where(table.c.id == entry)
        .values({target: func.printf("%.*c", size, " ")})
    )
    with blobopen(table.name, target.name, entry) as blob:
        for piece in _joined(pieces(), size_of_piece):
            blob.write(piece.encode())


def _spooled(size: int) -> Any:
    return tempfile.SpooledTemporaryFile(size, mode="w+", encoding="utf-8")


def _joined(pieces: Iterable[str], size: int) -> Iterator[str]:
    """`pieces` joined into strings of about `size` characters (the short
    ones between the parts of the JSON do not each cost a statement)."""
    buffered: list[str] = []
    length = 0
    for piece in pieces:
        buffered.append(piece)
        length += len(piece)
        if length >= size:
            yield "".join(buffered)
            buffered, length = [], 0
    if buffered:
        yield "".join(buffered)


@dataclass
class Confirmed:
    """What a confirmation wrote: rows added and changed, and its audit entry."""

    added: int
    changed: int
    entry: int


def confirm_import(
    setup: ImportSetup,
    session: Session,
    token: str,
    request: Any,
    progress: Callable[[int], None] | None = None,
) -> Confirmed:
    """Apply a preview in one transaction with its audit entry, or
    ImportRefused with nothing written. `progress` is told how many rows are
    written, batch by batch."""
    view = setup.view
    with session.begin():
        # one confirmation of a preview at a time: the second finds it used
        begin_for_savepoints(session, writing=True)
        preview = session.get(ImportPreview, token, with_for_update=True)
        if (
            preview is None
            or preview.username != setup.username
            or preview.table != view.identity
        ):
            raise ImportRefused(
                "This preview is unknown or was imported already: upload the "
                "file again."
            )
        if preview.expired():
            raise ImportRefused("This preview expired: upload the file again.")
        data = preview.data()
        try:
            written = CellFormat.of_stored(data)
            columns = setup.columns(data["header"], data.get("key"), written)
        except BadFile as error:
            raise ImportRefused(f"Nothing was imported: {error}") from error
        _check_grants(setup, data)
        stale = _Stale()
        entry = _ImportEntry()
        try:
            if data.get("decided"):
                _write_decided(setup, session, preview, entry, stale, progress)
            else:
                _run_again(setup, session, columns, preview, entry, stale, progress)
        except PreviewGone as gone:
            raise ImportRefused(f"{gone} Upload the file again.") from gone
        if stale.count:
            raise ImportRefused(stale.message())
        changed, added = entry.changed, entry.added
        audit = record(
            session,
            request,
            "import",
            view.identity,
            [],
            f"{SUMMARY}{import_words(view, changed, added)}",
        )
        entry.write(session, audit)
        forget(session, [token])
    assert audit.id is not None
    return Confirmed(added, changed, audit.id)


def _check_grants(setup: ImportSetup, data: dict[str, Any]) -> None:
    """Refuse a preview whose rows the user may no longer add or change."""
    view, permissions = setup.view, setup.permissions
    if data.get("new") and not permissions.create:
        raise ImportRefused(
            f"Nothing was imported: you may not add {view.name_plural}."
        )
    if data.get("changed") and not permissions.edit:
        raise ImportRefused(
            f"Nothing was imported: you may not change {view.name_plural}."
        )


def _write_decided(
    setup: ImportSetup,
    session: Session,
    preview: ImportPreview,
    entry: _ImportEntry,
    stale: _Stale,
    progress: Callable[[int], None] | None,
) -> None:
    """Write what the preview decided for each row, each changed row checked
    to hold still the values the preview read (`decisions`)."""
    writes = DecidedImport(
        setup.view.model, session, hidden=setup.hidden, batch=BATCH_ROWS
    )
    writes.run(stored_rows(session, preview), entry.add, stale.add, progress)


def _run_again(
    setup: ImportSetup,
    session: Session,
    columns: ImportColumns,
    preview: ImportPreview,
    entry: _ImportEntry,
    stale: _Stale,
    progress: Callable[[int], None] | None,
) -> None:
    """Run the previewed rows through the import again, locking the rows they
    change; a row whose outcome differs from its preview's is stale."""
    expected: dict[int, str] = {}

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells, digest in stored_rows(session, preview):
            expected[number] = digest
            yield number, cells

    def check(outcome: RowOutcome, _cells: list[str]) -> None:
        if expected.pop(outcome.row, None) != outcome.digest():
            stale.add(outcome.row)
        elif outcome.status != "unchanged":
            entry.add(outcome)

    run = setup.run(session, columns, lock=True, sink=check, progress=progress)
    run.run(rows())
    for number in expected:  # refused rows: no outcome at all
        stale.add(number)


def import_words(view: Any, changed: int, added: int) -> str:
    """`12 Tasks changed, 3 added`."""
    return f"{view.count_words(changed)} changed, {added:,} added"
