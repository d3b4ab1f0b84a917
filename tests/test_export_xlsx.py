"""The XLSX export: the CSV's rows and columns as a workbook, read back as a
spreadsheet user sees it (openpyxl, and LibreOffice Calc): numbers are
numbers, dates are dates, formulas stay text, and an export a workbook cannot
hold whole is refused, never cut short."""

import csv
import importlib
import io
import os
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from urllib.parse import quote

import httpx2 as httpx
import openpyxl
import pytest
from openpyxl.utils.escape import unescape
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.listing import xlsx
from admin_app.listing.cells import safe_text
from admin_app.site.views import AdminView
from admin_app.writing.audit import AuditEntry
from models import Project, Task
from tests.cell_models import Mood, Size, Specimen
from tests.conftest import add_staff, login
from tests.libreoffice import Calc
from tests.live import live_server
from tests.pages import text
from tests.test_export import (  # noqa: F401  (fixtures)
    DISGUISED,
    PLUS_TWO,
    add_specimens,
    curator,
    export,
    fill_tasks,
    plain_specimen,
    set_session_time_zone,
    specimens,
)
from tests.test_filters import tracker  # noqa: F401  (a fixture)
from tests.zoo import facts
from tests.zoo.conftest import ZOO, Site, serve

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHIPPED = ["task", "project", "worker", "tag", "task-assignment"]
QUERIES = [
    "",
    "status=in_progress&sortBy=progress&sort=desc",
    "priority=urgent&due_date__isnull=false&sortBy=due_date",
    "search=csv&sortBy=title",
    "overdue=yes",
    "tags=1&assignee_id__isnull=true",
]


def workbook(client, identity: str, query: str = "") -> openpyxl.Workbook:
    response = client.get(f"/admin/{identity}/export/xlsx?{query}")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == MEDIA_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.content))


def sheet_of(client, identity: str, query: str = "") -> tuple[list[str], list[list]]:
    """The header and the rows (openpyxl cells) of the export's one sheet."""
    (sheet,) = workbook(client, identity, query).worksheets
    rows = [list(row) for row in sheet.iter_rows()]
    return [cell.value for cell in rows[0]], rows[1:]


def by_header(header: list[str], row: list) -> dict:
    return dict(zip(header, row, strict=True))


def shown(cell) -> object:
    """A cell's value as a spreadsheet reads it: text with the control
    characters the file escapes (`_x000D_`) unescaped, as Excel and Calc do."""
    return unescape(cell.value) if isinstance(cell.value, str) else cell.value


def matches(text: str, cell) -> bool:
    """Whether a typed cell shows what the CSV's text says. Datetimes to the
    millisecond, a spreadsheet's precision."""
    value = shown(cell)
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    if isinstance(value, int | float):
        return text != "" and Decimal(text) == Decimal(repr(value))
    if isinstance(value, datetime):
        if cell.number_format == xlsx.DATE_FORMAT:
            return text == value.date().isoformat()
        if cell.number_format == xlsx.UTC_DATETIME_FORMAT:
            if not text.endswith("+00:00"):
                return False
            text = text.removesuffix("+00:00")
        elif cell.number_format != xlsx.DATETIME_FORMAT:
            return False
        return abs(datetime.fromisoformat(text) - value) <= timedelta(milliseconds=1)
    return text == value


def assert_same_as_csv(client, identity: str, query: str = "") -> int:
    """The XLSX export of `query` holds the CSV's header, and its rows in its
    order, cell for cell; the number of rows."""
    csv_header, csv_rows, _raw = export(client, identity, query)
    header, rows = sheet_of(client, identity, query)
    assert header == csv_header
    assert len(rows) == len(csv_rows)
    for number, (texts, cells) in enumerate(zip(csv_rows, rows, strict=True), 1):
        different = {
            name: (text, cell.value)
            for name, text, cell in zip(header, texts, cells, strict=True)
            if not matches(text, cell)
        }
        assert not different, f"{identity}?{query} row {number}: {different}"
    return len(rows)


