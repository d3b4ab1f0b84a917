"""Which text cells are the row's text as a spreadsheet saves it after
reading it as a date, a time or a number (LibreOffice's forms, which the
zoo's Calc test meets too, and Excel's), and which are changes."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admin_app.importing.cells import _reading
from admin_app.importing.columns import ImportCell
from admin_app.importing.files import CellFormat
from admin_app.importing.value_texts import read_as_value, texts_read_as
from admin_app.model.fields import spec_for_column
from admin_app.model.parsing import BadValue
from tests.zoo.columns import ZooSample

KEPT = [  # (the cell as saved, the row's text)
    ("03/04/26", "3/4"),
    ("04/03/26", "3/4"),  # a day-first locale's 3 April
    ("2026-03-04", "3/4"),  # an XLSX's date cell
    ("4-Mar", "3/4"),  # Excel's
    ("03/05/26", "MAR-5"),
    ("5-Mar", "MAR-5"),
    ("2-Jan", "1-2"),
    ("09/01/26", "SEPT1"),
    ("01/02/26", "1/2/2026"),
    ("2026-01-02", "1/2/2026"),
    ("12/24/2026", "Dec 24, 2026"),
    ("03/01/26", "Mar 2026"),
    ("01/02/03", "1/2/3"),
    ("12:30:00 PM", "12:30"),
    ("12:30:00", "12:30"),
    ("21:30:00", "9:30 PM"),
    ("03:04:05 AM", "3:04:05"),
    ("1.00E+05", "1e5"),
    ("100000", "1e5"),
    ("1.5", "1.50"),
    ("2", "2.0"),
    ("0", "-0"),
    ("50.00%", "50%"),
    ("0.5", "50%"),
    ("$5.00", "$5"),
    ("5", "$5"),
    ("-5", "(5)"),
    ("1234", "1,234"),
    ("3.14159265358979", "3.14159265358979323"),
    ("TRUE", "true"),
    # Calc in German, in a `;` file
    ("1,00E+05", "1e5"),
    ("50,00\u00a0%", "50%"),
    ("01.05.26", "1.5."),
    ("24.12.26", "24.12."),
    ("FALSE", "False"),
]

CHANGED = [
    ("4/3", "3/4"),  # no year, no month's name: typed, not shown
    ("03/05/26", "3/4"),
    ("03/06/26", "MAR-5"),
    ("01/02/27", "1/2/2026"),
    ("12:31:00", "12:30"),
    ("1.51", "1.50"),
    ("50", "50%"),
    ("5", "(5)"),
    ("3.1415926535898", "3.14159265358979323"),
    ("Task 1 (edited)", "Task 1"),
    ("abc", "1-2"),
    ("03/04/26", "three quarters"),
    ("13/13/26", "3/4"),
    ("3/4", "3/4"),  # the same text: a repeat, not this rule's
    ("FALSE", "true"),
    ("1,00E+07", "1e5"),  # `1,00` is no group of thousands
    ("1.2.3", "1,2,3"),
    ("1e999999999999%", "1e5"),  # beyond a spreadsheet's numbers: no overflow
    ("1e5", "(1e999999999999)"),
    ("yes", "true"),
]


@pytest.mark.parametrize(("cell", "held"), KEPT)
def test_a_value_a_spreadsheet_read_from_the_rows_text_is_that_text(cell, held):
    assert read_as_value(cell, held)


@pytest.mark.parametrize(("cell", "held"), CHANGED)
def test_any_other_cell_is_a_change(cell, held):
    assert not read_as_value(cell, held)


def test_only_texts_are_compared():
    assert not read_as_value(1.5, "1.50")
    assert not read_as_value("1.5", None)


# what spreadsheets put around numbers, dates and times, and digits
# A key or label cell that names no row as written is looked up as the texts
# it may have been (`texts_read_as`): the forms people type in a key. Left
# out, as too rare in a key to look each up: E-notation, money, grouped
# digits, more digits than a spreadsheet keeps, `SEPT1`, `Mar 2026`, a year
# of one digit, `-0`.
NOT_LOOKED_UP = {
    ("09/01/26", "SEPT1"),
    ("03/01/26", "Mar 2026"),
    ("01/02/03", "1/2/3"),
    ("1.00E+05", "1e5"),
    ("100000", "1e5"),
    ("1,00E+05", "1e5"),
    ("0", "-0"),
    ("$5.00", "$5"),
    ("5", "$5"),
    ("1234", "1,234"),
    ("3.14159265358979", "3.14159265358979323"),
}


@pytest.mark.parametrize(("cell", "held"), [k for k in KEPT if k not in NOT_LOOKED_UP])
def test_a_key_a_spreadsheet_read_as_a_value_is_looked_up(cell, held):
    assert held in texts_read_as(cell)


@pytest.mark.parametrize(("cell", "held"), CHANGED)
def test_a_key_the_cell_does_not_stand_for_is_not_looked_up(cell, held):
    assert held not in texts_read_as(cell)


def test_a_cell_no_value_reads_as_looks_nothing_up():
    assert texts_read_as("plain") == texts_read_as("@ada") == set()
    assert texts_read_as("x" * 41) == set()  # longer than any such text


CELL_CHARACTERS = list("0123456789.,-+()$€%eE :/'\u00a0\u2019APMarJnDec")
# a number as spreadsheets format one, its exponent of any size
FORMATTED = (
    r"\(?[-+]?[$€]?\d{0,4}([.,' \u00a0]\d{0,3}){0,3}([eE][-+]?\d{1,14})?"
    r"\s?[%€]?\)?"
)
cells = st.one_of(
    st.from_regex(FORMATTED, fullmatch=True),
    st.text(st.sampled_from(CELL_CHARACTERS), max_size=18),
)


@settings(max_examples=1500, derandomize=True, deadline=None)
@given(cell=cells, held=cells, local=st.booleans())
def test_any_cell_is_read_or_refused_in_words(cell, held, local):
    """Every number, date and time reader of a cell (a `,` file's and a
    `;` file's) reads a cell made of what spreadsheets write, or refuses it
    in words (BadValue); comparing it with a row's text never fails."""
    cell_format = CellFormat(local=local)
    for field in (
        ZooSample.price,
        ZooSample.ratio,
        ZooSample.sightings,
        ZooSample.born_on,
        ZooSample.seen_naive,
    ):
        column = field.property.columns[0]
        spec = spec_for_column(ZooSample, column)
        _name, read = _reading(ImportCell(0, column.key, spec, column), cell_format)
        with contextlib.suppress(BadValue):
            read(cell)
    read_as_value(cell, held)
