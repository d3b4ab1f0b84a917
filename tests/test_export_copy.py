"""On PostgreSQL the database writes the CSV (`COPY ... TO STDOUT`): the file a
staff user downloads is byte for byte the one the Python path writes, for the
shipped tables and the zoo's, filtered, searched, sorted or picked by key."""

import csv
import io
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal

import httpx2 as httpx
import pytest
from sqlalchemy import text
from sqlmodel import Session
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.listing import export as export_module
from admin_app.listing.export import CsvExport
from models import Project, Tag, Task, TaskAssignment, TaskTagLink, Worker
from models.task import AssignmentRole, TaskPriority, TaskStatus
from tests.cell_models import Mood, Size, Specimen
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.live import live_server
from tests.zoo import fullstack, heroes, tracker
from tests.zoo.conftest import COLUMNS, FULLSTACK, HEROES, TRACKER, serve

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

# Text a staff user might have typed, or an attacker: quotes, separators,
# line breaks of every kind, formulas plain and disguised, spreadsheet error
# values, COPY's own markers, letters from far outside ASCII.
HOSTILE = [
    '=cmd|" /C calc"!A0',
    "a,b",
    'say "hi", then "bye"',
    "two\nlines",
    "windows\r\nline",
    "lone\rreturn",
    "",
    " -1",
    "\u00a0=1+1",
    "+1 555",
    "@handle",
    "\tTabbed",
    "\\.",
    "\\N",
    '"',
    ",",
    "Ünïcødé ✓ 漢字 🎉",
    "trailing space ",
    "NULL",
    "#N/A",  # a spreadsheet's error value, escaped as formulas are
    "#DIV/0!",
]
PLUS_TWO = timezone(timedelta(hours=2))

# Columns whose cells Python writes (floats, JSON): their table's export is
# Python's as a whole, never a file mixing the two.
PYTHON_WRITES = {"zoo-sample", "zoo-event"}


def views(app) -> list:
    return [view for view in app.state.admin.views if getattr(view, "can_export", 0)]


def query_for(identity: str) -> str:
    """Every row, except in the audit log, which gains a row with each export:
    there, the first entry only (the first export's own, made before)."""
    return "pks=1" if identity == "audit-entry" else ""


def both_paths(
    client: TestClient, identity: str, query: str = ""
) -> tuple[bytes, Counter]:
    """The export through whichever path it takes, then through Python: the
    two files must be the same bytes. Returns the file and the paths taken."""
    before = Counter(export_module.STREAMED)
    url = f"/admin/{identity}/export/csv?{query}"
    first = client.get(url)
    assert first.status_code == 200, first.text[:300]
    taken = Counter(export_module.STREAMED)
    taken.subtract(before)
    CsvExport.use_copy = False
    try:
        python = client.get(url)
    finally:
        CsvExport.use_copy = True
    assert python.status_code == 200
    assert first.content == python.content, (identity, query)
    assert first.headers["x-row-count"] == python.headers["x-row-count"]
    return first.content, +taken


def copied(client: TestClient, identity: str, query: str = "") -> bytes:
    """The export, which PostgreSQL's COPY must have written."""
    content, taken = both_paths(client, identity, query)
    assert taken == Counter(copy=1), (identity, query, taken)
    return content


