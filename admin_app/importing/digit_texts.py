"""Texts of digits, which a spreadsheet opening a CSV reads as numbers and
saves as numbers: `00123` (a postcode, a product code) as `123`, and more
digits than a number keeps (`12345678901234567890`) in E-notation,
`1.23456789012346E+019`.

Such a cell is the text it stands for: a row's own text is left as it is,
and a key or a label of digits that no row has finds the row whose text it
is with leading zeros.
"""

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

PADDED_DIGITS = 20  # the longest text of digits with leading zeros looked for
_E_NOTATION = re.compile(r"(\d)\.?(\d*)[eE]\+?\d+")  # a number as `1.2346E+19`


def read_as_number(value: Any, held: Any) -> bool:
    """Whether a text cell is the row's text of digits as a spreadsheet
    saves it after reading it as a number on opening a CSV: without its
    leading zeros (a postcode, `00123` saved as `123`), or, longer than the
    15 digits a number keeps, in E-notation (`12345678901234567890` saved
    as `1.23456789012346E+019`). The export opened and saved again would
    have changed each such text."""
    if type(value) is not str or type(held) is not str or value == held:
        return False
    if not (held.isascii() and held.isdigit()):
        return False
    if held[0] == "0":
        return value == (held.lstrip("0") or "0")
    shown = _E_NOTATION.fullmatch(value)
    if shown is None or len(held) <= 15:
        return False
    digits = len(shown.group(1)) + len(shown.group(2))
    return float(value) == float(f"{int(held):.{digits - 1}e}")


def in_e_notation(text: str) -> bool:
    """Whether a key cell is a number as a spreadsheet writes one too long
    to keep whole (`1.23457E+19`): the text of digits it was is lost."""
    return _E_NOTATION.fullmatch(text) is not None


def dropped_zeros(text: str) -> bool:
    """Whether a key or label cell may be a text of digits whose leading
    zeros a spreadsheet dropped: digits, not starting with a zero."""
    return text[:1] not in ("", "0") and text.isascii() and text.isdigit()


def rows_with_zeros(
    session: Session, model: type, column: Any, digits: str, *, lock: bool = False
) -> list[Any]:
    """Up to two rows of `model` whose text in `column` (a column or an
    attribute) is `digits` with leading zeros (`dropped_zeros`), read by the
    column's index: each padding up to `PADDED_DIGITS` digits; `lock`ed as a
    confirmation locks the rows it changes."""
    padded = ["0" * n + digits for n in range(1, PADDED_DIGITS - len(digits) + 1)]
    return rows_holding(session, model, column, padded, lock=lock)


def rows_holding(
    session: Session,
    model: type,
    column: Any,
    texts: list[str],
    *,
    lock: bool = False,
) -> list[Any]:
    """Up to two rows of `model` whose text in `column` is one of `texts`
    (the texts a spreadsheet's cell may have been), read by the column's
    index; `lock`ed as a confirmation locks the rows it changes."""
    if not texts:
        return []
    stmt = select(model).where(column.in_(texts)).limit(2)
    if lock:
        stmt = stmt.with_for_update(of=model)
    return list(session.scalars(stmt).unique())
