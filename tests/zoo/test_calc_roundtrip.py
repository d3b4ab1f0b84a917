"""LibreOffice Calc as every zoo table's spreadsheet, on SQLite and
PostgreSQL: each table's CSV and XLSX exports, opened by Calc as a staff
user opens them (numbers, dates and times recognised) and saved as XLSX and
as a `;` CSV, import as "0 changed", with nothing refused. The files of
other locales (German Calc's, Excel's in the United States, money and
percentages) are read by the admin's own code whatever the database: each
runs on one of the two, in turn.

Calc saves a CSV's cells as it shows them: a time read from `09:30:15` comes
back as `09:30:15 AM`, and the XLSX export's cells of a column with a time
zone, which read `2026-12-01 20:37:50 UTC`, as that text. Both are read back
(`model.parsing.read_time`, `read_datetime`), as they are when typed.
"""

import csv
import importlib
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import BigInteger, Column, func, select, update
from sqlmodel import SQLModel

from admin_app.model.fields import Kind
from tests.libreoffice import Calc
from tests.zoo import facts
from tests.zoo.columns import ZooCode, ZooSample, ZooShelf
from tests.zoo.conftest import COLUMNS, HEROES, LEGACY, TRACKER, ZOO

# comma, double quote, UTF-8, from line 1, no column formats, default
# language, quoted fields not forced to text, special numbers detected.
CSV_IMPORT = "CSV:44,34,76,1,,,false,true"
SAVED_AS = {"xlsx": "xlsx", "csv": "csv:Text - txt - csv (StarCalc):59,34,76"}


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_every_tables_export_saved_by_calc_imports_unchanged(site, tmp_path):
    """Calc reads a text of digits in a CSV (a postcode, `00123`) as a number
    and saves it so (`123`, and a longer one than a number keeps as
    `1.23456789012346E+019`), and a size `3/4` as a date (`03/04/26`): a
    text column of each table holding such texts, and the labels beside the
    keys of rows naming them, come back as they were. Calc keeps 15
    digits of a number (`0.333333333333333`, `1.23456789012346E+018`): a
    float and a 64-bit whole number of more digits come back as they were
    too, not changed to the rounded number."""
    calc = Calc(tmp_path)
    refused = {}
    models = facts.tables_of(importlib.import_module(site.module))
    tables = [facts.identity(m) for m in models]
    assert _add_texts_read_as_values(site, models)
    long_numbers = add_long_numbers(site, models)
    assert bool(long_numbers) == (site.module == COLUMNS), long_numbers
    for exported_as in ("csv", "xlsx"):
        exports = []
        for table in tables:
            exported = site.client.get(f"/admin/{table}/export/{exported_as}")
            assert exported.status_code == 200, table
            exports.append(exported.content)
        infilter = CSV_IMPORT if exported_as == "csv" else None
        for saved_as, target in SAVED_AS.items():
            saved_files = calc.all(exports, exported_as, target, infilter)
            for table, saved in zip(tables, saved_files, strict=True):
                answer = site.client.post(
                    f"/admin/{table}/import",
                    files={"file": (f"{table}.{saved_as}", saved)},
                    headers={"Accept": "application/json"},
                )
                assert answer.status_code == 200, (table, answer.text[:300])
                found = answer.json()
                if found["errors"] or found["changed"] or found["new"]:
                    refused[(table, exported_as, saved_as)] = (
                        found["errors"][:2],
                        [row["changes"] for row in found["rows"][:2]],
                    )
    assert tables
    assert refused == {}


GERMAN = "de_DE.UTF-8"  # `;` between a CSV's cells, `12,5`, `24.12.26`, `WAHR`
CHRISTMAS = date(2026, 12, 24)
# a German spreadsheet's plain "CSV", as Excel on Windows saves one there:
# `;`, in the code page Windows-1252 (Calc's character set 1)
CODE_PAGE = "cp1252"
SAVED_IN_CODE_PAGE = "csv:Text - txt - csv (StarCalc):59,34,1"
LACKED = " Łü😀"  # `Ł` and the emoji have no byte in Windows-1252, `ü` has
TYPED_TEXT = "Grüße für 5 €"


