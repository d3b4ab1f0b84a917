r"""A 100,000-row import over HTTP against a raw INSERT + UPDATE of the same rows,
and against the database's own bulk load of the same file.

    python bench/large_import.py
    python bench/large_import.py --rows 100000 --postgres

Seeds two databases alike (SQLite files, or two databases of a throwaway
PostgreSQL server started as the tests start theirs) with half the rows as
tasks. On the first, our admin runs in its own uvicorn process: the bench
exports the task list as CSV, changes every exported row (its progress and
title) and appends as many new rows (no key), then times, as a logged-in
superuser, the preview (`POST /task/import`) of the file as CSV and of
the same rows as an XLSX workbook as a spreadsheet saves one (numbers as
numbers, datetimes as dates, text in its table of shared strings), and the
confirmation (`POST /task/import/confirm`) of the CSV's, and reads the
server's peak memory growth (VmHWM over VmRSS before) over the CSV's
preview and confirmation; then it exports the table again and times the
preview of that export unchanged (every row "unchanged": the common case of
a file whose few edited rows are among many left as they were), and the
preview of as many new workers, each with an email no other worker has (a
unique column, whose values the import asks the database for a batch at
once), with their key empty and then found by their email (`key=email`).
On the second, SQLAlchemy Core writes the same rows: one executemany
INSERT of the new rows and one executemany UPDATE of the changed ones, in
one transaction (the median of three runs, the first two rolled back), and
one executemany INSERT of the new workers (rolled back). On a third, the
database's own tool loads the same file: `sqlite3`'s `.import`, or `psql`'s
`\copy`, into a staging table, then one INSERT ... SELECT of the new rows
and one UPDATE ... FROM of the changed ones, in one transaction. For scale,
the bench also times the least an import that checks each row must do,
with no database at all: each cell parsed by its field's parser, each row
validated by the model, each row's values written as JSON (as a preview
shows them). Plain SQLAdmin has no import to compare with: its CSV import
is off (and rejects SQLModel's `str` columns).
The figures are ratios from this one run, so the machine's speed cancels
out.
"""

import csv
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import bindparam, func, insert, select, update

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_app.db import make_engine  # noqa: E402
from admin_app.model.fields import spec_for_column  # noqa: E402
from admin_app.writing.validation import validated_values  # noqa: E402
from bench.large_lists import create_database  # noqa: E402
from bench.run import (  # noqa: E402
    Server,
    bench_arguments,
    libpq_url,
    log_in,
    seed,
    sqlite_path,
)
from models import Task, Worker  # noqa: E402
from tests.pgserver import start_postgres  # noqa: E402

RAW_RUNS = 3
NAMES = ("ours", "raw", "tool")  # the three databases
TOKEN = re.compile(r'name="token" value="([^"]+)"')


