"""A row's cells read as the edit form's data.

Each cell is parsed by its field's own parser (`FieldSpec.parse`), bytes as
the export writes them, and a foreign key given by the label the export wrote
is matched to the one related row of that label (several or none: a refused
row, never a guess); beside its key cell, the one of the two the user changed
says which row. A cell holding a spreadsheet's error value (`#N/A`, what
a formula that failed shows) refuses its row: it is never data. In a file of
a code page (`files.CellFormat.lossy`), a text with `?` where the row's text
has a character the code page has no byte for (an emoji, `Ł` in
Windows-1252) is that text as the spreadsheet could write it: the row's, not
a change to `?`; so are a text of digits a spreadsheet read as a number
(`digit_texts`) or as a date, a time, a number or a flag (`value_texts`), a
number it keeps to 15 digits (`spreadsheet_digits`), a datetime it shows to
the minute and one a workbook keeps to the millisecond. Numbers and dates
are read as spreadsheets show them too (`_reading`: grouped in a locale's
way, formatted as money or a percentage, a date in a locale's order).
"""

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from admin_app.importing.code_pages import holds, rows_written_as, stands_for
from admin_app.importing.columns import ImportCell, ImportColumns
from admin_app.importing.digit_texts import (
    dropped_zeros,
    in_e_notation,
    read_as_number,
    rows_with_zeros,
)
from admin_app.importing.files import ENCODINGS, EXPORTED, CellFormat, ErrorValue
from admin_app.importing.outcomes import HeldCell
from admin_app.importing.spreadsheet_digits import kept_by_spreadsheet
from admin_app.importing.value_texts import read_as_value, rows_read_as, texts_read_as
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import BadValue, FieldSpec, Kind
from admin_app.model.keys import part_text, row_identifier
from admin_app.model.labels import label_column, label_for
from admin_app.model.limits import row_named
from admin_app.model.parsing import (
    decimal_point,
    decimal_point_only,
    dotted_year_last,
    formatted_numbers,
    has_year_last,
    in_range,
    local_whole_number,
    named_month,
    year_last,
)
from admin_app.model.values import comparable, unchanged

LABEL_SCAN_LIMIT = 10_000  # rows read to match labels made by `__admin_label__`
KEY_LABELS_KEPT = 10_000  # labels of related rows kept from one batch to the next

Report = Callable[[int, str, str], None]  # row number, column, message
_UNKNOWN = object()
_SECONDS = re.compile(r"\d:\d\d:\d")  # a time written with its seconds
_MILLISECOND = timedelta(milliseconds=1)  # a workbook's precision of a time


