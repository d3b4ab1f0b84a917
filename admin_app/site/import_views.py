"""The import pages: upload a CSV or XLSX file, see what it would change, confirm.

A mixin of `AdminView`. `GET /{identity}/import` shows the upload form;
`POST` the same URL (multipart `file`, optional `key`) writes nothing and
answers the preview (as JSON with `Accept: application/json`);
`POST /{identity}/import/confirm` applies exactly the previewed change
(`admin_app.importing.apply`). SQLAdmin's own import route, off unless a
view enables it, is replaced for these views by the site
(`AdminSite.import_endpoint`): it cannot read SQLModel's text columns and
writes each row without the model's validation.
"""

import tempfile
from collections.abc import Callable
from typing import Any, BinaryIO, ClassVar

from anyio import from_thread, to_thread
from sqladmin import Flash, expose
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from admin_app.importing.apply import (
    SUMMARY,
    Confirmed,
    ImportRefused,
    ImportSetup,
    OpenedFile,
    Preview,
    confirm_import,
    import_words,
    open_import,
    preview_import,
)
from admin_app.importing.columns import unique_keys
from admin_app.importing.files import (
    ENCODINGS,
    UTF8,
    BadFile,
    known_encoding,
)
from admin_app.importing.run import Permissions, RowOutcome
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind, changed_field_label
from admin_app.model.keys import key_attributes
from admin_app.model.labels import jsonable, label_for
from admin_app.model.limits import row_named
from admin_app.model.names import listed
from admin_app.model.parsing import whole_number
from admin_app.settings import import_max_bytes
from admin_app.site.audit_words import plain_value
from admin_app.site.import_progress import progress_response, wants_progress
from admin_app.site.read_routing import note_write
from admin_app.writing.audit import AuditEntry, username_of


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


NOT_SHOWN = "not shown"  # a value of a column never recorded


def _shown(value: Any) -> str:
    """A value of the preview as the page shows it, in the audit log's words
    (a flag as Yes or No, JSON as JSON)."""
    if value is None or value == "":
        return "empty"
    return plain_value(value)