def edited_file(client: httpx.Client, added: int) -> tuple[bytes, list[dict]]:
    """The exported task list with every row changed, and `added` new rows."""
    exported = client.get("/task/export/csv", timeout=3600)
    exported.raise_for_status()
    reader = csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig")))
    header = list(reader.fieldnames or [])
    rows = list(reader)
    for row in rows:
        row["progress"] = str((int(row["progress"]) + 1) % 101)
        row["title"] = row["title"] + " (edited)"
    new = []
    for n in range(added):
        row = dict.fromkeys(header, "")
        row.update(
            title=f"New task {n}",
            status="todo",
            priority="high",
            progress=str(n % 101),
            project_id=str(n % 50 + 1),
        )
        if "created_at" in row:
            at = datetime(2026, 6, 1) + timedelta(seconds=n)
            row["created_at"] = at.isoformat()
        new.append(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(rows)
    writer.writerows(new)
    return out.getvalue().encode(), rows


NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?")


def as_workbook(data: bytes) -> bytes:
    """The CSV's rows as a spreadsheet saves them as XLSX: numbers as
    numbers, ISO datetimes as dates with a date format, text shared
    (openpyxl's writer, a row at a time)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for number, row in enumerate(csv.reader(io.StringIO(data.decode()))):
        cells = []
        for text in row:
            value: object = text or None
            if number and NUMBER.fullmatch(text):
                value = float(text) if "." in text else int(text)
            elif number and len(text) == 19 and text[10:11] == "T":
                value = WriteOnlyCell(sheet, datetime.fromisoformat(text))
                value.number_format = "yyyy-mm-dd hh:mm:ss"
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def workers_file(count: int) -> tuple[bytes, list[dict]]:
    """`count` new workers, each with an email no other worker has: the
    unique column every row of the file asks the import to check."""
    rows = [
        {"name": f"New worker {n}", "email": f"new{n}@example.com"}
        for n in range(count)
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["name", "email"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(), rows


def timed_preview(
    client: httpx.Client, table: str, data: bytes, **form: str
) -> tuple[float, dict]:
    """Seconds to preview `data` as rows of `table` (not confirmed), and the
    preview as JSON."""
    start = time.perf_counter()
    answer = client.post(
        f"/{table}/import",
        files={"file": (f"{table}.csv", data, "text/csv")},
        data=form,
        headers={"Accept": "application/json"},
        timeout=3600,
    )
    return time.perf_counter() - start, answer.json()


def measure_import(
    url: str, data: bytes, workbook: bytes, expected: int, workers: bytes
) -> dict:
    server = Server("ours", url)
    try:
        with httpx.Client(base_url=server.base) as client:
            log_in(client)
            # the first preview loads the import's code: a few rows, untimed
            timed_preview(client, "task", b"\n".join(data.split(b"\n")[:10]))
            as_xlsx, found = timed_preview(client, "task", workbook)
            half = expected // 2
            assert (found["changed"], found["new"]) == (half, expected - half), found
            server.reset_peak()  # the growth is the CSV's preview and confirmation
            before = server.memory("VmRSS")
            start = time.perf_counter()
            answer = client.post(
                "/task/import",
                files={"file": ("tasks.csv", data, "text/csv")},
                timeout=3600,
            )
            preview = time.perf_counter() - start
            answer.raise_for_status()
            found = TOKEN.search(answer.text)
            assert found, answer.text[-2000:]
            start = time.perf_counter()
            done = client.post(
                "/task/import/confirm", data={"token": found.group(1)}, timeout=3600
            )
            confirm = time.perf_counter() - start
            assert done.status_code == 302, done.text[:500]
            growth = server.memory("VmHWM") - before
            again = client.get("/task/export/csv", timeout=3600).content
            unchanged, found = timed_preview(client, "task", again)
            assert (found["new"], found["changed"], found["errors"]) == (0, 0, [])
            assert found["unchanged"] == expected, found["unchanged"]
            workers_preview, found = timed_preview(client, "worker", workers)
            assert (found["new"], found["errors"]) == (expected, []), found["errors"]
            by_email, found = timed_preview(client, "worker", workers, key="email")
            assert (found["new"], found["errors"]) == (expected, []), found["errors"]
    finally:
        server.stop()
    engine = make_engine(url)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Task))
    engine.dispose()
    assert count == expected, (count, expected)
    return {
        "preview": preview,
        "xlsx": as_xlsx,
        "confirm": confirm,
        "growth": growth,
        "unchanged": unchanged,
        "workers": workers_preview,
        "workers_by_email": by_email,
    }


def raw_writes(url: str, changed: list[dict], added: int) -> float:
    """One executemany INSERT of the new rows and one executemany UPDATE of
    the changed rows, in one transaction, through SQLAlchemy Core: the median
    of `RAW_RUNS` runs (a few seconds each, so a moment of the machine's
    drift moves every ratio), the last one committed."""
    new = [
        {
            "title": f"New task {n}",
            "status": "todo",
            "priority": "high",
            "progress": n % 101,
            "project_id": n % 50 + 1,
            "created_at": datetime(2026, 6, 1) + timedelta(seconds=n),
        }
        for n in range(added)
    ]
    edits = [
        {"key": int(row["id"]), "p": int(row["progress"]), "t": row["title"]}
        for row in changed
    ]
    table = Task.__table__
    stmt = (
        update(table)
        .where(table.c.id == bindparam("key"))
        .values(progress=bindparam("p"), title=bindparam("t"))
    )
    engine = make_engine(url)
    times = []
    try:
        for run in range(RAW_RUNS):  # all but the last rolled back
            start = time.perf_counter()
            with engine.connect() as connection, connection.begin() as transaction:
                connection.execute(insert(table), new)
                connection.execute(stmt, edits)
                if run < RAW_RUNS - 1:
                    transaction.rollback()
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        engine.dispose()


def raw_inserts(url: str, rows: list[dict]) -> float:
    """One executemany INSERT of the new workers through SQLAlchemy Core:
    the median of `RAW_RUNS` runs, each rolled back."""
    engine = make_engine(url)
    times = []
    try:
        for _run in range(RAW_RUNS):
            start = time.perf_counter()
            with engine.connect() as connection, connection.begin() as transaction:
                connection.execute(insert(Worker.__table__), rows)
                transaction.rollback()
            times.append(time.perf_counter() - start)
        return statistics.median(times)
    finally:
        engine.dispose()


def checks_alone(data: bytes) -> float:
    """Seconds to read the file, parse each cell of a task column with its
    field's own parser, validate each row with the model's validation and
    write its values as JSON, in this process with no database: what any
    import that checks rows as the edit form does must spend, however it
    writes them. "x raw" far above this line is the import's own cost."""
    table = Task.__table__
    start = time.perf_counter()
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    header = next(rows)
    fields = [
        (n, name, spec_for_column(Task, table.c[name]))
        for n, name in enumerate(header)
        if name in table.c and not table.c[name].primary_key
    ]
    for row in rows:
        values = {name: spec.parse(row[n]) for n, name, spec in fields}
        validated = validated_values(Task, values)
        json.dumps({name: getattr(validated, name) for name in values}, default=str)
    return time.perf_counter() - start


# What the tool's SQL does with the staging table's text: the columns the raw
# writes set, typed as the table holds them (SQLite: the text SQLAlchemy
# stores for a DateTime)
_NEW_COLUMNS = "title, status, priority, progress, project_id, created_at"
_TYPED = {
    "sqlite": (
        "title, status, priority, CAST(progress AS INTEGER), "
        "CAST(project_id AS INTEGER), strftime('%Y-%m-%d %H:%M:%f000', created_at)",
        "CAST(s.progress AS INTEGER)",
        "CAST(s.id AS INTEGER)",
    ),
    "postgresql": (
        "title, status::taskstatus, priority::taskpriority, progress::integer, "
        "project_id::integer, created_at::timestamp",
        "s.progress::integer",
        "s.id::integer",
    ),
}


def database_load(url: str, data: bytes, header: list[str]) -> float | None:
    """The database's own tool loading the file: its CSV reader into a
    staging table, then one INSERT ... SELECT and one UPDATE ... FROM, in
    one transaction; None when the tool is not installed."""
    sqlite = url.startswith("sqlite")
    columns = ", ".join('"' + name.replace('"', '""') + '" text' for name in header)
    typed, progress, key = _TYPED["sqlite" if sqlite else "postgresql"]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tasks.csv"
        path.write_bytes(data)
        load = (
            f".import --csv --skip 1 '{path}' staging"
            if sqlite
            else f"\\copy staging FROM '{path}' WITH (FORMAT csv, HEADER)"
        )
        script = "\n".join(
            [
                ".bail on" if sqlite else "\\set ON_ERROR_STOP on",
                "BEGIN;",
                f"CREATE TEMP TABLE staging ({columns});",
                load,
                f"INSERT INTO task ({_NEW_COLUMNS}) SELECT {typed} FROM staging "
                "WHERE coalesce(id, '') = '';",
                f"UPDATE task SET title = s.title, progress = {progress} "
                f"FROM staging AS s WHERE coalesce(s.id, '') <> '' "
                f"AND task.id = {key};",
                "COMMIT;",
            ]
        )
        command = (
            ["sqlite3", sqlite_path(url)]
            if sqlite
            else ["psql", "-X", "-q", libpq_url(url)]
        )
        if shutil.which(command[0]) is None:
            return None
        start = time.perf_counter()
        subprocess.run(command, input=script.encode(), check=True)
        return time.perf_counter() - start


def loaded(url: str) -> tuple[int, int]:
    """How many tasks a database holds, and how many of them were edited."""
    engine = make_engine(url)
    with engine.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(Task))
        edited = connection.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.title.endswith(" (edited)"))
        )
    engine.dispose()
    return total, edited