@pytest.mark.parametrize("query", QUERIES)
def test_the_workbook_is_the_csv_row_for_row(client, tracker, query):  # noqa: F811
    assert assert_same_as_csv(client, "task", query) > 0


def test_every_shipped_table_and_a_selection_is_the_csv(client, tracker):  # noqa: F811
    for identity in SHIPPED:
        assert assert_same_as_csv(client, identity) > 0, identity
    picked = [str(task.id) for task in tracker["tasks"][3:9:2]]
    query = "pks=" + ",".join(picked)
    assert assert_same_as_csv(client, "task", query) == 3
    header, rows = sheet_of(client, "task", query)
    assert sorted(str(row[header.index("id")].value) for row in rows) == sorted(picked)


def test_cells_are_typed_and_the_header_is_bold_and_frozen(client, db):
    project = Project(name="Apollo")
    db.add(project)
    db.commit()
    db.add(
        Task(
            title="=SUM(A1:A9)",
            project_id=project.id,
            progress=40,
            due_date=date(2026, 5, 6),
            created_at=datetime(2026, 1, 2, 3, 4, 5),
            description='He said "hi",\nthen left',
        )
    )
    db.commit()
    book = workbook(client, "task")
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    header = [cell.value for cell in sheet[1]]
    row = by_header(header, list(sheet[2]))
    assert row["title"].value == "'=SUM(A1:A9)"  # escaped as in the CSV
    assert row["title"].data_type == "s"  # text, never a formula
    assert (row["progress"].value, row["progress"].data_type) == (40, "n")
    assert row["due_date"].value == datetime(2026, 5, 6)
    assert row["due_date"].is_date and row["due_date"].number_format == "yyyy-mm-dd"
    assert row["created_at"].value == datetime(2026, 1, 2, 3, 4, 5)
    assert row["created_at"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert (row["project_id"].value, row["project"].value) == (project.id, "Apollo")
    assert row["description"].value == 'He said "hi",\nthen left'
    assert row["assignee_id"].value is None and row["assignee"].value is None


def test_every_column_type_is_a_cell_of_its_kind(specimens, curator, backend):  # noqa: F811
    if backend == "postgresql":  # UTC is written whatever the session's zone
        set_session_time_zone(specimens, "Asia/Kolkata")
    full, other, huge, empty = add_specimens(
        specimens,
        # A spreadsheet keeps milliseconds: the microseconds would not come back.
        plain_specimen(aware_at=datetime(2026, 12, 1, 20, 37, 50, 298000, tzinfo=UTC)),
        Specimen(
            label="-5",
            flag=False,
            naive_at=datetime(999, 1, 2, 3, 4, 5, 6),
            aware_at=datetime(1899, 12, 31, 23, 0, tzinfo=UTC),
            day=date(999, 1, 2),
            data=7,
        ),
        # More digits than a spreadsheet keeps: the CSV's exact text instead.
        Specimen(label="huge", data=12345678901234567, price=Decimal("1234567.1")),
        Specimen(label=""),
    )
    header, rows = sheet_of(curator, "specimen")
    cells = {row[header.index("id")].value: by_header(header, row) for row in rows}
    first = {name: cell.value for name, cell in cells[full].items()}
    assert first == {
        "id": full,
        "label": "plain",
        "count": -5,
        "ratio": 0.5,
        "price": 0.0000001,
        "flag": True,
        "naive_at": datetime(2026, 12, 1, 20, 37, 50),
        "aware_at": datetime(2026, 12, 1, 20, 37, 50, 298000),
        "sqlmodel_at": datetime(2026, 12, 1, 20, 37, 50),  # in UTC
        "day": datetime(2026, 12, 1),
        "clock": "20:37:50",  # the CSV's text
        "size": 2,  # an IntEnum by its value
        "mood": "'=loud",
        "data": '{"name":"é","list":[1,2.5,null,true]}',
        "blob": "\\x00ff",
    }
    kinds = {name: cell.data_type for name, cell in cells[full].items()}
    assert kinds["count"] == kinds["ratio"] == kinds["price"] == kinds["size"] == "n"
    assert kinds["flag"] == "b" and kinds["naive_at"] == kinds["day"] == "d"
    formats = {name: cell.number_format for name, cell in cells[full].items()}
    assert formats["aware_at"] == formats["sqlmodel_at"] == 'yyyy-mm-dd hh:mm:ss "UTC"'
    assert formats["naive_at"] == "yyyy-mm-dd hh:mm:ss"
    second = {name: cell.value for name, cell in cells[other].items()}
    assert second["flag"] is False
    # Before 1900 a spreadsheet has no dates: the CSV's text, not a wrong date.
    assert second["naive_at"] == "0999-01-02T03:04:05.000006"
    assert second["aware_at"] == "1899-12-31T23:00:00+00:00"
    assert second["day"] == "0999-01-02"
    assert second["data"] == 7  # a JSON number is a number
    assert cells[huge]["data"].value == "12345678901234567"
    assert cells[huge]["price"].value == 1234567.1  # 8 significant digits
    # None is an empty cell; an empty text is kept as one.
    assert {n: c.value for n, c in cells[empty].items() if n != "id"} == {
        name: "" if name == "label" else None for name in header if name != "id"
    }


@pytest.mark.parametrize("backend", ["sqlite"])  # any text in any column
def test_odd_values_other_programs_wrote_in_sqlite_are_the_csvs_text(
    specimens,  # noqa: F811
    curator,  # noqa: F811
):
    add_specimens(
        specimens,
        Specimen(label="odd", naive_at=datetime(2026, 1, 2), clock=time_of_day(1)),
        Specimen(label="plain", naive_at=datetime(2026, 1, 2), day=date(2026, 1, 2)),
    )
    with specimens.state.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE cells_specimen SET naive_at = 'yesterday', day = '=1+1', "
            "clock = 'noon', blob = 'text' WHERE label = 'odd'"
        )
        connection.exec_driver_sql(
            "UPDATE cells_specimen SET naive_at = '2026-01-02T03:04:05.500', "
            "day = '2026-05-06 00:00:00' WHERE label = 'plain'"
        )
    assert assert_same_as_csv(curator, "specimen", "sortBy=label") == 2
    header, rows = sheet_of(curator, "specimen", "sortBy=label")
    odd, plain = (by_header(header, row) for row in rows)
    assert [odd[name].value for name in ("naive_at", "day", "clock")] == [
        "yesterday",
        "'=1+1",
        "noon",
    ]
    assert plain["naive_at"].value == datetime(2026, 1, 2, 3, 4, 5, 500000)
    assert plain["day"].value == datetime(2026, 5, 6)