class ImportActions:
    """The import routes, with the permission checks every one of them makes."""

    import_rows_shown: ClassVar[int] = 50
    """Changed rows and refused rows listed on the preview page (the rest counted)."""

    def may_import(self, request: Request) -> bool:
        """The import grant, and create or edit (new rows need create, changed
        rows edit: each row is checked for its own)."""
        may_add = self.can_create and self.has_permission(request, "create")
        may_change = self.can_edit and self.has_permission(request, "edit")
        return self.has_permission(request, "import") and (may_add or may_change)

    def _import_setup(self, request: Request) -> ImportSetup:
        form_fields = set(self._form_prop_names)

        def editable(spec: FieldSpec) -> bool:
            if spec.is_secret or spec.name not in form_fields:
                return False
            related = spec.kind is Kind.TO_ONE and spec.target is not None
            return not related or self.may_link(request, spec.target)

        def hook(data: dict[str, Any], obj: Any, creating: bool) -> None:
            from_thread.run(self.on_model_change, data, obj, creating, request)

        def check(data: dict[str, Any], obj: Any, creating: bool) -> None:
            self.check_new_row(data, creating)

        from admin_app.site.views import AdminView  # the mixin's own class

        plain = type(self).on_model_change is AdminView.on_model_change

        return ImportSetup(
            view=self,
            username=username_of(request),
            editable=editable,
            hidden=frozenset(self._audit_hidden),
            permissions=Permissions(
                create=self.can_create and self.has_permission(request, "create"),
                edit=self.can_edit and self.has_permission(request, "edit"),
            ),
            # the admin's own check needs no trip to the event loop per row
            hook=check if plain else hook,
            hook_sets_row=not plain,
        )

    async def import_page(self, request: Request) -> Response:
        """The upload form (GET), or the preview of the uploaded file (POST)."""
        if not self.may_import(request):
            raise HTTPException(403)
        if request.method != "POST":
            return await self._import_response(request, {})
        form = await request.form()
        upload = form.get("file")
        key = str(form.get("key") or "") or None
        encoding = str(form.get("encoding") or "") or None
        dates = str(form.get("dates") or "") or None
        # kept on a refused file's form
        chosen = {"key": key, "encoding": known_encoding(encoding), "dates": dates}
        if not isinstance(upload, UploadFile):
            return await self._import_refused(
                request, "Choose a file to import.", chosen
            )
        limit = import_max_bytes()
        data = await _spooled(upload, limit)
        setup = self._import_setup(request)
        try:
            opened = await to_thread.run_sync(
                open_import, setup, data, key, limit, encoding, dates
            )
        except BadFile as error:
            data.close()
            return await self._import_refused(request, str(error), chosen)

        def run(progress: Callable[[int], None] | None = None) -> Preview:
            try:
                with self.session_maker() as session:
                    return preview_import(setup, session, opened, progress)
            finally:
                data.close()

        if wants_progress(request):

            async def page(preview: Preview | None, error: Exception | None) -> Any:
                if preview is None:
                    return await self._import_refused(request, str(error), chosen)
                return await self._preview_page(request, preview, opened, chosen)

            return progress_response(request, run, page, BadFile)
        try:
            preview = await to_thread.run_sync(run)
        except BadFile as error:
            return await self._import_refused(request, str(error), chosen)
        return await self._preview_page(request, preview, opened, chosen)

    async def _preview_page(
        self,
        request: Request,
        preview: Preview,
        opened: OpenedFile,
        chosen: dict[str, Any],
    ) -> Response:
        """The preview as a page, or as JSON for a script; the upload form
        below it as the user filled it (`chosen`), for the file fixed."""
        result = preview.result
        errors = [
            {"row": e.row, "column": e.column, "message": e.message}
            for e in result.errors
        ]
        if _wants_json(request):
            return JSONResponse(
                {
                    "new": result.count("new"),
                    "changed": result.count("changed"),
                    "unchanged": result.count("unchanged"),
                    "errors": errors,
                    "errors_more": result.error_count - len(errors),
                    "token": preview.token,
                    "rows": [
                        {"row": o.row, "key": o.key, "changes": o.changes}
                        | ({"unrecorded": o.unrecorded} if o.unrecorded else {})
                        for o in result.changed
                    ],
                    "rows_more": result.count("changed") - len(result.changed),
                    "added": [
                        {"row": o.row, "values": o.new_values()}
                        | ({"unrecorded": o.unrecorded} if o.unrecorded else {})
                        for o in result.added
                    ],
                    "added_more": result.count("new") - len(result.added),
                    "read_as": _read_as(opened),
                    "held": [
                        {
                            "row": c.row,
                            "column": c.column,
                            "cell": jsonable(c.cell),
                            "held": jsonable(c.held),
                        }
                        for c in result.held
                    ],
                    "held_more": result.held_count - len(result.held),
                }
            )
        shown = self.import_rows_shown
        changed_rows = await to_thread.run_sync(
            self._changed_rows, result.changed[:shown], request
        )
        added_rows = await to_thread.run_sync(
            self._changed_rows, result.added[:shown], request
        )
        context = {
            "preview": preview,
            "counts": {s: result.count(s) for s in ("new", "changed", "unchanged")},
            "changed_rows": changed_rows,
            "changed_rest": max(0, result.count("changed") - shown),
            "added_rows": added_rows,
            "added_rest": max(0, result.count("new") - shown),
            "errors": errors[:shown],
            "errors_rest": max(0, result.error_count - shown),
            "held_cells": [
                (c.row, c.column, _shown(c.cell), _shown(c.held))
                for c in result.held[:shown]
            ],
            "held_said": _held_said(result.held_count),
            "held_rest": max(0, result.held_count - shown),
            **chosen,
            "read_as": _read_as(opened),
        }
        return await self._import_response(request, context)

    def _changed_rows(
        self, outcomes: list[RowOutcome], request: Request
    ) -> list[dict[str, Any]]:
        """Each changed or new row's fields as the preview shows them: a
        foreign key by the related row's label (and key), where the user may
        see it."""
        related: dict[str, FieldSpec] = {}
        for spec in self.field_specs.values():
            if (
                spec.kind is Kind.TO_ONE
                and spec.column is not None
                and spec.target is not None
                and self.may_link(request, spec.target)
            ):
                related[attribute_name(spec.column)] = spec
        rows = []
        with self.session_maker() as session:

            def described(name: str, value: Any) -> str:
                """A changed value as JSON holds it (a UUID as text): a
                foreign key is read back by its field's parser, as the write
                path read it, to find the row it names."""
                spec = related.get(name)
                if spec is None or value is None:
                    return _shown(value)
                target = row_named(session, spec.target, str(value), spec.parse)
                if target is None:
                    return _shown(value)
                return f"{label_for(target)} ({value})"

            for outcome in outcomes:
                fields = []
                for name, (old, new) in outcome.changes.items():
                    fields.append(
                        (
                            changed_field_label(self.field_specs, self.model, name),
                            described(name, old),
                            described(name, new),
                        )
                    )
                after = "changed, " if outcome.status == "changed" else ""
                for name in outcome.unrecorded:  # a secret, `audit_hidden`
                    label = changed_field_label(self.field_specs, self.model, name)
                    fields.append((label, NOT_SHOWN, after + NOT_SHOWN))
                rows.append({"row": outcome.row, "fields": fields})
                if outcome.status == "changed":  # the row by its label, linked
                    rows[-1].update(self._row_named(session, request, outcome.key))
        return rows

    def _row_named(self, session: Any, request: Request, key: str) -> dict[str, Any]:
        """A changed row as the preview names it: by its label (an email, a
        title), linked to its page, rather than by a key staff cannot read
        (a UUID); by its key where it is gone."""
        row = row_named(session, self.model, key)
        if row is None:
            return {"label": key, "url": None}
        label, url = self.labelled_link(request, row)
        return {"label": label, "url": url}

    async def _import_refused(
        self, request: Request, message: str, chosen: dict[str, Any] | None = None
    ) -> Response:
        """A file refused as a whole: a 400 with its one sentence, and the
        upload form as the user filled it (`chosen`: its key, encoding and
        order of dates)."""
        if _wants_json(request):
            return JSONResponse({"error": message}, status_code=400)
        context = {**(chosen or {}), "refused": message}
        return await self._import_response(request, context, 400)

    async def _import_response(
        self, request: Request, context: dict[str, Any], status: int = 200
    ) -> Response:
        primary = list(key_attributes(self.model))
        keys = [("", ", ".join(primary))] + [
            (name, name)
            for name in unique_keys(self.model, self.field_specs)
            if name not in primary
        ]
        return await self.templates.TemplateResponse(
            request,
            "sqladmin/import.html",
            {
                "model_view": self,
                "title": f"Import {self.name_plural}",
                "keys": keys,
                "encodings": [(c, f"{n} ({w})") for c, (n, w) in ENCODINGS.items()],
                "date_choices": DATE_CHOICES,
                "max_bytes": import_max_bytes(),
                **context,
            },
            status_code=status,
        )

    @expose("/import/confirm", methods=["POST"])
    async def import_confirm(self, request: Request) -> Response:
        """Apply a previewed import, all or nothing, then back to the list.
        The preview page's script asks for the rows' progress (streamed as
        the preview's is); its last line says where to go: `import/done`."""
        if not self.may_import(request):
            raise HTTPException(403)
        form = await request.form()
        token = str(form.get("token") or "")
        setup = self._import_setup(request)

        def run(progress: Callable[[int], None] | None = None) -> Confirmed:
            with self.session_maker() as session:
                return confirm_import(setup, session, token, request, progress)

        if wants_progress(request):

            async def page(done: Confirmed | None, error: Exception | None) -> Any:
                if done is None:
                    refused = {"refused": str(error)}
                    return await self._import_response(request, refused, 409)
                url = request.url_for(f"admin:view-{self.identity}-import_done")
                return RedirectResponse(f"{url}?entry={done.entry}", status_code=303)

            return progress_response(request, run, page, ImportRefused)
        try:
            done = await to_thread.run_sync(run)
        except ImportRefused as refused:
            if _wants_json(request):
                return JSONResponse({"error": str(refused)}, status_code=409)
            Flash.error(request, str(refused))
            url = request.url_for("admin:import", identity=self.identity)
            return RedirectResponse(url, status_code=302)
        if _wants_json(request):
            return JSONResponse({"added": done.added, "changed": done.changed})
        Flash.success(request, f"{import_words(self, done.changed, done.added)}.")
        url = request.url_for("admin:list", identity=self.identity)
        return RedirectResponse(url, status_code=302)

    @expose("/import/done", methods=["GET"])
    async def import_done(self, request: Request) -> Response:
        """Where a confirmation shown with its progress ends: the list, with
        its audit entry's words as the message. (A streamed answer cannot
        set the session's message: its cookie went with the first line.)
        Only the user's own import of this table is named."""
        if not self.may_import(request):
            raise HTTPException(403)
        number = whole_number(request.query_params.get("entry", ""))
        entry = None
        if number is not None and number < 2**31:  # an INTEGER key
            with self.session_maker() as session:
                entry = await to_thread.run_sync(session.get, AuditEntry, number)
        if (
            entry is None
            or entry.action != "import"
            or entry.table != self.identity
            or entry.username != username_of(request)
        ):
            raise HTTPException(404)
        note_write(request.session)
        Flash.success(request, f"{entry.summary.removeprefix(SUMMARY)}.")
        url = request.url_for("admin:list", identity=self.identity)
        return RedirectResponse(url, status_code=302)


