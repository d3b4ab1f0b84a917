"""Numbers as a spreadsheet keeps them: to 15 significant digits.

A float holds up to 17 significant digits (`1 / 3` is `0.3333333333333333`,
`0.1 + 0.2` is `0.30000000000000004`), and a column of computed ratios,
averages or coordinates holds such values; a 64-bit whole number up to 19.
The export writes them whole; a spreadsheet that opens the file keeps 15
digits of each and saves `0.333333333333333`, `0.3` and
`1.23456789012346E+018` (or `9007199254740990` for `9007199254740993`), in
a CSV and in an XLSX alike (LibreOffice Calc, Excel). Imported again, every
such row would show a change no one made, and confirming it would round the
stored numbers (a whole number in E-notation was refused).

Such a cell is the number the row holds: it asks for nothing, as a cell
repeating its row's value does. Only a stored number of more than 15
significant digits can be changed so, and only to itself rounded to 15: a
cell of 15 digits or fewer differing from a stored number a spreadsheet
keeps whole is a change the user made.
"""

from decimal import Decimal
from typing import Any

from admin_app.model.parsing import in_range

SPREADSHEET_DIGITS = 15  # significant digits a spreadsheet keeps of a number
_NUMBERS = (float, Decimal, int)  # exactly: not a flag


def kept_by_spreadsheet(value: Any, held: Any) -> bool:
    """Whether a number cell (`value`, parsed) is the row's number (`held`)
    as a spreadsheet keeps it: `held` has more than `SPREADSHEET_DIGITS`
    significant digits, and `value` is it rounded to that many (either way
    at a tie: spreadsheets differ there)."""
    kind = type(held)
    if kind is not type(value) or kind not in _NUMBERS or value == held:
        return False
    exact, cell = _exact(held), _exact(value)
    if not (in_range(exact) and in_range(cell)):
        return False
    if _digits(exact) <= SPREADSHEET_DIGITS or _digits(cell) > SPREADSHEET_DIGITS:
        return False
    unit = Decimal(1).scaleb(exact.adjusted() - SPREADSHEET_DIGITS + 1)
    return abs(cell - exact) * 2 <= unit


def _exact(number: float | Decimal | int) -> Decimal:
    """A number as a decimal, a float as the shortest text that reads back
    as it (`repr`)."""
    return Decimal(repr(number) if type(number) is float else number)


def _digits(number: Decimal) -> int:
    """Significant digits of a finite number (trailing zeros are not)."""
    return len(number.normalize().as_tuple().digits)