def test_values_a_cell_cannot_hold_exactly_are_the_csvs_text():
    assert xlsx.value_cell(10**15 - 1) == 10**15 - 1
    assert xlsx.value_cell(-(10**15)) == "-1000000000000000"
    assert xlsx.value_cell(Decimal("0.123456789012345")) == 0.123456789012345
    assert xlsx.value_cell(Decimal("0.1234567890123456")) == "0.1234567890123456"
    assert xlsx.value_cell(float("inf")) == "inf"
    assert xlsx.value_cell(Decimal("NaN")) == "NaN"
    assert xlsx.value_cell(timedelta(days=-1)) == "-24:00:00"  # as csv
    assert xlsx.value_cell(date(1899, 12, 31)) == "1899-12-31"
    assert xlsx.value_cell(date(1900, 1, 1)) == date(1900, 1, 1)
    assert xlsx.value_cell(Size.small) == 1 and xlsx.value_cell(Mood.loud) == "'=loud"


def test_formula_like_text_is_escaped_as_in_the_csv(specimens, curator):  # noqa: F811
    add_specimens(specimens, *[Specimen(label=label) for label in DISGUISED])
    header, rows = sheet_of(curator, "specimen")
    labels = [row[header.index("label")] for row in rows]
    assert sorted(shown(cell) for cell in labels) == sorted(
        safe_text(label) for label in DISGUISED
    )
    assert {cell.data_type for cell in labels} == {"s"}  # not one formula
    assert all(cell.value.startswith("'") for cell in labels)