def _text_column(model: type) -> Column | None:
    """A column of plain text (not a key, secret, choice, email or URL) long
    enough for `TYPED_TEXT`, or None."""
    texts = (c for c in facts.columns(model) if facts.takes_any_text(model, c))
    return next(texts, None)


def _typed_values(view, header: list, row: list, text: str | None) -> dict:  # type: ignore[no-untyped-def]
    """A value to type into each cell of `row` that holds a number with a
    fraction or a date, or is the text column `text`, by field (other than
    the cell holds)."""
    typed: dict[str, object] = {}
    for name, spec in view.field_specs.items():
        if name not in header or spec.column is None or spec.column.computed:
            continue
        held = row[header.index(name)].value
        if isinstance(held, datetime):  # as openpyxl reads a date
            held = held.date()
        if spec.kind in (Kind.DECIMAL, Kind.NUMBER) and not spec.integer:
            typed[name] = 2.5 if held != 2.5 else 1.25
        elif spec.kind is Kind.DATE:
            typed[name] = CHRISTMAS if held != CHRISTMAS else date(2027, 1, 1)
        elif name == text:
            typed[name] = TYPED_TEXT
    return typed


def _typed_in(  # type: ignore[no-untyped-def]
    view,
    exported: bytes,
    text: str | None,
    typed_formats: dict[type, str],
    shown_as: dict[bool, str] | None = None,
    **more: object,
) -> tuple[dict, bytes] | None:
    """The XLSX export `exported` with values typed into its first row
    (`_typed_values`, and `more`), a typed date or datetime formatted as
    `typed_formats` says a spreadsheet shows one typed, and every other date
    cell as `shown_as` says (by whether it has a time), if given: (the typed
    values, the workbook); None where nothing is typed."""
    book = load_workbook(io.BytesIO(exported))
    sheet = book.active
    if sheet.max_row < 2:
        return None
    header = [cell.value for cell in sheet[1]]
    typed = _typed_values(view, header, list(sheet[2]), text)
    typed.update({name: value for name, value in more.items() if name in header})
    if not typed:
        return None
    for row in sheet.iter_rows(min_row=2) if shown_as else ():
        for cell in row:
            if cell.is_date:
                cell.number_format = shown_as["h" in cell.number_format]
    for name, value in typed.items():
        cell = sheet.cell(2, header.index(name) + 1)
        cell.value = value
        if type(value) in typed_formats:
            cell.number_format = typed_formats[type(value)]
    edited = io.BytesIO()
    book.save(edited)
    return typed, edited.getvalue()


def _confirmed_as_typed(site, previews: list[tuple[type, dict, dict]]) -> dict:  # type: ignore[no-untyped-def]
    """Each preview, of a table's file with cells typed (`typed`), changes
    exactly those cells of one row (and what the database or an update
    stamps); confirmed, each is saved. Every file was written before any is
    confirmed (a file written after another table's import would name its
    rows by their new labels): a table's is confirmed after those of the
    tables naming its rows (a file's label beside a key then names a row
    the table still has, when a confirmation reads the cells again). The
    keys of the rows changed, by model."""
    keys = {}
    for model, typed, found in previews:
        table = facts.identity(model)
        assert (found["errors"], found["changed"]) == ([], 1), (table, found)
        (row,) = found["rows"]
        changes = row["changes"]
        assert {n: _same(changes[n][1], v) for n, v in typed.items()} == dict.fromkeys(
            typed, True
        ), (table, changes)
        made = {  # by the database, or stamped at an update
            facts.attr(c)
            for c in facts.columns(model)
            if c.onupdate is not None or c.computed is not None
        }
        assert changes.keys() - typed.keys() <= made, (table, changes)
        keys[model] = row["key"]
    order = {table: n for n, table in enumerate(SQLModel.metadata.sorted_tables)}
    last_named = sorted(previews, key=lambda p: order[p[0].__table__], reverse=True)
    for model, typed, found in last_named:
        table = facts.identity(model)
        confirmed = site.client.post(
            f"/admin/{table}/import/confirm", data={"token": found["token"]}
        )
        assert "changed, 0 added." in confirmed.text, table
        with site.session() as session:
            stored = facts.by_identifier(session, model)[keys[model]]
            assert all(_same(getattr(stored, n), v) for n, v in typed.items()), table
    return keys


