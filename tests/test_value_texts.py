"""Which text cells are the row's text as a spreadsheet saves it after
reading it as a date, a time or a number (LibreOffice's forms, which the
zoo's Calc test meets too, and Excel's), and which are changes."""

import pytest

from admin_app.importing.value_texts import read_as_value

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
