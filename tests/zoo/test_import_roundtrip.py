"""Imports on every table of every zoo module, on SQLite and PostgreSQL: a file
the admin exported and nobody changed imports as "0 changed" (as CSV, and as
XLSX saved by a spreadsheet), with nothing refused and nothing written; one
changed cell is previewed alone, confirmed, and reverted to the very export
the table gave before."""

import csv
import html
import importlib
import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Integer, func, update
from sqlalchemy import text as sql
from sqlmodel import select

from admin_app.model.fields import Kind
from admin_app.model.parsing import choice_text
from tests.pages import field_errors, form_values, post_form
from tests.pages import text as page_text
from tests.zoo import columns, facts, fullstack
from tests.zoo.conftest import (
    COLUMNS,
    FULLSTACK,
    HEROES,
    LEGACY,
    LOADING,
    SOCIAL,
    TRACKER,
    ZOO,
)
from tests.zoo.story_base import audit_rows, entry_changes, key_url
from tests.zoo.test_calc_roundtrip import LACKED, LONG_NUMBERS, add_long_numbers

JSON = {"Accept": "application/json"}


NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]*[1-9])?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")


def _spreadsheet_value(text: str) -> object:
    """A CSV cell as a spreadsheet stores it once opened: numbers as numbers,
    dates and datetimes as dates (serial numbers with a date format)."""
    if NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    if DATE.fullmatch(text):
        return datetime.fromisoformat(text)
    if DATETIME.fullmatch(text):
        return datetime.fromisoformat(text)
    return text


