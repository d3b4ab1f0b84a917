"""Large tables answer like small ones: a staff user pages through lists whose
counts are estimated or capped, and every row is reached exactly once.

The thresholds are lowered (a list counts at most 50 rows, and a whole table
is estimated above 50) so that a few hundred rows are "large" here, as ten
million are in production. Each walk follows the page's own "next" and "prev"
links and compares every page with the database's own
`ORDER BY ... LIMIT/OFFSET` of the same order, NULLs and ties included.
"""

import base64
import html
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from admin_app.listing import facets
from admin_app.site.views import AdminView
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.zoo import fullstack, tracker
from tests.zoo.conftest import COLUMNS, FULLSTACK, TRACKER, Site, serve

CAP = 50
PAGE = 10

ROW_KEY = re.compile(r'<input type="hidden" value="([^"]*)">')
NEXT = re.compile(r'<a class="page-link" href="([^"#]+)">\s*next')
PREV = re.compile(r'<a class="page-link" href="([^"#]+)">\s*<i [^>]*chevron-left')
COUNT = re.compile(r'id="row-count">([^<]*)<')


@pytest.fixture(autouse=True)
def small_thresholds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(AdminView, "count_cap", CAP)
    monkeypatch.setattr(AdminView, "estimate_above", CAP)


def fill_tracker(site: Site, tasks: int = 230) -> None:
    """Tasks with repeated and missing due dates, parents and descriptions,
    and assignments (a composite key of a number and a handle)."""
    with site.session() as session:
        workers = [
            tracker.TrackerWorker(id=f"@w{n:02d}", name=f"Worker {n % 4}")
            for n in range(12)
        ]
        session.add_all(workers)
        rows = []
        for n in range(tasks):
            rows.append(
                tracker.TrackerTask(
                    title=f"Task {n % 37}",
                    description=None if n % 4 == 0 else f"about {n % 5}",
                    status=("todo", "doing", "review", "done")[n % 4],
                    priority=1 + n % 5,
                    due_on=None if n % 3 == 0 else date(2026, 1, 1 + n % 9),
                )
            )
        session.add_all(rows)
        session.flush()
        for n, row in enumerate(rows):
            if n % 5 == 1:
                row.parent_id = rows[n // 7].id
        session.add_all(
            tracker.TrackerAssignment(
                task_id=rows[n // 12].id,
                worker_id=workers[n % 12].id,
                role=("owner", "reviewer", "helper")[n % 3],
                assigned_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n % 7),
            )
            for n in range(170)
        )
        session.commit()
    analyze(site)


def analyze(site: Site) -> None:
    if site.engine.dialect.name == "postgresql":
        with site.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()


@pytest.fixture
def big_tracker(empty_database_url: str) -> Iterator[Site]:
    for site in serve(empty_database_url, TRACKER):
        fill_tracker(site)
        yield site


@pytest.fixture
def big_fullstack(empty_database_url: str) -> Iterator[Site]:
    for site in serve(empty_database_url, FULLSTACK):
        with site.session() as session:
            owners = [
                fullstack.User(
                    email=f"owner{n}@example.com",
                    full_name=None if n % 2 else f"Owner {n % 3}",
                    hashed_password="x",
                )
                for n in range(6)
            ]
            session.add_all(owners)
            session.add_all(
                fullstack.Item(
                    id=uuid.uuid4(),
                    title=f"Item {n % 11}",
                    description=None if n % 3 == 0 else f"thing {n % 4}",
                    owner=owners[n % 6],
                    created_at=None
                    if n % 5 == 0
                    else datetime(2026, 2, 1, tzinfo=UTC) + timedelta(days=n % 6),
                )
                for n in range(140)
            )
            session.commit()
        analyze(site)
        yield site


def same_key(text: str) -> str:
    """A key as text, UUIDs in one spelling (SQLite stores them without dashes)."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text


def tasks_in(site: Site) -> int:
    with site.session() as session:
        return session.scalar(text("SELECT count(*) FROM tracker_task"))


def keys(page: str) -> list[str]:
    return [same_key(html.unescape(key)) for key in ROW_KEY.findall(page)]


def row_count(page: str) -> str:
    found = COUNT.search(page)
    assert found, "the list shows no row count"
    return " ".join(found.group(1).split())


def expected_pages(site: Site, sql: str) -> list[list[str]]:
    """The database's own pages of `sql` (one key per row, in list order)."""
    with site.engine.connect() as connection:
        found = [same_key(str(row[0])) for row in connection.execute(text(sql))]
    return [found[i : i + PAGE] for i in range(0, len(found), PAGE)]


def walk(site: Site, url: str) -> tuple[list[list[str]], list[str]]:
    """Every page from `url` on, following "next" links; and the URL of the
    last page."""
    pages, current = [], url
    while True:
        response = site.client.get(current)
        assert response.status_code == 200, response.text[:500]
        pages.append(keys(response.text))
        following = NEXT.search(response.text)
        if following is None:
            return pages, current
        current = html.unescape(following.group(1))
        assert "cursor=" in current, "a next link reads its page from a cursor"


def walk_back(site: Site, url: str) -> list[list[str]]:
    """Every page from `url` back to the first, following "prev" links."""
    pages, current = [], url
    while True:
        response = site.client.get(current)
        assert response.status_code == 200
        pages.append(keys(response.text))
        previous = PREV.search(response.text)
        if previous is None:
            return pages[::-1]
        current = html.unescape(previous.group(1))


def assert_walks(site: Site, list_url: str, sql: str) -> None:
    expected = expected_pages(site, sql)
    assert len(expected) > 3
    forward, last = walk(site, f"{list_url}pageSize={PAGE}")
    assert forward == expected
    assert walk_back(site, last) == expected
    flat = [key for page in forward for key in page]
    assert len(flat) == len(set(flat)), "no row is shown twice"
    for number in (2, len(expected)):  # a hand-typed page number still answers
        response = site.client.get(f"{list_url}pageSize={PAGE}&page={number}")
        assert keys(response.text) == expected[number - 1]


TRACKER_ORDERS = [
    (
        "sortBy=due_on&sort=desc&",
        "SELECT id FROM tracker_task ORDER BY due_on DESC, id DESC",
    ),
    ("sortBy=due_on&sort=asc&", "SELECT id FROM tracker_task ORDER BY due_on, id"),
    (
        "sortBy=title&sort=desc&",
        "SELECT id FROM tracker_task ORDER BY title DESC, id DESC",
    ),
    (
        "sortBy=parent&sort=desc&",
        "SELECT t.id FROM tracker_task t LEFT JOIN tracker_task p "
        "ON p.id = t.parent_id ORDER BY p.title DESC, t.id DESC",
    ),
    (
        "status=todo&sortBy=priority&",
        "SELECT id FROM tracker_task WHERE status = 'todo' ORDER BY priority, id",
    ),
    (
        "search=about 2&sortBy=due_on&sort=desc&",  # few matches: read from them
        "SELECT id FROM tracker_task WHERE description LIKE '%about 2%' "
        "ORDER BY due_on DESC, id DESC",
    ),
    ("", "SELECT id FROM tracker_task ORDER BY id"),
]


@pytest.mark.parametrize(("params", "sql"), TRACKER_ORDERS)
def test_next_and_prev_links_reach_every_task_once_in_the_databases_order(
    big_tracker: Site, params: str, sql: str
) -> None:
    assert_walks(big_tracker, f"/admin/tracker-task/list?{params}", sql)


def test_composite_keys_with_a_text_part_page_through_every_assignment(
    big_tracker: Site,
) -> None:
    def key_sql(order: str) -> str:
        return (
            "SELECT task_id || ';' || worker_id FROM tracker_assignment "
            f"ORDER BY {order}"
        )

    assert_walks(
        big_tracker,
        "/admin/tracker-assignment/list?sortBy=assigned_at&sort=desc&",
        key_sql("assigned_at DESC, task_id DESC, worker_id DESC"),
    )
    assert_walks(
        big_tracker,
        "/admin/tracker-assignment/list?sortBy=role&",
        key_sql("role, task_id, worker_id"),
    )


def test_uuid_keys_page_through_every_item_with_empty_sort_values(
    big_fullstack: Site,
) -> None:
    assert_walks(
        big_fullstack,
        "/admin/item/list?sortBy=description&sort=desc&",
        "SELECT id FROM item ORDER BY description DESC, id DESC",
    )
    assert_walks(
        big_fullstack,
        "/admin/item/list?sortBy=created_at&",
        "SELECT id FROM item ORDER BY created_at, id",
    )
    assert_walks(
        big_fullstack,
        "/admin/item/list?sortBy=owner&sort=desc&",
        'SELECT i.id FROM item i LEFT JOIN "user" u ON u.id = i.owner_id '
        "ORDER BY u.email DESC, i.id DESC",
    )


def test_a_large_table_reads_about_n_or_n_plus_and_the_link_counts_exactly(
    big_tracker: Site,
) -> None:
    client = big_tracker.client
    total = tasks_in(big_tracker)
    page = client.get("/admin/tracker-task/list").text
    if big_tracker.engine.dialect.name == "postgresql":
        # the planner's estimate (exact here: ANALYZE has just read every row)
        assert row_count(page) == f"about {total} Tracker tasks"
    else:
        assert row_count(page) == f"{CAP}+ Tracker tasks"  # a cheap bound
    assert "Showing 1 to 25 of" in page
    exact_link = re.search(r'id="exact-count" href="([^"]+)">Count exactly', page)
    assert exact_link, "an inexact count links to the exact one"
    exact = client.get(html.unescape(exact_link.group(1))).text
    assert row_count(exact) == f"{total} Tracker tasks"
    assert 'id="exact-count"' not in exact
    assert f"Showing 1 to 25 of {total} items" in exact


def test_a_filtered_or_searched_count_is_capped_and_small_results_stay_exact(
    big_tracker: Site,
) -> None:
    client = big_tracker.client
    blocked = client.get("/admin/tracker-task/list?status=todo").text
    assert row_count(blocked) == f"{CAP}+ Tracker tasks matching"
    link = re.search(r'id="exact-count" href="([^"]+)"', blocked)
    assert link and "status=todo" in html.unescape(link.group(1))
    exact = client.get(html.unescape(link.group(1))).text
    with big_tracker.session() as session:
        todo = session.scalar(
            text("SELECT count(*) FROM tracker_task WHERE status = 'todo'")
        )
    assert row_count(exact) == f"{todo} Tracker tasks matching"
    # the exact count is carried by the page links and the filters' forms
    following = NEXT.search(exact)
    assert following and "count=exact" in html.unescape(following.group(1))

    small = client.get("/admin/tracker-task/list?search=Task 36").text
    with big_tracker.session() as session:
        found = session.scalar(
            text("SELECT count(*) FROM tracker_task WHERE title LIKE '%Task 36%'")
        )
    assert found < CAP
    assert row_count(small) == f"{found} Tracker tasks matching"
    assert 'id="exact-count"' not in small
    searched = client.get("/admin/tracker-task/list?search=Task").text
    assert row_count(searched) == f"{CAP}+ Tracker tasks matching"


def test_the_index_page_counts_tables_the_same_way(big_tracker: Site) -> None:
    index = big_tracker.client.get("/admin/").text
    cell = re.search(r'data-identity="tracker-task">([^<]*)<', index)
    assert cell is not None
    if big_tracker.engine.dialect.name == "postgresql":
        assert cell.group(1).strip() == f"about {tasks_in(big_tracker)}"
    else:
        assert cell.group(1).strip() == f"{CAP:,}+"
    worker = re.search(r'data-identity="tracker-worker">([^<]*)<', index)
    assert worker is not None and worker.group(1).strip() == "16"  # small: exact


def test_a_page_beyond_a_capped_count_goes_to_the_last_page(
    big_tracker: Site,
) -> None:
    with big_tracker.session() as session:
        todo = session.scalar(
            text("SELECT count(*) FROM tracker_task WHERE status = 'todo'")
        )
    assert todo > CAP
    response = big_tracker.client.get(
        "/admin/tracker-task/list?status=todo&pageSize=10&page=999",
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert f"page={-(-todo // 10)}" in response.headers["location"]


def cursor_link(site: Site, url: str) -> str:
    following = NEXT.search(site.client.get(url).text)
    assert following
    return html.unescape(following.group(1))


def retoken(link: str, change) -> str:  # type: ignore[no-untyped-def]
    token = re.search(r"cursor=([^&]+)", link).group(1)
    payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    change(payload)
    new = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    return link.replace(token, new)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda link: link.replace("cursor=", "cursor=garbage"),
        lambda link: link.replace("cursor=", "cursor=%FF%FE") + "x" * 5000,
        lambda link: retoken(link, lambda p: p[3].__setitem__(0, "not a date")),
        lambda link: retoken(link, lambda p: p[3].__setitem__(1, {"u": "zz"})),
        lambda link: retoken(link, lambda p: p[3].append(1)),
        lambda link: retoken(link, lambda p: p[3].__setitem__(1, 10**30)),
        lambda link: retoken(link, lambda p: p[3].__setitem__(1, "7")),
        lambda link: retoken(link, lambda p: p[3].__setitem__(1, None)),
        lambda link: retoken(link, lambda p: p.__setitem__(0, "another list")),
        lambda link: retoken(link, lambda p: p.__setitem__(2, 10**9)),
        lambda link: retoken(link, lambda p: p.__setitem__(3, {"a": 1})),
        lambda link: link.replace("sort=desc", "sort=asc"),  # another order's cursor
    ],
)
def test_a_hostile_or_stale_cursor_reads_the_page_by_its_number(
    big_tracker: Site, spoil
) -> None:  # type: ignore[no-untyped-def]
    url = "/admin/tracker-task/list?sortBy=due_on&sort=desc&pageSize=10"
    link = cursor_link(big_tracker, url)
    spoiled = spoil(link)
    response = big_tracker.client.get(spoiled)
    assert response.status_code == 200
    order = "due_on DESC, id DESC" if "sort=desc" in spoiled else "due_on, id"
    expected = expected_pages(
        big_tracker, f"SELECT id FROM tracker_task ORDER BY {order}"
    )
    assert keys(response.text) == expected[1]


