"""Uploaded files as rows of text: the CSV and XLSX files people really have.

An import reads what the admin's own CSV export writes, and what spreadsheets
make of it: UTF-8 with or without a byte order mark, UTF-16 with one (Excel's
"Unicode text"), a Windows or Mac code page the user names (`ENCODINGS`: a
spreadsheet's plain "CSV" on Windows, and what older systems export), `,`,
`;` or a tab between cells (Excel in many European locales saves with `;`),
line breaks inside quoted cells, and XLSX workbooks whose dates and numbers
are stored as Excel and LibreOffice store them (numbers as floats, dates as
serial numbers with a date format). Every cell becomes the text the CSV
export would have written, so one set of parsers
(`admin_app.model.fields.FieldSpec.parse`) reads both. A workbook with
several sheets (a sheet of notes or sums the user added) is read from the
sheet whose first row names the table's columns (`chosen_sheet`).

A file that cannot be read is refused as a whole with one sentence
(`BadFile`), before anything is parsed or written: a zip that expands far
beyond its size (a "zip bomb") is refused from its declared and its actual
uncompressed sizes, before the XML parser sees it.

Rows are read one at a time (`stream_upload`) from the uploaded file, which
the admin keeps in a temporary file: a 100,000-row file is never held in
memory, neither as bytes nor as a list of rows.
A fault found further down the file (a cell under a header with no name)
raises BadFile when the reader gets there.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, BinaryIO

from admin_app.listing.cells import ERROR_VALUES, needs_quote
from admin_app.model.labels import duration_text
from admin_app.model.names import listed
from admin_app.model.parsing import DATE_ORDERS

EXPANSION = 5  # an XLSX may expand to this many times the size limit
DELIMITERS = (",", ";", "\t")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
UTF8, UTF16 = "utf-8", "utf-16"
# the encodings a CSV may be read in, by Python's name for each: UTF-8 (the
# export's), and the code pages spreadsheets write a plain "CSV" in (Excel's
# on Windows is the system's code page; older Excel for Mac's, Mac Roman;
# Excel's "CSV (MS-DOS)", the system's DOS code page)
ENCODINGS = {
    UTF8: ("UTF-8", "the export's, and a spreadsheet's \"CSV UTF-8\""),
    "cp1252": ("Windows-1252", "Western Europe and the Americas"),
    "cp1250": ("Windows-1250", "Central Europe"),
    "cp1251": ("Windows-1251", "Cyrillic"),
    "cp1253": ("Windows-1253", "Greek"),
    "cp1254": ("Windows-1254", "Turkish"),
    "cp1255": ("Windows-1255", "Hebrew"),
    "cp1256": ("Windows-1256", "Arabic"),
    "cp1257": ("Windows-1257", "Baltic"),
    "cp1258": ("Windows-1258", "Vietnamese"),
    "cp874": ("Windows-874", "Thai"),
    "cp932": ("Shift JIS", "Japanese"),
    "gbk": ("GBK", "Simplified Chinese"),
    "cp949": ("Windows-949", "Korean"),
    "cp950": ("Big5", "Traditional Chinese"),
    "mac-roman": ("Mac Roman", "older Excel for Mac"),
    "cp850": ("DOS Latin 1", 'Excel\'s "CSV (MS-DOS)" in Western Europe'),
    "cp437": ("DOS", 'Excel\'s "CSV (MS-DOS)" in the United States'),
}


class BadFile(ValueError):
    """A file refused as a whole; the message says why, in one sentence."""


class ErrorValue(str):
    """A cell holding a spreadsheet's error value (`#N/A`, `#DIV/0!`): what a
    formula that failed shows, never data. An XLSX stores it as an error
    cell; a CSV as that text, which a `'` before it makes text again (as the
    export writes text that is exactly an error value)."""

    def refusal(self) -> str:
        """Why the row holding it is refused, for the user."""
        return (
            f"{self} is the error a spreadsheet shows for a formula that "
            "failed, not a value: correct the formula, or type the value itself."
        )


class Uncalculated(ErrorValue):
    """A formula (`=SUM(B2:B9)`) of a workbook a program wrote and no
    spreadsheet calculated: it has no value to read, and reading its empty
    cell (or the 0 xlsxwriter keeps) would empty or zero the column."""

    def refusal(self) -> str:
        return (
            f"'{self}' is a formula that no spreadsheet has calculated (a "
            "program wrote the file): open the file in a spreadsheet and save "
            "it there, or type the value itself."
        )


@dataclass
class ImportFile:
    """The header's names and the data rows, each with the row number a
    spreadsheet shows for it (the header is row 1)."""

    header: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    # rows with more cells than the header has names: (row, how many extra)
    overlong: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class CellFormat:
    """How a file's cells may be written other than as the export writes them.

    `local`: a CSV whose cells `;` separates, as spreadsheets save one in the
    locales that write `12,75` and `24.12.26`: its numbers and dates may be
    written so. `encoding`: the code page a CSV was read in; one that has no
    byte for a character (an emoji in Windows-1252) holds `?` in its place,
    as spreadsheets write it (`lossy`). `dates`: which comes first in a date
    written with its year last (`03/04/2026`), as the user chose ("day" or
    "month", `parsing.DATE_ORDERS`); "" for as the file's delimiter says."""

    local: bool = False
    encoding: str = UTF8
    dates: str = ""

    @property
    def lossy(self) -> str | None:
        """The code page whose cells may hold `?` for a character, or None."""
        return None if self.encoding in (UTF8, UTF16) else self.encoding

    @property
    def date_order(self) -> str | None:
        """Which comes first in a date with its year last: as chosen, else
        the day in a `;` file (as every locale that saves one writes it);
        None where nothing says (`12/24/2026` in the United States,
        `24/12/2026` in the United Kingdom: both save a CSV with `,`)."""
        return self.dates or ("day" if self.local else None)

    def stored(self) -> dict[str, Any]:
        """The format as a preview keeps it for its confirmation."""
        return {
            "local_format": self.local,
            "encoding": self.encoding,
            "dates": self.dates,
        }

    @classmethod
    def of_stored(cls, data: dict[str, Any]) -> "CellFormat":
        """The format a preview kept (`stored`; one kept before a key was:
        as the export writes it)."""
        return cls(
            bool(data.get("local_format")),
            data.get("encoding") or UTF8,
            data.get("dates") or "",
        )