async def _spooled(upload: UploadFile, limit: int) -> BinaryIO:
    """The upload copied into a temporary file of the preview's own, a
    megabyte at a time, never beyond `limit` (and one byte, so that a larger
    file is told it is): the preview reads its rows from there, so the file
    is never held in memory whole, and no later closing of the request's
    files can cut a preview short."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - the preview closes it
    copied = 0
    while copied <= limit:
        chunk = await upload.read(min(1 << 20, limit + 1 - copied))
        if not chunk:
            break
        await to_thread.run_sync(spool.write, chunk)
        copied += len(chunk)
    spool.seek(0)
    return spool


# a date with its year last as each order reads it, on the form and the preview
DATE_EXAMPLES = {
    "day": "03/04/2026 is 3 April 2026",
    "month": "03/04/2026 is March 4, 2026",
}
DATE_CHOICES = [
    ("", "Not chosen: day first in a file with ; between its cells"),
    ("day", f"Day first: {DATE_EXAMPLES['day']}"),
    ("month", f"Month first: {DATE_EXAMPLES['month']} (as in the United States)"),
]


def _held_said(count: int) -> str:
    """What the preview says of its cells read as their rows' values."""
    if not count:
        return ""
    cells = "1 cell is" if count == 1 else f"{count:,} cells are"
    return (
        f"{cells} read as the value the row holds, written as a spreadsheet "
        "writes it (a text it read as a number, a date or a time; a number "
        "it keeps to 15 digits; a time it shows to the minute), and left as "
        "it is: to change such a value, edit its row."
    )


