"""How a view saves: validated writes, deletes, and the stale-edit merge.

A mixin of `AdminView` that replaces SQLAdmin's `insert_model`,
`update_model` and `delete_model` with the write path every form shares
(`admin_app.writing.writes`): one transaction per save holding the change, its
inline link rows and its audit entry. An edit writes only what its user
changed (`admin_app.writing.concurrency`); when a save is refused, the form
comes back with the user's changes in it and every other field as it is now.
"""

import enum
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from anyio import from_thread, to_thread
from markupsafe import Markup
from sqladmin import Flash, ModelView
from sqladmin.forms import WTFORMS_ATTRS
from sqlalchemy import Select, inspect, select
from sqlalchemy.exc import DataError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from admin_app.db_errors import database_error_message, noting_outage
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import Kind, changed_field_label
from admin_app.model.keys import key_or_404, no_row, row_identifier
from admin_app.model.labels import enum_label, in_message, label_for
from admin_app.model.limits import row_with_key
from admin_app.model.loading import related
from admin_app.writing.audit import RecordedChanges, record
from admin_app.writing.concurrency import (
    CHOICE_PREFIX,
    MINE,
    THEIRS,
    VERSION_FIELD,
    DamagedToken,
    Merge,
    Shown,
)
from admin_app.writing.deletion import delete_selected
from admin_app.writing.links import current_rows
from admin_app.writing.refused import RefusedForm, show_again
from admin_app.writing.writes import (
    FormErrors,
    RowWriter,
    column_values,
    log_refusals_in_one_line,
)

logger = logging.getLogger(__name__)
log_refusals_in_one_line()  # a refused save is a 400, not a traceback in the log

DAMAGED_FORM = (
    "This form cannot be saved: its version token is damaged or comes from an "
    "older version of the admin. Nothing was saved; open the row again."
)


def _key_of(obj: Any) -> str:
    return row_identifier(obj)


