"""Reading uploaded files: the CSV and XLSX files people really have, and the
bad files each refused with one sentence."""

import io
import zipfile
from datetime import date, datetime
from functools import partial

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from admin_app.importing.digit_texts import read_as_number
from admin_app.importing.files import (
    BadFile,
    CellFormat,
    ErrorValue,
    Uncalculated,
    date_order_named,
    encoding_named,
    read_upload,
    stream_upload,
    unquoted,
    xlsx_text,
)
from admin_app.model.parsing import (
    BadValue,
    decimal_point,
    decimal_point_only,
    formatted_numbers,
    grouped_whole_number,
    named_month,
    year_last,
)

LIMIT = 1024 * 1024


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_csv_as_the_export_writes_it():
    data = b'id,title,notes\r\n1,Plan,"two\nlines"\r\n2,\'=SUM(A1),\r\n'
    found = read_upload(data, LIMIT)
    assert found.header == ["id", "title", "notes"]
    assert found.rows == [(2, ["1", "Plan", "two\nlines"]), (3, ["2", "=SUM(A1)", ""])]


def test_a_semicolon_file_with_a_byte_order_mark_as_excel_saves_it():
    data = "\ufeffid;title;price\r\n1;Café, bar;12,5\r\n".encode()
    found = read_upload(data, LIMIT)
    assert found.header == ["id", "title", "price"]
    assert found.rows == [(2, ["1", "Café, bar", "12,5"])]


@pytest.mark.parametrize(
    ("data", "local_format"),
    [
        (b"id;price\r\n1;12,5\r\n", True),
        (b'id,price\r\n1,"12,5"\r\n', False),  # a comma there groups thousands
        (b"id\tprice\r\n1\t12.5\r\n", False),
        (xlsx([["id", "price"], [1, 12.5]]), False),
    ],
    # named: an XLSX's bytes hold the time it was written
    ids=["semicolon", "comma", "tab", "xlsx"],
)
def test_only_a_semicolon_file_has_cells_in_a_local_format(data, local_format):
    assert stream_upload(data, LIMIT).format.local is local_format


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("12,75", "12.75"),
        ("-1.234,5", "-1234.5"),
        (",5", ".5"),
        ("1,5E+10", "1.5E+10"),
        ("12.75", "12.75"),  # a cell such a spreadsheet kept as text
        ("0.125", "0.125"),
        ("1.2345", "1.2345"),
        ("1.234.567", "1234567"),  # only a whole number groups twice
        ("-12.345.678,9", "-12345678.9"),
        ("1,2,3", "1,2,3"),  # not a number: its field says so
        ("12,", "12,"),
        ("1.23,5", "1.23,5"),
    ],
)
def test_a_decimal_comma_is_read_as_a_point(text, read):
    assert decimal_point(text) == read


@pytest.mark.parametrize("text", ["1.234", "-12.500", " 999.000 "])
def test_a_number_of_one_group_of_thousands_is_refused_as_two_numbers(text):
    """`1.234` is 1234 with a thousands separator in such a spreadsheet, and
    1.234 kept as text: a number with a fraction so written is refused."""
    whole = text.strip().replace(".", "")
    with pytest.raises(BadValue, match=rf"^'{text.strip()}' may be {whole} \("):
        decimal_point(text)


@pytest.mark.parametrize(
    ("text", "read"),
    [("1.234", "1234"), ("-1.234.567", "-1234567"), ("1.5", "1.5"), ("0.123", "0.123")],
)
def test_a_whole_number_grouped_by_points_is_read_without_them(text, read):
    assert grouped_whole_number(text) == read