def _read_as(opened: OpenedFile) -> str:
    """How the preview's file was read where it is not as the export writes
    it (the sheet of several, its encoding, a spreadsheet's local numbers
    and, where it has a date column, its dates), for the user to see that
    its cells were read as meant; "" where it is."""
    upload, said = opened.upload, []
    if upload.sheets:
        sheets = listed(map(repr, upload.sheets))
        said.append(
            f"Of the file's sheets, {sheets}, the sheet {upload.sheet!r} was read."
        )
    cell_format = upload.format
    if cell_format.lossy:
        name, where = ENCODINGS[cell_format.lossy]
        said.append(
            f"The file was read as {name} text ({where}): a ? where a row's "
            f"text has a character {name} has no byte for leaves the text as "
            "it is."
        )
    elif cell_format.encoding != UTF8:
        said.append("The file was read as UTF-16 text, as its byte order mark says.")
    if cell_format.local:
        said.append(
            "Its numbers may have a decimal comma (12,5), as spreadsheets write "
            "them in a file with ; between its cells."
        )
    order = cell_format.date_order
    dated = any(
        cell.spec.kind in (Kind.DATE, Kind.DATETIME) for cell in opened.columns.values
    )
    if order is not None and dated:
        said.append(
            f"Its dates with the year last were read with the {order} first "
            f"({DATE_EXAMPLES[order]})."
        )
    return " ".join(said)
