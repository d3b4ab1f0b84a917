"""How submitted text becomes a field's value: one parser per field kind.

Filters, forms and bulk edits read query strings and form posts through these,
so `1.5` is refused for an integer column everywhere with the same sentence,
and a datetime typed with an offset is read the same way on every page.
"""

import enum
import json
import math
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqladmin.helpers import parse_interval

from admin_app.model.keys import BadKey, coerce_key_part
from admin_app.model.names import listed
from admin_app.model.values import OutOfCalendar, normalise_datetime

# True and false as spreadsheets write them in the locales they save a
# CSV's cells as shown in (LibreOffice's words, which are Excel's too)
_SPREADSHEET_WORDS = (
    ("WAHR", "FALSCH"),  # German
    ("VRAI", "FAUX"),  # French
    ("VERDADERO", "FALSO"),  # Spanish
    ("VERO", "FALSO"),  # Italian
    ("VERDADEIRO", "FALSO"),  # Portuguese
    ("WAAR", "ONWAAR"),  # Dutch
    ("SANT", "FALSKT"),  # Swedish
    ("SAND", "FALSK"),  # Danish
    ("SANN", "USANN"),  # Norwegian
    ("TOSI", "EPÄTOSI"),  # Finnish
    ("PRAWDA", "FAŁSZ"),  # Polish
    ("PRAVDA", "NEPRAVDA"),  # Czech
    ("ИСТИНА", "ЛОЖЬ"),  # Russian
    ("ІСТИНА", "БРЕХНЯ"),  # Ukrainian
    ("DOĞRU", "YANLIŞ"),  # Turkish
    ("IGAZ", "HAMIS"),  # Hungarian
)
TRUE_WORDS = frozenset(
    {"true", "1", "yes", "on", "y", *(yes.lower() for yes, _ in _SPREADSHEET_WORDS)}
)
FALSE_WORDS = frozenset(
    {"false", "0", "no", "off", "n", *(no.lower() for _, no in _SPREADSHEET_WORDS)}
)
INT64 = 2**63
_MISSING = object()


class BadValue(ValueError):
    """Submitted text that the field cannot hold; the message says what it expects."""


def whole_number(text: str) -> int | None:
    """The number that `text` spells in ASCII digits, else None. (`str.isdigit`
    also takes superscripts and other scripts' digits, which `int` then
    refuses or reads: a page number, an entry's number, a header or a
    setting takes `0-9` only.)"""
    if text.isascii() and text.isdigit():
        return int(text)
    return None