class CellReader:
    """Turns the cells of one file's rows into form data, reporting each bad
    cell by its row number and column."""

    def __init__(
        self,
        session: Session,
        columns: ImportColumns,
        report: Report,
        own: type | None = None,
        own_row_missing: Callable[[], None] = lambda: None,
        held: Callable[[str, HeldCell], None] = lambda attribute, cell: None,
    ) -> None:
        self.session = session
        self.columns = columns
        self.report = report
        # told of each cell read as its row's value, written otherwise, with
        # the attribute it sets
        self.held = held
        self.own = own  # the imported table, whose rows change as it runs
        # told where no row of `own` has a label (a batch whose writes are
        # not made yet runs again row by row, then it is reported)
        self.own_row_missing = own_row_missing
        self._lossy = columns.format.lossy
        self._labels: dict[type, dict[str, list[str]]] = {}
        self._label_cache: dict[tuple[type, str], list[str]] = {}
        # the label of the row each key text names, for labels beside keys
        # (rows of other tables: kept from batch to batch, up to a bound)
        self._key_labels: dict[tuple[type, str], str | None] = {}
        beside = [label for label, _key in columns.beside_keys]
        # the cells a row is read from (its key, values and labels), by header
        self._read = {
            cell.position: cell.header
            for cell in [*columns.key, *columns.values, *columns.labels, *beside]
        }
        # how each value cell is read, worked out once a file, not once a row
        self._reading = [
            (cell, *_reading(cell, columns.format)) for cell in columns.values
        ]
        self._beside_keys = [
            (label, key, _reading(key)[0]) for label, key in columns.beside_keys
        ]
        # a label of a row of this table (a parent task's), without its key
        # column or beside it (`names_own_row_by_label`)
        self._own_labels = [
            (label, None) for label in columns.labels if label.spec.target is own
        ] + [
            (label, key)
            for label, key in columns.beside_keys
            if label.spec.target is own
        ]
        # the row's attribute each form data name sets (`asked`)
        self._sets: dict[str, _Sets] = {}
        if own is not None:
            mapper = inspect(own)
            named = [(cell, name) for cell, name, _read in self._reading]
            named += [(cell, _label_name(cell)) for cell in columns.labels]
            for cell, name in named:
                column = cell.column
                if column is None and len(cell.spec.columns) == 1:
                    column = cell.spec.columns[0]  # a label's key column
                if column is not None and column.table is mapper.local_table:
                    self._sets[name] = _Sets(
                        mapper.get_property_by_column(column).key,
                        cell.spec.kind is Kind.TO_ONE,
                        bool(column.nullable),
                        cell.spec.kind is Kind.OTHER,
                    )
        # the form data names of the cells that find the row (`RowFinder`)
        self._finding = {
            name
            for cell, name, _read in self._reading
            if cell.column is not None and cell.column in columns.key_columns
        }
        # the datetime cells of the row's own columns (`_to_the_minute`)
        self._datetimes = {
            name
            for cell, name, _read in self._reading
            if cell.spec.kind is Kind.DATETIME and name in self._sets
        }

    def forget(self) -> None:
        """Forget the labels looked up one by one (done after each batch, so
        memory does not grow with the file and a batch sees rows the one
        before it added)."""
        self._label_cache = {}
        if len(self._key_labels) > KEY_LABELS_KEPT:
            self._key_labels = {}

    def names_own_row_by_label(self, cells: list[str]) -> bool:
        """Whether the row names a row of this table by its label (without
        its key column, or beside an empty key cell): a row the batch adds,
        maybe, which its label finds only once the batch's writes are made."""
        return any(
            cells[label.position].strip()
            and (key is None or not cells[key.position].strip())
            for label, key in self._own_labels
        )

    def spreadsheet_errors(self, number: int, cells: list[str]) -> bool:
        """Report each read cell holding a spreadsheet's error value or a
        formula no spreadsheet calculated (`files.ErrorValue`): the row is
        refused, as no parser should take `#N/A` for text or a label."""
        if not any(isinstance(text, ErrorValue) for text in cells):
            return False
        found = False
        for position, header in self._read.items():
            text = cells[position]
            if isinstance(text, ErrorValue):
                self.report(number, header, text.refusal())
                found = True
        return found

    def data(
        self, number: int, cells: list[str], held: Any = None
    ) -> dict[str, Any] | None:
        """The form data of one row, or None after reporting a cell's error;
        `held` is the row as it is (None: a new row)."""
        data: dict[str, Any] = {}
        ok = True
        lossy = self._lossy is not None and held is not None  # `?` may stand in
        for cell, name, read in self._reading:
            text = cells[cell.position]
            try:
                data[name] = read(text)
            except BadValue as error:
                kept = self._whole_number_kept(cell, name, text, held)
                if kept is None:
                    self.report(number, cell.header, _refusal(cell, text, error))
                    ok = False
                else:
                    data[name] = kept
                    self._read_as_held(number, cell.header, name, text, kept)
            else:
                if lossy and "?" in text:
                    ok = self._keeps_characters(number, cell, name, data, held) and ok
                if held is not None and type(data[name]) is str:
                    ok = self._not_misread(number, cell, name, data[name], held) and ok
                if held is not None and name in self._datetimes:
                    self._to_the_millisecond(name, data, held)
                    self._to_the_minute(number, cell, name, data, held, text)
        for cell in self.columns.labels:
            key = self._by_label(number, cell, cells[cell.position].strip())
            if key is False:
                ok = False
            else:
                data[_label_name(cell)] = key
        for label, key_cell, name in self._beside_keys:
            if not ok or name not in data or not cells[label.position]:
                continue
            known = self._key_labels.get((label.spec.target, data[name]))
            if self._agrees(cells[label.position], known):
                continue  # the label of the row the key names: most rows
            key = self._beside_key(number, cells, label, key_cell, data[name], held)
            if key is False:
                ok = False
            else:
                data[name] = key
        return data if ok else None

    def _beside_key(
        self,
        number: int,
        cells: list[str],
        label: ImportCell,
        key_cell: ImportCell,
        given: str,
        held: Any,
    ) -> Any:
        """The key a row asks for where a label is beside its key cell (the
        key cell reads `given`). The key where the label names its row (the
        export's, as written) or is empty; the label's row where the key is
        empty, or where the label alone differs from what the row holds (the
        spreadsheet's readable column, edited); the key where it alone
        differs. Both changed, naming two rows: False after reporting, as
        nothing tells which the user meant. Beside the key of a row of this
        table, the key where there is one: that row's label may have changed
        since the file was written, in it or in the table."""
        text = cells[label.position].strip()
        if not text:
            return given
        if not given:
            return self._by_label(number, label, text)
        if label.spec.target is self.own:
            return given
        named = self._key_label(label.spec, given)
        if self._agrees(text, named):
            return given
        if held is not None:
            value = getattr(held, attribute_name(key_cell.column))
            held_text = "" if value is None else part_text(value)
            if given == held_text:  # the key as the row holds it (if any row has it)
                return self._by_label(number, label, text)
            if held_text and self._agrees(text, self._key_label(label.spec, held_text)):
                return given
        if named is None:
            return given  # a key of no row: the write path says so
        self.report(
            number,
            label.header,
            f"The {key_cell.header} column names {named!r} and the "
            f"{label.header} column {text!r}: make them name the same row, "
            f"or empty the {label.header} column.",
        )
        return False

    def _key_label(self, spec: FieldSpec, text: str) -> str | None:
        """The label of the row a key cell's `text` names (as the write path
        finds it), or None if no row has that key."""
        target = spec.target
        found = self._key_labels.get((target, text), _UNKNOWN)
        if found is _UNKNOWN:
            parse = None if spec.relationship is not None else spec.parse
            row = row_named(self.session, target, text, parse)
            found = None if row is None else label_for(row).strip()
            self._key_labels[(target, text)] = found
        return found

    def asked(
        self, number: int, data: dict[str, Any], held: dict[str, Any]
    ) -> dict[str, Any]:
        """`data` less the values an existing row holds already (`held`: its
        columns by attribute key). A cell that repeats its row's value asks
        for nothing: the write path would parse, resolve, validate and merge
        it only to find it unchanged (most of the time an export imported
        again took). Only exact repeats are left out (`_Sets.repeats`), and
        values as a spreadsheet wrote the row's (`_written_so`), told to
        `self.held` as cells read so; anything else takes the write path."""
        asked, lossy = {}, self._lossy
        for name, value in data.items():
            sets = self._sets.get(name)
            if sets is None:
                asked[name] = value
                continue
            before = held[sets.attribute]
            if sets.repeats(value, before):
                continue
            if _written_so(value, before, lossy) or self._found_stripped(
                name, value, before
            ):
                header = self.columns.header_of(name)
                self._read_as_held(number, header, name, value, before)
            else:
                asked[name] = value
        return asked

    def _found_stripped(self, name: str, value: Any, before: Any) -> bool:
        """Whether a key cell found its row by its text without the spaces
        typed around it (`RowFinder.find`): it names the row, it does not
        ask for a new key."""
        return (
            name in self._finding
            and isinstance(value, str)
            and isinstance(before, str)
            and value.strip() == before
        )

    def _read_as_held(
        self, number: int, header: str, name: str, cell: Any, held: Any
    ) -> None:
        """Tell `self.held` of a cell read as its row's value (`held`)."""
        self.held(self._sets[name].attribute, HeldCell(number, header, cell, held))

    def _whole_number_kept(
        self, cell: ImportCell, name: str, text: str, held: Any
    ) -> int | None:
        """The row's whole number (of `held`) where the cell is it as a
        spreadsheet writes one of more than 15 digits, in E-notation with
        its first 15 (`1.23456789012346E+018`), which no whole-number
        parser reads; else None."""
        sets = self._sets.get(name)
        shown = _whole_in_e_notation(cell, text)
        if held is None or sets is None or shown is None:
            return None
        before = getattr(held, sets.attribute)
        if type(before) is not int:
            return None
        return before if kept_by_spreadsheet(shown, Decimal(before)) else None

    def _keeps_characters(
        self, number: int, cell: ImportCell, name: str, data: dict[str, Any], held: Any
    ) -> bool:
        """Whether a text cell with `?` in a code page's file changes a text
        of `held` that the code page could not hold: its characters, written
        as `?`, would be lost. False after reporting."""
        sets = self._sets.get(name)
        before = None if sets is None else getattr(held, sets.attribute)
        value, codec = data[name], self._lossy
        if type(before) is not str or type(value) is not str or value == before:
            return True
        if stands_for(value, before, codec) or holds(before, codec):
            return True
        self.report(
            number,
            cell.header,
            f"The text stored here has characters {ENCODINGS[codec][0]} has no "
            "byte for, and the file has ? in their place: to change this text "
            "without losing them, save the file as CSV UTF-8 or as XLSX.",
        )
        return False

    def _not_misread(
        self, number: int, cell: ImportCell, name: str, value: str, held: Any
    ) -> bool:
        """Whether a text cell is not the row's text garbled by a spreadsheet
        that opened the UTF-8 export as Windows-1252 ("Zoë" as "ZoÃ«"):
        every such text would be a change, and the preview could be
        confirmed. False after reporting."""
        sets = self._sets.get(name)
        before = None if sets is None else getattr(held, sets.attribute)
        if type(before) is not str or value == before:
            return True
        if utf8_read_as_cp1252(value) != before:
            return True
        self.report(
            number,
            cell.header,
            f"{value!r} is this row's {before!r} as a spreadsheet shows UTF-8 "
            "text it opened as Windows-1252: open the CSV as UTF-8 (Unicode) "
            "text, or use the XLSX export, and save the file again.",
        )
        return False

    def _to_the_millisecond(self, name: str, data: dict[str, Any], held: Any) -> None:
        """A datetime cell within a millisecond of `held`'s time is `held`'s
        time: a workbook keeps a time to the millisecond (a serial number of
        days, which openpyxl reads so), and the XLSX export read back had
        `12:05:01.999999` as `12:05:02`, a change of a second no one made
        (one row in two thousand of times taken with their microseconds)."""
        value = data[name]
        before = getattr(held, self._sets[name].attribute)
        if type(value) is not datetime or type(before) is not datetime:
            return
        if value.microsecond % 1000 or before == value:
            return
        cell_time, time = comparable(value, before)
        if abs(cell_time - time) < _MILLISECOND:
            data[name] = before

    def _to_the_minute(
        self,
        number: int,
        cell: ImportCell,
        name: str,
        data: dict[str, Any],
        held: Any,
        text: str,
    ) -> None:
        """A datetime cell written to the minute, where `held` has a time in
        that minute, is `held`'s time: a spreadsheet showing times to the
        minute (Excel's own `12/24/2026 9:30`) saves them so, and an export
        opened and saved there would have changed the seconds of every row."""
        value = data[name]
        if type(value) is not datetime or value.second or value.microsecond:
            return
        before = getattr(held, self._sets[name].attribute)
        if type(before) is not datetime or before == value or _SECONDS.search(text):
            return
        if unchanged(before.replace(second=0, microsecond=0), value):
            data[name] = before
            self._read_as_held(number, cell.header, name, text, before)

    def _agrees(self, text: str, label: str | None) -> bool:
        """Whether a label cell's `text` is `label` (None: no row's), as a
        spreadsheet may have written it (`_written_so`)."""
        return text == label or _written_so(text, label, self._lossy)

    def _by_label(self, number: int, cell: ImportCell, text: str) -> Any:
        """The key of the one related row labelled `text` ("" for none)."""
        if not text:
            return ""
        target, session, codec = cell.spec.target, self.session, self._lossy
        keys = self._label_keys(target, text)
        if not keys and codec is not None and "?" in text:  # a code page's `?`
            keys = self._label_keys_written(
                target,
                lambda column: rows_written_as(
                    session, target, column.key, text, codec
                ),
                lambda label: stands_for(text, label, codec),
            )
        if not keys and dropped_zeros(text):  # digits without their zeros
            keys = self._label_keys_written(
                target,
                lambda column: rows_with_zeros(session, target, column, text),
                lambda label: read_as_number(text, label),
            )
        if not keys and texts_read_as(text):  # a date, a time, a number, a flag
            keys = self._label_keys_written(
                target,
                lambda column: rows_read_as(session, target, column, text),
                lambda label: read_as_value(text, label),
            )
        if not keys and target is self.own:
            self.own_row_missing()  # a row the batch adds or renames, maybe
        if len(keys) == 1:
            return keys[0]
        what = cell.spec.label.lower()
        if not keys:
            self.report(number, cell.header, f"No {what} is called {text!r}.")
        else:
            self.report(
                number,
                cell.header,
                f"{len(keys)} rows of {what} are called {text!r}: give the key "
                "instead.",
            )
        return False

    def _label_keys(self, target: type, text: str) -> list[str]:
        column = self._label_column(target)
        if column is not None:
            cached = self._label_cache.get((target, text))
            if cached is None:
                stmt = select(target).where(getattr(target, column) == text).limit(2)
                cached = [row_identifier(row) for row in self.session.scalars(stmt)]
                if target is not self.own:  # a row of the file may add one
                    self._label_cache[(target, text)] = cached
            return cached
        if target not in self._labels:
            labels: dict[str, list[str]] = {}
            rows = self.session.scalars(select(target).limit(LABEL_SCAN_LIMIT))
            for row in rows:
                labels.setdefault(label_for(row), []).append(row_identifier(row))
            self._labels[target] = labels
        return self._labels[target].get(text, [])

    def _label_keys_written(
        self,
        target: type,
        rows: Callable[[Any], list[Any]],
        matches: Callable[[str], bool],
    ) -> list[str]:
        """The keys of the rows whose labels a label cell stands for as a
        spreadsheet may have written them (`_label_keys` found none as
        written): `rows(attribute)` where a query finds rows by their label
        column, else those whose labels, scanned, `matches`."""
        column = self._label_column(target)
        if column is not None:
            return [row_identifier(row) for row in rows(getattr(target, column))]
        return self._scanned(target, matches)

    @staticmethod
    def _label_column(target: type) -> str | None:
        """The column a row's label is (`label_column`), where a query can
        find rows by it; None where `__admin_label__` makes labels."""
        column = label_column(target)
        return None if hasattr(target, "__admin_label__") else column

    def _scanned(self, target: type, matches: Callable[[str], bool]) -> list[str]:
        """The keys of the rows of `target` whose labels, read by a scan
        (`_label_keys`), match."""
        labels = self._labels.get(target, {}).items()
        return [key for label, keys in labels if matches(label) for key in keys]