@pytest.mark.parametrize(
    ("text", "local", "read"),
    [
        ("$12.50", False, "12.50"),
        ("1,234.50 €", False, "1234.50"),
        ("(1.50)", False, "-1.50"),  # an accounting format's negative amount
        ("($1,234.50)", False, "-1234.50"),
        ("-$5", False, "-5"),
        ("25.00%", False, "0.2500"),
        ("-150.00%", False, "-1.5000"),
        ("$5.00", False, "5"),  # whole, in a whole-number column too
        ("12.5", False, "12.5"),
        ("$abc", False, "$abc"),  # no number: its field refuses it as written
        ("$12,50", True, "12.50"),
        ("1.234,50 €", True, "1234.50"),
        ("($1.234,50)", True, "-1234.50"),
        ("25,00%", True, "0.2500"),
        ("12,5", True, "12.5"),
        # thousands grouped by a (no-break) space or an apostrophe
        ("1\u00a0234,50", True, "1234.50"),
        ("-1 234 567", True, "-1234567"),
        ("($1\u00a0234,50)", True, "-1234.50"),
        ("1\u00a0234,50\u00a0€", True, "1234.50"),
        ("25,00\u00a0%", True, "0.2500"),
        ("1'234.50", True, "1234.50"),
        ("$1'234'567", True, "1234567"),
        ("1\u2019234.50", False, "1234.50"),
        ("1 234.50", False, "1234.50"),
        ("12,34,567.5", False, "1234567.5"),  # India's lakhs
        ("1 23 456", True, "1 23 456"),  # no grouping: refused as written
        ("1'23", True, "1'23"),
    ],
)
def test_a_number_a_spreadsheet_formats_is_read_as_the_number_shown(text, local, read):
    """Money (a currency's symbol, a negative amount in parentheses) and
    percentages, as Calc and Excel save a CSV's cells as they show them."""
    standard = decimal_point if local else partial(decimal_point_only, whole=False)
    assert formatted_numbers(standard)(text) == read


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("24.12.26", "2026-12-24"),
        ("24.12.2026", "2026-12-24"),
        ("1.2.03", "2003-02-01"),
        ("31.12.29", "2029-12-31"),  # two-digit years: 1930 to 2029
        ("1.1.30", "1930-01-01"),
        ("24/12/2026 9:05", "2026-12-24 09:05"),
        ("24-12-26 13:45:07,5", "2026-12-24 13:45:07.5"),
        ("2026-12-24", "2026-12-24"),
        ("24.12/26", "24.12/26"),  # not a date: its field says so
        ("31.13.26", "2026-13-31"),  # nor is this, which the date parser says
    ],
)
def test_a_date_with_its_day_first_is_read_as_iso_8601(text, read):
    assert year_last(text, "day") == read


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("12/24/2026", "2026-12-24"),
        ("3/4/26", "2026-03-04"),
        ("12/24/2026 9:05", "2026-12-24 09:05"),  # Excel's in the United States
        ("12/24/26 09:30 PM", "2026-12-24 21:30"),  # Calc's there
        ("12/24/26 12:05 a.m.", "2026-12-24 00:05"),
        ("12/24/26 12:05:30 PM", "2026-12-24 12:05:30"),
        ("12/24/26 13:05 PM", "12/24/26 13:05 PM"),  # no such hour: refused
        ("2026-12-24", "2026-12-24"),
        ("24/12/2026", "2026-24-12"),  # the date parser refuses month 24
    ],
)
def test_a_date_with_its_month_first_is_read_as_iso_8601(text, read):
    assert year_last(text, "month") == read


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("24-Dec-26", "2026-12-24"),  # Excel's own format with a month's name
        ("24 December 2026", "2026-12-24"),
        ("24. Dec. 2026", "2026-12-24"),
        ("Dec 24, 2026", "2026-12-24"),
        ("december 24 2026 9:30 PM", "2026-12-24 21:30"),
        ("Sept 3, 2026", "2026-09-03"),
        ("3-SEP-2026 13:45:07", "2026-09-03 13:45:07"),
        ("24-Dez-26", "24-Dez-26"),  # not an English name: its parser refuses it
        ("24-Decem-26", "24-Decem-26"),
        ("31-Feb-26", "2026-02-31"),  # nor is this a date, which it says
    ],
)
def test_a_date_with_its_months_name_is_read_as_iso_8601(text, read):
    assert named_month(text) == read


def test_a_day_first_date_may_have_a_12_hour_time_too():
    assert year_last("24/12/2026 9:30 PM", "day") == "2026-12-24 21:30"