def add_hostile_shipped_rows(session: Session) -> None:
    projects = [
        Project(name=f"{value} #{n}", description=value or None, archived=n % 2 == 0)
        for n, value in enumerate(HOSTILE)
    ]
    workers = [
        Worker(
            name=f"{value}{n}",
            email=f"w{n}@example.com",
            active=n % 3 != 0,
            hired_on=date(2020, 1, 1) + timedelta(days=n) if n % 2 else None,
        )
        for n, value in enumerate(HOSTILE)
    ]
    tags = [Tag(name=f"{value[:40]}{n}", color=None) for n, value in enumerate(HOSTILE)]
    session.add_all(projects + workers + tags)
    session.commit()
    tasks = []
    for n, value in enumerate(HOSTILE * 3):
        tasks.append(
            Task(
                title=value or f"empty {n}",
                description=HOSTILE[(n + 1) % len(HOSTILE)] or None,
                status=list(TaskStatus)[n % 4],
                priority=list(TaskPriority)[n % 4],
                progress=n % 101,
                due_date=date(2026, 12, 1) + timedelta(days=n) if n % 3 else None,
                project_id=projects[n % len(projects)].id if n % 5 else None,
                assignee_id=workers[n % len(workers)].id if n % 4 else None,
                created_at=datetime(2026, 12, 1, 20, 37, 50, n * 1000 % 1_000_000),
            )
        )
    session.add_all(tasks)
    session.commit()
    for n, task in enumerate(tasks[1:], start=1):
        if n % 3 == 0:
            task.parent_id = tasks[n - 1].id
    session.add_all(
        [
            TaskAssignment(
                task_id=task.id,
                worker_id=workers[n % len(workers)].id,
                role=list(AssignmentRole)[n % 3],
                assigned_at=datetime(2026, 1, 2, 3, 4, 5, n),
            )
            for n, task in enumerate(tasks)
        ]
        + [
            TaskTagLink(task_id=task.id, tag_id=tags[n % len(tags)].id)
            for n, task in enumerate(tasks)
            if n % 2
        ]
    )
    session.commit()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sortBy=title&sort=desc",
        "search=hi",
        "status=blocked&sortBy=due_date",
        "due_date__isnull=false&priority=urgent",
        "tags=1",
        "pks=1,3,5,40",
        "search=%E6%BC%A2",  # 漢
    ],
)
def test_the_shipped_tasks_are_written_by_copy_as_python_writes_them(client, db, query):
    add_hostile_shipped_rows(db)
    content = copied(client, "task", query)
    assert content.count(b"\r\n") >= 2 or query.startswith("pks")


def test_every_shipped_table_is_written_by_copy(app, client, db):
    add_hostile_shipped_rows(db)
    identities = [view.identity for view in views(app)]
    assert {"task", "project", "worker", "tag", "task-assignment"} <= set(identities)
    copied(client, "task")  # an audit entry to export
    for identity in identities:
        content, taken = both_paths(client, identity, query_for(identity))
        expected = "python" if identity in PYTHON_WRITES else "copy"
        assert taken == Counter({expected: 1}), (identity, taken)
        assert content.endswith(b"\r\n")
    project = copied(client, "project", "sortBy=name")
    # A cell with a line break is quoted, its break kept; rows end in CR LF.
    assert b'"two\nlines #3"' in project and b'"windows\r\nline #4"' in project
    assert b"'=cmd" in project and b"'\xc2\xa0=1+1" in project
    assert b",\\.," in project or b",\\. #12," in project  # COPY's marker is text


# The zoo: other people's models, untouched.


def add_hostile_zoo_rows(site) -> None:
    with site.session() as session:
        if site.module == HEROES:
            team = heroes.Team(name='=HYPERLINK("x")', headquarters="a,\nb")
            session.add(team)
            session.add_all(
                [
                    heroes.Hero(
                        name=value or "nameless",
                        secret_name=value,
                        age=n if n % 2 else None,
                        team=team if n % 3 else None,
                    )
                    for n, value in enumerate(HOSTILE)
                ]
            )
        elif site.module == FULLSTACK:
            for n, value in enumerate(HOSTILE):
                user = fullstack.User(
                    email=f"user{n}@example.com",
                    full_name=value or None,
                    hashed_password="secret",
                    is_superuser=n % 2 == 0,
                    created_at=datetime(2026, 12, 1, 22, 37, 50, n, tzinfo=PLUS_TWO)
                    if n % 3
                    else None,
                )
                session.add(user)
                session.add(
                    fullstack.Item(
                        title=value or "untitled", description=value, owner=user
                    )
                )
        elif site.module == TRACKER:
            worker = tracker.TrackerWorker(id='@"quoted",worker', name="=1+1")
            session.add(worker)
            for n, value in enumerate(HOSTILE):
                task = tracker.TrackerTask(
                    title=value or "untitled",
                    description=value,
                    status=("todo", "doing", "review", "done")[n % 4],
                    due_on=date(2026, 1, 1) + timedelta(days=n) if n % 2 else None,
                )
                session.add(task)
                session.add(
                    tracker.TrackerAssignment(
                        task=task,
                        worker=worker,
                        role=("owner", "reviewer", "helper")[n % 3],
                        assigned_at=datetime(2026, 1, 1, 12, tzinfo=UTC)
                        + timedelta(microseconds=n),
                    )
                )
        session.commit()


