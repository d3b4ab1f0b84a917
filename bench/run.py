"""Export, list and bulk-edit figures, side by side, from one run.

    python bench/run.py --rows 1000000
    python bench/run.py --rows 200000 --postgres

Seeds a fresh SQLite file (with `--postgres`, a throwaway PostgreSQL server
started as the tests start theirs) with N tasks, then measures, each in its
own server process: our admin's CSV export over HTTP, plain SQLAdmin 0.32's
export of the same table, the database's own CSV tool on the same query
(`sqlite3 -csv`, or `psql` with `COPY ... TO STDOUT WITH CSV`; on PostgreSQL
also `psql` running the admin's own export statement, cells made in SQL), and
the Python floor (the raw driver's `fetchmany` written by `csv.writer`, no
HTTP); the list
page's median latency for both admins, and a project's details page (every
fiftieth task points at it: ours names the first ten and counts them,
SQLAdmin's lists them all); and a bulk edit of 100,000 rows (or all
of them, if fewer) against a raw UPDATE of the same rows. Figures are ratios
from this one run, so the machine's speed cancels out.
"""

import argparse
import csv
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import func, insert, select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_app.auth.accounts import create_staff_user  # noqa: E402
from admin_app.db import make_engine  # noqa: E402
from admin_app.migrate import upgrade  # noqa: E402
from models import Project, Task, Worker  # noqa: E402
from tests.pgserver import start_postgres  # noqa: E402

PASSWORD = "benchmark password"
CREATED = datetime(2026, 1, 1)
BULK_ROWS = 100_000
DETAILS = "/project/details/1"  # a project every fiftieth task points at
EXPORT_SQL = """
SELECT t.id, t.title, t.status, t.priority, t.progress, t.due_date,
       p.name, w.name, parent.title, t.created_at
FROM task t
LEFT JOIN project p ON p.id = t.project_id
LEFT JOIN worker w ON w.id = t.assignee_id
LEFT JOIN task parent ON parent.id = t.parent_id
ORDER BY t.id
"""