# texts a spreadsheet reads as numbers or dates: a postcode, a long number,
# a size, a version
TEXTS_READ_AS_VALUES = ("00123", "12345678901234567890", "3/4", "1.50")


def _add_texts_read_as_values(site, models: list) -> list[type]:  # type: ignore[no-untyped-def]
    """The first rows' text column of each table (a label of rows other
    tables name, often) holds `TEXTS_READ_AS_VALUES`: the tables."""
    changed, count = [], len(TEXTS_READ_AS_VALUES)
    with site.session() as session:
        for model in models:
            column = _text_column(model)
            first = select(model).limit(count)
            rows = [] if column is None else session.scalars(first).unique()
            for row, text in zip(rows, TEXTS_READ_AS_VALUES, strict=False):
                setattr(row, facts.attr(column), text)
                changed.append(model)
        session.commit()
    return changed


# numbers of more significant digits than a spreadsheet keeps (15)
LONG_NUMBERS = {"float": (1 / 3, 0.1 + 0.2), "int": (1234567890123456789, 2**53 + 1)}


def add_long_numbers(site, models: list) -> dict[type, list[str]]:  # type: ignore[no-untyped-def]
    """The first rows' float and 64-bit whole-number columns of each table
    (but keys) hold `LONG_NUMBERS`: the columns, by table."""
    added: dict[type, list[str]] = {}
    with site.session() as session:
        for model in models:
            columns = [
                c
                for c in facts.columns(model)
                if not (c.primary_key or c.foreign_keys or c.computed)
                and (
                    facts.kind(model, c) == "float"
                    or isinstance(facts.base_type(c.type), BigInteger)
                )
            ]
            rows = session.scalars(select(model).limit(2)).unique().all()
            for column in columns if rows else ():
                numbers = LONG_NUMBERS[facts.kind(model, column)]
                for row, number in zip(rows, numbers, strict=False):
                    setattr(row, facts.attr(column), number)
                added.setdefault(model, []).append(facts.attr(column))
        session.commit()
    return added