def test_secrets_are_never_in_the_workbook(client):
    response = client.get("/admin/staff-user/export/xlsx")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as book:
        xml = "".join(book.read(name).decode() for name in book.namelist())
    assert "admin" in xml  # the username is there
    assert "argon2" not in xml and "password" not in xml


def test_the_download_is_named_and_the_export_audited(client, db):
    db.add(Task(title="T"))
    db.commit()
    response = client.get("/admin/task/export/xlsx?status=todo")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="task-')
    assert disposition.endswith('.xlsx"')
    assert response.headers["x-row-count"] == "1"
    assert int(response.headers["content-length"]) == len(response.content)
    (entry,) = db.exec(select(AuditEntry)).all()
    assert (entry.action, entry.table, entry.summary) == (
        "export",
        "task",
        "Exported 1 Task as XLSX",
    )
    assert '"format": "xlsx"' in entry.changes and "status=todo" in entry.changes


def test_a_head_sends_the_headers_only_and_is_not_audited(client, db):
    db.add(Task(title="T"))
    db.commit()
    response = client.head("/admin/task/export/xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.headers["content-disposition"].endswith('.xlsx"')
    assert response.content == b""
    assert db.exec(select(AuditEntry)).all() == []


def test_the_export_needs_the_export_grant(app, db):
    db.add(Task(title="T"))
    db.commit()
    for name, grants in (("viewer", ["view"]), ("exporter", ["view", "export"])):
        add_staff(app, name, grants={"task": grants})
    with TestClient(app) as viewer:
        login(viewer, "viewer")
        assert viewer.get("/admin/task/export/xlsx").status_code == 403
        assert 'id="export-xlsx"' not in viewer.get("/admin/task/list").text
    with TestClient(app) as exporter:
        login(exporter, "exporter")
        assert 'id="export-xlsx"' in exporter.get("/admin/task/list").text
        assert "export/xlsx" in exporter.get("/admin/").text
        response = exporter.get("/admin/task/export/xlsx")
        assert response.status_code == 200
        assert openpyxl.load_workbook(io.BytesIO(response.content)).active.max_row == 2


def test_a_view_may_offer_the_csv_only(client, monkeypatch):
    monkeypatch.setattr(AdminView, "export_types", ["csv"])
    assert 'id="export-csv"' in client.get("/admin/task/list").text
    assert 'id="export-xlsx"' not in client.get("/admin/task/list").text
    assert "export/xlsx" not in client.get("/admin/").text
    assert client.get("/admin/task/export/xlsx").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}],
    ids=["sec-fetch-site", "origin"],
)
def test_a_cross_site_export_is_refused_and_not_audited(client, db, headers):
    db.add(Task(title="T"))
    db.commit()
    response = client.get("/admin/task/export/xlsx", headers=headers)
    assert response.status_code == 403
    assert db.exec(select(AuditEntry)).all() == []


@pytest.fixture
def temp_dir(tmp_path, monkeypatch) -> Iterator[str]:
    """Where the workbooks are written; the tests check that none is left."""
    folder = tmp_path / "workbooks"
    folder.mkdir()
    monkeypatch.setattr(xlsx, "TEMP_DIR", str(folder))
    yield str(folder)