def choice_text(value: Any) -> str:
    """A choice as a form or query string names it: an enum by its value."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _parse_bool(spec: Any, text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(f"{text!r} is not true or false.")


def _parse_choice(spec: Any, text: str) -> Any:
    """The choice the text is the value or name of, else the one choice it
    names otherwise (`FieldSpec.choices_by_name`: its label as the pages
    show it, case ignored), as a person types one into a spreadsheet."""
    found = spec.choice_by_text.get(text, _MISSING)
    if found is not _MISSING:
        return found
    named = spec.choices_by_name.get(text.strip().casefold(), [])
    if len(named) == 1:
        return named[0]
    if named:
        several = listed((choice_text(value) for value in named), "or")
        raise BadValue(f"{text!r} may be {several}: write the one meant.")
    allowed = ", ".join(choice_text(value) for value, _label in spec.choices)
    raise BadValue(f"{text!r} is not one of {allowed}.")


def read_float(text: str) -> float:
    """A number with a fraction, finite (`nan`, `inf` and `1e309` are no
    number a person means: SQLite stores NaN as NULL), or BadValue."""
    try:
        value = float(text.strip())
    except (ValueError, OverflowError) as error:
        raise BadValue(f"{text!r} is not a number.") from error
    if not math.isfinite(value):
        raise BadValue(f"{text!r} is not a number.")
    return value


# a number with a decimal comma, its thousands grouped by `.` or not
_DECIMAL_COMMA = re.compile(r"\s*[+-]?(\d{1,3}(\.\d{3})+|\d*),\d+([eE][+-]?\d+)?\s*")


# a whole number with its thousands grouped by `.`: `1.234` (one group:
# 1.234 written with a decimal point too) or `1.234.567` (only a whole number)
_GROUPED_BY_POINTS = re.compile(r"\s*[+-]?[1-9]\d{0,2}(\.\d{3})+\s*")


# a number with its thousands grouped by `,` (`1,234.5`, `1,234,567`; in
# India, by lakhs and crores: `12,34,567`), as spreadsheets in the locales
# that write a decimal point show one so formatted
_GROUPED_BY_COMMAS = re.compile(
    r"\s*[+-]?([1-9]\d{0,2}(,\d{3})+|[1-9]\d?(,\d{2})+,\d{3})(?P<fraction>\.\d+)?\s*"
)
# a number with its thousands grouped by a space (`1 234,5`: France, Poland,
# Russia, Scandinavia; a no-break space as Calc writes it) or an apostrophe
# (`1'234.5`: Switzerland), its decimal sign the other of `,` and `.`
_GROUPED_BY_SPACES = re.compile(
    r"[+-]?[1-9]\d{0,2}(?P<by>[ \u00a0\u202f'\u2019])\d{3}((?P=by)\d{3})*([.,]\d+)?"
)


def decimal_point_only(text: str, whole: bool) -> str:
    """A number written where the decimal point is a point (a file that is
    not a `;` one): grouped by commas (`1,234.5`, as a spreadsheet that
    writes a decimal point saves a number formatted with a thousands
    separator), without them; any other text as it is. BadValue where the
    text may mean two numbers, `1,234` in a column with fractions (`whole`
    False: 1.234 written with a decimal comma too), or has a decimal comma
    (`12,5`), which is read in a `;` file only: there it is what the
    spreadsheets of the locales that write one save."""
    found = _GROUPED_BY_COMMAS.fullmatch(text)
    if found is None:
        if not whole and _DECIMAL_COMMA.fullmatch(text):
            raise BadValue(
                f"{text.strip()!r} has a decimal comma, read in a CSV with ; "
                "between its cells (as spreadsheets save one where a comma is "
                f"the decimal sign): save it so, or write "
                f"{text.strip().replace('.', '').replace(',', '.')}."
            )
        return text
    number = text.strip().replace(",", "")
    if not whole and found.group("fraction") is None and text.count(",") == 1:
        raise BadValue(
            f"{text.strip()!r} may be {number} (its thousands separated by a "
            f"comma) or a number with a fraction: write {number}, or "
            f"{text.strip().replace(',', '.')} for the fraction."
        )
    return number


def decimal_point(text: str) -> str:
    """A number written with a decimal comma (`12,75`, `-1.234,5`, as
    spreadsheets write numbers in the locales that separate a CSV's cells
    by `;`) written with a decimal point, as is a whole number grouped by
    points (`1.234.567`); any other text as it is (`1.5` too: a text cell
    such a spreadsheet kept as it read it). A number of one group (`1.234`)
    is BadValue: such a spreadsheet writes 1234 so, and 1.234 kept as text
    so; nothing tells which."""
    if "," not in text:
        if text.count(".") != 1 or not _GROUPED_BY_POINTS.fullmatch(text):
            return grouped_whole_number(text)
        whole = text.strip().replace(".", "")
        raise BadValue(
            f"{text.strip()!r} may be {whole} (its thousands separated by a "
            f"point) or a number with a fraction: write {whole}, or "
            f"{text.strip().replace('.', ',')} for the fraction."
        )
    if not _DECIMAL_COMMA.fullmatch(text):
        return text
    return text.replace(".", "").replace(",", ".")


def _ungrouped(text: str) -> str:
    """A number grouped by spaces or apostrophes (`1 234 567`, `1 234,50`,
    `1'234.50`) without them, its decimal sign a point; any other text as
    it is."""
    found = _GROUPED_BY_SPACES.fullmatch(text)
    if found is None:
        return text
    return text.replace(found.group("by"), "").replace(",", ".")


_CURRENCY_SIGNS = "$€£¥"  # the symbols a spreadsheet's currency formats show


def _peeled_number(text: str) -> tuple[str, bool, bool]:
    """A number as a spreadsheet shows one it formats, without the format:
    its text without a currency's symbol before or after it (`$12.50`,
    `1.234,50 €`), whether it was in parentheses (an accounting format's
    negative number, `(1.50)`) and whether a percent sign followed it
    (`25.00%`: the number is a hundredth of the text's). A number without
    a format is its text, stripped."""
    core = text.strip()
    negative = core[:1] == "(" and core[-1:] == ")"
    if negative:
        core = core[1:-1].strip()
    percent = core[-1:] == "%"
    if percent:
        core = core[:-1].rstrip()
    sign = core[:1] if core[:1] in ("-", "+") else ""
    unsigned = core[len(sign) :].strip(_CURRENCY_SIGNS).strip()
    return sign + unsigned, negative, percent


def grouped_whole_number(text: str) -> str:
    """A whole number with its thousands grouped by points (`1.234`, as the
    spreadsheets of the locales that write a decimal comma write it with a
    thousands separator) without them; any other text as it is."""
    if _GROUPED_BY_POINTS.fullmatch(text):
        return text.strip().replace(".", "")
    return text


def in_range(number: Decimal) -> bool:
    """Whether a number is one a spreadsheet can hold (a double's, about
    1e-308 to 1e308, or zero): any other (`1e999999999999`, typed or sent)
    is no number a spreadsheet wrote, and computing with it would overflow."""
    return number.is_finite() and (not number or -330 < number.adjusted() < 310)


def local_whole_number(text: str) -> str:
    """A whole number as a `;` file's locale writes it (`1.234`, and with a
    decimal comma as a currency's format shows it, `5,00`), as the standard
    text writes it."""
    return decimal_point(text) if "," in text else grouped_whole_number(text)


def formatted_numbers(standard: Callable[[str], str]) -> Callable[[str], str]:
    """`standard` (a number's text as a file's locale writes it, made the
    standard text) for a number as a spreadsheet shows one it formats: with
    a currency's symbol, in an accounting format's parentheses, as a
    percentage (`_peeled_number`), its thousands grouped by spaces
    or apostrophes (`_ungrouped`), written as the number it shows
    (`($1,234.50)` is -1234.50, `25.00 %` 0.2500, `$5.00` 5, `1 234,50`
    1234.50). A text that is no number so formatted is returned as it is,
    for the parser to refuse."""

    def write(text: str) -> str:
        core, negative, percent = _peeled_number(text)
        core = _ungrouped(core)
        written = standard(core)
        if not (negative or percent or core != text.strip()):
            return written
        try:
            number = Decimal(written.strip())
        except InvalidOperation:
            return text
        if not in_range(number):
            return text
        number = (-number if negative else number).scaleb(-2 if percent else 0)
        whole = number.to_integral_value()
        if number == whole:  # `$5.00` in whole dollars
            number = whole
        return format(number, "f")

    return write


_HALF_DAY = r"\s*([AaPp])\.?\s*[Mm]\.?"  # a 12-hour clock's `AM`, `p.m.`
# a time after a date, on a 24-hour clock or a 12-hour one (`09:30 PM`)
_TIME_AFTER = (
    r"(?:[ T]+(\d{1,2})(:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?)" + f"(?:{_HALF_DAY})?)?\\s*"
)
# a date with its year last (`24.12.26`, `12/24/2026`), and a time after it
_YEAR_LAST = re.compile(r"\s*(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})" + _TIME_AFTER)
# a date with its month's name, the day first (`24-Dec-26`, `24 December 2026`)
# or the month first (`Dec 24, 2026`), and a time after it
_DAY_NAMED_MONTH = re.compile(
    r"\s*(\d{1,2})\.?[ -]([A-Za-z]{3,9})\.?[ -](\d{4}|\d{2})" + _TIME_AFTER
)
_NAMED_MONTH_DAY = re.compile(
    r"\s*([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})" + _TIME_AFTER
)
MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
CENTURY_FROM = 30  # two-digit years below it are this century's, as spreadsheets read
DATE_ORDERS = ("day", "month")  # which comes first in a date with its year last


def year_last(text: str, order: str) -> str:
    """A date written with its year last, the day first (`24.12.26`,
    `24/12/2026 09:05`, as spreadsheets write dates in most locales) or the
    month first (`order` "month": `12/24/2026 9:05 PM`, as they do in the
    United States), as ISO 8601 writes it; a two-digit year of 1930 to
    2029, as those spreadsheets read one. Any other text as it is (its
    field's parser refuses it, in its own words)."""
    found = _YEAR_LAST.fullmatch(text)
    if found is None:
        return text
    first, _sep, second, year, *time = found.groups()
    day, month = (second, first) if order == "month" else (first, second)
    return _iso(text, year, int(month), day, *time)


def named_month(text: str) -> str:
    """A date written with its month's name in English, as a spreadsheet
    shows a date so formatted (Excel's `24-Dec-26`; `24 December 2026`,
    `Dec 24, 2026`), as ISO 8601 writes it: the name says which is the
    month, whichever comes first. Any other text as it is."""
    found = _DAY_NAMED_MONTH.fullmatch(text)
    if found is not None:
        day, name, year, *time = found.groups()
    else:
        found = _NAMED_MONTH_DAY.fullmatch(text)
        if found is None:
            return text
        name, day, year, *time = found.groups()
    month = month_numbered(name)
    return text if month is None else _iso(text, year, month, day, *time)


def month_numbered(name: str) -> int | None:
    """1 to 12 for a month's name or its first three letters (`Sept` too)."""
    name = name.lower()
    for number, full in enumerate(MONTH_NAMES, start=1):
        if name in (full, full[:3]) or (number == 9 and name == "sept"):
            return number
    return None


def _iso(
    text: str,
    year: str,
    month: int,
    day: str,
    hour: str | None,
    rest: str | None,
    half: str | None,
) -> str:
    """A date's (and a time's) parts as ISO 8601 writes them; `text` as it
    is where the hour is none of a 12-hour clock's."""
    if len(year) == 2:
        year = f"{19 if int(year) >= CENTURY_FROM else 20}{year}"
    iso = f"{year}-{month:02d}-{int(day):02d}"
    if hour is None:
        return iso
    hours = int(hour) if half is None else _on_24_hours(hour, half)
    if hours is None:
        return text
    return f"{iso} {hours:02d}{str(rest).replace(',', '.')}"


def _on_24_hours(hour: str, half: str) -> int | None:
    """An hour of a 12-hour clock (`half`: `a` or `p`, either case) on a
    24-hour one; None for none of its hours (0, 13)."""
    if not 1 <= int(hour) <= 12:
        return None
    return int(hour) % 12 + (12 if half in "Pp" else 0)


def has_year_last(text: str) -> bool:
    """Whether the text is a date written with its year last, which may have
    its day or its month first (`03/04/2026`)."""
    return _YEAR_LAST.fullmatch(text) is not None


def dotted_year_last(text: str) -> bool:
    """Whether the text is a date written with its year last between dots
    (`31.12.2026`, `24.12.26`): its day is first, as in every locale that
    writes dates so (Germany, Russia, Poland, Scandinavia); no locale
    writes the month first between dots."""
    found = _YEAR_LAST.fullmatch(text)
    return found is not None and found.group(2) == "."


def read_decimal(text: str) -> Decimal:
    """An exact number, finite (not `NaN` or `Infinity`), or BadValue."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation as error:
        raise BadValue(f"{text!r} is not a number.") from error
    if not value.is_finite():
        raise BadValue(f"{text!r} is not a number.")
    return value


def _parse_number(spec: Any, text: str) -> int | float:
    if not spec.integer:
        return read_float(text)
    try:
        number = int(text.strip())
        if not -INT64 <= number < INT64:
            raise ValueError(text)
        return number
    except ValueError as error:
        raise BadValue(f"{text!r} is not a whole number.") from error


def _parse_decimal(spec: Any, text: str) -> Decimal:
    return read_decimal(text)


def read_datetime(text: str) -> datetime:
    """A datetime as ISO 8601 writes it (a `T` or a space, with or without
    seconds, fractions and an offset or `Z`), or as every page shows one,
    `2026-12-01 20:37:50 UTC` (as the XLSX export's cells read, which a
    spreadsheet saves as that text); ValueError otherwise."""
    text = text.strip()
    if not text or len(text) > 40:
        raise ValueError(text)
    if text.endswith(" UTC"):
        text = text[:-4].rstrip() + "+00:00"
    elif text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


# A time on a 12-hour clock, as spreadsheets in English locales show and save
# one (LibreOffice writes `09:30:15 AM` for the cell it read as `09:30:15`).
_TWELVE_HOURS = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?" + _HALF_DAY)


def read_time(text: str) -> time:
    """A time as ISO 8601 writes it (`09:30`, `09:30:15.5`), or on a 12-hour
    clock (`9:30 PM`, `09:30:15 AM`); ValueError otherwise."""
    text = text.strip()
    found = _TWELVE_HOURS.fullmatch(text)
    if found is None:
        return time.fromisoformat(text)
    hour, minute, second, fraction, half = found.groups()
    hour24 = _on_24_hours(hour, half)
    if hour24 is None:
        raise ValueError(text)
    return time.fromisoformat(f"{hour24:02d}:{minute}:{second or '00'}{fraction or ''}")


DURATION_WORDS = "Write a duration as 2:15:00, or 1 day, 0:00:05."


def read_duration(text: str) -> timedelta:
    """A duration as pages and files write it (`2:15:00`, `1 day, 0:00:05`,
    `-25:00:01`; Python's `-1 day, 23:59:59`, ISO 8601's `PT2H15M` and
    PostgreSQL's `1 day 02:00:00` too), or as a spreadsheet saves one shorter
    than a day that it took for a time of day (`02:15:00 AM`). Read as the
    edit form's field reads it, on every pydantic version."""
    stripped = text.strip()
    if _TWELVE_HOURS.fullmatch(stripped):
        clock = read_time(stripped)
        return timedelta(
            hours=clock.hour,
            minutes=clock.minute,
            seconds=clock.second,
            microseconds=clock.microsecond,
        )
    try:
        found = parse_interval(stripped)  # SQLAdmin's, as its duration field reads
    except OverflowError:  # more days than a `timedelta` holds
        found = None
    if found is None:
        raise ValueError(text)
    return found


def _parse_duration(spec: Any, text: str) -> timedelta:
    try:
        return read_duration(text)
    except ValueError as error:
        raise BadValue(f"{text!r} is not a duration. {DURATION_WORDS}") from error


def _parse_datetime(spec: Any, text: str) -> datetime:
    try:
        value = read_datetime(text)
    except ValueError as error:
        raise BadValue(
            f"{text!r} is not a date and time like 2026-01-31T09:30."
        ) from error
    column = spec.column
    try:
        return normalise_datetime(column, value) if column is not None else value
    except OutOfCalendar as error:
        raise BadValue(str(error)) from error


def _parse_date(spec: Any, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise BadValue(f"{text!r} is not a date like 2026-01-31.") from error


def _parse_time(spec: Any, text: str) -> time:
    try:
        return read_time(text)
    except ValueError as error:
        raise BadValue(f"{text!r} is not a time like 09:30.") from error


def _parse_uuid(spec: Any, text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text.strip())
    except ValueError as error:
        raise BadValue(f"{text!r} is not a UUID.") from error


MAX_JSON_DEPTH = 100  # arrays and objects inside each other


class TooDeep(ValueError):
    """JSON nested deeper than `MAX_JSON_DEPTH`."""


def read_json(text: str) -> Any:
    """JSON text as its value; ValueError if it is not JSON, TooDeep if it
    nests deeper than `MAX_JSON_DEPTH` levels. Python's reader, and every
    step after it that walks a value (the model's validation, the audit
    trail's copy), recurse once a level: a cell or field of 100,000 `[`
    was a server error."""
    try:
        value = json.loads(text)
    except RecursionError:
        value = None
        depth = MAX_JSON_DEPTH + 1
    else:
        nests = (level for node, level in json_nodes(value) if type(node) is not str)
        depth = max(nests, default=0)
    if depth > MAX_JSON_DEPTH:
        levels = f"{MAX_JSON_DEPTH} levels"
        raise TooDeep(f"This JSON nests arrays and objects more than {levels} deep.")
    return value


def json_nodes(value: Any) -> Iterator[tuple[Any, int]]:
    """Each array, object and text in a JSON value (an object's keys too),
    with how deep it lies (the value itself: 1), walked without recursion."""
    pending = [(value, 1)]
    while pending:
        found, level = pending.pop()
        if isinstance(found, dict):
            pending.extend((item, level + 1) for item in (*found, *found.values()))
        elif isinstance(found, list):
            pending.extend((item, level + 1) for item in found)
        elif not isinstance(found, str):
            continue
        yield found, level


def _parse_json(spec: Any, text: str) -> Any:
    try:
        return read_json(text)
    except TooDeep as error:
        raise BadValue(str(error)) from error
    except ValueError as error:
        raise BadValue(f"{text!r} is not JSON.") from error


def _parse_list(spec: Any, text: str) -> Any:
    """A list as the export writes it: a JSON array (`["a", "b"]`), each
    item then read by the model's own validation (`list[int]`)."""
    try:
        found = read_json(text)
    except TooDeep as error:
        raise BadValue(str(error)) from error
    except ValueError:
        found = None
    if not isinstance(found, list):
        raise BadValue(
            f'{text!r} is not a list: write it as the export does, as ["a", "b"].'
        )
    return found


def _parse_related_key(spec: Any, text: str) -> Any:
    """The key of a related row (what the foreign key column stores)."""
    if len(spec.target_columns) != 1:
        return text
    try:
        return coerce_key_part(spec.target_columns[0], text.strip())
    except BadKey as error:
        raise BadValue(f"{text!r} names no {spec.label.lower()}.") from error


PARSERS: dict[str, Callable[[Any, str], Any]] = {
    "bool": _parse_bool,
    "choice": _parse_choice,
    "number": _parse_number,
    "decimal": _parse_decimal,
    "datetime": _parse_datetime,
    "date": _parse_date,
    "time": _parse_time,
    "duration": _parse_duration,
    "uuid": _parse_uuid,
    "json": _parse_json,
    "list": _parse_list,
    "to_one": _parse_related_key,
}
