"""The audit trail: who changed what, written in the same transaction as the change.

SQLAdmin's `AuditBackend` logs after the change has committed, in a separate
step, so a crash in between leaves a change without its entry. Every write path
here adds its entry to the session that makes the change instead: there is no
change without its entry and no entry without its change.
"""

import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import quote, unquote

from pydantic import NaiveDatetime, TypeAdapter
from sqlalchemy import DateTime, LargeBinary, Text, inspect
from sqlalchemy.orm import Session
from sqlmodel import Field
from starlette.requests import Request

from admin_app.clock import utcnow
from admin_app.model.database_text import database_value, read_by_database
from admin_app.model.fields import Kind, changed_field_label, field_specs
from admin_app.model.keys import part_text
from admin_app.model.labels import jsonable
from admin_app.model.mapped import AdminTable
from admin_app.model.parsing import BadValue, read_duration


class AuditEntry(AdminTable, table=True):
    __tablename__ = "admin_audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime, index=True)
    username: str = Field(default="", max_length=150, index=True)
    action: str = Field(max_length=30, index=True)
    table: str = Field(max_length=100, index=True)
    object_keys: str = Field(
        default="", sa_type=Text, description="`,k1,k2,` for lookups"
    )
    summary: str = Field(default="", max_length=500)
    changes: str = Field(default="{}", sa_type=Text)

    def __admin_label__(self) -> str:
        """The entry by its number and its summary in words ("#7 Bulk edit
        of 2 Tasks: assignee"), as its page heading and links read it; the
        action's and table's codes (`bulk_edit task`) are for scripts."""
        return f"#{self.id} {self.summary}" if self.summary else f"#{self.id}"

    def keys(self) -> list[str]:
        return [unquote(key) for key in self.object_keys.split(",") if key]

    def change_data(self) -> dict[str, Any]:
        return json.loads(self.changes or "{}")


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for every field whose value differs."""
    found = {}
    for name, value in after.items():
        if value is before.get(name):
            continue  # the same object: nothing to compare
        old, new = jsonable(before.get(name)), jsonable(value)
        if old != new:
            found[name] = [old, new]
    return found


UNRECORDED = "unrecorded"
"""The key of a revertible entry (a bulk edit, an import, a list edit) that
names the changed columns whose values it does not record."""


class RecordedChanges:
    """A row's changes as the audit trail records them: each column's old and
    new values, but of a column whose values it never records (a secret, a
    view's `audit_hidden`) its name alone. Such a change is a change all the
    same: saved, counted, named in the entry and in what the page says."""

    def __init__(
        self,
        before: Mapping[str, Any],
        after: Mapping[str, Any],
        unrecorded: Collection[str],
    ) -> None:
        changes = diff(before, after)
        self.values = {k: v for k, v in changes.items() if k not in unrecorded}
        self.unrecorded = [k for k in changes if k in unrecorded]

    def __bool__(self) -> bool:
        return bool(self.values or self.unrecorded)

    @property
    def names(self) -> list[str]:
        """Every changed column (or other part of the row's state)."""
        return [*self.values, *self.unrecorded]


def unrecorded_refusal(what: str, view: Any, data: Mapping[str, Any]) -> str:
    """Why an entry (`what`: "bulk edit", "import", "list edit") cannot be
    reverted where it changed columns whose values it did not record; ""
    where it recorded every one."""
    names = data.get(UNRECORDED) or []
    if not names:
        return ""
    fields = ", ".join(
        changed_field_label(view.field_specs, view.model, name).lower()
        for name in names
    )
    return (
        f"This {what} changed {fields}, whose values the audit trail never "
        "records: their old values are not known, so it cannot be reverted."
    )


def key_text(key: Any) -> str:
    """A row's identifier as stored in `object_keys` (commas in a key are
    escaped). `key` is the identifier (`admin_app.model.keys`), or a single
    key value, written as its identifier."""
    return quote(part_text(key), safe=";:-_.@ ")


def username_of(request: Request | None) -> str:
    user = getattr(request.state, "staff_user", None) if request is not None else None
    return user.username if user is not None else ""


def record(
    session: Session,
    request: Request | None,
    action: str,
    table: str,
    keys: Iterable[str] = (),
    summary: str = "",
    changes: Mapping[str, Any] | None = None,
    username: str | None = None,
) -> AuditEntry:
    """Add an entry to `session`; it commits or rolls back with the change."""
    key_list = [key_text(k) for k in keys]
    entry = AuditEntry(
        username=username if username is not None else username_of(request),
        action=action,
        table=table,
        object_keys="," + ",".join(key_list) + "," if key_list else "",
        summary=summary[:500],
        changes=json.dumps(jsonable(dict(changes or {}))),
    )
    session.add(entry)
    return entry


class DamagedValue(ValueError):
    """A value in an entry that its column cannot hold again."""


def stored_value(
    model: type, name: str, value: Any, session: Session | None = None
) -> Any:
    """A value read back from an entry's JSON, as the column stores it (bytes
    were written as hex by `jsonable`); DamagedValue if it cannot be. A
    value of a type only the database reads (`model.database_text`) is read
    by `session`'s database, else left as its text."""
    if value is None:
        return None
    column = inspect(model).columns.get(name)
    if column is not None and read_by_database(model, column):
        if session is None:
            return value
        try:
            return database_value(session, column, str(value))
        except BadValue as error:
            raise DamagedValue(f"The entry's old {name}: {error}") from error
    if column is not None and isinstance(column.type, LargeBinary):
        try:
            return bytes.fromhex(value)
        except (TypeError, ValueError) as error:
            raise DamagedValue(f"The entry's old {name} is not hex.") from error
    spec = field_specs(model).get(name)
    if spec is not None and spec.kind is Kind.DURATION:
        try:  # as `jsonable` wrote it, read as every pydantic version cannot
            return read_duration(str(value))
        except ValueError as error:
            raise DamagedValue(f"The entry's old {name} is not a duration.") from error
    info = model.model_fields.get(name)
    if info is None:
        return value
    return TypeAdapter(info.annotation).validate_python(value)
