"""Imports on every table of every zoo module, on SQLite and PostgreSQL: a file
the admin exported and nobody changed imports as "0 changed" (as CSV, and as
XLSX saved by a spreadsheet), with nothing refused and nothing written; one
changed cell is previewed alone, confirmed, and reverted to the very export
the table gave before."""

import csv
import importlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from openpyxl import Workbook

from admin_app.model.fields import Kind
from tests.zoo import facts
from tests.zoo.conftest import ZOO
from tests.zoo.story_base import audit_rows

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


def _changeable(view, header: list[str]):
    """A column of the file that the import may change: plain text, else a flag."""
    for kind in (Kind.TEXT, Kind.BOOL):
        for spec in view.field_specs.values():
            column = spec.column
            if (
                spec.kind is kind
                and column is not None
                and column.key in header
                and spec.name in view._form_prop_names
                and not (spec.primary_key or spec.unique or spec.is_secret)
            ):
                return column.key, kind
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


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_changed_cell_is_previewed_confirmed_and_reverted_on_every_table(
    site, monkeypatch
):
    """Keys of every shape (UUID, text, composite, numbered) find their rows;
    the preview's rows are stored in parts of a few bytes and the audit
    entry written in pieces of a few characters (as a large import's are,
    from files on disk), and the import applies and reverts all the same."""
    from admin_app.writing.import_apply import _ImportEntry
    from admin_app.writing.import_previews import PackedRows

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