DAMAGED = "The XLSX file is damaged: save it again."
EXPORTED = CellFormat()  # cells as the export writes them


@dataclass
class UploadStream:
    """The header's names, and the data rows one at a time: the row number,
    the cells (as wide as the header) and whether the row had more cells."""

    header: list[str]
    rows: Iterator[tuple[int, list[str], bool]]
    format: CellFormat = EXPORTED
    # a workbook of several sheets: the one read, and all of them (else empty)
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)


# whether a sheet's first row (its header) names a column of the table
SheetFits = Callable[[list[str]], bool]


def unquoted(text: str) -> str:
    """A cell without the `'` the export puts before formula-like text, only
    where the export would have put it (`listing.cells.safe_text`)."""
    if text.startswith("'") and needs_quote(text[1:]):
        return text[1:]
    return text


def known_encoding(name: str | None) -> str | None:
    """The one of `ENCODINGS` an upload names (by any of Python's names for
    it, `windows-1252` as well as `cp1252`; none: UTF-8), or None."""
    if not name:
        return UTF8
    try:
        found = codecs.lookup(name).name
    except (LookupError, ValueError):  # no such codec; a NUL in the name
        return None
    if found == "utf-8-sig":  # UTF-8 with or without the mark, as UTF-8 is
        return UTF8
    return found if found in ENCODINGS else None


def date_order_named(name: str | None) -> str:
    """The order of a date's day and month an upload names (`dates=`: "day"
    or "month"; none: "", as the file's delimiter says), or BadFile."""
    if not name:
        return ""
    if name not in DATE_ORDERS:
        raise BadFile(
            f"{name[:40]!r} is not an order of dates the import reads: "
            "choose day or month."
        )
    return name


def encoding_named(name: str | None) -> str:
    """The one of `ENCODINGS` an upload names (`known_encoding`), or BadFile."""
    found = known_encoding(name)
    if found is None:
        raise BadFile(
            f"{str(name)[:40]!r} is not an encoding the import reads: choose one of "
            f"{', '.join(ENCODINGS)}."
        )
    return found


def read_upload(data: bytes, max_bytes: int, encoding: str = UTF8) -> ImportFile:
    """The rows of an uploaded CSV or XLSX file, all read, or BadFile."""
    stream = stream_upload(data, max_bytes, encoding)
    found = ImportFile(stream.header)
    for number, cells, overlong in stream.rows:
        found.rows.append((number, cells))
        if overlong:
            found.overlong.append(number)
    return found


