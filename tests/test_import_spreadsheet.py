"""LibreOffice Calc as the spreadsheet a staff user edits an export in: the
admin's CSV opened by Calc (numbers, dates and datetimes recognised, as Calc
does by default) and saved as XLSX imports as "0 changed". Calc keeps
datetimes to the millisecond; like the edit form, which shows them to the
second, an import does not count a cut-off fraction of a second as a change.

Without `soffice` these tests fail, naming the package to install
(`tests/libreoffice.py`; `.ci/run` installs `libreoffice-calc-nogui`).
"""

import codecs
import csv
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import Session

from admin_app.listing.filters import parse_bool
from models import Task
from models.seed import seed_demo
from tests.libreoffice import Calc

# comma, double quote, UTF-8, from line 1, no column formats, default
# language, quoted fields not forced to text, special numbers detected.
CSV_IMPORT = "CSV:44,34,76,1,,,false,true"
# ... and token 13: formulas evaluated, as a staff user's own formulas are.
CSV_FORMULAS = CSV_IMPORT + ",,,,,true"


# Calc's CSV export: `;` between cells (as Calc saves in many locales), double
# quote, UTF-8.
SEMICOLON_CSV = "csv:Text - txt - csv (StarCalc):59,34,76"
# Excel's "Unicode text", as Calc writes it: tabs, UTF-16 with a byte order mark
UNICODE_TEXT = "csv:Text - txt - csv (StarCalc):9,34,65535"


@pytest.fixture
def calc(tmp_path):
    """CSV bytes -> the bytes LibreOffice Calc saves from them (XLSX unless
    another of its formats is named)."""
    convert = Calc(tmp_path)
    return lambda data, target="xlsx", infilter=CSV_IMPORT: convert(
        data, "csv", target, infilter
    )


