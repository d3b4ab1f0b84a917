"""Export, list and bulk-edit figures, side by side, from one run.

    python bench/run.py --rows 1000000

Seeds a fresh SQLite file with N tasks, then measures, each in its own server
process: our admin's CSV export over HTTP, plain SQLAdmin 0.32's export of the
same table, `sqlite3 -csv` on the same query, and the Python floor (the raw
driver's `fetchmany` written by `csv.writer`, no HTTP); the list page's median
latency for both admins; and a bulk edit of every row against a raw UPDATE.
Figures are ratios from this one run, so the machine's speed cancels out.
"""

import argparse
import csv
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_app.auth.accounts import create_staff_user  # noqa: E402
from admin_app.db import make_engine  # noqa: E402
from admin_app.migrate import upgrade  # noqa: E402
from models import Project, Task, Worker  # noqa: E402

PASSWORD = "benchmark password"
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
    created = datetime(2026, 1, 1)
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
                        "created_at": created,
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

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def timed_download(client: httpx.Client, url: str) -> tuple[float, int]:
    start = time.perf_counter()
    size = 0
    with client.stream("GET", url, timeout=3600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - start, size


def measure_export(server: Server, client: httpx.Client) -> dict:
    before = server.memory("VmRSS")
    seconds, size = timed_download(client, server.base + "/task/export/csv")
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


def python_floor(path: str) -> float:
    start = time.perf_counter()
    with sqlite3.connect(path) as connection, open(os.devnull, "w", newline="") as out:
        writer = csv.writer(out)
        cursor = connection.execute(EXPORT_SQL)
        while rows := cursor.fetchmany(5000):
            writer.writerows(rows)
    return time.perf_counter() - start


def sqlite_cli(path: str) -> float | None:
    if shutil.which("sqlite3") is None:
        return None
    start = time.perf_counter()
    subprocess.run(
        ["sqlite3", "-csv", "-header", path, EXPORT_SQL],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--skip-plain",
        action="store_true",
        help="leave out plain SQLAdmin (it loads every row into memory)",
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    path = str(folder / "bench.db")
    url = f"sqlite:///{path}"
    print(f"Seeding {args.rows:,} tasks into {path} ...", flush=True)
    seed(url, args.rows)
    results: dict[str, dict] = {}

    ours = Server("ours", url)
    with httpx.Client(base_url=ours.base) as client:
        client.post("/login", data={"username": "bench", "password": PASSWORD})
        results["ours"] = measure_export(ours, client)
        results["ours"]["list"] = list_latency(client, "/task/list")
        raw_start = time.perf_counter()
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE task SET priority = 'high'")
        raw_update = time.perf_counter() - raw_start
        start = time.perf_counter()
        client.post(
            "/task/bulk-edit?select=all",
            data={"fields": "priority", "priority": "urgent"},
            timeout=3600,
        )
        bulk_seconds = time.perf_counter() - start
    ours.stop()

    if not args.skip_plain:
        plain = Server("plain", url)
        with httpx.Client(base_url=plain.base) as client:
            results["plain"] = measure_export(plain, client)
            results["plain"]["list"] = list_latency(client, "/task/list")
        plain.stop()

    floor = python_floor(path)
    cli = sqlite_cli(path)
    rows = args.rows
    print(f"\nCSV export of {rows:,} rows (SQLite)")
    print(f"{'':28}{'seconds':>10}{'rows/s':>12}{'x floor':>9}{'mem growth':>12}")
    for name, label in (
        ("ours", "this admin (HTTP)"),
        ("plain", "plain SQLAdmin 0.32 (HTTP)"),
    ):
        if name in results:
            r = results[name]
            print(
                f"{label:28}{r['seconds']:10.2f}{rows / r['seconds']:12,.0f}"
                f"{r['seconds'] / floor:9.2f}{r['growth'] / 2**20:10.0f} MB"
            )
    print(f"{'Python floor (no HTTP)':28}{floor:10.2f}{rows / floor:12,.0f}{1:9.2f}")
    if cli:
        print(f"{'sqlite3 -csv':28}{cli:10.2f}{rows / cli:12,.0f}{cli / floor:9.2f}")
    if "plain" in results:
        ours_r, plain_r = results["ours"], results["plain"]
        speedup = plain_r["seconds"] / ours_r["seconds"]
        print(f"\nexport: this admin is {speedup:.1f}x faster than plain SQLAdmin")
        print(
            f"list page median: this admin {ours_r['list'] * 1000:.0f} ms, plain "
            f"SQLAdmin {plain_r['list'] * 1000:.0f} ms "
            f"({plain_r['list'] / ours_r['list']:.1f}x)"
        )
    else:
        print(f"\nlist page median: this admin {results['ours']['list'] * 1000:.0f} ms")
    print(
        f"bulk edit of {rows:,} rows: {bulk_seconds:.2f} s over HTTP, raw UPDATE "
        f"{raw_update:.2f} s ({bulk_seconds / raw_update:.1f}x)"
    )
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
