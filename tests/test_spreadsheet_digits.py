"""Which number cells are the row's number as a spreadsheet keeps it (15
significant digits), and which are changes."""

from decimal import Decimal

import pytest

from admin_app.importing.spreadsheet_digits import kept_by_spreadsheet


@pytest.mark.parametrize(
    ("cell", "held"),
    [
        (0.333333333333333, 1 / 3),
        (0.3, 0.1 + 0.2),
        (1.23456789012346e-20, 1.2345678901234567e-20),
        (-2.71828182845905, -2.718281828459045),
        # a tie: Calc rounds half up, C's printf to even
        (Decimal("12345678901234.3"), Decimal("12345678901234.25")),
        (Decimal("12345678901234.2"), Decimal("12345678901234.25")),
        (1234567890123460000, 1234567890123456789),
        (9007199254740990, 2**53 + 1),
    ],
)
def test_a_number_rounded_to_15_digits_is_the_rows(cell, held):
    assert kept_by_spreadsheet(cell, held)


@pytest.mark.parametrize(
    ("cell", "held"),
    [
        (0.33, 1 / 3),  # fewer digits than a spreadsheet keeps: typed
        (0.333333333333334, 1 / 3),  # the 15th digit changed
        (0.2, 0.25),  # a number a spreadsheet keeps whole
        (0.25, 0.25),  # the same number: a repeat, not this rule's
        (Decimal("12345678901234.1"), Decimal("12345678901234.25")),
        (Decimal("12.5"), Decimal("12.50")),
        (0.3333333333333333, 0.33333333333333337),  # 16 digits: not kept so
        (float("nan"), 1 / 3),
        (float("inf"), 1 / 3),
        (1, 1.0),  # another type
        (True, 1),
        ("0.3", 0.1 + 0.2),
        (123456789012345, 123456789012346),
        (None, 1 / 3),
        # beyond any number a spreadsheet holds: no overflow, no match
        (Decimal("1e999999999999"), Decimal("1.0000000000000001e999999999999")),
    ],
)
def test_any_other_number_is_a_change(cell, held):
    assert not kept_by_spreadsheet(cell, held)