def calc_preview(client, calc, rows: list[dict], target: str, **calc_options) -> dict:  # type: ignore[no-untyped-def]
    """The task rows written as CSV, opened in Calc and saved as `target`
    (XLSX, or a CSV format), then uploaded: the preview's answer."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    saved = calc(out.getvalue().encode(), target, **calc_options)
    name = "tasks.xlsx" if target == "xlsx" else "tasks.csv"
    return client.post(
        "/admin/task/import",
        files={"file": (name, saved)},
        headers={"Accept": "application/json"},
    ).json()


def test_an_export_saved_by_libreoffice_calc_imports_unchanged(app, client, calc):
    """A title that is exactly a spreadsheet's error value (`#N/A`) is
    exported with a `'`, which Calc keeps, and imports as the same text; saved
    as "Unicode text" (UTF-16, which no one chooses on the form), the export
    imports unchanged too, its emoji and Japanese title included."""
    with Session(app.state.engine) as session:
        seed_demo(session, 40, seed=11)
        session.get(Task, 3).title = "#N/A"
        session.get(Task, 4).title = "Grüße 😀 東京"
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
    text = calc(export.content, UNICODE_TEXT)
    assert text.startswith(codecs.BOM_UTF16_LE) and b"\t" in text
    for name, saved in (("tasks.xlsx", data), ("tasks.txt", text)):
        answer = client.post(
            "/admin/task/import",
            files={"file": (name, saved)},
            headers={"Accept": "application/json"},
        )
        found = answer.json()
        assert found["errors"] == [], (name, found["errors"][:3])
        assert (found["new"], found["changed"]) == (0, 0), (name, found["rows"][:3])
        assert found["unchanged"] == 40


@pytest.mark.parametrize("target", ["xlsx", SEMICOLON_CSV])
def test_cells_changed_in_a_spreadsheet_preview_as_exactly_those_changes(
    app, client, calc, target
):
    """A staff user changes two cells of the export and LibreOffice saves the
    file (XLSX, or CSV with `;`): the preview shows those two changes, no
    other, and confirming writes them."""
    with Session(app.state.engine) as session:
        seed_demo(session, 30, seed=5)
        session.commit()
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/task/export/csv").text)))
    first, other = dict(rows[0]), dict(rows[7])  # as exported
    new_progress = "17" if first["progress"] != "17" else "18"
    rows[0]["progress"], rows[7]["title"] = new_progress, "Ship it"
    answer = calc_preview(client, calc, rows, target)
    assert answer["errors"] == []
    assert (answer["new"], answer["changed"]) == (0, 2)
    changes = {row["key"]: row["changes"] for row in answer["rows"]}
    assert changes == {
        first["id"]: {"progress": [int(first["progress"]), int(new_progress)]},
        other["id"]: {"title": [other["title"], "Ship it"]},
    }
    confirmed = client.post(
        "/admin/task/import/confirm",
        data={"token": answer["token"]},
        follow_redirects=False,
    )
    assert confirmed.status_code == 302
    with Session(app.state.engine) as session:
        assert session.get(Task, int(first["id"])).progress == int(new_progress)
        assert session.get(Task, int(other["id"])).title == "Ship it"


@pytest.mark.parametrize("target", ["xlsx", SEMICOLON_CSV])
def test_a_formula_that_failed_in_calc_refuses_its_row(app, client, calc, target):
    """A staff user fills cells with formulas and two of them fail: Calc saves
    `#DIV/0!` and `#N/A` (error cells in an XLSX, that text in a CSV). The
    preview refuses those rows by row and column, saying what the value is;
    the file cannot be confirmed, and nothing is written."""
    with Session(app.state.engine) as session:
        seed_demo(session, 10, seed=3)
        session.commit()
    export = client.get("/admin/task/export/csv").text
    rows = list(csv.DictReader(io.StringIO(export)))
    titles = [row["title"] for row in rows]
    rows[1]["title"], rows[4]["progress"] = "=1/0", '=VLOOKUP("none";A1:A2;1;0)'
    rows[6]["title"] = '=CONCATENATE("Checked ";"twice")'  # a formula that works
    answer = calc_preview(client, calc, rows, target, infilter=CSV_FORMULAS)
    assert [(e["row"], e["column"]) for e in answer["errors"]] == [
        (3, "title"),
        (6, "progress"),
    ]
    assert [e["message"].split(" is the error")[0] for e in answer["errors"]] == [
        "#DIV/0!",
        "#N/A",
    ]
    assert answer["errors"][0]["message"].endswith(
        "a formula that failed, not a value: correct the formula, or type the "
        "value itself."
    )
    assert answer["token"] is None
    assert [row["changes"] for row in answer["rows"]] == [
        {"title": [titles[6], "Checked twice"]}
    ]
    assert client.get("/admin/task/export/csv").text == export


# locales whose spreadsheets save a CSV with `;` and their own true and false
LOCALES = ("de_DE", "fr_FR", "es_ES", "it_IT", "pt_BR", "nl_NL", "sv_SE", "da_DK")
LOCALES += ("nb_NO", "fi_FI", "pl_PL", "cs_CZ", "ru_RU", "uk_UA", "tr_TR", "hu_HU")


def test_true_and_false_as_calc_saves_them_in_each_locale_are_read(tmp_path):
    """Each locale's Calc saves true and false in its own words (`WAHR`,
    `FAUX`), and a number with a decimal comma: the import reads each."""
    book = Workbook()
    book.active.append([True, False, 1.5])
    data = io.BytesIO()
    book.save(data)

    def read(locale: str) -> tuple[bool | None, bool | None, str]:
        (tmp_path / locale).mkdir()
        calc = Calc(tmp_path / locale, f"{locale}.UTF-8")
        saved = calc(data.getvalue(), "xlsx", SEMICOLON_CSV).decode()
        yes, no, number = saved.strip().split(";")
        return parse_bool(yes, "Done"), parse_bool(no, "Done"), number

    # one Calc a locale (its profile says the locale), a few at once: a start
    # of Calc keeps about one core busy, and waits on its files besides
    with ThreadPoolExecutor(4) as pool:
        found = dict(zip(LOCALES, pool.map(read, LOCALES), strict=True))
    assert found == dict.fromkeys(LOCALES, (True, False, "1,5"))