class _Sets(NamedTuple):
    """The row's attribute a form data name sets, and how its value is read."""

    attribute: str
    key_text: bool  # a related row's key, as text ("" for none)
    nullable: bool  # an empty cell is NULL
    by_text: bool  # a value the database reads from its text (`database_text`)

    def repeats(self, value: Any, held: Any) -> bool:
        """Whether `value` asks for what the row holds (`held`), exactly as
        the write path would read it: the same type and value, an empty
        cell for NULL, the same time (an aware time of a column SQLite
        keeps naive), the related row's key as its text, the text the pages
        write for a value the database reads (a range's `[1,10)`: asking
        the database is a statement a cell)."""
        if self.key_text:
            return value == ("" if held is None else part_text(held))
        if type(value) is type(held) and value == held:
            return True
        if held is None:
            return value == "" and self.nullable
        if self.by_text:
            return value == str(held)
        return isinstance(value, datetime) and unchanged(held, value)


def utf8_read_as_cp1252(text: str) -> str | None:
    """The text `text` was before a program read its UTF-8 bytes as
    Windows-1252, or None where it cannot have been (its characters are not
    all Windows-1252's, or their bytes are not UTF-8)."""
    try:
        return text.encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def _written_so(value: Any, held: Any, lossy: str | None) -> bool:
    """Whether a cell's value is `held` as a spreadsheet may have written
    it: with `?` for characters a code page lacks (`stands_for`), a text of
    digits read as a number (`read_as_number`), a number kept to 15 digits
    (`kept_by_spreadsheet`), a text read as a date, a time, a number or a
    flag (`read_as_value`)."""
    return (
        stands_for(value, held, lossy)
        or read_as_number(value, held)
        or kept_by_spreadsheet(value, held)
        or read_as_value(value, held)
    )


