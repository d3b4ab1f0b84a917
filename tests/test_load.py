"""Logged-in staff traffic from Locust against two workers on PostgreSQL.

Bounded in users, rate and time (see tests/load/locustfile.py): no request
fails, and the database holds what the admin acknowledged, each save and bulk
edit audited once. bench/load.py runs the same traffic longer and reports
requests per second and latency.
"""

import csv
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from admin_app.auth.accounts import create_staff_user
from admin_app.db import make_engine
from admin_app.writing.audit import AuditEntry
from models.seed import seed_demo
from models.task import Task
from tests.conftest import PASSWORD
from tests.served import served

LOCUSTFILE = Path(__file__).parent / "load" / "locustfile.py"
TASKS = 600
USERS = [f"staff{n}" for n in range(1, 5)]


def prepare(database_url: str, tasks: int, users: list[str]) -> None:
    engine = make_engine(database_url)
    with Session(engine) as session:
        seed_demo(session, tasks)
        for name in users:
            create_staff_user(session, name, PASSWORD, superuser=True)
        session.commit()
    engine.dispose()


def run_locust(
    base: str, directory: Path, users: list[str], tasks: int, seconds: int
) -> dict[str, dict[str, str]]:
    """Run the traffic headless; its statistics by request name."""
    prefix = directory / "load"
    env = {
        **os.environ,
        "LOAD_SAVES": str(directory / "saves.tsv"),
        "LOAD_USERS": ",".join(users),
        "LOAD_PASSWORD": PASSWORD,
        "LOAD_TASKS": str(tasks),
    }
    finished = subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--users", str(len(users)), "--spawn-rate", str(len(users)),
            "--run-time", f"{seconds}s", "--stop-timeout", "10",
            "--host", base.removesuffix("/admin"), "--csv", str(prefix),
            "--only-summary", "--loglevel", "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )  # fmt: skip
    stats_file = Path(f"{prefix}_stats.csv")
    assert stats_file.exists(), finished.stdout + finished.stderr
    with stats_file.open() as file:
        stats = {row["Name"]: row for row in csv.DictReader(file)}
    failures = Path(f"{prefix}_failures.csv").read_text()
    stats["Aggregated"]["failures"] = failures
    return stats


@pytest.mark.parametrize("backend", ["postgresql"])
def test_staff_traffic_on_two_workers_fails_nothing_and_loses_nothing(
    database_url, tmp_path
):
    prepare(database_url, TASKS, USERS)
    untouched = fields_no_save_changes(database_url)
    with served(database_url, tmp_path, "--workers", "2") as base:
        stats = run_locust(base, tmp_path, USERS, TASKS, seconds=15)
    total = stats["Aggregated"]
    assert int(total["Failure Count"]) == 0, total["failures"]
    expected = {"log in", "list", "filter", "search", "details", "edit save"}
    assert expected <= {
        name for name, row in stats.items() if int(row["Request Count"])
    }
    engine = make_engine(database_url)
    with Session(engine) as session:

        def audited(action: str) -> int:
            return session.exec(
                select(func.count()).where(AuditEntry.action == action)
            ).one()

        # Every acknowledged save is there, and no save is there twice: at
        # most those sent (one cut off when the run ended after the server
        # saved it is sent, not acknowledged), as the users counted them.
        saves = Counter(
            tuple(line.split("\t"))
            for line in (tmp_path / "saves.tsv").read_text().splitlines()
        )
        for action, name in (("edit", "edit save"), ("bulk_edit", "bulk edit")):
            acknowledged, sent = saves["acknowledged", name], saves["sent", name]
            assert acknowledged <= audited(action) <= sent, (action, saves)
        assert saves["acknowledged", "edit save"] > 0
    engine.dispose()
    # The saves change progress alone: each form, posted as its page has it,
    # keeps the task's parent (searched as you type), project, assignee
    # and tags.
    assert fields_no_save_changes(database_url) == untouched


def fields_no_save_changes(database_url: str) -> dict[int, tuple[object, ...]]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        tasks = session.exec(select(Task)).all()
        found = {
            t.id: (
                t.parent_id,
                t.project_id,
                t.assignee_id,
                t.title,
                sorted(tag.name for tag in t.tags),
            )
            for t in tasks
        }
    engine.dispose()
    return found