def stream_upload(
    data: bytes | BinaryIO,
    max_bytes: int,
    encoding: str = UTF8,
    fits: SheetFits | None = None,
) -> UploadStream:
    """The header of an uploaded CSV or XLSX file (its bytes, or a seekable
    binary file) and an iterator of its rows, or BadFile. `encoding` is the
    one a CSV without a byte order mark is read in (`encoding_named`),
    `fits` tells a workbook's sheet to read (`chosen_sheet`)."""
    file = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    size = file.seek(0, io.SEEK_END)
    if size > max_bytes:
        raise BadFile(
            f"The file is larger than the limit of {_size(max_bytes)}: "
            "split it into smaller files."
        )
    file.seek(0)
    start = file.read(4096)
    file.seek(0)
    if start.startswith(ZIP_MAGIC):
        return _xlsx_upload(file, max_bytes * EXPANSION, fits)
    if start.startswith(codecs.BOM_UTF8):
        encoding = UTF8  # whichever the user chose: the mark says
    elif start.startswith(UTF16_MARKS):
        encoding = UTF16  # and which byte order
    elif start.startswith(OLE_MAGIC) or b"\0" in start:
        raise BadFile("The file is not CSV or XLSX: save it as CSV or XLSX.")
    table, delimiter = _csv_rows(file, encoding)
    return _shaped(table, CellFormat(delimiter == ";", encoding))


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    if count >= 1024:
        return f"{count / 1024:g} KB"
    return f"{count} bytes"


def _check_encoding(file: BinaryIO, encoding: str) -> None:
    """Refuse a file that is not text in `encoding` before any row is read,
    naming the first byte that is not, and a file chosen to be read in a
    code page that is UTF-8 text (its letters would be read as two or three
    others each), reading the file a megabyte at a time."""
    if encoding not in (UTF8, UTF16) and _is_utf8_beyond_ascii(file):
        raise BadFile(f"The file is UTF-8 text, not {_named(encoding)}: choose UTF-8.")
    try:
        _decode(file, encoding)
    except UnicodeDecodeError as error:
        raise BadFile(
            f"The file is not {_named(encoding)} text (byte {error.start + 1} "
            "cannot be read): choose the encoding it was saved in (a "
            'spreadsheet\'s plain "CSV" on Windows is Windows-1252 in '
            "Western Europe and the Americas), or save it as CSV UTF-8 or "
            "as XLSX."
        ) from error


def _named(encoding: str) -> str:
    return ENCODINGS[encoding][0] if encoding in ENCODINGS else encoding.upper()


def _is_utf8_beyond_ascii(file: BinaryIO) -> bool:
    """Whether the file is UTF-8 text with a character beyond ASCII (which
    text in a code page is only by a rare chance)."""
    try:
        return _decode(file, UTF8)
    except UnicodeDecodeError:
        return False


def _decode(file: BinaryIO, encoding: str) -> bool:
    """Decode the whole file (UnicodeDecodeError, its `start` counted from
    the file's first byte); whether it has a byte beyond ASCII."""
    decoder = codecs.getincrementaldecoder(encoding)()
    step = 1 << 20
    start, beyond_ascii = 0, False
    file.seek(0)
    chunk = file.read(step)
    try:
        while chunk:
            following = file.read(step)
            try:
                decoder.decode(chunk, not following)
            except UnicodeDecodeError as error:
                error.start += start
                raise
            beyond_ascii = beyond_ascii or not chunk.isascii()
            start += len(chunk)
            chunk = following
    finally:
        file.seek(0)
    return beyond_ascii