def _whole_in_e_notation(cell: ImportCell, text: str) -> Decimal | None:
    """The number a whole-number cell holds in E-notation, with a decimal
    point or comma (`1.23456789012346E+018`, `1,23456789012346E+018` as
    spreadsheets write one in a `;` file), where a spreadsheet can hold it;
    else None."""
    spec, written = cell.spec, text.strip().replace(",", ".", 1)
    if spec.kind is not Kind.NUMBER or not spec.integer:
        return None
    shown = Decimal(written) if in_e_notation(written) else None
    return shown if shown is not None and in_range(shown) else None


def _refusal(cell: ImportCell, text: str, error: BadValue) -> str:
    """Why a cell was refused: the parser's words, or for a whole number
    a spreadsheet wrote in E-notation (more digits than it keeps), that."""
    shown = _whole_in_e_notation(cell, text)
    if shown is None or shown < 10**15:
        return str(error)
    return (
        f"{text.strip()!r} is a number of more than 15 digits as a spreadsheet "
        "writes it, its last digits lost: type the whole number in a cell "
        "formatted as text."
    )


def _label_name(cell: ImportCell) -> str:
    """The form data's name for the key a label cell finds."""
    spec = cell.spec
    return spec.name if spec.relationship is not None else attribute_name(spec.column)


