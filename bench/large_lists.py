"""List pages of a large table against the same pages of a 10,000-row table.

    python bench/large_lists.py --rows 10000000 --runs 7
    python bench/large_lists.py --rows 1000000 --runs 5 --suggested-indexes

Starts a throwaway PostgreSQL server (as the tests start theirs), fills two
databases with the shipped `task` table (10,000 rows, and N rows, by
`INSERT ... SELECT generate_series`), runs ANALYZE as autovacuum would, and
serves each with our admin in its own uvicorn process, side by side. It
then times, as a logged-in superuser, the pages of the issue "Production on
PostgreSQL: 10-million-row tables": the first page, a deep page (half-way
through the list) reached by the cursor of the page before it and by a bare
`?page=N`, a filtered deep page, a search, a sort by due date, the index
page, the task form (whose parent select must not load the table) and the
parent filter's search-as-you-type; each page is asked of the two servers in
turn, `--runs` times, and its median printed. The figures are ratios from
this one run, so the machine's speed (which drifts while a bench runs) falls
on both tables alike. `--suggested-indexes` first creates, on both
databases, what `admin-app suggest-indexes` prints (trigram indexes for the
search).
"""

import argparse
import html
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_app.auth.accounts import create_staff_user  # noqa: E402
from admin_app.db import make_engine  # noqa: E402
from admin_app.migrate import upgrade  # noqa: E402
from bench.run import (  # noqa: E402
    Server,
    export_statement,
    log_in,
    measure_export,
    psql_copy,
)
from models import Project, Worker  # noqa: E402
from tests.pgserver import start_postgres  # noqa: E402

SMALL = 10_000
PAGE_SIZE = 25
NEXT = re.compile(r'<a class="page-link" href="([^"#]+)">\s*next')
COUNT = re.compile(r'id="row-count">([^<]*)<')


def create_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(False)


def seed(url: str, rows: int) -> None:
    """`rows` tasks: a quarter blocked, every seventh without a due date."""
    engine = make_engine(url)
    upgrade(engine, ("models",))
    with Session(engine) as session:
        create_staff_user(session, "bench", "benchmark password", superuser=True)
        session.add_all([Project(name=f"Project {n}") for n in range(50)])
        session.add_all(
            [Worker(name=f"Worker {n}", email=f"w{n}@example.com") for n in range(200)]
        )
        session.commit()
    with engine.begin() as connection:
        types = dict(
            connection.execute(
                text(
                    "SELECT column_name, udt_name FROM information_schema.columns "
                    "WHERE table_name = 'task' AND column_name IN "
                    "('status', 'priority')"
                )
            ).all()
        )
        connection.execute(
            text(
                "INSERT INTO task (title, status, priority, progress, due_date, "
                "project_id, assignee_id, created_at) "
                "SELECT 'Task ' || n, "
                f"CAST((ARRAY['todo', 'in_progress', 'blocked', 'done'])[n % 4 + 1] "
                f"AS {types['status']}), "
                f"CAST('normal' AS {types['priority']}), n % 101, "
                "CASE WHEN n % 7 = 0 THEN NULL "
                "ELSE DATE '2026-01-01' + (n % 1000) END, "
                "n % 50 + 1, CASE WHEN n % 3 = 0 THEN NULL ELSE n % 200 + 1 END, "
                "TIMESTAMP '2026-01-01' + n * INTERVAL '1 second' "
                "FROM generate_series(0, :rows - 1) AS n"
            ),
            {"rows": rows},
        )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE")
        )
    engine.dispose()