# Per zoo module: its main table and selections of it as the list makes them.
ZOO_SELECTIONS = {
    HEROES: ("hero", ["sortBy=name&sort=desc", "search=a", "age__gte=3"]),
    FULLSTACK: ("item", ["sortBy=title", "search=@", "description__isnull=true"]),
    TRACKER: ("tracker-task", ["sortBy=title&sort=desc", "search=hi", "status=done"]),
    COLUMNS: ("zoo-shelf", ["sortBy=id&sort=desc"]),
}


@pytest.mark.parametrize("module", [HEROES, FULLSTACK, TRACKER, COLUMNS])
def test_the_zoo_tables_are_written_by_copy_as_python_writes_them(
    empty_database_url, module
):
    for site in serve(empty_database_url, module):
        add_hostile_zoo_rows(site)
        identities = [view.identity for view in views(site.app)]
        main, selections = ZOO_SELECTIONS[module]
        assert main in identities
        whole = copied(site.client, main)  # also an audit entry to export
        for identity in identities:
            content, taken = both_paths(site.client, identity, query_for(identity))
            expected = "python" if identity in PYTHON_WRITES else "copy"
            assert taken == Counter({expected: 1}), (identity, taken)
            assert content.endswith(b"\r\n")
        for query in selections:
            copied(site.client, main, query)
        rows = list(csv.reader(io.StringIO(whole.decode())))
        keys = [row[rows[0].index("id")] for row in rows[1:4]]
        picked = copied(site.client, main, "pks=" + ",".join(keys))
        assert len(list(csv.reader(io.StringIO(picked.decode())))) == 4


# Every cell type: the table of `tests.cell_models` without its float and
# JSON columns is COPY's; with them, Python's.


@pytest.fixture
def curator(empty_database_url):
    cells = "tests.cell_models"
    app = create_app(migrated(empty_database_url, (cells,)), cells, SECRET_KEY)
    add_staff(app, "curator", superuser=True)
    with TestClient(app) as client:
        assert login(client, "curator").status_code == 302
        yield app, client
    app.state.engine.dispose()


def test_every_cell_type_is_written_by_copy_as_python_writes_it(curator):
    app, client = curator
    engine = app.state.engine
    with engine.connect() as connection:  # UTC is written whatever the zone
        name = connection.exec_driver_sql("SELECT current_database()").scalar()
        connection.exec_driver_sql(
            f"ALTER DATABASE \"{name}\" SET timezone = 'Asia/Kolkata'"
        )
        connection.commit()
    engine.dispose()
    with Session(engine) as session:
        for n, value in enumerate(HOSTILE):
            session.add(
                Specimen(
                    label=value,
                    count=n - 5,
                    ratio=n / 3,
                    price=Decimal("0.0000001") * n if n % 2 else Decimal("1E+2"),
                    flag=(True, False, None)[n % 3],
                    naive_at=datetime(999 + n, 1, 2, 3, 4, 5, n),
                    aware_at=datetime(2026, 12, 1, 20, 37, 50, n, tzinfo=UTC),
                    sqlmodel_at=datetime(2026, 12, 1, 22, 37, 50, tzinfo=PLUS_TWO)
                    if n % 2
                    else None,
                    day=date(2026, 2, 28) + timedelta(days=n),
                    clock=time_of_day(23, 59, 59, n),
                    size=(Size.small, Size.large, None)[n % 3],
                    mood=(Mood.loud, Mood.calm, None)[n % 3],
                    data={"v": value, "n": [n, None]},
                    blob=value.encode(),
                )
            )
        session.add(Specimen(id=uuid.uuid4(), label=""))
        session.commit()
    content, taken = both_paths(client, "specimen")
    assert taken == Counter(python=1)  # floats and JSON: Python writes it all
    (view,) = [view for view in views(app) if view.identity == "specimen"]
    names = [
        c.key for c in Specimen.__table__.columns if c.key not in ("ratio", "data")
    ]
    view._export_names = names
    content = copied(client, "specimen")
    assert content.splitlines()[0] == ",".join(names).encode()
    assert b"+00:00" in content and b"'=loud" in content and b"\\x" in content