def test_more_rows_than_a_sheet_holds_are_refused_not_cut(
    client, db, temp_dir, monkeypatch
):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 6)  # a header and five rows
    db.add_all([Task(title=f"T{n}") for n in range(6)])
    db.commit()
    response = client.get("/admin/task/export/xlsx")
    assert response.status_code == 400
    assert "6 rows do not fit" in response.text and "CSV" in response.text
    assert db.exec(select(AuditEntry)).all() == []
    # Five rows fit, header included.
    first = db.exec(select(Task.id).order_by(Task.id)).all()[:5]
    query = "pks=" + ",".join(str(key) for key in first)
    assert len(sheet_of(client, "task", query)[1]) == 5
    # Rows added after the count are caught while writing, not left out.
    monkeypatch.setattr(
        "admin_app.site.exports.ExportRoutes._count_export", lambda self, query: 0
    )
    response = client.get("/admin/task/export/xlsx")
    assert response.status_code == 400 and "do not fit" in response.text
    assert os.listdir(temp_dir) == []


def test_a_text_longer_than_a_cell_refuses_the_export(
    specimens,  # noqa: F811
    curator,  # noqa: F811
    temp_dir,
):
    # Text of any length, in a JSON column (the CSV's text of it, quoted).
    short, long = add_specimens(
        specimens, Specimen(label="short"), Specimen(label="long", data="x" * 40_000)
    )
    response = curator.get(f"/admin/specimen/export/xlsx?pks={short},{long}")
    assert response.status_code == 400
    message = text(response.text)
    assert "has 40,002 characters in data" in message
    assert "at most 32,767" in message and "CSV" in message
    with Session(specimens.state.engine) as session:
        assert session.exec(select(AuditEntry)).all() == []
    assert os.listdir(temp_dir) == []
    # A text that fits is written whole.
    (fits,) = add_specimens(specimens, Specimen(label="fits", data="y" * 32_765))
    header, rows = sheet_of(curator, "specimen", f"pks={fits}")
    assert by_header(header, rows[0])["data"].value == '"' + "y" * 32_765 + '"'
    assert os.listdir(temp_dir) == []