def apply_suggested_indexes(url: str) -> int:
    """Create what `admin-app suggest-indexes` prints for the database."""
    output = subprocess.run(
        [sys.executable, "-m", "admin_app", "suggest-indexes"],
        env={**os.environ, "DATABASE_URL": url, "ADMIN_MODELS": "models"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    statements = [line for line in output.splitlines() if line.startswith("CREATE")]
    engine = make_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return len(statements)


def elapsed_ms(client: httpx.Client, url: str) -> float:
    start = time.perf_counter()
    client.get(url, timeout=600).raise_for_status()
    return (time.perf_counter() - start) * 1000


def cursor_url(client: httpx.Client, url: str, page: int) -> str:
    """The link the page before `page` renders to it (read once, untimed)."""
    found = NEXT.search(client.get(f"{url}&page={page - 1}", timeout=600).text)
    assert found, f"page {page - 1} of {url} has no next link"
    link = html.unescape(found.group(1))
    assert "cursor=" in link and f"page={page}" in link, link
    return link.split("/admin", 1)[1]


def pages(rows: int) -> dict[str, tuple[str, int | None]]:
    """The pages measured, by name: (URL, page reached by cursor or None)."""
    deep = max(2, rows // PAGE_SIZE // 2)  # 10M rows: page 200,000
    blocked = max(2, rows // 4 // PAGE_SIZE // 2)  # 10M rows: page 50,000
    return {
        "task list, first page": ("/task/list", None),
        f"deep page by its link (cursor), page {deep:,}": ("/task/list?", deep),
        f"deep page by number, ?page={deep:,}": (f"/task/list?page={deep}", None),
        f"?status=blocked, page {blocked:,} by its link": (
            "/task/list?status=blocked",
            blocked,
        ),
        "?search=Task 123": ("/task/list?search=Task%20123", None),
        "?sortBy=due_date&sort=desc": ("/task/list?sortBy=due_date&sort=desc", None),
        "index page (counts every table)": ("/", None),
        "task create form (parent, project, assignee)": ("/task/create", None),
        "task edit form": ("/task/edit/2", None),
        "parent filter, search as you type": (
            "/task/filter-options?name=parent_id&term=Task 4242",
            None,
        ),
    }


EXPORT_FILTER = "progress__lte=9"
"""About a tenth of the rows (progress 0 to 9 of 0 to 100): 990,099 of 10M."""


def measure_filtered_export(url: str) -> dict:
    """The CSV export of the filtered list over HTTP, and `psql` running COPY
    of the admin's own statement for the same list (its cells made in SQL)."""
    server = Server("ours", url)
    try:
        with httpx.Client(base_url=server.base) as client:
            log_in(client)
            figures = measure_export(server, client, EXPORT_FILTER)
    finally:
        server.stop()
    figures["psql"] = psql_copy(url, export_statement(url, EXPORT_FILTER))
    return figures


def measure(
    tables: list[tuple[str, int]], runs: int
) -> tuple[list[list[float]], list[str]]:
    """Each page's median on each table (database URL, rows), and the row
    count each list shows. The tables' servers run side by side and each
    page is asked of them in turn (small, large, small, ...), so that the
    machine's speed, which drifts while a bench runs, falls on both alike."""
    servers = [Server("ours", url) for url, _rows in tables]
    clients = [httpx.Client(base_url=server.base) for server in servers]
    try:
        for client in clients:
            log_in(client)
        counts = [
            " ".join(found.group(1).split()) if found else ""
            for found in (COUNT.search(c.get("/task/list").text) for c in clients)
        ]
        asked = [list(pages(rows).values()) for _url, rows in tables]
        figures: list[list[float]] = [[] for _ in tables]
        for n in range(len(asked[0])):
            urls = []
            for client, table_pages in zip(clients, asked, strict=True):
                page_url, by_cursor = table_pages[n]
                if by_cursor is not None:
                    page_url = cursor_url(client, page_url, by_cursor)
                client.get(page_url, timeout=600)  # warm the caches once
                urls.append(page_url)
            times: list[list[float]] = [[] for _ in tables]
            for _ in range(runs):
                for client, url, taken in zip(clients, urls, times, strict=True):
                    taken.append(elapsed_ms(client, url))
            for figure, taken in zip(figures, times, strict=True):
                figure.append(statistics.median(taken))
        return figures, counts
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--suggested-indexes",
        action="store_true",
        help="first create the indexes `admin-app suggest-indexes` prints",
    )
    args = parser.parse_args()
    server = start_postgres()
    try:
        small_url = create_database(server.url, "bench_small")
        large_url = create_database(server.url, "bench_large")
        for url, rows in ((small_url, SMALL), (large_url, args.rows)):
            print(f"Seeding {rows:,} tasks ...", flush=True)
            started = time.perf_counter()
            seed(url, rows)
            if args.suggested_indexes:
                print(f"  {apply_suggested_indexes(url)} suggested indexes", flush=True)
            print(f"  {time.perf_counter() - started:.1f} s", flush=True)
        (small, large), (small_count, large_count) = measure(
            [(small_url, SMALL), (large_url, args.rows)], args.runs
        )
        export = measure_filtered_export(large_url)
    finally:
        server.stop()
    indexes = " with the suggested indexes" if args.suggested_indexes else ""
    print(f"\nList pages on PostgreSQL{indexes}, median of {args.runs} (this admin)")
    print(f"row count shown: {small_count} and {large_count}")
    names = list(pages(args.rows))  # the small table's pages are as far in
    header = f"{'page':48}{f'{SMALL:,} rows':>12}{f'{args.rows:,} rows':>16}"
    print(header + f"{'ratio':>8}")
    for name, ms_small, ms_large in zip(names, small, large, strict=True):
        ratio = ms_large / ms_small
        print(f"{name:48}{ms_small:10.0f} ms{ms_large:14.0f} ms{ratio:7.1f}x")
    megabytes = export["bytes"] / 1e6
    print(
        f"\nCSV export of ?{EXPORT_FILTER} ({megabytes:,.0f} MB)",
        f"from {args.rows:,} rows",
    )
    print(f"  this admin (HTTP, streamed)   {export['seconds']:7.2f} s")
    if export["psql"] is not None:
        print(f"  psql COPY of the same query   {export['psql']:7.2f} s")
        ratio = export["seconds"] / export["psql"]
        print(f"  ratio                         {ratio:7.2f}x")
    print(f"  server memory growth          {export['growth'] / 1e6:7.0f} MB")


if __name__ == "__main__":
    main()
