"""LibreOffice Calc as the spreadsheet a staff user edits an export in: the
admin's CSV opened by Calc (numbers, dates and datetimes recognised, as Calc
does by default) and saved as XLSX imports as "0 changed". Calc keeps
datetimes to the millisecond; like the edit form, which shows them to the
second, an import does not count a cut-off fraction of a second as a change.

Without `soffice` these tests are skipped locally and fail under CI, like the
export's spreadsheet tests (`.ci/run` installs `libreoffice-calc-nogui`).
"""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import Session

from models.seed import seed_demo
from tests.libreoffice import calc_converter

# comma, double quote, UTF-8, from line 1, no column formats, default
# language, quoted fields not forced to text, special numbers detected.
CSV_IMPORT = "CSV:44,34,76,1,,,false,true"


@pytest.fixture
def calc(tmp_path):
    """CSV bytes -> the XLSX bytes LibreOffice Calc saves from them."""
    convert = calc_converter(tmp_path)
    return lambda data: convert(data, "csv", "xlsx", CSV_IMPORT)


def test_an_export_saved_by_libreoffice_calc_imports_unchanged(app, client, calc):
    with Session(app.state.engine) as session:
        seed_demo(session, 40, seed=11)
        session.commit()
    export = client.get("/admin/task/export/csv")
    data = calc(export.content)
    # Calc stored numbers, dates and datetimes as such (to the millisecond):
    values = next(
        load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(
            min_row=2, max_row=2, values_only=True
        )
    )
    assert {type(v) for v in values} >= {int, str, datetime}
    answer = client.post(
        "/admin/task/import",
        files={"file": ("tasks.xlsx", data)},
        headers={"Accept": "application/json"},
    )
    found = answer.json()
    assert found["errors"] == [], found["errors"][:3]
    assert (found["new"], found["changed"]) == (0, 0), found["rows"][:3]
    assert found["unchanged"] == 40
