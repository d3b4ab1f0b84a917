"""Texts a spreadsheet reads as a date, a time, a number or a flag when it
opens a CSV, and saves as it shows what it read: a size `3/4` as
`03/04/26`, a code `MAR-5` as `03/05/26`, `12:30` as `12:30:00 PM`, a
version `1.50` as `1.5`, `50%` as `50.00%`, `(5)` as `-5`, `true` as
`TRUE` (LibreOffice Calc; Excel shows `3/4` as `4-Mar`); saved as XLSX, as
a date, time or number cell (`2026-03-04`, `12:30:00`, `0.5`).

Such a cell is the text it stands for where the row holds that text: the
row's own text is left as it is (the export opened and saved again changed
no text), as a text of digits is (`digit_texts`). A cell that reads as
another date, time or number than the row's text is a change; so is any
cell where the row's text is none, and a new row's cell, which is read as
written. A key or label cell that names no row as written finds the row
whose text it stands for (`rows_read_as`): the texts that cell may have
been are few (`texts_read_as`), and are looked up by the column's index.
"""

import re
from datetime import time
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from admin_app.importing.digit_texts import rows_holding
from admin_app.importing.spreadsheet_digits import kept_by_spreadsheet
from admin_app.model.parsing import (
    CENTURY_FROM,
    MONTH_NAMES,
    BadValue,
    decimal_point,
    decimal_point_only,
    formatted_numbers,
    in_range,
    month_numbered,
    read_time,
)

Day = tuple[int, int, int | None]  # month, day, year (None: not written)

_LONGEST = 40  # characters of the longest text a spreadsheet reads so
_FLAGS = ("true", "false")  # texts a spreadsheet reads as true or false
# numbers with a separator: `3/4`, `1-2`, `1.5.` (German), `03/04/26`,
# `2026-03-04`
_NUMBERED = re.compile(r"(\d{1,4})([./-])(\d{1,2})(?:\2(\d{1,4})|\.)?")
# a month's name first (`MAR-5`, `Mar 5`, `SEPT1`, `Dec 24, 2026`) or after
# the day (`5-Mar`, `24-Dec-26`)
_NAME_FIRST = re.compile(r"([A-Za-z]{3,9})\.?[ -]?(\d{1,2})(?:,?[ -](\d{2}|\d{4}))?")
_DAY_FIRST = re.compile(r"(\d{1,2})\.?[ -]([A-Za-z]{3,9})\.?(?:[ -](\d{2}|\d{4}))?")
_MONTH_OF_YEAR = re.compile(r"([A-Za-z]{3,9})\.?[ -](\d{4})")  # `Mar 2026`: its 1st
# the characters of a spreadsheet's date, time, number or flag
_VALUE_CHARACTERS = re.compile(r"[\w .,:/%()$€+\-\u00a0\u2019']+")
# a number as the readings below write one
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# a number cell read as a `,` file's (a comma groups thousands) and as a `;`
# file's (a comma is the decimal sign)
_READINGS = (
    formatted_numbers(partial(decimal_point_only, whole=True)),
    formatted_numbers(decimal_point),
)


def read_as_value(value: Any, held: Any) -> bool:
    """Whether a text cell (`value`) is the row's text (`held`) as a
    spreadsheet saves it after reading it as a date, a time, a number or a
    flag."""
    if type(value) is not str or type(held) is not str or value == held:
        return False
    if held.casefold() in _FLAGS:  # `true` saved as `TRUE`
        return value.casefold() == held.casefold()
    if len(held) > _LONGEST or not any(c.isdigit() for c in held):
        return False
    return any(same(value, held) for same in (_same_day, _same_time, _same_number))


def _same_day(cell: str, held: str) -> bool:
    """Whether the cell shows a day the held text may be read as: a day a
    spreadsheet shows, with its year or its month's name (`3/4` is not
    `4/3` read the other way round)."""
    shown = _days(cell, shown=True)
    return bool(shown) and any(
        (month, day) == (m, d) and (None in (year, y) or year == y)
        for month, day, year in _days(held)
        for m, d, y in shown
    )


def _days(text: str, shown: bool = False) -> set[Day]:
    """The days a spreadsheet may read `text` as, either order of day and
    month where only numbers say it; `shown`: only as a spreadsheet shows a
    day (with its year, or its month's name)."""
    text = text.strip()
    found: set[Day] = set()
    numbered = _NUMBERED.fullmatch(text)
    if numbered is not None:
        first, _sep, second, third = numbered.groups()
        if len(first) == 4 and third is not None:  # ISO 8601: the year first
            found.add((int(second), int(third), int(first)))
        elif len(first) <= 2 and (third is not None or not shown):
            found.add((int(first), int(second), _year(third)))
            found.add((int(second), int(first), _year(third)))
    named = _NAME_FIRST.fullmatch(text)
    if named is not None:
        name, day, year = named.groups()
        found.add((month_numbered(name) or 0, int(day), _year(year)))
    named = _DAY_FIRST.fullmatch(text)
    if named is not None:
        day, name, year = named.groups()
        found.add((month_numbered(name) or 0, int(day), _year(year)))
    named = _MONTH_OF_YEAR.fullmatch(text)
    if named is not None:
        found.add((month_numbered(named.group(1)) or 0, 1, int(named.group(2))))
    return {
        (month, day, year)
        for month, day, year in found
        if 1 <= month <= 12 and 1 <= day <= 31 and year != 0
    }