def peak_memory_of_export(base: str, cookies) -> int:
    import tracemalloc

    tracemalloc.start()
    tracemalloc.reset_peak()
    received = 0
    with (
        httpx.Client(base_url=base, cookies=cookies, timeout=300) as browser,
        browser.stream("GET", "/admin/task/export/xlsx") as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            received += len(chunk)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert received > 0
    return peak


def test_memory_stays_flat_from_2k_to_20k_rows(app, superuser, temp_dir, monkeypatch):
    # Batches smaller than both exports, as 5,000-row batches are smaller
    # than the exports users make: the test then runs in a few seconds.
    monkeypatch.setattr(xlsx, "BATCH", 500)
    with live_server(app) as base:
        with httpx.Client(base_url=base) as browser:
            login(browser, "admin")
            cookies = browser.cookies
        fill_tasks(app.state.engine, 2_000)
        small = peak_memory_of_export(base, cookies)
        fill_tasks(app.state.engine, 18_000)
        large = peak_memory_of_export(base, cookies)
    # Ten times the rows may not take much more memory: the workbook is
    # written row by row to disk and sent in chunks.
    assert large < small * 1.5 + 2_000_000, (small, large)
    assert os.listdir(temp_dir) == []


def test_a_client_that_leaves_stops_the_writing_and_its_file(
    app, superuser, temp_dir, monkeypatch
):
    fill_tasks(app.state.engine, 3_000)
    monkeypatch.setattr(xlsx, "BATCH", 100)
    monkeypatch.setattr("admin_app.site.exports.DISCONNECT_POLL_SECONDS", 0.05)
    written: list[int] = []
    write_row = xlsx.XlsxExport._write_row

    def slow_row(self, sheet, number, *args) -> None:  # a large, slow export
        time.sleep(0.002)
        written.append(number)
        write_row(self, sheet, number, *args)

    monkeypatch.setattr(xlsx.XlsxExport, "_write_row", slow_row)
    pool = app.state.engine.pool
    with live_server(app) as base, httpx.Client(base_url=base) as browser:
        login(browser, "admin")
        with pytest.raises(httpx.ReadTimeout):  # then the client hangs up
            browser.get("/admin/task/export/xlsx", timeout=0.5)
        deadline = time.monotonic() + 10
        while (pool.checkedout() or os.listdir(temp_dir)) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert pool.checkedout() == 0 and os.listdir(temp_dir) == []
        assert 0 < len(written) < 3_000  # stopped, not written to the end
    with Session(app.state.engine) as session:
        assert session.exec(select(AuditEntry)).all() == []


# LibreOffice Calc opens the workbook and reads the same values.


@pytest.fixture(scope="session")
def calc_to_csv(tmp_path_factory: pytest.TempPathFactory):
    """Convert an xlsx to CSV with LibreOffice Calc; the CSV's rows."""
    calc = Calc(tmp_path_factory.mktemp("libreoffice-xlsx-home"))

    def convert(data: bytes) -> list[list[str]]:
        # comma, double quote, UTF-8: the cells as Calc shows them
        text = calc(data, "xlsx", "csv:Text - txt - csv (StarCalc):44,34,76")
        return list(csv.reader(io.StringIO(text.decode("utf-8"))))

    return convert


def test_libreoffice_opens_the_workbook_and_reads_the_same_values(
    client, db, calc_to_csv
):
    project = Project(name="+Launch")
    db.add(project)
    db.commit()
    db.add_all(
        [
            Task(
                title="=1+1",
                project_id=project.id,
                progress=40,
                due_date=date(2026, 5, 6),
                created_at=datetime(2026, 1, 2, 3, 4, 5),
            ),
            Task(title="plain", progress=0, created_at=datetime(2026, 1, 2)),
        ]
    )
    db.commit()
    csv_header, csv_rows, _raw = export(client, "task", "sortBy=id")
    response = client.get("/admin/task/export/xlsx?sortBy=id")
    calc = calc_to_csv(response.content)
    assert calc[0] == csv_header
    shown = [by_header(calc[0], row) for row in calc[1:]]
    expected = [by_header(csv_header, row) for row in csv_rows]
    assert len(shown) == len(expected) == 2
    for seen, cells in zip(shown, expected, strict=True):
        # Datetimes as the number format shows them: a space for the `T`.
        assert seen == {name: value.replace("T", " ") for name, value in cells.items()}
    assert shown[0]["title"] == "'=1+1"  # text, not the formula's 2
    assert shown[0]["project"] == "'+Launch"
    assert shown[0]["progress"] == "40" and shown[0]["due_date"] == "2026-05-06"


# Every table of every zoo module (other people's models), as the CSV has it.


@pytest.fixture(params=ZOO, ids=lambda module: module.rsplit(".", 1)[1])
def zoo_site(request, empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, request.param)


def pks_of(site: Site, model: type, count: int) -> str:
    """`pks=` naming the first `count` rows of `model`."""
    with site.session() as session:
        keys = [facts.identifier(obj) for obj in facts.rows(session, model)[:count]]
    escaped = [key.replace("%", "%25").replace(",", "%2C") for key in keys]
    return "pks=" + quote(",".join(escaped), safe=",")


def test_every_zoo_table_exports_the_csvs_rows_and_columns(zoo_site):
    module = importlib.import_module(zoo_site.module)
    client = zoo_site.client
    admin = zoo_site.app.state.admin
    for model in facts.tables_of(module):
        identity = facts.identity(model)
        view = next(v for v in admin.views if v.identity == identity)
        total = assert_same_as_csv(client, identity)
        assert total > 0, f"{identity} is not seeded: the test would prove nothing"
        for column in view._sort_fields[-2:]:  # the columns its list sorts by
            sort = f"sortBy={column}&sort=desc"
            assert assert_same_as_csv(client, identity, sort) == total
        assert assert_same_as_csv(client, identity, "search=a") <= total
        assert assert_same_as_csv(client, identity, pks_of(zoo_site, model, 2)) == min(
            2, total
        )