def test_the_shipped_task_list_pages_by_cursor(database_url: str) -> None:
    from admin_app import create_app
    from models import Task
    from models.seed import seed_demo

    app = create_app(database_url, "models", SECRET_KEY)
    try:
        with Session(app.state.engine) as session:
            seed_demo(session, tasks=120)
            session.commit()
        add_staff(app, "admin", superuser=True)
        site = Site("models", app, None)  # type: ignore[arg-type]
        from starlette.testclient import TestClient

        with TestClient(app) as client:
            assert login(client, "admin").status_code == 302
            site.client = client
            analyze(site)
            for order in ("due_date DESC", "status DESC", "priority", "title"):
                column, *direction = order.split()
                sort = "desc" if direction else "asc"
                assert_walks(
                    site,
                    f"/admin/task/list?sortBy={column}&sort={sort}&",
                    f"SELECT id FROM {Task.__tablename__} ORDER BY {order}, id {sort}",
                )
            assert "Tasks" in row_count(client.get("/admin/task/list").text)
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])  # PostgreSQL's timeout
def test_a_list_that_runs_past_the_statement_timeout_gets_a_clear_page(
    big_tracker: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = AdminView.list_query

    def sleeping(self, request):  # type: ignore[no-untyped-def]
        return slow(self, request).where(text("(SELECT true FROM pg_sleep(5))"))

    monkeypatch.setenv("ADMIN_STATEMENT_TIMEOUT", "0.2")
    monkeypatch.setattr(AdminView, "list_query", sleeping)
    response = big_tracker.client.get("/admin/tracker-task/list?sortBy=title")
    assert response.status_code == 503
    assert "This list took too long" in response.text
    assert "pg_sleep" not in response.text and "SELECT" not in response.text
    monkeypatch.setattr(AdminView, "list_query", slow)
    again = big_tracker.client.get("/admin/tracker-task/list?sortBy=title")
    assert again.status_code == 200  # the worker and its connection are free again


def page_settings(site: Site, url: str) -> list[str]:
    """The planner settings the list page's statements set, in order."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "set_config" in statement:
            seen.append(f"{parameters['setting']}={parameters['value']}")

    event.listen(site.engine, "before_cursor_execute", note)
    try:
        assert site.client.get(url).status_code == 200
    finally:
        event.remove(site.engine, "before_cursor_execute", note)
    return seen


def shown_keys(site: Site, url: str) -> list[str]:
    return ROW_KEY.findall(site.client.get(url).text)


@pytest.mark.parametrize("backend", ["postgresql"])  # PostgreSQL's planner
def test_a_narrowed_page_is_read_by_its_filter_counts_not_by_walking_an_index(
    big_tracker: Site,
) -> None:
    """A searched or filtered list's first pages, few matches or many: the
    filter counts sample the list's first rows in its order (under a time
    limit of their own) and name the page's rows, which are then read by key;
    no walk along an index, no second read of the matches. The rows are the
    ones the exact count's path (which reads the page on its own) shows."""
    lists = f"/admin/tracker-task/list?pageSize={PAGE}&"
    for query in ("search=about 2", "status=todo", "status=todo&page=5"):
        url = lists + query
        settings = page_settings(big_tracker, url)
        assert settings == [
            "statement_timeout=30000",  # the list's own limit
            f"statement_timeout={round(facets.ORDERED_SAMPLE_SECONDS * 1000)}",
            "statement_timeout=30000",
        ], (query, settings)
        keys = shown_keys(big_tracker, url)
        assert len(keys) == PAGE or query == "search=about 2"
        assert keys == shown_keys(big_tracker, f"{url}&count=exact"), query
    everything = page_settings(big_tracker, lists.rstrip("&"))
    assert "enable_indexscan=off" not in everything
    # A page past the sample's rows (the count is capped at 50: page 6 starts
    # at the 51st) walks the index, for as long as the count took (from 20 ms
    # to a quarter of a second), and the list's own time limit is back after.
    deep = page_settings(big_tracker, f"{lists}status=todo&page=6")
    assert "enable_indexscan=off" not in deep
    walk, after = deep[-2:]
    assert after == "statement_timeout=30000"
    assert 20 <= int(walk.removeprefix("statement_timeout=")) <= 250
    # few matches that the sample holds all of: read from them, by key
    few = shown_keys(big_tracker, f"{lists}search=about 2&page=2")
    assert few and few == shown_keys(
        big_tracker, f"{lists}search=about 2&page=2&count=exact"
    )


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_walk_that_takes_too_long_reads_the_page_from_its_matches(
    big_tracker: Site,
) -> None:
    from admin_app.db import limit_statement_time
    from admin_app.listing import paging

    def walk() -> tuple[str, str]:
        """A page read that is slow only while it may walk an index."""
        slow = "CASE WHEN current_setting('enable_indexscan') = 'on' THEN 5 ELSE 0 END"
        session.execute(text(f"SELECT pg_sleep({slow})"))
        return tuple(
            session.scalar(text(f"SHOW {name}"))
            for name in ("enable_indexscan", "statement_timeout")
        )

    with Session(big_tracker.engine) as session:
        limit_statement_time(session)
        started = time.perf_counter()
        assert paging._walk_else_matches(session, walk, 0.25) == ("off", "30s")
        assert time.perf_counter() - started < 5  # the walk was cut short
        # the index scans are off for that read alone: the page's later reads
        # (the drill-down's first and last date, from an index) have them
        assert session.scalar(text("SHOW enable_indexscan")) == "on"
        assert session.scalar(text("SHOW enable_indexonlyscan")) == "on"
    with Session(big_tracker.engine) as session:
        limit_statement_time(session)
        quick = paging._walk_else_matches(session, lambda: "read", 0.25)
        assert quick == "read"
        assert session.scalar(text("SHOW statement_timeout")) == "30s"
        assert session.scalar(text("SHOW enable_indexscan")) == "on"