class RowSaving:
    """Create, edit and delete through the shared write path."""

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        return await to_thread.run_sync(self._edit_state, obj, None, ())

    def _edit_state(
        self, obj: Any, form_data: dict[str, Any] | None, pending: tuple[str, ...]
    ) -> dict[str, Any]:
        """The inline link rows and the version token of `obj` as it is now;
        with `form_data` None, each form field's value too, read by its
        attribute (SQLAdmin reads a key and a related row's key by the
        column's name, which a model over an older database may give
        another attribute)."""
        with self.session_maker() as session:
            obj = session.merge(obj, load=False)
            if form_data is None:
                form_data = {
                    WTFORMS_ATTRS.get(name, name): related(obj, name)
                    if name in self._relation_names
                    else getattr(obj, name, None)
                    for name in self._form_prop_names
                }
            rows = {s.name: current_rows(session, s, obj) for s in self._link_specs}
            shown = self._shown(session, obj, form_data, rows, pending)
            return {**form_data, **rows, VERSION_FIELD: shown.encode()}

    def _to_many_fields(self) -> list[str]:
        """The many-to-many selections on the form (saved as a diff)."""
        names = set(self._form_prop_names)
        return [
            name
            for name, spec in self.field_specs.items()
            if spec.kind is Kind.TO_MANY and name in names
        ]

    def _shown(
        self,
        session: Session,
        obj: Any,
        form_data: dict[str, Any],
        link_rows: dict[str, list[dict[str, Any]]],
        pending: tuple[str, ...],
    ) -> Shown:
        """What the edit form shows of `obj`: its columns (a field's value as
        the form holds it), selections and link rows."""
        columns = {
            prop.key: form_data.get(prop.key, getattr(obj, prop.key))
            if prop.key in self._form_columns()
            else getattr(obj, prop.key)
            for prop in inspect(self.model).column_attrs
            if prop.key not in self._secret_columns
        }
        # A related row's key columns as its select shows them: a key naming a
        # row no longer there shows as no row, and a save that leaves the
        # select so leaves the key as it is, as any field left as shown.
        for spec in self.field_specs.values():
            if (
                spec.kind is not Kind.TO_ONE
                or spec.target is None
                or spec.name not in form_data
            ):
                continue
            row = form_data[spec.name]  # the related row, or its key
            if spec.relationship is None and row is not None:
                row = row_with_key(session, spec.target, row)
            pairs = zip(spec.columns, spec.target_columns, strict=True)
            for local, remote in pairs:
                if attribute_name(local) in columns:
                    columns[attribute_name(local)] = (
                        None if row is None else getattr(row, attribute_name(remote))
                    )
        to_many = {
            name: [_key_of(t) for t in related(obj, name)]
            for name in self._to_many_fields()
        }
        links = {
            spec.name: {
                row["other"]: {f: row[f] for f in spec.fields}
                for row in link_rows[spec.name]
            }
            for spec in self._link_specs
        }
        return Shown.of(self.identity, _key_of(obj), columns, to_many, links, pending)

    def _form_columns(self) -> set[str]:
        return set(self._form_prop_names) & set(inspect(self.model).columns.keys())

    def _describe_value(self, name: str, value: Any) -> str:
        """A value as a person reads it in a conflict: labels, not keys."""
        if value is None or value == "":
            return "empty"
        if hasattr(type(value), "__table__"):
            return label_for(value)
        if isinstance(value, enum.Enum):
            return enum_label(value)
        shown = self._default_formatter_detail(value)
        if isinstance(shown, Markup):  # a <time> element: its text
            shown = shown.striptags()
        return str(shown)

    def _stmt_by_identifier(self, identifier: str) -> Select:
        """Every SQLAdmin lookup by URL key passes here: a malformed key is a 404."""
        keys = inspect(self.model).primary_key
        values = key_or_404(self.model, identifier, self.name)
        return select(self.model).where(
            *(k == v for k, v in zip(keys, values, strict=True))
        )

    async def get_object_for_details(self, request: Request) -> Any:
        found = await super().get_object_for_details(request)  # type: ignore[misc]
        return self._found_or_404(request, found)

    async def get_object_for_edit(self, request: Request) -> Any:
        found = await super().get_object_for_edit(request)  # type: ignore[misc]
        return self._found_or_404(request, found)

    def _found_or_404(self, request: Request, found: Any) -> Any:
        """The row the address names; a 404 naming the key where none has it
        (SQLAdmin's says "Not Found" for a key that parses and names no row,
        where a malformed one says which key)."""
        if found is None:
            raise no_row(self.name, request.path_params["pk"])
        return found

    async def _get_object_by_pk(self, stmt: Select) -> Any:
        """The row a URL's key names (details, edit, delete), or None: a key
        the database cannot compare with its column (a number beyond
        PostgreSQL's `integer`, a null character in a text) names no row, a
        404 like any key that names none."""
        try:
            return await super()._get_object_by_pk(stmt)  # type: ignore[misc]
        except DataError:
            return None

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._save(request, None, data)

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        return await self._save(request, pk, data)

    async def _save(self, request: Request, pk: str | None, data: dict) -> Any:
        token = data.pop(VERSION_FIELD, None) or ""
        choices = {}
        if pk is not None:
            submitted = await request.form()  # parsed once; SQLAdmin read it first
            choices = {
                str(name): str(value)
                for name, value in submitted.items()
                if str(name).startswith(CHOICE_PREFIX) and value in (MINE, THEIRS)
            }
        try:
            with noting_outage(request):
                obj, message = await to_thread.run_sync(
                    self._save_sync, request, pk, data, token, choices
                )
        except FormErrors as error:
            request.state.form_errors = error.fields  # shown next to the fields
            if pk is not None and error.merge is not None:
                request.state.refused_form = await self._refused_form(
                    request, error.merge
                )
            raise
        Flash.success(request, message)
        request.state.saved_row = obj  # a popup's answer names it (add_related)
        result = await self.after_model_change(data, obj, pk is None, request)
        if isinstance(result, Response):
            request.state._sqladmin_after_change_response = result
        return obj

    def _save_sync(
        self,
        request: Request,
        pk: str | None,
        data: dict,
        token: str,
        choices: dict[str, str],
    ) -> tuple[Any, str]:
        """Save in one transaction; return the row and what the next page says."""
        try:
            with self.session_maker() as session, session.begin():
                merge = Merge(None, {})
                if pk is None:
                    obj = self.model()
                else:
                    key = key_or_404(self.model, pk, self.name)
                    obj = session.get(
                        self.model, key, with_for_update={"of": self.model}
                    )
                    if obj is None:
                        raise FormErrors({}, "This row no longer exists.")
                    if token:
                        try:
                            shown = Shown.decode(token, self.identity, _key_of(obj))
                        except DamagedToken as error:
                            raise FormErrors({}, DAMAGED_FORM) from error
                        merge = Merge(shown, choices)
                before = self._state(session, obj) if pk is not None else {}
                from_thread.run(self.on_model_change, data, obj, pk is None, request)
                writer = RowWriter(
                    self.model, session, self._link_specs, merge, self._describe_value
                )
                writer.apply(obj, data)
                after = self._state(session, obj)
                changes = RecordedChanges(before, after, self._audit_hidden)
                if changes:
                    self._record_save(session, request, obj, pk, changes)
                message = self._saved_message(obj, pk, changes)
            return obj, message
        except SQLAlchemyError as error:
            message = database_error_message(error)  # an outage is raised again
            logger.exception("Saving %s failed", self.model.__name__)
            raise FormErrors({}, message) from error

    def _record_save(
        self,
        session: Session,
        request: Request,
        obj: Any,
        pk: str | None,
        changes: RecordedChanges,
    ) -> None:
        """The save's entry: the values it may record, and in its summary
        every changed field (a password too, which it names alone)."""
        key = row_identifier(obj)
        if pk is None:
            action, summary = "create", f"Added {self.name} “{label_for(obj)}”"
        else:
            names = self._changed_names(changes.names)
            action = "edit"
            summary = f"Changed {self.name} “{label_for(obj)}”: {names}"
        record(session, request, action, self.identity, [key], summary, changes.values)

    def _changed_names(self, changes: Iterable[str]) -> str:
        """The changed fields in words, as the form names them ("assignee",
        not "assignee id")."""
        return ", ".join(
            changed_field_label(self.field_specs, self.model, n).lower()
            for n in changes
        )

    def _saved_message(self, obj: Any, pk: str | None, changes: RecordedChanges) -> str:
        """What the next page tells the user the save did."""
        label = in_message(label_for(obj))
        if pk is None:
            return f"{self.name} “{label}” added."
        if not changes:
            return f"No changes: {self.name} “{label}” is as it was."
        names = self._changed_names(changes.names)
        return f"{self.name} “{label}” saved ({names} changed)."

    def _state(self, session: Session, obj: Any) -> dict[str, Any]:
        """Every column, selection and inline link row of `obj`, as the saved
        message counts them (the audit trail records the values of those
        not `_audit_hidden`: `RecordedChanges`)."""
        state = column_values(obj)
        for name in self._to_many_fields():
            state[name] = _labels(related(obj, name))
        for spec in self._link_specs:
            rows = current_rows(session, spec, obj)
            state[spec.name] = sorted(
                [{k: v for k, v in r.items() if k not in ("remove",)} for r in rows],
                key=lambda r: str(r["other"]),
            )
        return state

    async def _refused_form(self, request: Request, merge: Merge) -> RefusedForm | None:
        """The row as it is now, to show the refused form again around the
        user's changes, with a fresh token naming the conflicts still open."""
        try:
            obj = await self.get_object_for_edit(request)
        except HTTPException:  # deleted since
            return None
        fresh = await self.get_form_data_for_edit(obj)
        pending = tuple(c.id for c in merge.conflicts)
        fresh.update(await to_thread.run_sync(self._edit_state, obj, fresh, pending))
        to_many = await to_thread.run_sync(self._merged_selections, obj, merge)
        return RefusedForm(fresh, merge, to_many)

    def _merged_selections(self, obj: Any, merge: Merge) -> dict[str, list[Any]]:
        """Each changed selection as the merge leaves it: the rows now, with the
        user's additions and removals applied."""
        found: dict[str, list[Any]] = {}
        with self.session_maker() as session:
            obj = session.merge(obj, load=False)
            for name, (added, removed) in merge.to_many_changes.items():
                rel = inspect(self.model).relationships[name]
                rows = {_key_of(t): t for t in related(obj, name)}
                for key in added - rows.keys():
                    target = session.get(
                        rel.mapper.class_, key_or_404(rel.mapper.class_, key)
                    )
                    if target is not None:
                        rows[key] = target
                found[name] = [rows[k] for k in sorted(rows) if k not in removed]
        return found

    async def delete_model(self, request: Request, pk: Any) -> None:
        await to_thread.run_sync(self.delete_keys, request, [str(pk)])

    def hidden_columns(self, table: Any) -> set[str]:
        """Columns of `table` the audit trail never records (a view's
        `audit_hidden`, for this table or the table of another view)."""
        if table is self.model.__table__:
            return set(self._audit_hidden)
        for view in getattr(self._admin_ref, "views", ()):
            if getattr(getattr(view, "model", None), "__table__", None) is table:
                return set(getattr(view, "_audit_hidden", ()))
        return set()

    def delete_keys(self, request: Request, pks: list[str]) -> int:
        """Delete the rows named by `pks` (the trash icon, the details page)
        in one transaction, all or none, after the same check as bulk delete:
        rows that block it refuse it (ValueError with the sentence), rows that
        go with it are deleted and recorded. Returns how many were deleted."""
        query = replace(self.list_query_for(request), selection=tuple(pks))
        hook = None
        if type(self).on_model_delete is not ModelView.on_model_delete:

            def hook(row: Any) -> None:
                from_thread.run(self.on_model_delete, row, request)

        with self.session_maker() as session:
            try:
                with session.begin():
                    deleted = delete_selected(session, self, query, request, hook)
            except FormErrors as refused:
                logger.info("Deleting %s %s refused: %s", self.identity, pks, refused)
                raise ValueError(f"Nothing was deleted: {refused}") from refused
            # SQLAlchemy raises AssertionError when deleting would blank a key
            # column of a row that refers to this one: that row blocks it too.
            except (SQLAlchemyError, AssertionError) as error:
                logger.warning("Deleting %s %s refused: %s", self.identity, pks, error)
                message = database_error_message(error)
                raise ValueError(f"Nothing was deleted: {message}") from error
        if type(self).after_model_delete is not ModelView.after_model_delete:
            for row in deleted:
                from_thread.run(self.after_model_delete, row, request)
        return len(deleted)

    def show_refused_form(self, form: Any, request: Request) -> str:
        """Called by the form template: after a refused edit, show the form
        again around the user's changes (see `refused.show_again`)."""
        refused: RefusedForm | None = getattr(request.state, "refused_form", None)
        if refused is not None:
            show_again(form, refused)
        return ""


def _labels(rows: Any) -> list[str]:
    """Selected rows as the audit trail names them: by label, by key where two
    share a label."""
    labels = [(label_for(row), _key_of(row)) for row in rows]
    counts: dict[str, int] = {}
    for label, _ in labels:
        counts[label] = counts.get(label, 0) + 1
    return sorted(
        label if counts[label] == 1 else f"{label} (#{key})" for label, key in labels
    )
