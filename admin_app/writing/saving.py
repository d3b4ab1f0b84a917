"""How a view saves: validated writes, deletes, and the stale-edit check.

A mixin of `AdminView` that replaces SQLAdmin's `insert_model`,
`update_model` and `delete_model` with the write path every form shares
(`admin_app.writing.writes`): one transaction per save holding the change, its inline
link rows and its audit entry.
"""

import logging
from typing import Any

from anyio import from_thread, to_thread
from markupsafe import Markup
from sqladmin import Flash
from sqladmin.helpers import get_object_identifier
from sqlalchemy import Select, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from admin_app.model import metadata
from admin_app.model.keys import key_or_404, row_identifier
from admin_app.model.labels import field_label, label_for
from admin_app.writing.audit import diff, record
from admin_app.writing.concurrency import VERSION_FIELD, changed_since, digests, encode
from admin_app.writing.links import current_rows
from admin_app.writing.writes import FormErrors, RowWriter, database_error_message

logger = logging.getLogger(__name__)


class RowSaving:
    """Create, edit and delete through the shared write path."""

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data = await super().get_form_data_for_edit(obj)
        data.update(await to_thread.run_sync(self._edit_state, obj))
        return data

    def _edit_state(self, obj: Any) -> dict[str, Any]:
        """The inline link rows and the version token of `obj` as it is now."""
        with self.session_maker() as session:
            obj = session.merge(obj, load=False)
            rows = {s.name: current_rows(session, s, obj) for s in self._link_specs}
            return {**rows, VERSION_FIELD: encode(self._digests(obj, rows))}

    @staticmethod
    def _digests(
        obj: Any, link_rows: dict[str, list[dict[str, Any]]]
    ) -> dict[str, str]:
        without_labels = {
            name: [{k: v for k, v in row.items() if k != "label"} for row in rows]
            for name, rows in link_rows.items()
        }
        return digests(obj, without_labels)

    def _refuse_if_changed(
        self, request: Request, session: Session, obj: Any, token: str
    ) -> None:
        """Refuse the save when someone changed the row since the form was opened."""
        rows = {s.name: current_rows(session, s, obj) for s in self._link_specs}
        now = self._digests(obj, rows)
        changed = changed_since(token, now)
        if not changed:
            return
        request.state.fresh_row_version = encode(now)
        news = [self._describe_change(obj, name, rows) for name in changed]
        raise FormErrors(
            {},
            "Someone else saved this row after you opened the form: "
            + "; ".join(news)
            + ". Your changes are not saved; they are still in the form below. "
            "Save again to apply them over the new values.",
        )

    def _describe_change(self, obj: Any, name: str, link_rows: dict) -> str:
        label = field_label(self.model, name)
        shown_by = metadata.columns_shown_by(self.model)
        if name in link_rows:
            return f"{label} were changed"
        if name in shown_by:
            related = label_for(getattr(obj, shown_by[name])) or "none"
            return f"{field_label(self.model, shown_by[name])} is now “{related}”"
        if name in self._details_prop_names or name in self._form_prop_names:
            value = self._default_formatter_detail(getattr(obj, name))
            if isinstance(value, Markup):  # a <time> element: its text
                value = value.striptags()
            return f"{label} is now “{'' if value is None else value}”"
        return f"{label} was changed"

    def _stmt_by_identifier(self, identifier: str) -> Select:
        """Every SQLAdmin lookup by URL key passes here: a malformed key is a 404."""
        keys = inspect(self.model).primary_key
        values = key_or_404(self.model, identifier)
        return select(self.model).where(
            *(k == v for k, v in zip(keys, values, strict=True))
        )

    async def insert_model(self, request: Request, data: dict) -> Any:
        return await self._save(request, None, data)

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        return await self._save(request, pk, data)

    async def _save(self, request: Request, pk: str | None, data: dict) -> Any:
        token = data.pop(VERSION_FIELD, None) or ""
        try:
            obj, message = await to_thread.run_sync(
                self._save_sync, request, pk, data, token
            )
        except FormErrors as error:
            request.state.form_errors = error.fields  # shown next to the fields
            raise
        Flash.success(request, message)
        result = await self.after_model_change(data, obj, pk is None, request)
        if isinstance(result, Response):
            request.state._sqladmin_after_change_response = result
        return obj

    def _save_sync(
        self, request: Request, pk: str | None, data: dict, token: str
    ) -> tuple[Any, str]:
        """Save in one transaction; return the row and what the next page says."""
        try:
            with self.session_maker() as session, session.begin():
                if pk is None:
                    obj = self.model()
                else:
                    obj = session.get(self.model, key_or_404(self.model, pk))
                    if obj is None:
                        raise FormErrors({}, "This row no longer exists.")
                    if token:
                        self._refuse_if_changed(request, session, obj, token)
                before = self._state(session, obj) if pk is not None else {}
                from_thread.run(self.on_model_change, data, obj, pk is None, request)
                RowWriter(self.model, session, self._link_specs).apply(obj, data)
                changes = diff(before, self._state(session, obj))
                if changes:
                    key = get_object_identifier(obj)
                    if pk is None:
                        action, summary = (
                            "create",
                            f"Added {self.name} “{label_for(obj)}”",
                        )
                    else:
                        names = ", ".join(
                            field_label(self.model, n).lower() for n in changes
                        )
                        action = "edit"
                        summary = f"Changed {self.name} “{label_for(obj)}”: {names}"
                    record(
                        session, request, action, self.identity, [key], summary, changes
                    )
                message = self._saved_message(obj, pk, changes)
            return obj, message
        except SQLAlchemyError as error:
            logger.exception("Saving %s failed", self.model.__name__)
            raise FormErrors({}, database_error_message(error)) from error

    def _saved_message(self, obj: Any, pk: str | None, changes: dict) -> str:
        """What the next page tells the user the save did."""
        if pk is None:
            return f"{self.name} “{label_for(obj)}” added."
        if not changes:
            return f"No changes: {self.name} “{label_for(obj)}” is as it was."
        names = ", ".join(field_label(self.model, n).lower() for n in changes)
        return f"{self.name} “{label_for(obj)}” saved ({names} changed)."

    def _state(self, session: Session, obj: Any) -> dict[str, Any]:
        """Every column and inline link row of `obj`, as the audit trail records it."""
        state = {p.key: getattr(obj, p.key) for p in inspect(self.model).column_attrs}
        if self._audit_hidden:
            state = {k: v for k, v in state.items() if k not in self._audit_hidden}
        for spec in self._link_specs:
            rows = current_rows(session, spec, obj)
            state[spec.name] = sorted(
                [{k: v for k, v in r.items() if k not in ("remove",)} for r in rows],
                key=lambda r: str(r["other"]),
            )
        return state

    async def delete_model(self, request: Request, pk: Any) -> None:
        await to_thread.run_sync(self.delete_keys, request, [str(pk)])

    def delete_keys(self, request: Request, pks: list[str]) -> None:
        """Delete the rows named by `pks` in one transaction: all or none."""
        deleted = []
        with self.session_maker() as session:
            try:
                with session.begin():
                    for pk in pks:
                        obj = session.get(self.model, key_or_404(self.model, pk))
                        if obj is None:
                            continue  # already gone: the user's intent holds
                        label = label_for(obj)
                        from_thread.run(self.on_model_delete, obj, request)
                        state = self._state(session, obj)
                        summary = f"Deleted {self.name} “{label}”"
                        changes = diff(state, dict.fromkeys(state))
                        record(
                            session,
                            request,
                            "delete",
                            self.identity,
                            [row_identifier(obj)],
                            summary,
                            changes,
                        )
                        session.delete(obj)
                        session.flush()
                        deleted.append(obj)
            # SQLAlchemy raises AssertionError when deleting would blank a key
            # column of a row that refers to this one: that row blocks it too.
            except (SQLAlchemyError, AssertionError) as error:
                logger.warning("Deleting %s %s refused: %s", self.identity, pks, error)
                message = database_error_message(error)
                raise ValueError(f"Nothing was deleted: {message}") from error
        for obj in deleted:
            from_thread.run(self.after_model_delete, obj, request)