def test_the_order_of_dates_is_day_or_month_and_kept_with_the_format():
    assert date_order_named(None) == date_order_named("") == ""
    assert date_order_named("month") == "month"
    with pytest.raises(BadFile, match=r"^'Month' is not an order of dates"):
        date_order_named("Month")
    assert CellFormat().date_order is None  # nothing says
    assert CellFormat(local=True).date_order == "day"  # a `;` file's
    chosen = CellFormat(local=True, encoding="cp1252", dates="month")
    assert chosen.date_order == "month"
    assert CellFormat.of_stored(chosen.stored()) == chosen
    assert CellFormat.of_stored({"local_format": True}) == CellFormat(local=True)


@pytest.mark.parametrize(
    ("text", "whole", "read"),
    [
        ("1,234.5", False, "1234.5"),
        ("-12,345,678.25", False, "-12345678.25"),
        ("1,234,567", False, "1234567"),
        ("1,234", True, "1234"),  # a whole number: no fraction to mean
        ("1,5", True, "1,5"),  # not grouped: its parser refuses it
        ("0,123", True, "0,123"),
        ("12,34", True, "12,34"),
    ],
)
def test_a_number_decimal_point_only_is_read_without_them(text, whole, read):
    assert decimal_point_only(text, whole) == read


def test_a_decimal_comma_outside_a_semicolon_file_is_refused_saying_where_it_is_read():
    with pytest.raises(
        BadValue, match=r"^'1\.234,5' has a decimal comma, read in a CSV"
    ):
        decimal_point_only("1.234,5", whole=False)
    with pytest.raises(BadValue, match=r"save it so, or write 12\.5\.$"):
        decimal_point_only("12,5", whole=False)
    assert decimal_point_only("12,5", whole=True) == "12,5"  # not a whole number


def test_a_number_of_one_comma_group_is_refused_where_it_may_be_a_fraction():
    with pytest.raises(BadValue, match=r"^'1,234' may be 1234 .* or 1\.234 for"):
        decimal_point_only(" 1,234 ", whole=False)


@pytest.mark.parametrize(
    ("cell", "held", "dropped"),
    [
        ("123", "00123", True),  # a postcode a spreadsheet read as a number
        ("0", "000", True),
        ("123", "123", False),  # the same text: a repeat, not this rule
        ("124", "00123", False),
        ("0123", "00123", False),  # not as a number is written
        ("123", "0012\uff13", False),  # a digit other than ASCII's (full-width 3)
        ("123", None, False),
        ("1.23456789012346E+019", "12345678901234567890", True),  # Calc's
        ("1.23457E+19", "12345678901234567890", True),  # Excel's, as it shows
        ("1.23457E+19", "12345678901234567891", True),  # the digits it lost
        ("1.23458E+19", "12345678901234567890", False),
        ("1.23457E+14", "123456789012345", False),  # 15 digits: kept whole
    ],
)
def test_a_text_of_digits_is_read_as_a_number_by_a_spreadsheet(cell, held, dropped):
    assert read_as_number(cell, held) is dropped


def test_row_numbers_count_records_not_lines_and_skip_blank_rows():
    data = b'id,notes\n1,"a\nb\nc"\n\n2,x\n'
    assert [n for n, _ in read_upload(data, LIMIT).rows] == [2, 4]


def test_the_formula_guard_is_removed_only_where_the_export_adds_it():
    assert unquoted("'=1+1") == "=1+1"
    assert unquoted("'-5") == "-5"
    assert unquoted("'plain") == "'plain"  # the export adds none here
    assert unquoted("it's") == "it's"


def test_a_spreadsheets_error_value_is_told_from_text_like_it():
    """`#N/A` as a CSV cell, or an XLSX error cell, is a formula that failed;
    `'#N/A` in a CSV (as the export writes such text) and a text cell
    holding `#N/A` are text."""
    found = read_upload(b"a,b,c\n#N/A,'#N/A,#n/a\n", LIMIT)
    assert [[type(c) is ErrorValue for c in cells] for _n, cells in found.rows] == [
        [True, False, False]
    ]
    assert found.rows == [(2, ["#N/A", "#N/A", "#n/a"])]
    book = Workbook()
    sheet = book.active
    sheet.append(["a", "b", "c"])
    sheet.append(["#DIV/0!", "#DIV/0!", "'#DIV/0!"])  # openpyxl: error cells
    sheet["B2"].data_type = "s"  # a text cell, as Calc saves typed `#DIV/0!`
    out = io.BytesIO()
    book.save(out)
    found = read_upload(out.getvalue(), LIMIT)
    assert found.rows == [(2, ["#DIV/0!", "#DIV/0!", "#DIV/0!"])]
    assert [type(c) is ErrorValue for c in found.rows[0][1]] == [True, False, False]


