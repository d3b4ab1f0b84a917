"""Preview an import, then apply exactly what was previewed.

The preview runs the whole import in a transaction that is rolled back, and
keeps the rows that would change (with each row's outcome digest) in the
admin's `ImportPreview` table. The confirmation, on any worker, runs those
rows again in one transaction, locking the rows it changes: if any row's
outcome differs from its preview (someone changed the row since, a related
row went away), nothing is written and the message names the rows. Otherwise
the change commits together with one audit entry that holds every old value,
so the import can be reverted from the audit log.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from admin_app.writing.audit import record
from admin_app.writing.import_columns import ImportColumns, plan_columns
from admin_app.writing.import_files import BadFile, ImportFile, read_upload
from admin_app.writing.import_previews import ImportPreview, store_preview
from admin_app.writing.importing import (
    ImportedView,
    ImportResult,
    ImportRun,
    Permissions,
    RowError,
)


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

    def columns(self, header: list[str], key: str | None) -> ImportColumns:
        view = self.view
        return plan_columns(
            view.model,
            view.name_plural,
            header,
            view.export_columns(),
            view.field_specs,
            self.editable,
            key,
        )

    def run(
        self, session: Session, columns: ImportColumns, *, lock: bool = False
    ) -> ImportRun:
        return ImportRun(
            self.view,
            session,
            columns,
            hidden=self.hidden,
            permissions=self.permissions,
            hook=self.hook,
            lock=lock,
        )


@dataclass
class Preview:
    result: ImportResult
    token: str | None


def preview_import(
    setup: ImportSetup, session: Session, data: bytes, key: str | None, limit: int
) -> Preview:
    """What importing the file would do; nothing of it is written. A token is
    given when there is something to confirm and no row is refused."""
    upload = read_upload(data, limit)
    columns = setup.columns(upload.header, key)
    transaction = session.begin()
    try:
        result = setup.run(session, columns).run(upload.rows)
    finally:
        transaction.rollback()
    result.errors += _overlong(upload)
    result.errors.sort(key=lambda error: error.row)
    changing = [o for o in result.outcomes if o.status != "unchanged"]
    if result.errors or not changing:
        return Preview(result, None)
    numbers = {o.row for o in changing}
    payload = {
        "header": upload.header,
        "key": key,
        "rows": [[n, cells] for n, cells in upload.rows if n in numbers],
        "digests": {str(o.row): o.digest() for o in changing},
    }
    with session.begin():
        token = store_preview(session, setup.username, setup.view.identity, payload)
    return Preview(result, token)


def _overlong(upload: ImportFile) -> list[RowError]:
    return [
        RowError(n, "", "This row has more cells than the header has names.")
        for n in upload.overlong
    ]


def confirm_import(
    setup: ImportSetup, session: Session, token: str, request: Any
) -> tuple[int, int]:
    """Apply a preview in one transaction with its audit entry; return how
    many rows were added and changed, or ImportRefused with nothing written."""
    view = setup.view
    with session.begin():
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
            columns = setup.columns(data["header"], data.get("key"))
        except BadFile as error:
            raise ImportRefused(f"Nothing was imported: {error}") from error
        rows = [(int(n), list(cells)) for n, cells in data["rows"]]
        result = setup.run(session, columns, lock=True).run(rows)
        expected: dict[str, str] = data["digests"]
        got = {str(o.row): o.digest() for o in result.outcomes}
        stale = sorted(
            {int(n) for n, digest in expected.items() if got.get(n) != digest}
            | {error.row for error in result.errors}
        )
        if stale:
            listed = ", ".join(str(n) for n in stale[:20])
            more = f" and {len(stale) - 20} more" if len(stale) > 20 else ""
            rows_word = "Row" if len(stale) == 1 else "Rows"
            raise ImportRefused(
                f"Nothing was imported: {rows_word} {listed}{more} of the file "
                "changed in the database since the preview, or would now change "
                "differently. Upload the file again to see the change as it is now."
            )
        added = [o for o in result.outcomes if o.status == "new"]
        changed = [o for o in result.outcomes if o.status == "changed"]
        changes = {
            "old": {o.key: {k: v[0] for k, v in o.changes.items()} for o in changed},
            "new": {o.key: {k: v[1] for k, v in o.changes.items()} for o in changed},
            "added": {o.key: {k: v[1] for k, v in o.changes.items()} for o in added},
        }
        record(
            session,
            request,
            "import",
            view.identity,
            [o.key for o in changed + added],
            f"Import: {import_words(view, len(changed), len(added))}",
            changes,
        )
        session.delete(preview)
    return len(added), len(changed)


def import_words(view: Any, changed: int, added: int) -> str:
    """`12 Tasks changed, 3 added`."""
    return f"{view.count_words(changed)} changed, {added:,} added"
