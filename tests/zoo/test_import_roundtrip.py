"""The round trip on every table of every zoo module, on SQLite and PostgreSQL:
a file the admin exported and nobody changed imports as "0 changed", through
the upload form as a staff user sends it, with nothing refused and nothing
written."""

import csv
import importlib
import io
import re
from datetime import datetime

import pytest
from openpyxl import Workbook

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