def seed(url: str, rows: int) -> None:
    engine = make_engine(url)
    upgrade(engine, ("models",))
    with Session(engine) as session:
        create_staff_user(session, "bench", PASSWORD, superuser=True)
        session.add_all([Project(name=f"Project {n}") for n in range(50)])
        session.add_all(
            [Worker(name=f"Worker {n}", email=f"w{n}@example.com") for n in range(200)]
        )
        session.commit()
    with engine.begin() as connection:
        for start in range(0, rows, 50_000):
            connection.execute(
                insert(Task.__table__),
                [
                    {
                        "title": f"Task {n}",
                        "status": ("todo", "in_progress", "blocked", "done")[n % 4],
                        "priority": "normal",
                        "progress": n % 101,
                        "project_id": n % 50 + 1,
                        "assignee_id": n % 200 + 1 if n % 3 else None,
                        "created_at": CREATED + timedelta(seconds=n),
                    }
                    for n in range(start, min(rows, start + 50_000))
                ],
            )
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One app in its own uvicorn process, so its memory can be read."""

    def __init__(self, factory: str, url: str) -> None:
        self.port = free_port()
        env = {**os.environ, "BENCH_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"bench.servers:{factory}",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        self.base = f"http://127.0.0.1:{self.port}/admin"
        for _ in range(200):
            try:
                httpx.get(self.base + "/login", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"{factory} did not start")

    def memory(self, field: str) -> int:
        """VmRSS (now) or VmHWM (peak) of the server process, in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        return 0

    def reset_peak(self) -> None:
        """Start VmHWM afresh from the current RSS (Linux's `clear_refs` 5), so
        the peak measured is the export's, not the login's argon2 hashing."""
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def timed_download(client: httpx.Client, url: str) -> tuple[float, int]:
    """Seconds and bytes of downloading `url` with the client's session.

    `curl` writes the download to /dev/null, as `psql` writes its COPY: a
    Python client reading the same bytes takes a core's share of its own on a
    small machine, which the server's figure would otherwise carry."""
    cookies = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    start = time.perf_counter()
    if shutil.which("curl"):
        command = ["curl", "-sf", "-o", os.devnull, "-w", "%{size_download}"]
        written = subprocess.run(
            [*command, "-H", f"Cookie: {cookies}", url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return time.perf_counter() - start, int(written)
    size = 0
    with client.stream("GET", url, timeout=3600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - start, size


def measure_export(server: Server, client: httpx.Client, query: str = "") -> dict:
    server.reset_peak()
    before = server.memory("VmRSS")
    url = f"{server.base}/task/export/csv?{query}"
    seconds, size = timed_download(client, url)
    return {
        "seconds": seconds,
        "bytes": size,
        "growth": server.memory("VmHWM") - before,
    }


def list_latency(client: httpx.Client, url: str, runs: int = 21) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def python_floor(url: str) -> float:
    """The same query through the raw driver, written by `csv.writer`."""
    start = time.perf_counter()
    with open(os.devnull, "w", newline="") as out:
        writer = csv.writer(out)
        if url.startswith("sqlite"):
            with sqlite3.connect(sqlite_path(url)) as connection:
                cursor = connection.execute(EXPORT_SQL)
                while rows := cursor.fetchmany(5000):
                    writer.writerows(rows)
        else:
            import psycopg

            with (
                psycopg.connect(libpq_url(url)) as connection,
                connection.cursor(name="floor") as cursor,
            ):
                cursor.execute(EXPORT_SQL)
                while rows := cursor.fetchmany(5000):
                    writer.writerows(rows)
    return time.perf_counter() - start


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def database_cli(url: str) -> tuple[str, float | None]:
    """The database's own CSV export of the query."""
    if url.startswith("sqlite"):
        name, command = "sqlite3 -csv", ["sqlite3", "-csv", "-header"]
        command += [sqlite_path(url), EXPORT_SQL]
    else:
        return "psql COPY ... TO STDOUT CSV", psql_copy(url, EXPORT_SQL)
    if shutil.which(command[0]) is None:
        return name, None
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return name, time.perf_counter() - start


def export_statement(url: str, query: str = "") -> str:
    """The admin's own export SELECT of the task table for the list `query`
    (a query string), as one SQL text with its parameters merged by psycopg
    (what its COPY runs)."""
    import psycopg
    from starlette.requests import Request

    from admin_app import create_app
    from admin_app.listing.export import CsvExport
    from admin_app.listing.pgcopy import copy_select, driver_statement

    app = create_app(url, "models", "bench-secret-key" * 3)
    engine = app.state.engine
    (view,) = [v for v in app.state.admin.views if v.identity == "task"]
    scope = {"type": "http", "query_string": query.encode(), "headers": []}
    request = Request(scope)
    export = CsvExport(view.list_query_for(request), view.export_columns())
    stmt, _python, _deferred = export.formatted(engine.dialect)
    with engine.connect() as connection:
        sql, parameters = driver_statement(connection, copy_select(stmt))
    engine.dispose()
    with psycopg.connect(libpq_url(url)) as connection:
        return psycopg.ClientCursor(connection).mogrify(sql, parameters)


def psql_copy(url: str, sql: str) -> float | None:
    """`psql` writing the CSV of `sql` with COPY, to /dev/null."""
    copy = f"COPY ({sql.strip()}) TO STDOUT WITH (FORMAT csv, HEADER)"
    command = ["psql", "-X", "-q", libpq_url(url), "-c", copy.replace("\n", " ")]
    if shutil.which(command[0]) is None:
        return None
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def raw_update(url: str, rows: int) -> float:
    """The bulk edit's UPDATE of the same rows, through the raw driver."""
    last = (CREATED + timedelta(seconds=rows - 1)).strftime("%Y-%m-%d %H:%M:%S")
    if url.startswith("sqlite"):
        sql = "UPDATE task SET priority = 'high' WHERE created_at <= ?"
        with sqlite3.connect(sqlite_path(url)) as connection:
            start = time.perf_counter()
            connection.execute(sql, (last + ".000000",))
            connection.commit()
            return time.perf_counter() - start
    import psycopg

    with psycopg.connect(libpq_url(url)) as connection:
        start = time.perf_counter()
        connection.execute(
            "UPDATE task SET priority = 'high' WHERE created_at <= %s",
            (CREATED + timedelta(seconds=rows - 1),),
        )
        connection.commit()
        return time.perf_counter() - start


def log_in(client: httpx.Client) -> None:
    """Log in through the form, then send the session's CSRF token as the
    admin's own script does."""
    token = re.compile(r'name="csrf-token" content="([^"]+)"')
    page = client.get("/login").text
    client.post(
        "/login",
        data={
            "username": "bench",
            "password": PASSWORD,
            "csrf_token": token.search(page).group(1),
        },
    )
    client.headers["X-CSRF-Token"] = token.search(client.get("/").text).group(1)


def measure(url: str, rows: int, with_plain: bool) -> dict:
    """Every figure for one database, each server in its own process."""
    results: dict = {"rows": rows}
    bulk_rows = min(rows, BULK_ROWS)
    last = (CREATED + timedelta(seconds=bulk_rows - 1)).isoformat()
    ours = Server("ours", url)
    with httpx.Client(base_url=ours.base) as client:
        log_in(client)
        results["ours"] = measure_export(ours, client)
        results["ours"]["list"] = list_latency(client, "/task/list")
        results["ours"]["details"] = list_latency(client, DETAILS, runs=5)
        results["raw_update"] = raw_update(url, bulk_rows)
        start = time.perf_counter()
        response = client.post(
            f"/task/bulk-edit?created_at__lte={last}&select=all",
            data={"fields": "priority", "priority": "urgent"},
            timeout=3600,
        )
        results["bulk"] = time.perf_counter() - start
        assert response.status_code == 302, response.text[:500]
        engine = make_engine(url)
        with engine.connect() as connection:
            changed = connection.scalar(
                select(func.count()).where(Task.priority == "urgent")
            )
        engine.dispose()
        assert changed == bulk_rows, (changed, bulk_rows)
        results["bulk_rows"] = bulk_rows
    ours.stop()
    if with_plain:
        plain = Server("plain", url)
        with httpx.Client(base_url=plain.base) as client:
            results["plain"] = measure_export(plain, client)
            results["plain"]["list"] = list_latency(client, "/task/list")
            results["plain"]["details"] = list_latency(client, DETAILS, runs=5)
        plain.stop()
    results["floor"] = python_floor(url)
    results["cli"] = database_cli(url)
    if not url.startswith("sqlite"):
        results["same_query"] = psql_copy(url, export_statement(url))
    return results


def report(title: str, r: dict) -> None:
    rows, floor = r["rows"], r["floor"]
    print(f"\nCSV export of {rows:,} rows ({title})")
    print(f"{'':30}{'seconds':>10}{'rows/s':>12}{'x floor':>9}{'mem growth':>12}")
    for name, label in (
        ("ours", "this admin (HTTP)"),
        ("plain", "plain SQLAdmin 0.32 (HTTP)"),
    ):
        if name in r:
            e = r[name]
            print(
                f"{label:30}{e['seconds']:10.2f}{rows / e['seconds']:12,.0f}"
                f"{e['seconds'] / floor:9.2f}{e['growth'] / 2**20:10.0f} MB"
            )
    print(f"{'Python floor (no HTTP)':30}{floor:10.2f}{rows / floor:12,.0f}{1:9.2f}")
    name, cli = r["cli"]
    if cli:
        print(f"{name:30}{cli:10.2f}{rows / cli:12,.0f}{cli / floor:9.2f}")
    same = r.get("same_query")
    if same:
        label = "psql COPY, the admin's query"
        print(f"{label:30}{same:10.2f}{rows / same:12,.0f}{same / floor:9.2f}")
    ours = r["ours"]
    seconds = ours["seconds"]
    print(f"\nexport: this admin takes {seconds / floor:.2f}x the Python floor")
    if cli:
        print(f"export: this admin takes {seconds / cli:.2f}x {name}")
    if same:
        print(f"export: this admin takes {seconds / same:.2f}x psql COPY of its query")
    if "plain" in r:
        plain = r["plain"]
        print(
            f"export: this admin is {plain['seconds'] / seconds:.1f}x "
            "faster than plain SQLAdmin"
        )
        print(
            f"list page median: this admin {ours['list'] * 1000:.0f} ms, plain "
            f"SQLAdmin {plain['list'] * 1000:.0f} ms "
            f"({plain['list'] / ours['list']:.1f}x)"
        )
        print(
            f"project details page median ({rows // 50:,} tasks point at it): this "
            f"admin {ours['details'] * 1000:.0f} ms, plain SQLAdmin "
            f"{plain['details'] * 1000:.0f} ms "
            f"({plain['details'] / ours['details']:.1f}x)"
        )
    else:
        print(f"\nlist page median: this admin {ours['list'] * 1000:.0f} ms")
        print(
            f"project details page median: this admin {ours['details'] * 1000:.0f} ms"
        )
    print(
        f"bulk edit of {r['bulk_rows']:,} rows: {r['bulk']:.2f} s over HTTP, raw "
        f"UPDATE {r['raw_update']:.2f} s ({r['bulk'] / r['raw_update']:.1f}x)"
    )


def bench_arguments(doc: str, rows: int) -> argparse.ArgumentParser:
    """A bench's command line: `--rows N`, and `--postgres` to measure on a
    throwaway PostgreSQL server instead of SQLite."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--rows", type=int, default=rows)
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="measure on a throwaway PostgreSQL server instead of SQLite",
    )
    return parser


def main() -> None:
    parser = bench_arguments(__doc__, rows=100_000)
    parser.add_argument(
        "--skip-plain",
        action="store_true",
        help="leave out plain SQLAdmin (it loads every row into memory)",
    )
    args = parser.parse_args()
    if args.postgres:
        server = start_postgres()
        try:
            print(f"Seeding {args.rows:,} tasks into PostgreSQL ...", flush=True)
            seed(server.url, args.rows)
            report("PostgreSQL", measure(server.url, args.rows, not args.skip_plain))
        finally:
            server.stop()
        return
    folder = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    try:
        print(f"Seeding {args.rows:,} tasks into {sqlite_path(url)} ...", flush=True)
        seed(url, args.rows)
        report("SQLite", measure(url, args.rows, not args.skip_plain))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