def _as_xlsx(csv_text: str) -> bytes:
    """The export opened in a spreadsheet and saved as XLSX."""
    book = Workbook()
    sheet = book.active
    for number, row in enumerate(csv.reader(io.StringIO(csv_text))):
        sheet.append(row if number == 0 else [_spreadsheet_value(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_an_exported_file_imports_unchanged_on_every_table(site):
    module = importlib.import_module(site.module)
    entries = len(audit_rows(site))
    checked = []
    for model in facts.tables_of(module):
        table = facts.identity(model)
        export = site.client.get(f"/admin/{table}/export/csv")
        assert export.status_code == 200, table
        lines = export.text.count("\n")
        for name, data in (
            ("t.csv", export.content),
            ("t.xlsx", _as_xlsx(export.text)),
        ):
            answer = site.client.post(
                f"/admin/{table}/import", files={"file": (name, data)}, headers=JSON
            )
            assert answer.status_code == 200, (table, name, answer.text)
            found = answer.json()
            assert found["errors"] == [], (table, name, found["errors"][:3])
            assert (found["new"], found["changed"]) == (0, 0), (table, name, found)
            assert found["unchanged"] > 0 or lines <= 1, (table, name)
            assert found["token"] is None
        checked.append(table)
    assert checked
    # exports are audited; the previews wrote nothing
    assert [e["action"] for e in audit_rows(site)[entries:]] == ["export"] * len(
        checked
    )


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_workbook_with_sheets_of_its_own_is_read_from_the_tables_sheet(site):
    """Staff add sheets to an exported workbook (notes in front of it, a copy
    to try a change on) and save it with any of them open: the sheet whose
    first row names the table's columns is read; of two such, the open one,
    else the file is refused naming both."""
    checked = []
    for found in changeable_tables(site):
        table = found.table
        book, column = _exported_workbook(site, found)
        (exported,) = book.sheetnames
        notes = book.create_sheet("Notes", 0)
        notes.append(["Checked by", "Ann"])
        book.active = notes
        preview = _workbook_preview(site, table, book).json()
        assert preview["errors"] == [], (table, preview["errors"][:3])
        assert (preview["new"], preview["changed"]) == (0, 0), (table, preview)
        assert preview["read_as"] == (
            f"Of the file's sheets, 'Notes' and {exported!r}, "
            f"the sheet {exported!r} was read."
        ), table

        tried = book.copy_worksheet(book[exported])
        cell = tried.cell(2, column)
        if found.kind is Kind.BOOL:
            cell.value = not cell.value
        else:
            cell.value = "Imported" if cell.value != "Imported" else "Imported again"
        refused = _workbook_preview(site, table, book)  # Notes still open
        assert refused.status_code == 400, (table, refused.text[:200])
        assert refused.json()["error"].startswith(
            f"The sheets {exported!r} and {tried.title!r} each have this "
            "table's columns in their first row"
        ), table

        book.active = tried
        preview = _workbook_preview(site, table, book).json()
        assert (preview["new"], preview["changed"]) == (0, 1), (table, preview)
        (row,) = preview["rows"]
        assert list(row["changes"]) == [found.name], (table, row)
        assert f"the sheet {tried.title!r} was read" in preview["read_as"], table
        checked.append(table)
    assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_formula_a_program_wrote_is_refused_not_read_as_empty_on_every_table(site):
    """A script fills a cell of the exported workbook with a formula
    (openpyxl, as most scripts do): the file holds no value for it, as no
    spreadsheet calculated it. Its row is refused naming the formula, where
    the empty value read for it would have emptied the cell's column."""
    checked = []
    for found in changeable_tables(site):
        table = found.table
        book, column = _exported_workbook(site, found)
        book.active.cell(2, column).value = "=1+1"
        preview = _workbook_preview(site, table, book).json()
        assert preview["errors"] == [
            {
                "row": 2,
                "column": found.name,
                "message": "'=1+1' is a formula that no spreadsheet has "
                "calculated (a program wrote the file): open the file in a "
                "spreadsheet and save it there, or type the value itself.",
            }
        ], table
        assert (preview["changed"], preview["token"]) == (0, None), table
        checked.append(table)
    assert checked


def _exported_workbook(site, found: "Changeable") -> tuple[Workbook, int]:  # type: ignore[no-untyped-def]
    """The table's XLSX export, opened, and the number of the column to change."""
    export = site.client.get(f"/admin/{found.table}/export/xlsx")
    book = load_workbook(io.BytesIO(export.content))
    header = [cell.value for cell in book.active[1]]
    return book, header.index(found.name) + 1


def _workbook_preview(site, table: str, book: Workbook):  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    book.save(out)
    return site.client.post(
        f"/admin/{table}/import",
        files={"file": ("t.xlsx", out.getvalue())},
        headers=JSON,
    )


# times a clock gives, their microseconds near a whole second: a workbook
# keeps a time to the millisecond, and the first two read back as the next
# second (so did one row in two thousand of times taken with microseconds)
NEAR_SECONDS = (999_999, 999_500, 123_456)
SHORTENED = "2026-12-06T12:05:01.123456"  # the third, as the CSV writes it


@pytest.mark.parametrize(
    "site",
    [module for module in ZOO if module not in (HEROES, LOADING)],  # no datetimes
    indirect=True,
    ids=lambda m: m.rsplit(".")[-1],
)
def test_times_to_the_microsecond_come_back_from_the_xlsx_export_unchanged(site):
    """Each datetime column of every table, its first rows' times at
    `NEAR_SECONDS` of a second: the XLSX export imports as "0 changed"
    (`12:05:01.999999` was previewed as changed to `12:05:02`); a cell made
    a second later is that change. The third written to the minute in the
    CSV export is the row's own time, listed on the preview as read so."""
    checked = []
    with site.session() as session:
        for model in facts.tables_of(importlib.import_module(site.module)):
            kinds = {
                facts.attr(c): facts.kind(model, c)
                for c in facts.columns(model)
                if not (c.primary_key or c.foreign_keys or c.computed)
            }
            stmt = select(model).limit(len(NEAR_SECONDS))
            rows = session.scalars(stmt).unique().all()
            for name, kind in kinds.items() if rows else ():
                if kind not in ("aware", "datetime"):
                    continue
                for row, micro in zip(rows, NEAR_SECONDS, strict=False):
                    time = datetime(2026, 12, 6, 12, 5, 1, micro)
                    aware = time.replace(tzinfo=UTC)
                    setattr(row, name, aware if kind == "aware" else time)
                checked.append((facts.identity(model), name))
        session.commit()
    assert checked
    for table, name in checked:
        export = site.client.get(f"/admin/{table}/export/xlsx").content
        found = site.client.post(
            f"/admin/{table}/import", files={"file": ("t.xlsx", export)}, headers=JSON
        ).json()
        assert (found["errors"], found["changed"]) == ([], 0), (table, found["rows"])
        # written to the minute (as Excel shows one): the row's time, and
        # the preview lists the cell as read so
        rows = list(
            csv.DictReader(
                io.StringIO(site.client.get(f"/admin/{table}/export/csv").text)
            )
        )
        (number,) = [
            n for n, row in enumerate(rows, 2) if row[name].startswith(SHORTENED)
        ]
        rows[number - 2][name] = "2026-12-06 12:05"
        found = import_preview(site.client, table, csv_bytes(list(rows[0]), rows))
        assert (found["errors"], found["changed"]) == ([], 0), (table, found["rows"])
        assert [(c["row"], c["column"], c["cell"]) for c in found["held"]] == [
            (number, name, "2026-12-06 12:05")
        ], table
        book = load_workbook(io.BytesIO(export))
        header = [cell.value for cell in book.active[1]]
        cell = book.active.cell(2, header.index(name) + 1)
        cell.value = cell.value + timedelta(seconds=1)
        changed = _workbook_preview(site, table, book).json()
        # (with a column the database stamps on every change, as it changes)
        assert [name in row["changes"] for row in changed["rows"]] == [True], table


# a text longer than the csv module reads by default (128 KB), with the
# quotes, delimiters and line breaks a CSV quotes
LONG_TEXT = 'He said "yes", then; left.\n' * 8_000


@pytest.mark.parametrize(
    "site",
    [module for module in ZOO if module != FULLSTACK],  # its texts have a length
    indirect=True,
    ids=lambda m: m.rsplit(".")[-1],
)
def test_a_long_text_the_export_wrote_imports_unchanged_on_every_table(site):
    """A text longer than the csv module reads by default, with quotes,
    delimiters and line breaks, exported and imported as it is."""
    with site.session() as session:
        held = {}
        for model in facts.tables_of(importlib.import_module(site.module)):
            texts = (
                c
                for c in facts.columns(model)
                if facts.takes_any_text(model, c, len(LONG_TEXT))
            )
            column, row = next(texts, None), session.scalars(select(model)).first()
            if column is not None and row is not None:
                setattr(row, facts.attr(column), LONG_TEXT)
                held[facts.identity(model)] = facts.attr(column)
        session.commit()
    for table, name in held.items():
        export = site.client.get(f"/admin/{table}/export/csv")
        assert LONG_TEXT.replace('"', '""') in export.text, table
        preview = import_preview(site.client, table, export.content)
        assert preview["errors"] == [], (table, preview["errors"][:3])
        assert (preview["new"], preview["changed"]) == (0, 0), (table, name)
    assert held


def _changeable(view, header: list[str]):
    """A column of the file that the import may change: plain text, else a flag."""
    for kind in (Kind.TEXT, Kind.BOOL):
        for spec in view.field_specs.values():
            column = spec.column
            if (
                spec.kind is kind
                and column is not None
                and facts.attr(column) in header
                and spec.name in view._form_prop_names
                and not (spec.primary_key or spec.unique or spec.is_secret)
            ):
                return facts.attr(column), kind
    return None


@dataclass
class Changeable:
    """A zoo table whose export has rows and a column the import may change."""

    model: type
    table: str
    text: str  # the table's export, to compare with after a revert
    rows: list[dict[str, str]]
    header: list[str]
    name: str  # the column to change
    kind: Kind


def changeable_tables(site) -> Iterator[Changeable]:  # type: ignore[no-untyped-def]
    """Each table of the site's zoo module with a column to change, exported."""
    module = importlib.import_module(site.module)
    views = {v.identity: v for v in site.app.state.admin.views}
    for model in facts.tables_of(module):
        table = facts.identity(model)
        text = site.client.get(f"/admin/{table}/export/csv").text
        rows = list(csv.DictReader(io.StringIO(text)))
        header = list(rows[0]) if rows else []
        found = _changeable(views[table], header)
        if rows and found is not None:
            yield Changeable(model, table, text, rows, header, *found)


def csv_bytes(header: list[str], rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def import_preview(client, identity: str, data: bytes, **form: str) -> dict:  # type: ignore[no-untyped-def]
    """The import preview (as JSON) of the CSV file `data` on `identity`'s
    table; `form`: the upload form's other fields (`encoding`)."""
    answer = client.post(
        f"/admin/{identity}/import",
        files={"file": (f"{identity}.csv", data)},
        data=form,
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_changed_cell_is_previewed_confirmed_and_reverted_on_every_table(
    site, monkeypatch
):
    """Keys of every shape (UUID, text, composite, numbered) find their rows;
    the preview's rows are stored in parts of a few bytes and the audit
    entry written in pieces of a few characters (as a large import's are,
    from files on disk), and the import applies and reverts all the same."""
    from admin_app.importing.apply import _ImportEntry
    from admin_app.importing.previews import PackedRows

    for kept in (_ImportEntry, PackedRows):
        monkeypatch.setattr(kept, "SPOOLED", 1)
    monkeypatch.setattr(_ImportEntry, "PIECE", 5)
    monkeypatch.setattr(PackedRows, "PART", 5)
    changed_tables = []
    for found in changeable_tables(site):
        table, rows, name = found.table, found.rows, found.name
        old = rows[0][name]
        if found.kind is Kind.BOOL:
            new = "false" if old == "true" else "true"
        else:
            new = "Imported" if old != "Imported" else "Imported again"
        rows[0][name] = new
        answer = site.client.post(
            f"/admin/{table}/import",
            files={"file": ("t.csv", csv_bytes(found.header, rows))},
            headers=JSON,
        )
        preview = answer.json()
        assert preview["errors"] == [], (table, preview["errors"][:3])
        assert (preview["new"], preview["changed"]) == (0, 1), (table, preview)
        (row,) = preview["rows"]
        assert list(row["changes"]) == [name], (table, row)
        # the page names the row by its label, linked to its page
        page = site.client.post(
            f"/admin/{table}/import",
            files={"file": ("t.csv", csv_bytes(found.header, rows))},
        ).text
        changes = page[page.index('id="import-changes"') :].split("</table>")[0]
        named = re.findall(r'<a href="[^"]*/details/[^"]*">([^<]*)</a>', changes)
        with site.session() as session:
            shown = facts.by_identifier(session, found.model)[row["key"]]
            assert [html.unescape(n) for n in named] == [facts.label(shown)], table
        confirmed = site.client.post(
            f"/admin/{table}/import/confirm", data={"token": preview["token"]}
        )
        assert "changed, 0 added." in confirmed.text, table
        after = list(
            csv.DictReader(
                io.StringIO(site.client.get(f"/admin/{table}/export/csv").text)
            )
        )
        assert [r[name] for r in after if r[name] == new] != [], table
        entry = audit_rows(site)[-2]  # the import, then the export just made
        assert entry["action"] == "import", table
        site.client.post(f"/admin/audit-entry/revert/{entry['id']}")
        restored = site.client.get(f"/admin/{table}/export/csv").text
        assert restored == found.text, table
        changed_tables.append(table)
    assert changed_tables


def _typed_columns(site, kinds: tuple[Kind, ...]) -> Iterator[tuple]:  # type: ignore[no-untyped-def]
    """(model, table, header, rows, specs) of each table of the site's zoo
    module with exported rows and columns of `kinds` on its form and in its
    export, where a person may type into a spreadsheet: the specs."""
    views = {v.identity: v for v in site.app.state.admin.views}
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        view = views[table]
        header, rows = exported(site, table)
        specs = [
            spec
            for spec in view.field_specs.values()
            if spec.kind in kinds
            and spec.column is not None
            and facts.attr(spec.column) in header
            and spec.name in view._form_prop_names
        ]
        if rows and specs:
            yield model, table, header, rows, specs


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_numbers_with_a_separator_or_a_decimal_comma_in_a_comma_file_on_every_table(
    site,
):
    """In a file with `,` between its cells, every table's column of numbers
    with fractions reads `1,000.5` (a spreadsheet's number formatted with a
    thousands separator) as 1000.5, and refuses `12,5` saying that a `;`
    file reads a decimal comma (it was "'12,5' is not a number")."""
    read = []
    kinds = (Kind.DECIMAL, Kind.NUMBER)
    for _model, table, header, rows, specs in _typed_columns(site, kinds):
        for name in (facts.attr(s.column) for s in specs if not s.integer):
            written = [{**rows[0], name: "12,5"}]
            found = import_preview(site.client, table, csv_bytes(header, written))
            assert [(e["column"], e["message"]) for e in found["errors"]] == [
                (
                    name,
                    "'12,5' has a decimal comma, read in a CSV with ; between its "
                    "cells (as spreadsheets save one where a comma is the decimal "
                    "sign): save it so, or write 12.5.",
                )
            ], (table, found["errors"])
            written = [{**rows[0], name: "1,000.5"}]
            found = import_preview(site.client, table, csv_bytes(header, written))
            messages = " ".join(e["message"] for e in found["errors"])
            assert "1,000.5" not in messages, (table, name, messages)
            if not found["errors"]:  # else too large for the column or its model
                assert float(found["rows"][0]["changes"][name][1]) == 1000.5
                read.append((table, name))
    if site.module in (COLUMNS, LEGACY):  # the modules with such columns
        assert read


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_date_with_dots_in_a_comma_file_is_read_day_first_on_every_table(site):
    """A date written with dots and its year last (`31.12.2026`, `3.4.26`, as
    Calc shows dates in Germany and saves them into a CSV it is told to part
    with `,`) has its day first wherever it is written so: every table's
    date column reads it without the choice of the date order (it was
    refused asking for it), is saved so, while `03/04/2026` still asks."""
    read = []
    for model, table, header, rows, specs in _typed_columns(site, (Kind.DATE,)):
        name = facts.attr(specs[0].column)
        for typed, stored in (("31.12.2026", "2026-12-31"), ("3.4.26", "2026-04-03")):
            rows[0][name] = typed
            found = import_preview(site.client, table, csv_bytes(header, rows[:1]))
            assert (found["errors"], found["changed"]) == ([], 1), (table, found)
            assert found["rows"][0]["changes"][name][1] == stored, table
        confirmed = site.client.post(
            f"/admin/{table}/import/confirm", data={"token": found["token"]}
        )
        assert "changed, 0 added." in confirmed.text, table
        with site.session() as session:
            held = facts.by_identifier(session, model)[found["rows"][0]["key"]]
            assert getattr(held, name).isoformat() == "2026-04-03", table
        rows[0][name] = "03/04/2026"
        found = import_preview(site.client, table, csv_bytes(header, rows[:1]))
        assert [e["message"] for e in found["errors"]] == [
            "'03/04/2026' has its year last, and its day or its month first: say "
            "which under “Dates with the year last” on the upload form "
            "(dates=day or dates=month)."
        ], table
        read.append(table)
    if site.module in (COLUMNS, TRACKER):  # the modules with dates
        assert read


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_semicolon_files_preview_speaks_of_dates_only_where_it_has_some(site):
    """A file with `;` between its cells reads its dates with the year last
    day first, and the preview says so where the file has a date column; of
    a table without one it said so all the same."""
    views = {v.identity: v for v in site.app.state.admin.views}
    said = {}
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        header, rows = exported(site, table)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
        found = import_preview(site.client, table, out.getvalue().encode())
        dated = any(
            spec.kind in (Kind.DATE, Kind.DATETIME)
            and spec.column is not None
            and facts.attr(spec.column) in header
            for spec in views[table].field_specs.values()
        )
        day_first = "Its dates with the year last were read with the day first"
        said[table] = day_first in found["read_as"]
        assert said[table] == dated, (table, found["read_as"])
    assert said
    if site.module == COLUMNS:  # tables with dates and without
        assert set(said.values()) == {True, False}, said


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_choice_typed_as_the_pages_show_it_is_read_on_every_table(site):
    """A person types a choice into a spreadsheet as the list and the forms
    show it, its label, in whatever case (`DEEP BLUE` for `deep_blue`, `Team
    plan` for `team_plan`): every choice column of every table reads it as
    that choice (each was refused, "'Deep blue' is not one of ...")."""
    read = []
    for model, table, header, rows, specs in _typed_columns(site, (Kind.CHOICE,)):
        typed = {}
        for spec in specs:
            name = facts.attr(spec.column)
            value, label = next(
                (v, lb) for v, lb in spec.choices if choice_text(v) != rows[0][name]
            )
            rows[0][name] = label.upper()
            typed[name] = value
        found = import_preview(site.client, table, csv_bytes(header, rows))
        assert (found["errors"], found["changed"]) == ([], 1), (table, found)
        confirmed = site.client.post(
            f"/admin/{table}/import/confirm", data={"token": found["token"]}
        )
        assert "changed, 0 added." in confirmed.text, table
        with site.session() as session:
            stored = facts.by_identifier(session, model)[found["rows"][0]["key"]]
            held = {n: getattr(stored, n) for n in typed}
        assert held == typed, table
        read.append(table)
    if site.module in (COLUMNS, LEGACY, TRACKER, SOCIAL):  # modules with choices
        assert read


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_new_rows_are_named_by_the_keys_the_database_gave_them_on_every_table(site):
    """Rows an import adds to every table whose key is made for them (numbered
    by the database, or a UUID default) are each named by their own key: the
    audit entry's added values are the stored rows'. On SQLite a batch's new
    rows with numbered keys go in with one INSERT, read back in the order of
    their keys and checked against the values sent (every zoo column type
    compares equal as sent and as read back)."""
    import json

    from sqlalchemy import event
    from sqlmodel import Session

    sqlite = site.engine.dialect.name == "sqlite"
    added_to = []
    for found in changeable_tables(site):
        model = found.model
        key = facts.primary_key(model)[0]
        unique = [
            facts.attr(c) for c in facts.columns(model) if c.unique and c is not key
        ]
        if not facts.is_generated_key(key) or found.kind is not Kind.TEXT or unique:
            continue
        numbered = isinstance(facts.base_type(key.type), Integer)
        copies = [
            {**found.rows[0], facts.attr(key): "", found.name: f"New {n}"}
            for n in range(3)
        ]
        preview = site.client.post(
            f"/admin/{found.table}/import",
            files={"file": ("t.csv", csv_bytes(found.header, copies))},
            headers=JSON,
        ).json()
        assert preview["errors"] == [], (found.table, preview["errors"][:3])
        assert preview["new"] == 3, (found.table, preview)
        # the preview shows each new row's values, by its row in the file
        assert [(a["row"], a["values"][found.name]) for a in preview["added"]] == [
            (2, "New 0"),
            (3, "New 1"),
            (4, "New 2"),
        ], found.table
        page = site.client.post(
            f"/admin/{found.table}/import",
            files={"file": ("t.csv", csv_bytes(found.header, copies))},
        )
        table = page.text.split('id="import-added"', 1)[-1].split("</table>")[0]
        shown: dict[str, list[str]] = {}  # row -> its values, as the page shows
        number = ""
        for first, rest in re.findall(r"<tr><td>([^<]*)</td>(.*?)</tr>", table):
            number = first or number
            shown.setdefault(number, []).extend(re.findall(r"<td>([^<]*)</td>", rest))
        assert {n: f"New {int(n) - 2}" in v for n, v in shown.items()} == {
            "2": True,
            "3": True,
            "4": True,
        }, found.table
        inserts: list[int] = []

        def count(  # the table's INSERTs (its name may be quoted)
            _conn, _cursor, statement, _p, _c, _m, inserts=inserts, model=model
        ) -> None:
            into = statement.split("(")[0].replace('"', "").split()
            if into[:2] == ["INSERT", "INTO"] and into[2:] == [model.__tablename__]:
                inserts.append(1)

        event.listen(site.engine, "before_cursor_execute", count)
        try:
            confirmed = site.client.post(
                f"/admin/{found.table}/import/confirm",
                data={"token": preview["token"]},
            )
        finally:
            event.remove(site.engine, "before_cursor_execute", count)
        assert "3 added." in confirmed.text, found.table
        if sqlite and numbered:  # SQLite's keys: one INSERT, not one a row
            assert len(inserts) == 1, (found.table, len(inserts))
        entry = [e for e in audit_rows(site) if e["action"] == "import"][-1]
        added = json.loads(entry["changes"])["added"]
        with Session(site.engine) as session:
            stored = facts.by_identifier(session, model)
            assert {k: stored[k].__dict__[found.name] for k in added} == {
                k: values[found.name] for k, values in added.items()
            }, found.table
            assert sorted(v[found.name] for v in added.values()) == [
                "New 0",
                "New 1",
                "New 2",
            ]
        added_to.append(found.table)
    assert added_to


def test_a_row_its_model_now_refuses_imports_unchanged_until_a_cell_of_it_changes(
    fullstack_site,
):
    """A row stored before the model's rules (an item with an empty title,
    which `min_length=1` refuses) is left alone by an import of the export,
    and so is an empty text where NULL is allowed (not made NULL): a cell
    repeating what its row holds asks for nothing, as the edit form writes
    only the fields the user changed. Another cell of the first row changed
    is refused with the title's message, as the edit form refuses it, and
    the row stays as it was."""
    site = fullstack_site
    table = facts.identity(fullstack.Item)
    with site.session() as session:
        owner = session.exec(select(fullstack.User)).first()
        legacy = fullstack.Item(title="", description="old", owner_id=owner.id)
        blank = fullstack.Item(title="Blank", description="", owner_id=owner.id)
        session.add_all([legacy, blank])
        session.commit()
        key = str(legacy.id)
    text = site.client.get(f"/admin/{table}/export/csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])
    (number,) = [n for n, row in enumerate(rows) if row["id"] == key]
    assert rows[number]["title"] == ""

    def preview(data: bytes) -> dict:
        answer = site.client.post(
            f"/admin/{table}/import", files={"file": ("t.csv", data)}, headers=JSON
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    found = preview(text.encode())
    assert found["errors"] == []
    assert (found["new"], found["changed"], found["unchanged"]) == (0, 0, len(rows))
    rows[number]["description"] = "new"
    found = preview(csv_bytes(header, rows))
    (error,) = found["errors"]
    assert (error["row"], error["column"]) == (number + 2, "title")
    # pydantic's words (2.0 says "1 characters")
    assert error["message"].startswith("String should have at least 1 character")
    assert (found["changed"], found["token"]) == (0, None)
    with site.session() as session:
        stored = session.get(fullstack.Item, legacy.id)
        assert (stored.title, stored.description) == ("", "old")
        assert session.get(fullstack.Item, blank.id).description == ""


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_spreadsheets_error_value_is_refused_and_text_like_it_round_trips(site):
    """A cell holding what a formula that failed shows (`#DIV/0!`: an error
    cell in an XLSX, that text in a CSV) refuses its row by row and column,
    on every table with a text column; text that is exactly such a value,
    typed with a `'` before it, is stored as text, exported with the `'`, and
    the export imports unchanged as CSV and as XLSX."""

    def preview(table: str, name: str, data: bytes) -> dict:
        answer = site.client.post(
            f"/admin/{table}/import", files={"file": (name, data)}, headers=JSON
        )
        assert answer.status_code == 200, (table, answer.text)
        return answer.json()

    stored_as_text = []
    for found in changeable_tables(site):
        if found.kind is not Kind.TEXT:
            continue
        table, rows, name = found.table, found.rows, found.name
        rows[0][name] = "#DIV/0!"
        data = csv_bytes(found.header, rows)
        for file, sent in (("t.csv", data), ("t.xlsx", _as_xlsx(data.decode()))):
            refused = preview(table, file, sent)
            assert [(e["row"], e["column"]) for e in refused["errors"]] == [
                (2, name)
            ], (table, file, refused["errors"])
            assert refused["errors"][0]["message"].startswith(
                "#DIV/0! is the error a spreadsheet shows for a formula that failed"
            )
            assert (refused["changed"], refused["token"]) == (0, None), table
        rows[0][name] = "'#N/A"
        typed = preview(table, "t.csv", csv_bytes(found.header, rows))
        if typed["errors"]:  # the model refuses this text (an e-mail address)
            continue
        assert [r["changes"][name][1] for r in typed["rows"]] == ["#N/A"], table
        site.client.post(
            f"/admin/{table}/import/confirm", data={"token": typed["token"]}
        )
        export = site.client.get(f"/admin/{table}/export/csv").text
        assert [r[name] for r in csv.DictReader(io.StringIO(export))].count(
            "'#N/A"
        ) == 1, table
        for file, sent in (("t.csv", export.encode()), ("t.xlsx", _as_xlsx(export))):
            again = preview(table, file, sent)
            assert again["errors"] == [], (table, file, again["errors"][:3])
            assert (again["new"], again["changed"]) == (0, 0), (table, file)
        stored_as_text.append(table)
    assert stored_as_text


def unquoted(cell: str) -> str:
    return cell[1:] if cell[:1] == "'" and cell[1:2] in "=+-@" else cell


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_changed_foreign_key_is_previewed_by_the_rows_label(site):
    """The preview page names a foreign key's old and new rows by their
    labels (as the export writes them beside the key), on every table with
    one: a UUID key as well, which the preview once showed bare on SQLite."""
    views = {v.identity: v for v in site.app.state.admin.views}
    shown = []
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        text = site.client.get(f"/admin/{table}/export/csv").text
        rows = list(csv.DictReader(io.StringIO(text)))
        header = list(rows[0]) if rows else []
        stored = set(model.__table__.columns.keys())
        for spec in views[table].field_specs.values():
            key = facts.attr(spec.column) if spec.column is not None else None
            if spec.kind is not Kind.TO_ONE or key not in header:
                continue
            if spec.column.primary_key:
                continue  # a link row's key: another row, not a change
            beside = header.index(key) + 1  # the export's label column
            if beside == len(header) or header[beside] in stored:
                continue
            label = header[beside]
            # as the export wrote them, less the `'` before formula-like text
            labels = {r[key]: unquoted(r[label]) for r in rows if r[key]}
            # another row than its own (a task is not its own parent)
            own = {rows[0].get(c.key) for c in model.__table__.primary_key}
            other = next(
                (k for k in labels if k != rows[0][key] and k not in own), None
            )
            if other is None:
                continue
            old = rows[0][key]
            rows[0][key] = other
            page = site.client.post(
                f"/admin/{table}/import",
                files={"file": ("t.csv", csv_bytes(header, rows))},
            )
            assert page.status_code == 200, (table, key)
            words = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
            expected = [f"{labels[other]} ({other})"]
            if old:
                expected.append(f"{labels[old]} ({old})")
            assert [
                e for e in expected if html.escape(e, quote=False) not in words
            ] == [], (
                table,
                key,
            )
            rows[0][key] = old
            shown.append((table, key))
    assert shown


@dataclass
class _LabelBesideKey:
    """A to-one's key column and the label column the export writes beside
    it, with the labels that name exactly one related row."""

    table: str
    model: type
    key: str
    label: str
    unique: dict[str, str]  # a related row's key text -> its label


def labels_beside_keys(site, own: bool = False) -> Iterator[_LabelBesideKey]:  # type: ignore[no-untyped-def]
    """Every to-one (of another table, by its primary key; `own`: of the
    same table) whose export has the label beside the key, with at least two
    related rows of one label each."""
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        header, rows = exported(site, table)
        for column in facts.columns(model):
            key, target = facts.attr(column), facts.fk_target(column)
            if key not in header or target is None or column.primary_key:
                continue
            related, pointed = target
            if (related is model) != own or facts.primary_key(related) != [pointed]:
                continue
            beside = header.index(key) + 1
            if beside == len(header) or header[beside] in model.__table__.columns:
                continue
            with site.session() as session:
                labels = [
                    (facts.identifier(r), facts.label(r))
                    for r in facts.rows(session, related)
                ]
            counts = Counter(label for _key, label in labels)
            unique = {k: label for k, label in labels if counts[label] == 1}
            if len(unique) >= 2 and any(r[key] for r in rows):
                yield _LabelBesideKey(table, model, key, header[beside], unique)


def exported(site, table: str) -> tuple[list[str], list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    """The CSV export's header and rows."""
    text = site.client.get(f"/admin/{table}/export/csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    return (list(rows[0]) if rows else []), rows


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_label_changed_beside_its_key_says_which_row_on_every_table(site):
    """The label the export writes beside a foreign key is what a spreadsheet
    user reads and changes: changed alone, it chooses the row (it was once
    ignored, and the import said "0 changed"); with the key emptied, it
    chooses too; changed with the key to name another row, the row is
    refused naming both columns, and nothing is written."""
    checked = []
    for found in labels_beside_keys(site):
        table, key, label = found.table, found.key, found.label
        header, rows = exported(site, table)  # as the imports before left it
        first = next(r for r in rows if r[key])
        held = first[key]
        others = [k for k in found.unique if k != held]
        chosen = others[0]
        stamped = {  # columns the row's update stamps (`onupdate`)
            facts.attr(c) for c in facts.columns(found.model) if c.onupdate
        }
        with site.session() as session:
            before = facts.snapshot(session, found.model)
        for cells in ({}, {key: ""}):
            saved = dict(first)
            first[label] = facts.safe_text(found.unique[chosen])
            first.update(cells)
            preview = import_preview(site.client, table, csv_bytes(header, rows))
            first.clear()
            first.update(saved)
            assert preview["errors"] == [], (table, key, preview["errors"][:3])
            assert preview["changed"] == 1, (table, key, preview)
            (row,) = preview["rows"]
            assert str(row["changes"][key][1]) == chosen, (table, key, row)
            assert set(row["changes"]) - {key} <= stamped, (table, key, row)
        confirmed = site.client.post(
            f"/admin/{table}/import/confirm", data={"token": preview["token"]}
        )
        assert "changed, 0 added." in confirmed.text, (table, key)
        with site.session() as session:
            after = facts.snapshot(session, found.model)
        moved = [k for k in before if before[k] != after[k]]
        assert len(moved) == 1, (table, key, moved)
        assert facts.key_text(after[moved[0]][key]) == chosen, (table, key)
        if len(others) > 1:  # both changed from what the row holds now
            first[key] = others[1]  # and the label it held before, as exported
            refused = import_preview(site.client, table, csv_bytes(header, rows))
            (error,) = refused["errors"]
            assert error["column"] == label, (table, error)
            assert key in error["message"] and label in error["message"], error
            assert refused["token"] is None
            with site.session() as session:
                assert facts.snapshot(session, found.model) == after, table
        checked.append((table, key))
    assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_parent_named_by_its_label_beside_an_empty_key_on_every_table(site):
    """A label beside the key of a row of the same table (a parent task's
    title): with the key empty, it chooses the row (it was once ignored: the
    import said "0 changed", and a row added so had no parent), on a row the
    file changes and on a row it adds; beside a key, the key says which row,
    as the title may have changed since the file was written, in it or in
    the table."""
    checked = []
    for found in labels_beside_keys(site, own=True):
        table, key, label, model = found.table, found.key, found.label, found.model
        header, rows = exported(site, table)
        first = next(r for r in rows if r[key])
        with site.session() as session:
            own_key = facts.identifier(_row_of(session, model, first))
        chosen = next(k for k in found.unique if k not in (first[key], own_key))
        first[label] = facts.safe_text(found.unique[chosen])
        preview = import_preview(site.client, table, csv_bytes(header, rows))
        assert (preview["errors"], preview["changed"]) == ([], 0), (table, preview)
        first[key] = ""
        added = []
        if all(facts.is_generated_key(c) for c in facts.primary_key(model)):
            keyless = dict.fromkeys(
                (facts.attr(c) for c in facts.primary_key(model)), ""
            )
            added = [{**first, **keyless}]
        preview = import_preview(site.client, table, csv_bytes(header, rows + added))
        assert preview["errors"] == [], (table, key, preview["errors"][:3])
        assert (preview["changed"], preview["new"]) == (1, len(added)), (table, preview)
        (row,) = preview["rows"]
        assert str(row["changes"][key][1]) == chosen, (table, key, row)
        assert [str(a["values"][key]) for a in preview["added"]] == [chosen] * len(
            added
        )
        _confirm_parent(site, found, preview["token"], first, chosen, len(added))
        checked.append((table, key))
    if site.module == TRACKER:  # its tasks' parents
        assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_parent_changed_to_a_row_above_it_in_the_file_is_confirmed(site):
    """A row's parent (a row of the same table) changed by its key to a row
    the file lists above it, unchanged: the confirmation writes it (it was
    refused as changed since the preview: the preview took the parent for a
    row the file adds, whose key the confirmation makes anew)."""
    checked = []
    for found in labels_beside_keys(site, own=True):
        table, key, label, model = found.table, found.key, found.label, found.model
        header, rows = exported(site, table)
        with site.session() as session:
            above = facts.identifier(_row_of(session, model, rows[0]))
        later = next(r for r in rows[1:] if r[key] != above)
        later[key], later[label] = above, ""
        preview = import_preview(site.client, table, csv_bytes(header, rows))
        assert (preview["errors"], preview["changed"]) == ([], 1), (table, preview)
        _confirm_parent(site, found, preview["token"], later, above)
        checked.append((table, key))
    if site.module == TRACKER:  # its tasks' parents
        assert checked


def _confirm_parent(  # type: ignore[no-untyped-def]
    site, found: _LabelBesideKey, token: str, row: dict, parent: str, added: int = 0
) -> None:
    """Confirm a preview, and find the file's `row` stored with `parent`."""
    confirmed = site.client.post(
        f"/admin/{found.table}/import/confirm", data={"token": token}
    )
    shown = page_text(confirmed.text)
    assert f"changed, {added} added." in shown, (found.table, shown[-300:])
    with site.session() as session:
        stored = _row_of(session, found.model, row)
        assert facts.key_text(getattr(stored, found.key)) == parent, found.table


def _row_of(session, model: type, cells: dict[str, str]):  # type: ignore[no-untyped-def]
    """The row an exported row's key cells name."""
    names = [facts.attr(c) for c in facts.primary_key(model)]
    return facts.by_identifier(session, model)[",".join(cells[n] for n in names)]


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_labels_a_code_page_wrote_with_question_marks_on_every_table(site):
    """Labels with characters Windows-1252 has no byte for, in a file saved
    in it (`?` in their place): a label without its key column finds the row
    whose label it stands for (it was "No team is called 'Z-Force ?ü?'"), and
    a row's own text so written, changed, is refused naming the file to save
    instead (its characters would be lost), with nothing written."""
    marked = _add_lacked_to_labels(site)
    checked = []
    for found in labels_beside_keys(site):
        table, key, label = found.table, found.key, found.label
        if not any(text.endswith(LACKED) for text in found.unique.values()):
            continue  # labels of a table whose label column takes no text
        header, rows = exported(site, table)
        kept = [h for h in header if h != key]
        rows = [{h: r[h] for h in kept} for r in rows if r[key] in found.unique]
        data = _in_code_page(kept, rows)
        preview = import_preview(site.client, table, data, encoding="cp1252")
        assert preview["errors"] == [], (table, label, preview["errors"][:3])
        assert (preview["changed"], preview["new"]) == (0, 0), (table, preview)
        assert preview["unchanged"] == len(rows) > 0
        checked.append((table, label))
    for model, name in marked.items():
        table = facts.identity(model)
        header, rows = exported(site, table)
        rows[0][name] += " (changed)"
        with site.session() as session:
            before = facts.snapshot(session, model)
        preview = import_preview(
            site.client, table, _in_code_page(header, rows), encoding="cp1252"
        )
        assert [(e["row"], e["column"]) for e in preview["errors"]] == [(2, name)]
        assert preview["errors"][0]["message"].startswith(
            "The text stored here has characters Windows-1252 has no byte for"
        )
        with site.session() as session:
            assert facts.snapshot(session, model) == before, table
    assert marked
    if site.module in (HEROES, TRACKER, COLUMNS, SOCIAL, LEGACY):  # labels by key
        assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_labels_of_digits_a_spreadsheet_dropped_zeros_from_on_every_table(site):
    """Labels of digits with leading zeros (`00001`), which a spreadsheet
    opening the CSV export saves as numbers (`1`): a label without its key
    column finds the row whose label it is with its zeros (it was "No team
    is called '1'"), on every table that names rows by such labels."""
    with site.session() as session:
        for model in facts.tables_of(importlib.import_module(site.module)):
            name = facts.label_column(model)
            column = facts.columns_by_attr(model).get(name or "")
            if column is not None and facts.takes_any_text(model, column):
                for n, row in enumerate(facts.rows(session, model), start=1):
                    setattr(row, name, f"{n:05d}")
                session.flush()  # before the next table's rows expire these
        session.commit()
    checked = []
    for found in labels_beside_keys(site):
        table, key, label = found.table, found.key, found.label
        if not all(text.isdigit() for text in found.unique.values()):
            continue  # labels of a table whose label column takes no text
        header, rows = exported(site, table)
        kept = [h for h in header if h != key]
        rows = [
            {**{h: r[h] for h in kept}, label: str(int(r[label]))}
            for r in rows
            if r[key] in found.unique
        ]
        preview = import_preview(site.client, table, csv_bytes(kept, rows))
        assert preview["errors"] == [], (table, label, preview["errors"][:3])
        assert (preview["changed"], preview["new"]) == (0, 0), (table, preview)
        assert preview["unchanged"] == len(rows) > 0
        checked.append((table, label))
    if site.module in (HEROES, TRACKER, COLUMNS, SOCIAL, LEGACY):  # labels by key
        assert checked


def _add_lacked_to_labels(site) -> dict[type, str]:  # type: ignore[no-untyped-def]
    """Every row's label column (a text column: a team's name) ends with
    `LACKED`, as the database holds text another program wrote: the
    columns, by table."""
    marked = {}
    with site.session() as session:
        for model in facts.tables_of(importlib.import_module(site.module)):
            name = facts.label_column(model)
            column = facts.columns_by_attr(model).get(name or "")
            if column is None or not facts.takes_any_text(model, column):
                continue
            held = func.coalesce(column, "")
            session.execute(update(column.table).values({column: held + LACKED}))
            marked[model] = name
        session.commit()
    return marked


def _in_code_page(header: list[str], rows: list[dict[str, str]]) -> bytes:
    """The rows as a spreadsheet saves them in Windows-1252: `?` for each
    character it has no byte for (as LibreOffice Calc writes them)."""
    return csv_bytes(header, rows).decode().encode("cp1252", "replace")


def test_numbers_a_spreadsheet_kept_to_15_digits_are_the_rows_own(columns_site):
    """A float and a 64-bit whole number of more significant digits than a
    spreadsheet keeps, written back as one keeps them (`0.3` for
    `0.30000000000000004`, `1.23456789012346E+18`), import as unchanged; a
    change within the 15 digits is a change; a new row's whole number in
    E-notation is refused saying its digits are lost."""
    site = columns_site
    numbers = add_long_numbers(site, facts.tables_of(columns))
    model, names = next((m, n) for m, n in numbers.items() if len(n) == 2)
    table = facts.identity(model)
    text = site.client.get(f"/admin/{table}/export/csv").text
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])
    shortened = {}  # the cells shortened, by row number and column: their numbers
    for number, row in enumerate(rows, 2):
        for name in names:
            kept = format(float(row[name]), ".15G") if row[name] else ""
            if kept != row[name]:
                shortened[number, name] = json.loads(row[name])
            row[name] = kept
    assert len(shortened) == 4  # both columns' numbers of both rows
    found = import_preview(site.client, table, csv_bytes(header, rows))
    assert (found["errors"], found["changed"]) == ([], 0)
    assert found["unchanged"] == len(rows)
    # the preview lists each cell read as its row's number, which it keeps
    assert {(c["row"], c["column"]): c["held"] for c in found["held"]} == shortened
    # as a spreadsheet writes them in a `;` file: `1,23456789012346E+18`
    local = [{**row, **{n: row[n].replace(".", ",") for n in names}} for row in rows]
    out = io.StringIO()
    writer = csv.DictWriter(out, header, delimiter=";")
    writer.writeheader()
    writer.writerows(local)
    found = import_preview(site.client, table, out.getvalue().encode())
    assert (found["errors"], found["changed"]) == ([], 0)

    kinds = {facts.kind(model, c): a for a, c in facts.columns_by_attr(model).items()}
    float_name, whole = kinds["float"], next(n for n in names if n != kinds["float"])
    third = next(row for row in rows if row[float_name] == "0.333333333333333")
    third[float_name] = "0.333333333333334"
    added = {**third, "id": ""}
    added[whole] = "1.23456789012346E+18"
    # a price the model refuses (more than its 10 digits): the write path
    # refuses its row, and the batch is run again row by row
    other = next(row for row in rows if row is not third)
    other["price"] = "123456789012"
    found = import_preview(site.client, table, csv_bytes(header, [*rows, added]))
    assert (found["changed"], found["rows"][0]["changes"]) == (
        1,
        {float_name: [1 / 3, 0.333333333333334]},
    )
    refused = [e for e in found["errors"] if e["column"] == whole]
    assert [e["row"] for e in refused] == [len(rows) + 2]
    assert "more than 15 digits" in refused[0]["message"]
    assert [e["row"] for e in found["errors"] if e["column"] == "price"] == [
        rows.index(other) + 2
    ]
    # the batch run again row by row for the refused row lists each cell once
    held = [(c["row"], c["column"]) for c in found["held"]]
    assert sorted(held) == sorted(
        k for k in shortened if k[1] != float_name or rows[k[0] - 2] is not third
    )
    with site.session() as session:
        stored = session.scalars(select(model).order_by(*model.__table__.primary_key))
        assert {getattr(r, whole) for r in stored} >= set(LONG_NUMBERS["int"])


# numbers far beyond any a spreadsheet holds, formatted as spreadsheets
# format numbers: reading them once overflowed into a 500, or read as 0
FAR_FORMATTED = ("1e999999999999%", "(1e999999999999)", "$1e-999999999999")


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_numbers_beyond_a_spreadsheets_are_refused_on_every_table(site):
    """Each number column of every table (but keys), its cells numbers far
    beyond any a spreadsheet holds, formatted as spreadsheets format
    numbers, in a `,` and a `;` file: each cell refused quoting it, nothing
    else refused, nothing to confirm."""
    views = {v.identity: v for v in site.app.state.admin.views}
    tried = 0
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        rows = list(
            csv.DictReader(
                io.StringIO(site.client.get(f"/admin/{table}/export/csv").text)
            )
        )
        names = [
            name
            for name, spec in views[table].field_specs.items()
            if spec.kind in (Kind.DECIMAL, Kind.NUMBER)
            and spec.column is not None
            and not (spec.column.primary_key or spec.column.foreign_keys)
            and rows
            and name in rows[0]
        ]
        if not names:
            continue
        cells = {}
        for number, row in enumerate(rows, start=2):
            for name in names:
                far = FAR_FORMATTED[(number + len(cells)) % len(FAR_FORMATTED)]
                row[name], cells[(number, name)] = far, far
        for delimiter in (",", ";"):
            out = io.StringIO()
            writer = csv.DictWriter(out, list(rows[0]), delimiter=delimiter)
            writer.writeheader()
            writer.writerows(rows)
            found = import_preview(site.client, table, out.getvalue().encode())
            refused = {(e["row"], e["column"]): e["message"] for e in found["errors"]}
            assert refused.keys() == cells.keys(), (table, found["errors"][:3])
            assert all(
                refused[key].startswith(f"{far!r} is not a")
                for key, far in cells.items()
            ), (table, refused)
            assert found["token"] is None
        tried += 1
    if site.module in (COLUMNS, LEGACY, TRACKER, HEROES):  # with number columns
        assert tried


def test_a_text_key_with_spaces_around_it_finds_its_row(columns_site):
    """A form saves a text key as typed, spaces around it included, and the
    export writes it so: the file imports unchanged (the key cell was read
    stripped, and the row taken for a new one with a key another row has).
    A key cell with a stray space typed around a key that has none still
    finds its row."""
    site = columns_site
    with site.session() as session:
        shelf = session.exec(select(columns.ZooShelf)).first()
    shown = form_values(site.client.get("/admin/zoo-code/create").text)
    for code, title in ((" padded ", "Padded"), ("tail ", "Tail")):
        typed = {"code": code, "title": title, "shelf_id": str(shelf.id)}
        pairs = [(n, typed.pop(n, v)) for n, v in shown]
        assert typed == {}, typed  # each a field of the form
        saved = post_form(
            site.client, "/admin/zoo-code/create", pairs, follow_redirects=True
        )
        assert f"Zoo code “{title}” added." in page_text(saved.text), field_errors(
            saved.text
        )
    header, rows = exported(site, "zoo-code")
    assert {r["code"] for r in rows} >= {" padded ", "tail ", "plain"}
    for name, data in (
        ("codes.csv", csv_bytes(header, rows)),
        ("codes.xlsx", _as_xlsx(csv_bytes(header, rows).decode())),
    ):
        answer = site.client.post(
            "/admin/zoo-code/import", files={"file": (name, data)}, headers=JSON
        )
        found = answer.json()
        assert found["errors"] == [], (name, found["errors"])
        assert (found["new"], found["changed"], found["unchanged"]) == (
            0,
            0,
            len(rows),
        ), name
    for row in rows:
        if row["code"] == " padded ":
            row["title"] = "Padded, imported"
        elif row["code"] == "plain":
            row["code"] = " plain  "  # a stray space typed in a spreadsheet
            row["title"] = "Plain, imported"
    preview = import_preview(site.client, "zoo-code", csv_bytes(header, rows))
    assert preview["errors"] == []
    assert (preview["new"], preview["changed"]) == (0, 2), preview["rows"]
    assert {r["key"]: list(r["changes"]) for r in preview["rows"]} == {
        " padded ": ["title"],
        "plain": ["title"],
    }, preview["rows"]
    assert preview["held"] == [
        {"row": 6, "column": "code", "cell": " plain  ", "held": "plain"}
    ]
    confirmed = site.client.post(
        "/admin/zoo-code/import/confirm", data={"token": preview["token"]}
    )
    assert "2 Zoo codes changed, 0 added." in page_text(confirmed.text)
    with site.session() as session:
        titles = {c.code: c.title for c in session.exec(select(columns.ZooCode)).all()}
    assert titles[" padded "] == "Padded, imported"
    assert titles["plain"] == "Plain, imported"
    assert titles["tail "] == "Tail"
    assert "padded" not in titles and " plain  " not in titles


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_number_typed_with_fewer_places_is_shown_as_its_column_holds_it(site):
    """A column of a fixed number of decimal places holds `7` as `7.00`: on
    every such column of every table, the import's preview, its audit entry
    and an edit form's audit entry name the value so (they named `7`, which
    the list and the export never show)."""
    checked = []
    for model, table, header, rows, specs in _typed_columns(site, (Kind.DECIMAL,)):
        for spec in specs:
            scale = getattr(spec.column.type, "scale", None)
            if not isinstance(scale, int) or scale < 1:
                continue
            name, places = facts.attr(spec.column), "0" * scale
            rows[0][name] = "7"
            found = import_preview(site.client, table, csv_bytes(header, rows[:1]))
            assert found["errors"] == [], (table, found["errors"])
            (row,) = found["rows"]
            assert row["changes"][name][1] == f"7.{places}", (table, row)
            site.client.post(
                f"/admin/{table}/import/confirm", data={"token": found["token"]}
            )
            entry = audit_rows(site)[-1]
            assert entry["action"] == "import", table
            assert entry_changes(entry)["new"][row["key"]][name] == f"7.{places}"
            url = f"/admin/{table}/edit/{key_url(row['key'])}"
            shown = form_values(site.client.get(url).text)
            assert (name, f"7.{places}") in shown, (table, shown)
            typed = [(n, "8" if n == name else v) for n, v in shown]
            assert post_form(site.client, url, typed).status_code == 302, table
            edited = entry_changes(audit_rows(site)[-1])
            assert f"8.{places}" in json.dumps(edited), (table, edited)
            assert '"8"' not in json.dumps(edited), (table, edited)
            with site.session() as session:
                held = facts.by_identifier(session, model)[row["key"]]
                assert getattr(held, name) == 8, table
            checked.append((table, name))
    if site.module == COLUMNS:  # the module with such columns
        assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_zoned_columns_old_and_new_times_are_named_alike_on_every_table(site):
    """A column declared with a time zone: SQLite gives its times back
    without an offset, PostgreSQL in its session's zone (here a server in
    New York's), and the import's preview and its audit entry named the old
    time so beside the new one with `+00:00`. On every such column of every
    table, both are named in UTC, as the export writes them."""
    if site.engine.dialect.name == "postgresql":
        database = site.engine.url.database
        with site.engine.connect() as connection:
            connection.execute(
                sql(f"ALTER DATABASE \"{database}\" SET timezone = 'America/New_York'")
            )
            connection.commit()
        site.engine.dispose()  # the next connections take the zone
    checked = []
    for _model, table, header, rows, specs in _typed_columns(site, (Kind.DATETIME,)):
        for spec in specs:
            name = facts.attr(spec.column)
            if not getattr(spec.column.type, "timezone", False) or not rows[0][name]:
                continue
            if spec.column.onupdate is not None:
                continue
            old = rows[0][name]
            assert old.endswith("+00:00"), (table, old)  # as the export writes it
            rows[0][name] = "2026-03-01T12:00:00+02:00"
            found = import_preview(site.client, table, csv_bytes(header, rows[:1]))
            assert found["errors"] == [], (table, found["errors"])
            (row,) = found["rows"]
            assert row["changes"][name] == [old, "2026-03-01T10:00:00+00:00"], table
            site.client.post(
                f"/admin/{table}/import/confirm", data={"token": found["token"]}
            )
            entry = entry_changes(audit_rows(site)[-1])
            assert entry["old"][row["key"]][name] == old, (table, entry)
            assert entry["new"][row["key"]][name] == "2026-03-01T10:00:00+00:00"
            checked.append((table, name))
    if site.module == COLUMNS:  # the module with such a column
        assert checked