# Streams that end early.


def fill_tasks(engine, count: int) -> None:
    """`count` tasks of about 250 bytes of CSV each: 300,000 of them are far
    more than the sockets between the database, the admin and the client
    hold, so the COPY is still running when the client has read the start."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO task (title, description, status, priority, progress,"
                " created_at) SELECT 'Task ' || n, 'said \"hi\",\nleft ' ||"
                " repeat('x', 200), 'todo', 'normal', n % 101, now()"
                " FROM generate_series(1, :count) AS n"
            ),
            {"count": count},
        )


# The exports running on the server: COPY statements of this database's
# client sessions (its parallel workers show the same query).
RUNNING_COPIES = (
    "FROM pg_stat_activity WHERE query LIKE 'COPY (%' AND state = 'active'"
    " AND pid <> pg_backend_pid() AND datname = current_database()"
    " AND backend_type = 'client backend'"
)


def copies_running(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT count(*) " + RUNNING_COPIES))


def test_an_export_cut_off_by_the_database_ends_as_a_broken_download(app, superuser):
    fill_tasks(app.state.engine, 300_000)
    engine = app.state.engine
    with live_server(app) as base, httpx.Client(base_url=base, timeout=60) as browser:
        login(browser, "admin")
        received = b""
        with (
            pytest.raises(httpx.RemoteProtocolError),  # the client can tell
            browser.stream("GET", "/admin/task/export/csv") as response,
        ):
            assert response.status_code == 200
            chunks = response.iter_bytes()
            while len(received) < 100_000:  # rows, not only the header
                received += next(chunks)
            assert copies_running(engine) == 1
            with engine.connect() as connection:
                stopped = connection.scalar(
                    text("SELECT count(pg_terminate_backend(pid)) " + RUNNING_COPIES)
                )
            assert stopped == 1
            for chunk in chunks:
                received += chunk
        assert received.startswith(b"id,title,")
        deadline = time.monotonic() + 10
        while engine.pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.pool.checkedout() == 0
        # The admin goes on: the next export is whole.
        whole = browser.get("/admin/task/export/csv?pks=1,2")
        assert whole.status_code == 200 and whole.text.count("Task ") == 2


def test_a_client_that_hangs_up_stops_the_copy_on_the_server(app, superuser):
    fill_tasks(app.state.engine, 300_000)
    engine = app.state.engine
    with live_server(app) as base, httpx.Client(base_url=base) as browser:
        login(browser, "admin")
        with browser.stream("GET", "/admin/task/export/csv") as response:
            # The iterator is kept: a `for` loop left by `break` drops it, and
            # httpx closes the response then (the hang-up came before the check).
            chunks = response.iter_bytes()
            received = b""
            while len(received) < 100_000:
                received += next(chunks)
            assert copies_running(engine) == 1
        deadline = time.monotonic() + 10
        while (
            engine.pool.checkedout() or copies_running(engine)
        ) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert engine.pool.checkedout() == 0
        assert copies_running(engine) == 0