def run(ours_url: str, raw_url: str, tool_url: str, rows: int) -> dict:
    half = rows // 2
    for url in (ours_url, raw_url, tool_url):
        seed(url, half)
    server = Server("ours", ours_url)
    try:
        with httpx.Client(base_url=server.base) as client:
            log_in(client)
            data, changed = edited_file(client, rows - half)
    finally:
        server.stop()
    workers, new_workers = workers_file(rows)
    os.environ.setdefault("ADMIN_IMPORT_MAX_BYTES", str(max(len(data) * 2, 1 << 20)))
    result = measure_import(ours_url, data, as_workbook(data), rows, workers)
    result["raw"] = raw_writes(raw_url, changed, rows - half)
    result["workers_raw"] = raw_inserts(raw_url, new_workers)
    result["checks"] = checks_alone(data)
    header = next(csv.reader(io.StringIO(data.decode().split("\n", 1)[0])))
    result["tool"] = database_load(tool_url, data, header)
    if result["tool"] is not None:
        assert loaded(tool_url) == (rows, half), loaded(tool_url)
    result["rows"], result["bytes"] = rows, len(data)
    return result


def report(title: str, r: dict) -> None:
    rows, raw = r["rows"], r["raw"]
    half = rows // 2
    print(
        f"\nImport of {rows:,} task rows ({half:,} changed, {rows - half:,} new; "
        f"{r['bytes'] / 2**20:.1f} MB CSV), {title}"
    )
    print(f"{'':40}{'seconds':>10}{'rows/s':>12}{'x raw':>8}{'mem growth':>12}")
    for label, seconds, growth in (
        ("preview (HTTP)", r["preview"], None),
        ("preview of the same rows as XLSX (HTTP)", r["xlsx"], None),
        ("confirm (HTTP)", r["confirm"], None),
        ("preview + confirm", r["preview"] + r["confirm"], r["growth"]),
        ("preview of the result exported unchanged", r["unchanged"], None),
        ("raw executemany INSERT + UPDATE", raw, None),
        ("parse + validate + JSON, no database", r["checks"], None),
        (r["tool_name"], r["tool"], None),
    ):
        if seconds is None:
            print(f"{label:40}{'(not installed)':>10}")
            continue
        grown = f"{growth / 2**20:10.0f} MB" if growth is not None else ""
        print(
            f"{label:40}{seconds:10.2f}{rows / seconds:12,.0f}"
            f"{seconds / raw:8.1f}{grown}"
        )
    print(f"\n{rows:,} new workers, each with a unique email (checked by the import)")
    for label, seconds in (
        ("preview (HTTP)", r["workers"]),
        ("preview, rows found by email (key=email)", r["workers_by_email"]),
        ("raw executemany INSERT", r["workers_raw"]),
    ):
        print(
            f"{label:40}{seconds:10.2f}{rows / seconds:12,.0f}"
            f"{seconds / r['workers_raw']:8.1f}"
        )


def main() -> None:
    args = bench_arguments(__doc__, rows=100_000).parse_args()
    if args.postgres:
        server = start_postgres()
        try:
            ours = create_database(server.url, "bench_import")
            raw = create_database(server.url, "bench_raw")
            tool = create_database(server.url, "bench_tool")
            result = run(ours, raw, tool, args.rows)
            result["tool_name"] = "psql \\copy + INSERT/UPDATE"
            report("PostgreSQL", result)
        finally:
            server.stop()
        return
    folder = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    try:
        ours, raw, tool = (f"sqlite:///{folder / name}.db" for name in NAMES)
        result = run(ours, raw, tool, args.rows)
        result["tool_name"] = "sqlite3 .import + INSERT/UPDATE"
        report("SQLite", result)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