def _reading(
    cell: ImportCell, cell_format: CellFormat = EXPORTED
) -> tuple[str, Callable[[str], Any]]:
    """The form data's name for a value cell, and what reads its text: a
    to-one field's key as text (the write path finds the row), bytes as the
    export writes them, anything else by its field's parser: where the
    file's cells may be in a spreadsheet's local format, a number with a
    decimal comma too, and a date with its year last in the order the file
    or the user says (`CellFormat.date_order`)."""
    spec = cell.spec
    if spec.kind is Kind.TO_ONE:
        single = spec.relationship is not None and len(spec.columns) == 1
        return (spec.name if single else attribute_name(cell.column)), str.strip
    if spec.kind is Kind.BYTES:
        return spec.name, exported_bytes
    if spec.kind in (Kind.DECIMAL, Kind.NUMBER):
        whole = spec.kind is Kind.NUMBER and spec.integer
        if not cell_format.local:
            grouped = partial(decimal_point_only, whole=whole)
            return spec.name, _or_written_so(spec.parse, formatted_numbers(grouped))
        local = local_whole_number if whole else decimal_point
        return spec.name, _written_locally(spec.parse, formatted_numbers(local))
    if spec.kind in (Kind.DATE, Kind.DATETIME):
        standard = partial(_date_written, order=cell_format.date_order)
        return spec.name, _or_written_so(spec.parse, standard)
    return spec.name, spec.parse


