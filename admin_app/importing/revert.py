"""Revert an import (or a list edit, recorded alike) from its audit entry, as a
bulk edit is reverted.

The entry holds each changed row's old and new values and each added row's
values. A revert puts the old values back and deletes the added rows, in one
transaction, only if every one of those rows is still as the import left it:
otherwise reverting would overwrite someone's later change, and nothing is
done.
"""

import json
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_attribute

from admin_app.model.keys import BadKey, parse_key
from admin_app.model.values import unchanged
from admin_app.writing.audit import (
    AuditEntry,
    DamagedValue,
    record,
    stored_value,
    unrecorded_refusal,
)


class ImportRevertRefused(ValueError):
    """An import that cannot be reverted; the message says why."""


def revert_import(session: Session, entry: AuditEntry, view: Any, request: Any) -> int:
    """Undo the import of `entry`; return how many rows were put back or removed."""
    data = entry.change_data()
    what = "list edit" if entry.action == "list_edit" else "import"
    if data.get("reverted_by"):
        raise ImportRevertRefused(f"This {what} was reverted already.")
    refusal = unrecorded_refusal(what, view, data)
    if refusal:
        raise ImportRevertRefused(refusal)
    model = view.model
    old, new, added = data.get("old", {}), data.get("new", {}), data.get("added", {})
    rows: dict[str, Any] = {}
    moved: list[str] = []
    for key, values in [*new.items(), *added.items()]:
        row = _row(session, model, key)
        if row is None or not _as_left(session, model, row, values):
            moved.append(key)
        rows[key] = row
    if moved:
        raise ImportRevertRefused(
            f"{view.count_words(len(moved))} changed or went away since this "
            f"{what}; reverting it would overwrite those changes."
        )
    for key, values in old.items():
        for name, value in values.items():
            set_attribute(rows[key], name, _value(session, model, name, value))
    for key in added:
        session.delete(rows[key])
    session.flush()
    revert = record(
        session,
        request,
        "revert",
        entry.table,
        [*old, *added],
        f"Reverted {what} #{entry.id}: {len(old):,} put back, {len(added):,} removed",
        {"entry": entry.id},
    )
    session.flush()
    entry.changes = json.dumps({**data, "reverted_by": revert.id})
    return len(old) + len(added)


def _row(session: Session, model: type, key: str) -> Any:
    try:
        return session.get(model, parse_key(model, key), with_for_update={"of": model})
    except BadKey:
        return None


def _as_left(session: Session, model: type, row: Any, values: dict[str, Any]) -> bool:
    return all(
        unchanged(getattr(row, name), _value(session, model, name, value))
        for name, value in values.items()
    )


def _value(session: Session, model: type, name: str, value: Any) -> Any:
    try:
        return stored_value(model, name, value, session)
    except DamagedValue as error:
        raise ImportRevertRefused(str(error)) from error
