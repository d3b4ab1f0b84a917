"""LibreOffice Calc as every zoo table's spreadsheet, on SQLite and
PostgreSQL: each table's CSV and XLSX exports, opened by Calc as a staff
user opens them (numbers, dates and times recognised) and saved as XLSX and
as a `;` CSV, import as "0 changed", with nothing refused.

Calc saves a CSV's cells as it shows them: a time read from `09:30:15` comes
back as `09:30:15 AM`, and the XLSX export's cells of a column with a time
zone, which read `2026-12-01 20:37:50 UTC`, as that text. Both are read back
(`model.parsing.read_time`, `read_datetime`), as they are when typed.
"""

import importlib

import pytest

from tests.libreoffice import calc_converter
from tests.zoo import facts
from tests.zoo.conftest import ZOO

# comma, double quote, UTF-8, from line 1, no column formats, default
# language, quoted fields not forced to text, special numbers detected.
CSV_IMPORT = "CSV:44,34,76,1,,,false,true"
SAVED_AS = {"xlsx": "xlsx", "csv": "csv:Text - txt - csv (StarCalc):59,34,76"}


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_every_tables_export_saved_by_calc_imports_unchanged(site, tmp_path):
    calc = calc_converter(tmp_path)
    refused = {}
    tables = [
        facts.identity(m) for m in facts.tables_of(importlib.import_module(site.module))
    ]
    for table in tables:
        for exported_as in ("csv", "xlsx"):
            exported = site.client.get(f"/admin/{table}/export/{exported_as}")
            assert exported.status_code == 200, table
            infilter = CSV_IMPORT if exported_as == "csv" else None
            for saved_as, target in SAVED_AS.items():
                saved = calc(exported.content, exported_as, target, infilter)
                answer = site.client.post(
                    f"/admin/{table}/import",
                    files={"file": (f"{table}.{saved_as}", saved)},
                    headers={"Accept": "application/json"},
                )
                assert answer.status_code == 200, (table, answer.text[:300])
                found = answer.json()
                if found["errors"] or found["changed"] or found["new"]:
                    refused[(table, exported_as, saved_as)] = (
                        found["errors"][:2],
                        [row["changes"] for row in found["rows"][:2]],
                    )
    assert tables
    assert refused == {}
