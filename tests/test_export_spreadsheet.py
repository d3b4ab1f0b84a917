"""LibreOffice as the judge of formula escaping: an export opened as a user would.

The admin's CSV (downloaded over HTTP) is converted to xlsx by LibreOffice
Calc with its CSV import set to evaluate formulas, once as it comes and once
with "Trim spaces" ticked (which turns ` =1+1` into a formula); the xlsx then
says, cell by cell, whether Calc made a formula, a number or text. A control
file with the same text unescaped shows that the judge does evaluate them.

Without `soffice` these tests fail, naming the package to install
(`tests/libreoffice.py`; `.ci/run` installs `libreoffice-calc-nogui`).
"""

import csv
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest

from tests.cell_models import Specimen
from tests.libreoffice import Calc
from tests.test_export import (  # noqa: F401  (fixtures)
    DISGUISED,
    add_specimens,
    curator,
    specimens,
)

SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
# LibreOffice's CSV import options: comma, double quote, UTF-8 (76), from line
# 1, no column formats, default language, quoted fields not forced to text,
# special numbers detected, ..., token 11 "Trim spaces", token 13 "Evaluate
# formulas".
CSV_IMPORT = "CSV:44,34,76,1,,,false,true,,,{trim},,true"
NUMBERS = {"count": -5, "ratio": 0.5, "price": Decimal("-0.00000010")}


@dataclass(frozen=True)
class Cell:
    """One cell of the converted sheet, as Calc left it."""

    kind: str  # "text", "number", "boolean", "error"
    formula: str | None
    text: str


Convert = Callable[[bytes, bool], list[dict[str, Cell]]]


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Convert:
    """Convert a CSV to a sheet with LibreOffice Calc, as rows of header -> cell."""
    calc = Calc(tmp_path_factory.mktemp("libreoffice-home"))

    def convert(data: bytes, trim_spaces: bool) -> list[dict[str, Cell]]:
        infilter = CSV_IMPORT.format(trim=str(trim_spaces).lower())
        return read_sheet(io.BytesIO(calc(data, "csv", "xlsx", infilter)))

    return convert


def read_sheet(path: Path | io.BytesIO) -> list[dict[str, Cell]]:
    """The first sheet of an xlsx, as rows keyed by the first row's text."""
    with zipfile.ZipFile(path) as book:
        names = book.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            strings = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            shared = ["".join(item.itertext()) for item in strings.iter(SHEET + "si")]
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(SHEET + "row"):
        cells = {}
        for element in row.iter(SHEET + "c"):
            column = "".join(ch for ch in element.get("r", "") if ch.isalpha())
            cells[column] = _cell(element, shared)
        rows.append(cells)
    header = {column: cell.text for column, cell in rows[0].items()}
    return [{header[column]: cell for column, cell in row.items()} for row in rows[1:]]


def _cell(element: ElementTree.Element, shared: list[str]) -> Cell:
    formula = element.find(SHEET + "f")
    value = element.find(SHEET + "v")
    text = value.text or "" if value is not None else ""
    kind = element.get("t", "n")
    if kind == "s":
        return Cell("text", None, shared[int(text)])
    if kind == "inlineStr":
        return Cell("text", None, "".join(element.itertext()))
    names = {"n": "number", "b": "boolean", "e": "error", "str": "text"}
    formula_text = None if formula is None else formula.text or ""
    return Cell(names.get(kind, kind), formula_text, text)


def as_calc_shows(text: str) -> str:
    """Calc keeps a cell's line breaks as `\\n`."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def csv_of(labels: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["label"])
    writer.writerows([label] for label in labels)
    return out.getvalue().encode()


@pytest.mark.parametrize("trim_spaces", [False, True], ids=["as-is", "trim-spaces"])
def test_the_judge_evaluates_formulas_that_are_not_escaped(libreoffice, trim_spaces):
    """The control: the same text written without escaping is evaluated."""
    rows = libreoffice(csv_of(DISGUISED), trim_spaces)
    evaluated = {
        label
        for label, row in zip(DISGUISED, rows, strict=True)
        if row["label"].formula is not None
    }
    assert "=1+1" in evaluated
    assert (" =1+1" in evaluated) is trim_spaces


@pytest.mark.parametrize("trim_spaces", [False, True], ids=["as-is", "trim-spaces"])
def test_libreoffice_evaluates_no_exported_cell_and_reads_numbers_as_numbers(
    specimens,  # noqa: F811
    curator,  # noqa: F811
    libreoffice,
    trim_spaces,
):
    add_specimens(specimens, *[Specimen(label=label, **NUMBERS) for label in DISGUISED])
    response = curator.get("/admin/specimen/export/csv?sortBy=label")
    assert response.status_code == 200
    rows = libreoffice(response.content, trim_spaces)
    assert len(rows) == len(DISGUISED)
    formulas = {row["label"].text: row["label"].formula for row in rows}
    assert {text: f for text, f in formulas.items() if f is not None} == {}
    shown = sorted(row["label"].text for row in rows)
    # Calc shows the text as stored, behind the `'` that kept it text.
    assert shown == sorted("'" + as_calc_shows(label) for label in DISGUISED)
    assert {row["label"].kind for row in rows} == {"text"}
    for row in rows:
        assert {name: row[name].kind for name in NUMBERS} == dict.fromkeys(
            NUMBERS, "number"
        )
        assert {name: float(row[name].text) for name in NUMBERS} == {
            name: float(value) for name, value in NUMBERS.items()
        }
