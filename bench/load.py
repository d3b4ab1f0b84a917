"""Requests per second and latency of logged-in staff traffic, from one run.

    python bench/load.py --tasks 10000 --users 10 --seconds 60 --workers 2

Starts a throwaway PostgreSQL server (as the tests start theirs), fills it
with the demo data, serves it with `admin-app serve --workers N` and drives
it with Locust, headless, using tests/load/locustfile.py: list, filter,
search, details, edit, export and bulk edit, each simulated user logged in as
its own staff user. Prints, per kind of request, the count, requests per
second, p50/p95/p99 latency and failures (the load test in tests/test_load.py
asserts there are none, at a small size).
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from admin_app.db import make_engine  # noqa: E402
from admin_app.migrate import upgrade  # noqa: E402
from tests.pgserver import start_postgres  # noqa: E402
from tests.served import served  # noqa: E402
from tests.test_load import prepare, run_locust  # noqa: E402

COLUMNS = ("Request Count", "Requests/s", "50%", "95%", "99%", "Failure Count")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    server = start_postgres()
    try:
        url = server.url
        engine = make_engine(url)
        upgrade(engine, ("models",))
        engine.dispose()
        users = [f"staff{n}" for n in range(1, options.users + 1)]
        prepare(url, options.tasks, users)
        with (
            tempfile.TemporaryDirectory() as directory,
            served(url, Path(directory), "--workers", str(options.workers)) as base,
        ):
            stats = run_locust(
                base, Path(directory), users, options.tasks, options.seconds
            )
    finally:
        server.stop()
    print(
        f"{options.users} users, {options.workers} workers, {options.tasks:,} tasks, "
        f"{options.seconds} s on PostgreSQL (latency in ms)"
    )
    print(f"{'request':<14}" + "".join(f"{c:>15}" for c in COLUMNS))
    for name, row in stats.items():
        cells = [
            f"{float(row[c]):.1f}" if c == "Requests/s" else row[c] for c in COLUMNS
        ]
        print(f"{name:<14}" + "".join(f"{cell:>15}" for cell in cells))


if __name__ == "__main__":
    main()
