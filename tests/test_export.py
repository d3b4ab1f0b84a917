"""The CSV export is exactly the filtered, sorted list, streamed in constant memory."""

import csv
import io
import time
import tracemalloc
from datetime import date, datetime
from decimal import Decimal

import httpx2 as httpx
import pytest
from sqlalchemy import insert, text
from sqlmodel import Session, select

from admin_app.writing.audit import AuditEntry
from models import Project, Task, TaskStatus, Worker
from tests.conftest import login
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
        ("whole seconds", "2026-05-06", "'+Launch", "2026-01-02 03:04:05"),
        ("", "", "", "0999-12-31 23:59:59.120000"),
    ]
    header, rows, _raw = export(client, "project")
    project_cells = dict(zip(header, rows[0], strict=True))
    assert project_cells["archived"] == "true"
    assert project_cells["created_at"] == "2026-03-04 00:00:00"
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
            "2026-01-02 03:04:05.500000",
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
        "Exported 1 Tasks",
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