def _add_lacked_characters(site, models: list) -> dict[type, Column]:  # type: ignore[no-untyped-def]
    """Every row's text column ends with `LACKED` (as the database holds
    text another program wrote), where it fits: the columns, by table."""
    marked = {}
    with site.session() as session:
        for model in models:
            column = _text_column(model)
            if column is None:
                continue
            held = func.coalesce(column, "")
            limit = facts.max_length(model, column)
            stmt = update(column.table).values({column: held + LACKED})
            if limit is not None:
                stmt = stmt.where(func.length(held) <= limit - len(LACKED))
            session.execute(stmt)
            marked[model] = column
        session.commit()
    return marked


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_every_tables_export_saved_by_a_german_calc_imports(site, tmp_path):
    """Calc in a German locale, as staff in much of Europe have it, saves a
    CSV as Excel there saves a plain "CSV": `;` between its cells, a decimal
    comma (`12,5`), a date day first (`24.12.26`, as a date typed into a cell
    shows), true as `WAHR`, in the code page Windows-1252, with `?` for each
    character it has no byte for. Every table's XLSX export saved so, its
    texts holding such characters, imports as "0 changed" in that encoding
    (its numbers were once each refused, "'12,5' is not a number", and the
    texts would have been overwritten with `?`), and is refused, naming the
    encoding to choose, as UTF-8. Numbers, dates and a text typed in the
    spreadsheet preview as exactly those changes and are saved; no text with
    characters the file could not hold is changed."""
    calc = Calc(tmp_path, GERMAN)
    views = {v.identity: v for v in site.app.state.admin.views}
    models = facts.tables_of(importlib.import_module(site.module))
    marked = _add_lacked_characters(site, models)
    refused, edited = {}, []
    exports = [
        site.client.get(f"/admin/{facts.identity(m)}/export/xlsx").content
        for m in models
    ]
    saved_files = calc.all(exports, "xlsx", SAVED_IN_CODE_PAGE)
    for model, exported, saved in zip(models, exports, saved_files, strict=True):
        table = facts.identity(model)
        if not saved.isascii():
            as_utf8 = site.client.post(
                f"/admin/{table}/import",
                files={"file": (f"{table}.csv", saved)},
                headers={"Accept": "application/json"},
            )
            assert as_utf8.status_code == 400, table
            assert "choose the encoding it was saved in" in as_utf8.json()["error"]
        found = _preview(site, table, saved, CODE_PAGE)
        if found["errors"] or found["changed"] or found["new"]:
            refused[table] = (found["errors"][:2], found["rows"][:2])
        text = facts.attr(marked[model]) if model in marked else None
        typed = _typed_in(views[table], exported, text, {date: "DD.MM.YY"})
        if typed is not None:
            edited.append((model, *typed))
    saved_files = calc.all(
        [data for _m, _t, data in edited], "xlsx", SAVED_IN_CODE_PAGE
    )
    previews = []
    for (model, typed, _data), saved in zip(edited, saved_files, strict=True):
        written = saved.decode(CODE_PAGE)
        typed_cell = r"(2,5|1,25|24\.12\.26|01\.01\.27|Grüße für 5 €)"
        assert re.search(rf"(^|;){typed_cell}(;|$)", written, re.M)
        found = _preview(site, facts.identity(model), saved, CODE_PAGE)
        previews.append((model, typed, found))
    typed_rows = _confirmed_as_typed(site, previews)
    assert refused == {}
    if site.module in (COLUMNS, LEGACY, TRACKER):  # the modules with such cells
        assert typed_rows
    assert marked
    with site.session() as session:  # the texts the file could not hold, kept
        for model, column in marked.items():
            texts = {
                key: getattr(obj, facts.attr(column))
                for key, obj in facts.by_identifier(session, model).items()
                if key != typed_rows.get(model)
            }
            assert all(t.endswith(LACKED) for t in texts.values() if t), texts


# Excel in the United States: a CSV's ISO dates opened there show as
# `12/24/2026`, its datetimes to the minute, and are saved as they show
US_DATE_FORMATS = {False: "m/d/yyyy", True: "m/d/yyyy h:mm"}
TYPED_IN_US = {date: "d-mmm-yy", datetime: "m/d/yyyy h:mm AM/PM"}  # as typed
SAVED_IN_UTF8 = "csv:Text - txt - csv (StarCalc):44,34,76"
NIGHT_BEFORE_CHRISTMAS = datetime(2026, 12, 24, 21, 30)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_every_tables_dates_as_excel_shows_them_in_the_us_import_month_first(
    site, tmp_path
):
    """Excel in the United States opens the CSV export's dates as dates and
    shows them as `12/24/2026`, its datetimes to the minute, `12/24/2026
    9:30`, and saves a CSV as it shows it. Every table's XLSX export with
    its date cells so formatted (as Excel shows the CSV's), a date typed
    (shown with its month's name, `24-Dec-26`, as Excel shows `24-Dec`
    typed), a datetime typed (on a 12-hour clock: `12/24/2026 9:30 PM`) and
    a number, saved by Calc as CSV: refused as it is, naming where to say
    which comes first (the United Kingdom writes `24/12/2026` in a CSV
    with `,` alike); read month first, exactly the typed cells change (the
    seconds the other cells no longer show are kept, not every row changed),
    and are saved."""
    calc = Calc(tmp_path)
    views = {v.identity: v for v in site.app.state.admin.views}
    models = facts.tables_of(importlib.import_module(site.module))
    edited = []
    for model in models:
        view = views[facts.identity(model)]
        moments = {
            name: NIGHT_BEFORE_CHRISTMAS
            for name, spec in view.field_specs.items()
            if spec.kind is Kind.DATETIME and spec.column.onupdate is None
        }
        exported = site.client.get(f"/admin/{view.identity}/export/xlsx").content
        typed = _typed_in(view, exported, None, TYPED_IN_US, US_DATE_FORMATS, **moments)
        if typed is not None:
            edited.append((model, *typed))
    saved_files = calc.all([data for _m, _t, data in edited], "xlsx", SAVED_IN_UTF8)
    previews, slashed = [], []
    for (model, typed, _data), saved in zip(edited, saved_files, strict=True):
        table, written = facts.identity(model), saved.decode()
        if re.search(r"(^|,)\d{1,2}/\d{1,2}/\d{4}", written, re.M):
            slashed.append(table)
            messages = [e["message"] for e in _preview(site, table, saved)["errors"]]
            assert any("(dates=day or dates=month)" in m for m in messages), table
        if any(isinstance(v, date) for v in typed.values()):
            typed_cell = r"(12/24/2026 9:30 PM|24-Dec-26|1-Jan-27)"
            assert re.search(rf"(^|,){typed_cell}(,|$)", written, re.M), table
        previews.append((model, typed, _preview(site, table, saved, dates="month")))
    changed = _confirmed_as_typed(site, previews)
    if site.module in (COLUMNS, LEGACY, TRACKER):  # the modules with such cells
        assert changed and slashed