def test_a_bad_count_parameter_is_a_readable_400(big_tracker: Site) -> None:
    response = big_tracker.client.get("/admin/tracker-task/list?count=lots")
    assert response.status_code == 400
    assert "count can only be exact" in response.text


def test_a_bad_statement_timeout_is_refused_at_start(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from admin_app import create_app
    from admin_app.settings import ImproperlyConfigured

    monkeypatch.setenv("ADMIN_STATEMENT_TIMEOUT", "soon")
    with pytest.raises(ImproperlyConfigured, match="ADMIN_STATEMENT_TIMEOUT"):
        create_app(migrated(empty_database_url, (TRACKER,)), TRACKER, SECRET_KEY)


def test_suggest_indexes_prints_statements_and_applies_none(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from sqlalchemy import create_engine, inspect

    from admin_app.cli import main

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ADMIN_MODELS", "models")
    engine = create_engine(database_url)
    before = {i["name"] for i in inspect(engine).get_indexes("task")}
    result = CliRunner().invoke(main, ["suggest-indexes"])
    assert result.exit_code == 0, result.output
    statements = [line for line in result.output.splitlines() if line.strip()]
    assert "CREATE INDEX IF NOT EXISTS ix_task_progress ON task (progress, id);" in (
        statements
    )
    # The model's one-column index on due_date cannot order (due_date, id):
    # a second one is suggested beside it, under a name of its own.
    assert (
        "CREATE INDEX IF NOT EXISTS ix_task_due_date_id ON task (due_date, id);"
    ) in statements
    assert not any("(project_id" in s for s in statements)  # a filter, indexed
    postgres = engine.dialect.name == "postgresql"
    assert ("CREATE EXTENSION IF NOT EXISTS pg_trgm;" in statements) == postgres
    if postgres:
        assert (
            "CREATE INDEX IF NOT EXISTS ix_task_title_trgm ON task USING gin "
            "(title gin_trgm_ops);"
        ) in statements
    assert {i["name"] for i in inspect(engine).get_indexes("task")} == before
    with engine.begin() as connection:  # each statement is one the database takes
        for statement in statements:
            connection.exec_driver_sql(statement)
    assert "ix_task_progress" in {
        i["name"] for i in inspect(engine).get_indexes("task")
    }
    engine.dispose()


@pytest.fixture
def big_columns(empty_database_url: str) -> Iterator[Site]:
    from datetime import time
    from decimal import Decimal

    from tests.zoo import columns

    for site in serve(empty_database_url, COLUMNS):
        with site.session() as session:
            shelves = [columns.ZooShelf(name=f"Shelf {n % 3}") for n in range(4)]
            session.add_all(shelves)
            session.flush()
            session.add_all(
                columns.ZooSample(
                    level=list(columns.Level)[n % 3],
                    colour=list(columns.Colour)[n % 3],
                    size=None if n % 3 == 0 else list(columns.Size)[n % 2],
                    price=Decimal(n % 7) / 4,
                    ratio=None if n % 4 == 0 else (n % 5) / 3,
                    payload=None if n % 5 == 0 else {"n": n % 4},
                    born_on=None if n % 2 else date(2020, 1, 1 + n % 6),
                    opens_at=None if n % 3 == 1 else time(n % 5, 30),
                    seen_naive=None if n % 4 == 1 else datetime(2026, 1, 1, n % 6),
                    seen_aware=None
                    if n % 4 == 2
                    else datetime(2026, 1, 1, n % 6, tzinfo=UTC),
                    flag=n % 2 == 0,
                    external_id=None if n % 2 else uuid.UUID(int=n % 6),
                    shelf_id=None if n % 5 == 1 else shelves[n % 4].id,
                )
                for n in range(45)
            )
            session.commit()
        analyze(site)
        yield site


def test_every_sortable_kind_of_column_pages_in_the_databases_order(
    big_columns: Site,
) -> None:
    """Enums, decimals, floats, JSON, lists, dates, times, naive and aware datetimes,
    booleans, UUIDs and a key without a relationship (sorted by its row's
    label), with NULLs and ties: the cursor carries each kind of value."""
    view = next(
        v for v in big_columns.app.state.admin.views if v.identity == "zoo-sample"
    )
    walked = []
    for name in view._sort_fields:
        spec = view.field_specs[name]
        if name == "id":
            continue
        if spec.kind.value == "to_one":
            source = (
                "zoo_sample s LEFT JOIN zoo_shelf f ON f.id = s.shelf_id",
                "f.name",
            )
        elif spec.kind.value in ("json", "list"):
            source = ("zoo_sample s", f"CAST(s.{name} AS VARCHAR)")
        else:
            source = ("zoo_sample s", f"s.{name}")
        for direction in ("asc", "desc"):
            assert_walks(
                big_columns,
                f"/admin/zoo-sample/list?sortBy={name}&sort={direction}&",
                f"SELECT s.id FROM {source[0]} "
                f"ORDER BY {source[1]} {direction}, s.id {direction}",
            )
        walked.append(name)
    assert {"level", "price", "ratio", "born_on", "seen_aware"} <= set(walked)