def test_an_xlsx_with_dates_and_numbers_as_spreadsheets_store_them():
    data = xlsx(
        [
            ["id", "due", "at", "progress", "price", "done", "title"],
            [1, date(2026, 1, 31), datetime(2026, 1, 31, 9, 30), 40.0, 0.1 + 0.2],
            [2, None, None, 7, 12.5, True, "'@home"],
        ]
    )
    found = read_upload(data, LIMIT)
    assert found.header == ["id", "due", "at", "progress", "price", "done", "title"]
    assert found.rows == [
        (2, ["1", "2026-01-31", "2026-01-31T09:30:00", "40", "0.3", "", ""]),
        (3, ["2", "", "", "7", "12.5", "true", "@home"]),
    ]
    assert xlsx_text(1e20) == "1e+20"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xef\xbb\xbf\r\n\r\n", "The file is empty."),
        (b"id,title\n1,caf\xe9\n", "The file is not UTF-8 text (byte 15"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "The file is not CSV or XLSX"),
        (b"\x89PNG\r\n\x1a\n\0\0\0", "The file is not CSV or XLSX"),
        (b"id,title,id\n1,a,1\n", "The header names the column 'id' twice."),
        (b"id,,title\n1,x,a\n", "Column 2 has values but no name in the header."),
        (
            b'id,title\n1,a\n2,"Plan\n3,b\n',
            'Row 3 has a cell that starts with a quote (") no quote closes: it '
            "would hold the rest of the file.",
        ),
        (
            b'sep=;\nid;title\r\n1;"5" screen"\r\n',
            'Row 2 has a cell that goes on after the quote (") that ends it',
        ),
    ],
)
def test_bad_files_are_refused_with_one_sentence(data, message):
    with pytest.raises(BadFile) as refused:
        read_upload(data, LIMIT)
    assert str(refused.value).startswith(message)


def test_a_zip_that_is_no_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(BadFile, match="not CSV or XLSX"):
        read_upload(out.getvalue(), LIMIT)


def test_a_file_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(BadFile, match="larger than the limit of 1 KB"):
        read_upload(b"id\n" + b"1\n" * 600, 1024)