def _date_written(text: str, order: str | None) -> str:
    """A date as a spreadsheet shows one (`parsing.named_month`, and with its
    year last in `order`, the file's or the user's), as ISO 8601 writes it."""
    named = named_month(text)
    if named != text:
        return named
    if order is None and dotted_year_last(text):
        order = "day"  # `31.12.2026`: the day is first wherever dots part a date
    return _order_unknown(text) if order is None else year_last(text, order)


def _order_unknown(text: str) -> str:
    """A date cell's text where nothing says whether a date with its year
    last has its day or its month first: such a date is BadValue saying
    where to choose, not read either way (`03/04/2026` is 3 April in the
    United Kingdom and March 4 in the United States, and both save a CSV
    with `,`); any other text as it is."""
    if not has_year_last(text):
        return text
    raise BadValue(
        f"{text.strip()!r} has its year last, and its day or its month first: "
        "say which under “Dates with the year last” on the upload form "
        "(dates=day or dates=month)."
    )


def _written_locally(
    parse: Callable[[str], Any], standard: Callable[[str], str]
) -> Callable[[str], Any]:
    """`parse` of a number written in a spreadsheet's local format, made the
    standard text first (`standard`: `12,75` -> `12.75`, or BadValue where
    the text may mean two numbers: `1.234` would parse as a fraction); a
    refusal quotes the cell as written."""

    def read(text: str) -> Any:
        written = standard(text)
        try:
            return parse(written)
        except BadValue:
            return parse(text)  # refused again, in the cell's own words

    return read


def _or_written_so(
    parse: Callable[[str], Any], standard: Callable[[str], str]
) -> Callable[[str], Any]:
    """`parse`, or where it refuses the cell, `parse` of the cell as
    `standard` writes it (`1,234.5` -> `1234.5`, `24.12.26` -> `2026-12-24`,
    or BadValue where the text may mean two values); a refusal quotes the
    cell as written. A cell as the export writes it takes no step more."""

    def read(text: str) -> Any:
        try:
            return parse(text)
        except BadValue as refused:
            written = standard(text)
            if written == text:
                raise
            try:
                return parse(written)
            except BadValue:
                raise refused from None

    return read


def exported_bytes(text: str) -> bytes | None:
    """Bytes as the export writes them: `\\x` and hex."""
    stripped = text.strip()
    if not stripped:
        return None
    if not stripped.startswith("\\x"):
        raise BadValue(f"{text[:40]!r} is not bytes written as \\x and hex digits.")
    try:
        return bytes.fromhex(stripped[2:])
    except ValueError as error:
        raise BadValue(f"{text[:40]!r} is not bytes written as \\x and hex.") from error