def _year(text: str | None) -> int | None:
    """A year as written (two digits: 1930 to 2029, as spreadsheets read
    them); 0 for none a spreadsheet reads (three digits)."""
    if text is None:
        return None
    if len(text) <= 2:
        return (19 if int(text) >= CENTURY_FROM else 20) * 100 + int(text)
    return int(text) if len(text) == 4 else 0


def _same_time(cell: str, held: str) -> bool:
    """Whether both are the same time of day (`12:30`, `12:30:00 PM`)."""
    written = _time(held) if ":" in held else None
    return written is not None and written == _time(cell)


def _time(text: str) -> time | None:
    """A time of day, its hour of one digit too (`3:04:05`)."""
    text = text.strip()
    try:
        return read_time("0" + text if text[1:2] == ":" else text)
    except ValueError:
        return None


def _same_number(cell: str, held: str) -> bool:
    """Whether both may be the same number, or the cell the held text's
    number as a spreadsheet keeps it (15 digits)."""
    return any(
        number == shown or kept_by_spreadsheet(shown, number)
        for number in _numbers(held)
        for shown in _numbers(cell)
    )


def _numbers(text: str) -> set[Decimal]:
    """The numbers a spreadsheet may read `text` as: as a `,` file's number
    cell is read and as a `;` file's (`1,00E+05`, `50,00 %`), formatted or
    grouped or not (`parsing.formatted_numbers`: `$5`, `(5)`, `50%`)."""
    found = set()
    for read in _READINGS:
        try:
            written = read(text).strip()
        except BadValue:
            continue  # a text that may be two numbers: not this reading's
        if _PLAIN_NUMBER.fullmatch(written):
            number = Decimal(written)
            if in_range(number):
                found.add(number)
    return found


def texts_read_as(cell: str) -> set[str]:
    """The texts a key or label cell may have been before a spreadsheet read
    it as a date, a time, a number or a flag and saved it as `cell`
    (`03/04/26` for `3/4`, `1.5` for `1.50`, `12:30:00 PM` for `12:30`):
    each written as people write those (its parts padded or not, its year or
    none, a month's name), and each one `read_as_value` takes, which has the
    last word. A few hundred at most, none for a cell no value reads as."""
    cell = cell.strip()
    if cell.casefold() not in _FLAGS and not (
        len(cell) <= _LONGEST
        and any(c.isdigit() for c in cell)
        and _VALUE_CHARACTERS.fullmatch(cell)
    ):
        return set()  # (asked of each key no row has: an email, a handle)
    found: set[str] = set()
    if cell.casefold() in _FLAGS:
        found |= {cell.lower(), cell.upper(), cell.capitalize()}
    for month, day, year in _days(cell, shown=True):
        found |= _day_texts(month, day, year)
    at = _time(cell) if ":" in cell else None
    if at is not None:
        found |= _time_texts(at)
    for number in _numbers(cell):
        found |= _number_texts(number)
    return {text for text in found if text != cell and read_as_value(cell, text)}


def rows_read_as(
    session: Session, model: type, column: Any, cell: str, *, lock: bool = False
) -> list[Any]:
    """Up to two rows of `model` whose text in `column` (a column or an
    attribute) a spreadsheet may have saved as `cell` (`texts_read_as`)."""
    texts = sorted(texts_read_as(cell))
    return rows_holding(session, model, column, texts, lock=lock)


def _padded(number: int) -> set[str]:
    return {str(number), f"{number:02}"}


def _day_texts(month: int, day: int, year: int | None) -> set[str]:
    """A day as people type one: `3/4`, `03-04-26`, `4.3.`, `2026-03-04`,
    `Mar 4`, `4-MAR-2026`."""
    years = [""] if year is None else ["", f"{year % 100:02}", str(year)]
    texts = {f"{year}-{month:02}-{day:02}"} if year is not None else set()
    for first, second in ((month, day), (day, month)):
        for a in _padded(first):
            for b in _padded(second):
                for sep in "/-.":
                    texts |= {f"{a}{sep}{b}{sep}{y}".rstrip(sep) for y in years}
                texts.add(f"{a}.{b}.")
    full = MONTH_NAMES[month - 1]
    for name in {full, full[:3]}:
        for written in (name.capitalize(), name.upper(), name.lower()):
            for d in _padded(day):
                texts |= {f"{written}-{d}", f"{written} {d}", f"{written}{d}"}
                texts |= {f"{d}-{written}", f"{d} {written}"}
                for y in years[1:]:
                    texts |= {f"{written} {d}, {y}", f"{d}-{written}-{y}"}
    return texts


def _time_texts(at: time) -> set[str]:
    """A time of day as people type one: `9:30`, `09:30:00`, `9:30 am`."""
    texts = set()
    hour12 = at.hour % 12 or 12
    for hours, suffixes in (
        (_padded(at.hour), ("",)),
        (_padded(hour12), (" AM", " PM", " am", " pm", "AM", "PM", "am", "pm")),
    ):
        for h in hours:
            for rest in (f"{at.minute:02}", f"{at.minute:02}:{at.second:02}"):
                texts |= {f"{h}:{rest}{suffix}" for suffix in suffixes}
    return texts


def _number_texts(number: Decimal) -> set[str]:
    """A number as people type one: with zeros after its point (`1.50`),
    a negative one in parentheses (`(5)`), a percentage (`50%`: a workbook
    keeps 0.5)."""
    texts = set()
    for value, suffix in ((number, ""), (number * 100, "%")):
        plain = format(value.normalize(), "f")
        point = "" if "." in plain else "."
        forms = {plain} | {plain + point + "0" * zeros for zeros in range(1, 5)}
        if value < 0:
            forms |= {f"({form[1:]})" for form in forms}
        texts |= {form + suffix for form in forms}
    return texts