def test_an_xlsx_that_expands_beyond_its_limit_is_refused():
    """A small workbook with a huge, highly compressible member: refused by its
    declared size; with a forged declared size, as damaged."""
    book = io.BytesIO(xlsx([["id"], [1]]))
    out = io.BytesIO()
    with (
        zipfile.ZipFile(book) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            bomb.writestr(info, source.read(info))
        bomb.writestr("xl/padding.xml", b"\0" * (6 * LIMIT))
    data = out.getvalue()
    assert len(data) < LIMIT
    with pytest.raises(BadFile, match="expands to more than 5 MB"):
        read_upload(data, LIMIT)
    # Python's zip reader inflates no more than the declared size, so a forged
    # small size ends in a failed checksum: refused before any XML is parsed.
    forged = _forge_declared_sizes(data)
    with pytest.raises(BadFile, match="The XLSX file is damaged"):
        read_upload(forged, LIMIT)


def _forge_declared_sizes(data: bytes) -> bytes:
    """The same zip with every declared uncompressed size set to 1 byte in its
    central directory (the sizes `ZipFile.infolist` reports)."""
    buffer = bytearray(data)
    start = 0
    while (at := buffer.find(b"PK\x01\x02", start)) >= 0:
        buffer[at + 24 : at + 28] = (1).to_bytes(4, "little")
        start = at + 4
    return bytes(buffer)


TEXTS = {  # a code page, and text in its script
    "cp1252": "Grüße für 5 €",
    "cp1250": "Łódź, Žilina",
    "cp1251": "Привет, мир",
    "cp1253": "Καλημέρα",
    "cp932": "東京タワー",
    "gbk": "北京",
    "mac-roman": "Café ñ",
}


@pytest.mark.parametrize("encoding", sorted(TEXTS))
def test_a_csv_in_a_code_page_is_read_in_the_encoding_chosen(encoding):
    text = TEXTS[encoding]
    data = f"id;name\r\n1;{text}\r\n".encode(encoding)
    stream = stream_upload(data, LIMIT, encoding)
    assert stream.header == ["id", "name"]
    assert [cells for _n, cells, _o in stream.rows] == [["1", text]]
    assert stream.format.encoding == encoding
    assert stream.format.lossy == encoding  # it writes `?` for what it lacks
    with pytest.raises(BadFile, match=r"not UTF-8 text \(byte \d+ cannot be read\)"):
        stream_upload(data, LIMIT)  # not UTF-8: the message says to choose


def test_a_file_refused_as_utf8_names_the_encoding_to_choose():
    data = "id,name\r\n1,Grüße\r\n".encode("cp1252")
    with pytest.raises(BadFile) as refused:
        read_upload(data, LIMIT)
    assert str(refused.value) == (
        "The file is not UTF-8 text (byte 14 cannot be read): choose the "
        'encoding it was saved in (a spreadsheet\'s plain "CSV" on Windows is '
        "Windows-1252 in Western Europe and the Americas), or save it as CSV "
        "UTF-8 or as XLSX."
    )


def test_a_utf8_file_is_not_read_in_a_code_page():
    """Its letters would each be read as two or three others (`Ã¼` for `ü`)."""
    data = "id,name\r\n1,Grüße\r\n".encode()
    with pytest.raises(BadFile, match=r"^The file is UTF-8 text, not Windows-1252"):
        read_upload(data, LIMIT, "cp1252")
    ascii_only = read_upload(b"id,name\r\n1,Gruss\r\n", LIMIT, "cp1252")
    assert ascii_only.rows == [(2, ["1", "Gruss"])]


def test_a_byte_a_code_page_has_no_character_for_is_refused():
    with pytest.raises(BadFile, match=r"^The file is not Windows-1252 text \(byte 13"):
        read_upload(b"id,name\r\n1,a\x81b\r\n", LIMIT, "cp1252")


@pytest.mark.parametrize("chosen", ["utf-8", "cp1252", "cp932"])
@pytest.mark.parametrize(
    ("encoding", "read_as"),
    [("utf-16-le", "utf-16"), ("utf-16-be", "utf-16"), ("utf-8", "utf-8")],
)
def test_a_byte_order_mark_says_the_encoding_whatever_was_chosen(
    encoding, read_as, chosen
):
    """Excel's "Unicode text" is UTF-16 with a mark and a tab between cells."""
    text = "id\tname\tprice\r\n1\tGrüße 😀 東京\t12,5\r\n"
    data = "\ufeff".encode(encoding) + text.encode(encoding)
    stream = stream_upload(data, LIMIT, chosen)
    assert stream.header == ["id", "name", "price"]
    assert [cells for _n, cells, _o in stream.rows] == [["1", "Grüße 😀 東京", "12,5"]]
    assert stream.format == CellFormat(local=False, encoding=read_as)
    assert stream.format.lossy is None  # every character has its bytes


def test_an_encoding_is_named_as_python_names_it():
    assert encoding_named(None) == encoding_named("") == "utf-8"
    assert encoding_named("windows-1252") == encoding_named("CP1252") == "cp1252"
    assert encoding_named("UTF8") == encoding_named("utf-8-sig") == "utf-8"
    for name in ("rot13", "latin-1", "utf-16", "base64", "utf-8\0", "x" * 10_000):
        with pytest.raises(BadFile, match="is not an encoding the import reads"):
            encoding_named(name)


@pytest.mark.parametrize(
    ("data", "cells", "local"),
    [
        (b"sep=;\r\nid;title\r\n1;a, b\r\n", ["1", "a, b"], True),
        (b"SEP=,\nid,title\n1,a; b\n", ["1", "a; b"], False),
        (b"sep=\t\nid\ttitle\n1\ta, b\n", ["1", "a, b"], False),
        (b"sep=|\nid|title\n1|a, b\n", ["1", "a, b"], False),
    ],
)
def test_excels_delimiter_hint_says_the_delimiter_and_is_not_the_header(
    data, cells, local
):
    """A first line `sep=;` is Excel's: it splits the file by that and shows
    the header as row 1."""
    stream = stream_upload(data, LIMIT)
    assert stream.header == ["id", "title"]
    assert [(number, row) for number, row, _o in stream.rows] == [(2, cells)]
    assert stream.format.local is local


def test_excels_ms_dos_csv_is_read_in_its_code_page():
    data = "id,name\r\n1,Grüße ½\r\n".encode("cp850")
    assert read_upload(data, LIMIT, "cp850").rows == [(2, ["1", "Grüße ½"])]


def _workbook(
    sheets: dict[str, list[list[object]]], open_sheet: str, hidden: tuple = ()
) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if title in hidden:
            sheet.sheet_state = "hidden"
    book.active = book[open_sheet]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _names_id(header: list[str]) -> bool:
    return "id" in header


TASKS = [[None], ["id", "title"], [1, "Plan"]]  # a blank row above the header
NOTES = [["Checked by", "Ann"]]


@pytest.mark.parametrize(
    ("sheets", "open_sheet", "hidden", "read"),
    [
        ({"Notes": NOTES, "Tasks": TASKS}, "Notes", (), "Tasks"),
        ({"Tasks": TASKS, "Notes": NOTES}, "Notes", (), "Tasks"),
        ({"Tasks": TASKS, "Copy": TASKS}, "Copy", (), "Copy"),
        ({"Notes": NOTES, "Sums": NOTES}, "Sums", (), "Sums"),  # then refused
        ({"Old": TASKS, "Tasks": TASKS}, "Tasks", ("Old",), "Tasks"),
        ({"Old": TASKS, "Notes": NOTES}, "Notes", ("Old",), "Notes"),
    ],
    ids=["notes-open", "notes-behind", "copy-open", "none", "hidden", "only-hidden"],
)
def test_a_workbooks_sheet_is_the_one_naming_the_tables_columns(
    sheets, open_sheet, hidden, read
):
    data = _workbook(sheets, open_sheet, hidden)
    stream = stream_upload(data, LIMIT, fits=_names_id)
    assert stream.sheet == read
    assert stream.sheets == list(sheets)
    header = next(row for row in sheets[read] if row != [None])
    assert stream.header == header


def test_two_sheets_with_the_tables_columns_neither_open_are_refused_naming_them():
    data = _workbook({"Tasks": TASKS, "Copy": TASKS, "Notes": NOTES}, "Notes")
    with pytest.raises(BadFile, match="The sheets 'Tasks' and 'Copy' each have"):
        stream_upload(data, LIMIT, fits=_names_id)


def test_a_workbook_of_one_sheet_is_read_whatever_it_names():
    stream = stream_upload(_workbook({"Notes": NOTES}, "Notes"), LIMIT, fits=_names_id)
    assert (stream.header, stream.sheet, stream.sheets) == (NOTES[0], "", [])


def damaged_sheet(rows: list[list[object]], damage) -> bytes:  # type: ignore[no-untyped-def]
    """A workbook of `rows` whose sheet's XML `damage` changed (the zip
    itself whole: only the sheet's parser meets the fault)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx(rows))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as damaged,
    ):
        for info in source.infolist():
            member = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                member = damage(member)
            damaged.writestr(info, member)
    return out.getvalue()


MANY = [["id", "title"], *([n, f"Task {n}"] for n in range(1, 2001))]


@pytest.mark.parametrize(
    "damage",
    [
        lambda xml: xml[: len(xml) // 2],  # cut off in the middle of its rows
        lambda xml: xml[: len(xml) - 40],  # cut off at its end
        lambda xml: xml.replace(b"<v>1500</v>", b"<v>abc</v>"),  # a number that is none
        lambda xml: xml.replace(b"<row ", b"<row <", 1),  # its first row
    ],
    ids=["middle", "end", "number", "header"],
)
def test_a_workbook_whose_sheet_is_damaged_is_refused_as_damaged(damage):
    with pytest.raises(BadFile) as refused:
        read_upload(damaged_sheet(MANY, damage), LIMIT)
    assert str(refused.value) == "The XLSX file is damaged: save it again."


_WORKBOOK = xlsx(MANY[:20])
with zipfile.ZipFile(io.BytesIO(_WORKBOOK)) as _source:
    _MEMBERS = {info.filename: _source.read(info) for info in _source.infolist()}
_XML_PIECES = [b"<", b">", b'"', b"&", b"<v>x</v>", b' t="e"', b' t="s"', b' s="99"']


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    member=st.sampled_from(sorted(_MEMBERS)),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1, exclude_max=True),
            st.sampled_from([b"", *_XML_PIECES]),
            st.integers(0, 20),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_workbook_damaged_anywhere_is_read_or_refused_never_a_crash(member, edits):
    """Any part of a workbook cut or given stray XML (at any place: `edits`
    are where, what to put there, and how many bytes it replaces) is read,
    or refused in one sentence: never an error of openpyxl's or the XML
    parser's (the admin's 500)."""
    xml = _MEMBERS[member]
    for where, piece, cut in edits:
        at = int(where * len(xml))
        xml = xml[:at] + piece + xml[at + cut :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        for name, data in _MEMBERS.items():
            damaged.writestr(name, xml if name == member else data)
    try:
        read_upload(out.getvalue(), LIMIT)
    except BadFile as refused:
        assert str(refused).endswith(".")


@pytest.mark.parametrize(
    "dimension",
    [b'<dimension ref="A1" />', b'<dimension ref="A1:B2" />', b""],
    ids=["a1", "stale", "none"],
)
def test_every_row_is_read_whatever_the_sheets_dimension_claims(dimension):
    """Programs that write a workbook as a stream put `A1` (or the size of
    an earlier version) in the sheet's `<dimension>`; openpyxl reads no row
    below it unless told to count the rows themselves."""
    data = damaged_sheet(
        MANY[:200],
        lambda xml: xml.replace(b'<dimension ref="A1:B200" />', dimension),
    )
    found = read_upload(data, LIMIT)
    assert [number for number, _ in found.rows] == list(range(2, 201))
    assert found.rows[-1] == (200, ["199", "Task 199"])


def test_a_row_far_below_the_others_is_read_without_reading_the_rows_between():
    """A sheet's rows are numbered in it: a row 1,048,576 (the last a sheet
    has) is read as that row, and the million rows missing before it cost no
    cells (a tiny file must not keep a worker busy)."""
    last = b'<row r="1048576"><c r="XFD1048576" t="n"><v>7</v></c></row>'
    data = damaged_sheet(
        MANY[:3],
        lambda xml: xml.replace(b"</sheetData>", last + b"</sheetData>").replace(
            b'<dimension ref="A1:B3" />', b'<dimension ref="A1:XFD1048576" />'
        ),
    )
    found = read_upload(data, LIMIT)
    assert found.rows[-1] == (1048576, ["", ""])
    assert found.overlong == [1048576]  # a cell beyond the header: refused


def test_a_formula_a_program_wrote_is_read_as_a_formula_not_as_its_kept_value():
    """openpyxl keeps no value for a formula, xlsxwriter keeps 0: both ask a
    spreadsheet to calculate the workbook when it opens it, and neither
    value is the formula's. A formula a spreadsheet calculated is read as
    its value (`test_import_spreadsheet`)."""
    book = Workbook()
    book.active.append(["id", "total", "note"])
    book.active.append([1, "=2+3", "plain"])
    book.active["C3"] = ArrayFormula("C3:C3", "=SUM(A1:A2)")
    by_openpyxl = io.BytesIO()
    book.save(by_openpyxl)
    by_xlsxwriter = io.BytesIO()
    written = xlsxwriter.Workbook(by_xlsxwriter)
    sheet = written.add_worksheet()
    sheet.write_row(0, 0, ["id", "total", "note"])
    sheet.write_row(1, 0, [1, "=2+3", "plain"])  # a formula, kept as 0
    written.close()
    for data in (by_openpyxl.getvalue(), by_xlsxwriter.getvalue()):
        rows = read_upload(data, LIMIT).rows
        assert rows[0] == (2, ["1", "=2+3", "plain"])
        assert type(rows[0][1][1]) is Uncalculated
        assert (
            rows[0][1][1]
            .refusal()
            .startswith("'=2+3' is a formula that no spreadsheet has calculated")
        )
    assert read_upload(by_openpyxl.getvalue(), LIMIT).rows[1][1][2] == "=SUM(A1:A2)"