def _delimiter(header_line: str) -> str:
    """The delimiter the header line uses most, outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(file: BinaryIO, encoding: str) -> tuple[Iterator[list[str]], str]:
    """The rows of a CSV file, and the delimiter between its cells."""
    _check_encoding(file, encoding)
    reading = "utf-8-sig" if encoding == UTF8 else encoding  # without the mark
    text = io.TextIOWrapper(file, encoding=reading, newline="")
    first_line = text.readline()
    while first_line and not first_line.strip():
        first_line = text.readline()
    if not first_line:
        raise BadFile("The file is empty.")
    hint = first_line.rstrip("\r\n")
    if len(hint) == 5 and hint[:4].lower() == "sep=" and hint[4] not in "\"'":
        # Excel's hint of the delimiter, a line it reads and does not show:
        # the header follows (and is row 1, as Excel shows it)
        delimiter = hint[4]
    else:
        text.seek(0)
        delimiter = _delimiter(first_line.split("\n", 1)[0])
    # strict: a quote no quote closes is refused, not read as a cell holding
    # the rest of the file (as spreadsheets read it)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    return _csv_reading(reader, text), delimiter


# a cell may be as long as the file (a long text the export wrote): the csv
# module's own limit is 128 KB, for the whole process, and only ever raised
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def _csv_reading(
    reader: Iterator[list[str]], text: io.TextIOWrapper
) -> Iterator[list[str]]:
    read = 0  # rows read whole (the header is row 1, as a spreadsheet shows it)
    try:
        for row in reader:
            read += 1
            if not ERROR_VALUES.isdisjoint(row):  # before any `'` is removed
                row = [ErrorValue(c) if c in ERROR_VALUES else c for c in row]
            # `unquoted` only where a cell starts with `'` (a call a cell costs)
            yield [unquoted(cell) if cell[:1] == "'" else cell for cell in row]
    except csv.Error as error:
        raise BadFile(_unreadable(read + 1, str(error))) from error
    finally:
        # the upload stays open when these rows are left unread: a wrapper
        # closes its file when it is collected, and the file is read again
        # from the start by a preview that keeps cells (a closed upload is done)
        if not text.closed:
            text.detach()


def _unreadable(row: int, error: str) -> str:
    """The csv module's complaint about row `row` as a sentence for the user."""
    if error == "unexpected end of data":
        return (
            f'Row {row} has a cell that starts with a quote (") no quote '
            "closes: it would hold the rest of the file. End the cell with a "
            'quote, and write each quote inside it twice ("").'
        )
    if "expected after" in error:
        return (
            f'Row {row} has a cell that goes on after the quote (") that ends '
            'it: write each quote inside a quoted cell twice (""), or leave the '
            "cell without quotes around it."
        )
    return f"The file is not readable CSV (row {row}): {error}."


def _check_expansion(archive: zipfile.ZipFile, limit: int) -> None:
    """Refuse a zip whose members expand beyond `limit`: first by the sizes
    the archive declares, then by the bytes it really inflates to (a forged
    declared size is no way around it)."""
    too_large = BadFile(
        f"The XLSX file expands to more than {_size(limit)}: "
        "split it into smaller files."
    )
    if sum(info.file_size for info in archive.infolist()) > limit:
        raise too_large
    total = 0
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(1 << 16):
                total += len(chunk)
                if total > limit:
                    raise too_large


# what openpyxl reads as `fullCalcOnLoad` is true where the attribute is
# absent (as in every workbook Excel and LibreOffice save): the XML says
_CALCULATED_ON_LOAD = re.compile(
    rb"<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad\s*=\s*[\"'](?:1|true)[\"']"
)


def _xlsx_upload(
    file: BinaryIO, expanded_limit: int, fits: SheetFits | None
) -> UploadStream:
    from openpyxl import load_workbook  # only an XLSX import needs it

    not_xlsx = BadFile("The file is not CSV or XLSX: save it as CSV or XLSX.")
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as error:
        raise not_xlsx from error
    with archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise not_xlsx
        try:
            _check_expansion(archive, expanded_limit)
            uncalculated = _CALCULATED_ON_LOAD.search(archive.read("xl/workbook.xml"))
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as error:
            raise BadFile(DAMAGED) from error
    try:
        file.seek(0)
        # a program wrote it (openpyxl, xlsxwriter), asking a spreadsheet to
        # calculate its formulas when it opens it: the values it keeps for
        # them are none, or 0, so its formulas are read as formulas
        workbook = load_workbook(file, read_only=True, data_only=not uncalculated)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise BadFile(DAMAGED) from error
    try:
        sheet = chosen_sheet(workbook, fits)
    except BadFile:
        workbook.close()
        raise
    upload = _shaped(_xlsx_reading(workbook, sheet))
    if len(workbook.worksheets) > 1:
        upload.sheet = sheet.title
        upload.sheets = [other.title for other in workbook.worksheets]
    return upload