def _same(value: object, typed: object) -> bool:
    """Whether a value (as JSON holds it, or as stored) is the one typed."""
    if isinstance(typed, str):
        return value == typed
    if isinstance(typed, datetime):  # stored or shown with its time zone, or not
        return str(value).replace("T", " ").startswith(str(typed))
    if isinstance(typed, date):
        return str(value) == typed.isoformat()
    return float(value) == typed  # type: ignore[arg-type]


def _preview(
    site, table: str, data: bytes, encoding: str = "", dates: str = "", name: str = ""
) -> dict:  # type: ignore[no-untyped-def]
    answer = site.client.post(
        f"/admin/{table}/import",
        files={"file": (name or f"{table}.csv", data)},
        data={"encoding": encoding, "dates": dates},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, (table, answer.text[:300])
    return answer.json()


@pytest.mark.parametrize(
    ("locale", "target", "grouped_cells", "ratio_read_so"),
    [
        (GERMAN, SAVED_AS["csv"], (b";1.234,50;", b";1.234;"), "1,234"),
        (None, SAVED_IN_UTF8, (b',"1,234.50",', b',"1,234",'), "1.234"),
    ],
    ids=["german", "english"],
)
def test_numbers_a_calc_groups_are_read_or_refused_as_two_numbers(
    columns_site, tmp_path, locale, target, grouped_cells, ratio_read_so
):
    """Calc writes a number formatted with a thousands separator as
    `1.234,50` in German and `1,234.50` in English, read as 1234.5; `1.234`
    (`1,234`) is 1234 so formatted, and 1.234 kept as text (or written with
    a decimal comma): in a column with fractions it is refused, naming both,
    and nothing is written. Written without the separator, it is read."""
    site = columns_site
    calc = Calc(tmp_path, locale)
    exported = site.client.get("/admin/zoo-sample/export/xlsx?sortBy=id").content

    def saved(ratio_format: str) -> bytes:
        book = load_workbook(io.BytesIO(exported))
        sheet = book.active
        header = [cell.value for cell in sheet[1]]
        price = sheet.cell(2, header.index("price") + 1)
        price.value, price.number_format = 1234.5, "#,##0.00"
        ratio = sheet.cell(2, header.index("ratio") + 1)
        ratio.value, ratio.number_format = 1234, ratio_format
        edited = io.BytesIO()
        book.save(edited)
        return calc(edited.getvalue(), "xlsx", target)

    with site.session() as session:
        before = facts.snapshot(session, ZooSample)
    grouped = saved("#,##0")
    assert all(cell in grouped for cell in grouped_cells), grouped
    found = _preview(site, "zoo-sample", grouped)
    separator = "point" if locale == GERMAN else "comma"
    as_written = grouped_cells[1].strip(b';,"').decode()
    assert found["errors"] == [
        {
            "row": 2,
            "column": "ratio",
            "message": f"{as_written!r} may be 1234 (its thousands separated by a "
            f"{separator}) or a number with a fraction: write 1234, or "
            f"{ratio_read_so} for the fraction.",
        }
    ]
    assert found["token"] is None
    found = _preview(site, "zoo-sample", saved("0"))
    assert found["errors"] == [] and found["changed"] == 1
    (row,) = found["rows"]
    assert {n: float(row["changes"][n][1]) for n in ("price", "ratio")} == {
        "price": 1234.5,
        "ratio": 1234.0,
    }
    with site.session() as session:
        assert facts.snapshot(session, ZooSample) == before  # a preview writes nothing


# texts Calc reads as a date, a time, a number or a flag on opening a CSV,
# and saves as it shows what it read (`03/04/26`, `12:30:00 PM`, `1.5`)
VALUE_TEXTS = (
    "3/4",
    "MAR-5",
    "1/2/2026",
    "Mar 2026",
    "12:30",
    "9:30 PM",
    "1e5",
    "1.50",
    "50%",
    "$5",
    "(5)",
    "1,234",
    "3.14159265358979323",
    "+5",
    ".5",
    "15-Jan-2026",
    "3:04:05",
    "true",
)


def test_texts_calc_reads_as_values_come_back_unchanged(columns_site, tmp_path):
    """A text column holding texts a spreadsheet reads as values: the CSV
    export opened by Calc (special numbers detected) and saved as a CSV and
    as XLSX, and by Calc in German as a `;` CSV (`1,00E+05`, `15.01.26`),
    each text then a date, time, number or flag as Calc shows or stores it,
    imports as "0 changed"; a cell showing another day than its row's text
    is a change."""
    site, calc = columns_site, Calc(tmp_path)
    with site.session() as session:
        session.add_all(ZooSample(notes=text) for text in VALUE_TEXTS)
        session.commit()
    table = facts.identity(ZooSample)
    exported = site.client.get(f"/admin/{table}/export/csv").content
    (saved,) = calc.all([exported], "csv", SAVED_AS["csv"], CSV_IMPORT)
    (workbook,) = calc.all([exported], "csv", "xlsx", CSV_IMPORT)
    german = Calc(tmp_path / "german", GERMAN)
    (in_german,) = german.all([exported], "csv", SAVED_AS["csv"], CSV_IMPORT)
    rows = list(csv.DictReader(io.StringIO(saved.decode()), delimiter=";"))
    as_saved = {row["notes"] for row in rows} - set(VALUE_TEXTS)
    assert {"03/04/26", "12:30:00 PM", "1.5", "50.00%", "-5", "TRUE"} <= as_saved
    assert all(text in in_german.decode() for text in (";1,00E+05;", ";15.01.26;"))
    # the cells the preview lists as read as their rows' texts: each text
    # Calc showed otherwise, in its row (XLSX: as the cell it stored)
    texts = {
        r["id"]: r["notes"] for r in csv.DictReader(io.StringIO(exported.decode()))
    }
    rewritten = {
        row["id"]: row["notes"] for row in rows if row["notes"] != texts[row["id"]]
    }
    assert set(rewritten.values()) <= as_saved
    number = {row["id"]: n for n, row in enumerate(rows, 2)}  # as the preview says
    clock = next(i for i, text in texts.items() if text == "12:30")  # a time to all
    for name, data in (("t.csv", saved), ("t.xlsx", workbook), ("de.csv", in_german)):
        found = _preview(site, table, data, name=name)
        assert (found["errors"], found["changed"]) == ([], 0), found["rows"][:3]
        assert found["unchanged"] == len(rows)
        held = {(c["row"], c["column"], c["held"]) for c in found["held"]}
        expected = {(number[i], "notes", texts[i]) for i in rewritten}
        # (not every one elsewhere: the XLSX's flag cell reads as `true` again)
        assert (number[clock], "notes", "12:30") in held <= expected, name
        if name == "t.csv":  # each cell, as Calc wrote it
            assert held == expected
            assert {c["cell"] for c in found["held"]} == set(rewritten.values())
    page = site.client.post(f"/admin/{table}/import", files={"file": ("t.csv", saved)})
    assert f"{len(rewritten)} cells are read as the value the row holds" in page.text
    assert "<td>notes</td><td>03/04/26</td><td>3/4</td>" in page.text
    row = next(row for row in rows if row["notes"] == "03/04/26")
    row["notes"] = "03/05/26"
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    found = _preview(site, table, out.getvalue().encode())
    assert [r["changes"] for r in found["rows"]] == [{"notes": ["3/4", "03/05/26"]}]


# number formats staff give a column: money (a negative amount in
# parentheses, as accounting shows it), whole money, a percentage
MONEY = '"$"#,##0.00##;("$"#,##0.00##)'
WHOLE_MONEY = '"$"#,##0;("$"#,##0)'
PERCENT = "0.00##%"


# how Calc in a locale shows money (`MONEY`) and a percentage: the CSV it
# saves (`,` or `;` between cells), and a negative amount and 0.25 in it
FORMATTED_IN = {
    "english": (None, SAVED_IN_UTF8, ("($1,234.50)", "25.00%")),
    "german": (GERMAN, SAVED_AS["csv"], ("($1.234,50)", "25,00%")),
    # a no-break space between thousands, as in Poland, Russia, Scandinavia
    "french": ("fr_FR.UTF-8", SAVED_AS["csv"], ("($1\u00a0234,50)", "25,00%")),
    "swiss": ("de_CH.UTF-8", SAVED_AS["csv"], ("($1'234.50)", "25.00%")),
    "indian": ("en_IN.UTF-8", SAVED_IN_UTF8, ("($1,234.50)", "25.00%")),
}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_numbers_formatted_as_money_or_percentages_import_unchanged(site, tmp_path):
    """Each number column of every table's XLSX export formatted as money
    or as a percentage, saved as a CSV by Calc in English and German (the
    every-type table in French, Swiss and Indian English too), which write
    each number as they show it (`($1,234.50)`, `25.00%`; `($1.234,50)`,
    `25,00%`; `1 234,50`; `1'234.50`; `12,34,567`): read as the numbers
    shown, every table imports as "0 changed", nothing refused."""
    views = {v.identity: v for v in site.app.state.admin.views}
    if site.module == COLUMNS:  # an amount in accounting's parentheses, a lakh
        with site.session() as session:
            first = select(func.min(ZooSample.id)).scalar_subquery()
            row = update(ZooSample).where(ZooSample.id == first)
            session.execute(row.values(price=Decimal("-1234.5"), sightings=1234567))
            session.commit()
    workbooks = {}
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        exported = site.client.get(f"/admin/{table}/export/xlsx").content
        edited = _formatted_as_money(views[table], exported)
        if edited is not None:
            workbooks[table] = edited
    if site.module in (COLUMNS, LEGACY, TRACKER, HEROES):  # with number columns
        assert workbooks
    # each table in two locales; every kind of number in every locale
    names = list(FORMATTED_IN) if site.module == COLUMNS else ["english", "german"]
    for name in names:
        locale, target, shown = FORMATTED_IN[name]
        calc = Calc(tmp_path / name, locale)
        saved_files = calc.all(list(workbooks.values()), "xlsx", target)
        written = b"".join(saved_files).decode()
        if site.module == COLUMNS:  # every kind of number and format
            assert all(mark in written for mark in shown), (name, written)
            assert name != "indian" or "$12,34,567" in written, written
        for table, saved in zip(workbooks, saved_files, strict=True):
            found = _preview(site, table, saved)
            assert (found["errors"], found["changed"]) == ([], 0), (name, found)


def _formatted_as_money(view, exported: bytes) -> bytes | None:  # type: ignore[no-untyped-def]
    """The XLSX export `exported` with each cell of its number columns (but
    keys) formatted as money (`MONEY`, whole: `WHOLE_MONEY`) or, a float's,
    as a percentage; None where it has no such column."""
    book = load_workbook(io.BytesIO(exported))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    found = False
    for name, spec in view.field_specs.items():
        column = spec.column
        if (
            name not in header
            or spec.kind not in (Kind.DECIMAL, Kind.NUMBER)
            or column is None
            or column.primary_key
            or column.foreign_keys
        ):
            continue
        if spec.kind is Kind.DECIMAL:
            number_format = MONEY
        else:
            number_format = WHOLE_MONEY if spec.integer else PERCENT
        position = header.index(name) + 1
        for (cell,) in sheet.iter_rows(min_row=2, min_col=position, max_col=position):
            if type(cell.value) in (int, float):
                cell.number_format, found = number_format, True
    if not found:
        return None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# keys people type that a spreadsheet reads as a value: a size, a version, a
# time, a percentage, an amount in parentheses, a flag
KEYS_READ_AS_VALUES = ("3/4", "1.50", "12:30", "50%", "(5)", "true")


def test_text_keys_a_spreadsheet_read_as_values_find_their_rows(columns_site, tmp_path):
    """A text key Calc read as a date, a time, a number or a flag (`3/4` saved
    as `03/04/26`) finds the row whose key it stands for, in a CSV and an
    XLSX Calc saved, and is listed as read as the row's own; so does such a
    label alone (a shelf named `3/4`). Each was once no row's key: previewed
    as a new row, whose confirmation would have added a copy of the row
    under the key as Calc wrote it, or a label refused."""
    site, calc = columns_site, Calc(tmp_path)
    with site.session() as session:
        shelf = ZooShelf(name="3/4")
        session.add(shelf)
        session.flush()
        for key in KEYS_READ_AS_VALUES:
            session.add(ZooCode(code=key, title=f"t {key}", shelf_id=shelf.id))
        session.commit()
    table = facts.identity(ZooCode)
    exported = site.client.get(f"/admin/{table}/export/csv").content
    rows = list(csv.DictReader(io.StringIO(exported.decode())))
    (saved,) = calc.all([exported], "csv", SAVED_AS["csv"], CSV_IMPORT)
    (workbook,) = calc.all([exported], "csv", "xlsx", CSV_IMPORT)
    written = {
        r["title"]: r["code"]
        for r in csv.DictReader(io.StringIO(saved.decode()), delimiter=";")
    }
    assert written["t 3/4"] == "03/04/26" and written["t 12:30"] == "12:30:00 PM"
    number = {row["code"]: n for n, row in enumerate(rows, 2)}
    for name, data in (("t.csv", saved), ("t.xlsx", workbook)):
        found = _preview(site, table, data, name=name)
        assert (found["errors"], found["new"], found["changed"]) == ([], 0, 0), name
        held = {(c["row"], c["held"]) for c in found["held"] if c["column"] == "code"}
        # (a workbook's flag cell reads as `true` again: the key as it is)
        again = {"true"} if name == "t.xlsx" else set()
        keys = set(KEYS_READ_AS_VALUES) - again
        assert held == {(number[key], key) for key in keys}, name
    # the key cells alone, with the shelf by its label alone
    only = [
        {"code": written[f"t {key}"], "shelf": "03/04/26"}
        for key in KEYS_READ_AS_VALUES
    ]
    found = _preview(site, table, _csv_of(only))
    assert (found["errors"], found["new"], found["changed"]) == ([], 0, 0)
    # a cell two rows' keys may stand for (`3/4` and `4/3`) is refused, naming both
    with site.session() as session:
        session.add(ZooCode(code="4/3", title="t 4/3", shelf_id=shelf.id))
        session.commit()
    found = _preview(site, table, _csv_of([{"code": "03/04/26"}]))
    (error,) = found["errors"]
    assert "Rows with the keys '3/4' and '4/3'" in error["message"], error
    assert "a date, a time, a number or a flag" in error["message"]
    # a day no row's key stands for is a new row's key
    new = {"code": "03/05/26", "title": "New", "shelf_id": str(shelf.id)}
    found = _preview(site, table, _csv_of([new]))
    assert (found["errors"], found["new"]) == ([], 1)


def _csv_of(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