def chosen_sheet(workbook: Any, fits: SheetFits | None) -> Any:
    """The sheet of a workbook to import, or BadFile.

    Staff add sheets of their own to an exported workbook (notes, sums, a
    pivot table), in front of the export's sheet or behind it, and save it
    with any of them open. So the sheet read is the one whose first row
    names the table's columns (`fits`), among the sheets not hidden; where
    several do, the one open when the file was saved (Django's
    import-export reads that one alone), else the file is refused naming
    them; where none does, the open one, whose header the import then
    refuses naming the table's columns."""
    sheets = [s for s in workbook.worksheets if s.sheet_state == "visible"]
    sheets = sheets or workbook.worksheets
    if not sheets:
        raise BadFile("The file is empty.")
    open_sheet = workbook.active if workbook.active in sheets else sheets[0]
    if len(sheets) == 1 or fits is None:
        return open_sheet
    fitting = [sheet for sheet in sheets if fits(_first_row(sheet))]
    if len(fitting) == 1:
        return fitting[0]
    if not fitting or open_sheet in fitting:
        return open_sheet
    names = listed(repr(sheet.title) for sheet in fitting)
    raise BadFile(
        f"The sheets {names} each have this table's columns in their first "
        "row: open the one to import and save the file (the sheet open when "
        "it is saved is read), or delete the others."
    )


def _first_row(sheet: Any) -> list[str]:
    """The names in a sheet's first row that is not blank (its header)."""
    for row in _sheet_rows(sheet):
        names = [xlsx_text(cell.value).strip() for cell in row]
        if any(names):
            return names
    return []


def _xlsx_reading(workbook: object, sheet: object) -> Iterator[list[str]]:
    try:
        # cells, not values alone: an error cell reads as the text `#N/A` too
        for row in _sheet_rows(sheet):
            yield [
                _unread(c) if c.data_type in ("e", "f") else xlsx_text(_value(c))
                for c in row
            ]
    finally:
        workbook.close()  # type: ignore[attr-defined]


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """A sheet's rows of cells, or BadFile where its XML is damaged: openpyxl
    parses a read-only sheet as its rows are asked for, and raises what the
    XML parser or a number's reading raises (a cut file, `<v>abc</v>`)."""
    # the rows the sheet has, not those its `<dimension>` claims: openpyxl
    # reads no row below that (a program that writes `A1` there would have
    # its rows left out), and pads each row to its width
    sheet.reset_dimensions()
    rows = sheet.iter_rows()
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except Exception as error:  # many kinds, as for the workbook
            raise BadFile(DAMAGED) from error
        yield row


def _unread(cell: Any) -> ErrorValue:
    """An error cell's value (`#N/A`), or a formula no spreadsheet calculated."""
    if cell.data_type == "e":
        return ErrorValue(cell.value)
    return Uncalculated(getattr(cell.value, "text", cell.value))  # ArrayFormula's


_EXCEL_EPOCH = datetime(1899, 12, 30)


def _value(cell: Any) -> object:
    """A cell's value; a duration cell (`[hh]:mm:ss`) as a duration, which
    openpyxl before 3.1 reads as a datetime from Excel's epoch."""
    value = cell.value
    if isinstance(value, datetime) and str(cell.number_format).lower().startswith("[h"):
        return value - _EXCEL_EPOCH
    return value


def xlsx_text(value: object) -> str:
    """A spreadsheet cell as the CSV export writes its value: whole numbers
    without `.0`, other floats with Excel's 15 significant digits (so 0.1 + 0.2
    is `0.3`), a date stored as midnight as the date alone, flags as
    `true`/`false`, text without the export's formula guard."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration cell (`[hh]:mm:ss`)
        return duration_text(value)
    return unquoted(str(value))


def _shaped(
    table: Iterator[list[str]], cell_format: CellFormat = EXPORTED
) -> UploadStream:
    """Header and rows, blank rows skipped, each row as wide as the header."""
    numbered = (
        (number, row)
        for number, row in enumerate(table, start=1)
        if any(map(str.strip, row))
    )
    first = next(numbered, None)
    if first is None:
        raise BadFile("The file is empty.")
    names = [name.strip() for name in first[1]]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise BadFile("The file's first row names no column.")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise BadFile(f"The header names the column {name!r} twice.")
        seen.add(name)
    return UploadStream(names, _sized(numbered, names), cell_format)


def _sized(
    numbered: Iterator[tuple[int, list[str]]], names: list[str]
) -> Iterator[tuple[int, list[str], bool]]:
    width = len(names)
    unnamed = [position for position, name in enumerate(names) if not name]
    for number, row in numbered:
        if len(row) == width:  # most rows: the row itself
            overlong, cells = False, row
        else:
            overlong = any(map(str.strip, row[width:]))
            cells = (row + [""] * width)[:width]
        for position in unnamed:
            if cells[position].strip():
                raise BadFile(
                    f"Column {position + 1} has values but no name in the header."
                )
        yield number, cells, overlong
