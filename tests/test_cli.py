"""The `admin-app` command as an operator uses it."""

import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import func, text
from sqlmodel import Session, select

from admin_app.auth.accounts import check_credentials
from admin_app.auth.models import StaffUser
from admin_app.cli import main
from admin_app.db import make_engine
from models import Project, Tag, Task, TaskAssignment, TaskTagLink, Worker
from models.task import AssignmentRole, TaskStatus
from tests.conftest import PASSWORD, csrf_token_of
from tests.pgserver import _free_port


@pytest.fixture
def run(empty_database_url, monkeypatch, tmp_path):
    """Run `admin-app ...` against the test database, in an empty folder."""
    monkeypatch.setenv("DATABASE_URL", empty_database_url)
    monkeypatch.delenv("ADMIN_MODELS", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    return invoke


def count(url: str, model: type) -> int:
    engine = make_engine(url)
    with Session(engine) as session:
        result = session.scalar(select(func.count()).select_from(model))
    engine.dispose()
    return result


def test_createsuperuser_reads_the_password_from_stdin(run, empty_database_url):
    assert run("migrate").exit_code == 0
    result = run(
        "createsuperuser",
        "--username",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "Superuser 'boss' created." in result.output
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        user = check_credentials(session, "boss", PASSWORD)
        assert user is not None and user.is_superuser and user.is_active
    engine.dispose()


def test_createsuperuser_refuses_weak_passwords_and_taken_names(
    run, empty_database_url
):
    run("migrate")
    weak = run(
        "createsuperuser", "--username", "boss", "--password-stdin", stdin="short\n"
    )
    assert weak.exit_code == 1
    assert "at least 12 characters" in weak.output
    same = run(
        "createsuperuser",
        "--username",
        "bossbossboss",
        "--password-stdin",
        stdin="bossbossboss\n",
    )
    assert "must not be the username" in same.output
    run(
        "createsuperuser",
        "--username",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    again = run(
        "createsuperuser",
        "--username",
        "Boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert count(empty_database_url, StaffUser) == 1


def test_createsuperuser_on_a_database_without_the_admin_tables(run):
    result = run(
        "createsuperuser",
        "--username",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 1
    assert "run `admin-app migrate` first" in result.output


def test_createsuperuser_works_with_a_project_of_other_models(
    run, empty_database_url, monkeypatch
):
    monkeypatch.setenv("ADMIN_MODELS", "tests.other_models")
    assert run("migrate").exit_code == 0
    result = run(
        "createsuperuser",
        "--username",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0
    assert count(empty_database_url, StaffUser) == 1


def test_seed_demo_adds_realistic_rows(run, empty_database_url):
    result = run("seed-demo", "--rows", "500")
    assert result.exit_code == 0, result.output
    assert "500 tasks" in result.output
    assert count(empty_database_url, Task) == 500
    assert count(empty_database_url, Project) >= 3
    assert count(empty_database_url, Worker) >= 5
    assert count(empty_database_url, Tag) == 12
    assert count(empty_database_url, TaskAssignment) > 0
    again = run("seed-demo", "--rows", "100")  # names stay unique on a second run
    assert again.exit_code == 0, again.output
    assert count(empty_database_url, Task) == 600


def test_seed_demo_writes_thousands_of_rows_that_hold_together(run, empty_database_url):
    result = run("seed-demo", "--rows", "5000")
    assert result.exit_code == 0, result.output
    assert "Seeding demo tasks" in result.output  # the progress bar's label
    assert "5,000 tasks" in result.output and "rows/s" in result.output
    assert count(empty_database_url, Task) == 5000
    assert count(empty_database_url, Project) == 25
    assert count(empty_database_url, Worker) == 100
    assert count(empty_database_url, TaskAssignment) > 2000
    assert count(empty_database_url, TaskTagLink) > 3000
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        dangling = {
            "project": "SELECT count(*) FROM task t LEFT JOIN project p"
            " ON p.id = t.project_id WHERE t.project_id IS NOT NULL AND p.id IS NULL",
            "assignee": "SELECT count(*) FROM task t LEFT JOIN worker w"
            " ON w.id = t.assignee_id WHERE t.assignee_id IS NOT NULL AND w.id IS NULL",
            "parent": "SELECT count(*) FROM task t LEFT JOIN task p"
            " ON p.id = t.parent_id WHERE t.parent_id IS NOT NULL"
            " AND (p.id IS NULL OR p.id >= t.id)",
            "assignment": "SELECT count(*) FROM task_assignment a"
            " LEFT JOIN task t ON t.id = a.task_id"
            " LEFT JOIN worker w ON w.id = a.worker_id"
            " WHERE t.id IS NULL OR w.id IS NULL",
            "tag link": "SELECT count(*) FROM task_tag_link l"
            " LEFT JOIN task t ON t.id = l.task_id LEFT JOIN tag g ON g.id = l.tag_id"
            " WHERE t.id IS NULL OR g.id IS NULL",
        }
        for name, sql in dangling.items():
            assert session.scalar(text(sql)) == 0, name
        tasks = session.exec(select(Task)).all()  # every row reads as a Task
        assert {task.status for task in tasks} == set(TaskStatus)
        assert all(" " in task.title and task.title[0].isupper() for task in tasks)
        assert sum(task.parent_id is not None for task in tasks) > 500
        assert all(
            task.progress == 100 for task in tasks if task.status is TaskStatus.done
        )
        roles = session.exec(select(TaskAssignment.role)).all()
        assert set(roles) == set(AssignmentRole)
        # A task added afterwards gets the next key (the sequence moved on).
        later = Task(title="Added by hand")
        session.add(later)
        session.commit()
        assert later.id == 5001
    engine.dispose()
    again = run("seed-demo", "--rows", "1000")
    assert again.exit_code == 0, again.output
    assert count(empty_database_url, Task) == 6001


def test_seed_demo_refuses_other_models(run, monkeypatch):
    monkeypatch.setenv("ADMIN_MODELS", "tests.other_models")
    result = run("seed-demo")
    assert result.exit_code == 2
    assert "shipped `models` package only" in result.output


def _serve(
    tmp_path: Path, database_url: str, *extra: str
) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "ADMIN_SECRET_KEY"}
    env.update(DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    env.pop("ADMIN_MODELS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "admin_app", "serve", "--port", str(port), *extra],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def _read_until_running(process: subprocess.Popen) -> str:
    output = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output += line
        if "Uvicorn running" in line:
            return output
    process.kill()
    raise AssertionError(f"the server did not start:\n{output}")


def test_first_serve_prints_a_password_that_logs_in(tmp_path, empty_database_url):
    process, port = _serve(tmp_path, empty_database_url, "--demo")
    try:
        output = _read_until_running(process)
        match = re.search(r"shown only this once:\s+(\S+)", output)
        assert match, output
        key_file = tmp_path / ".admin-secret-key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert "session signing key" in output
        base = f"http://127.0.0.1:{port}/admin"
        with httpx.Client(base_url=base) as browser:
            token = csrf_token_of(browser.get("/login").text)
            refused = browser.post(
                "/login",
                data={
                    "username": "admin",
                    "password": "wrong" * 3,
                    "csrf_token": token,
                },
            )
            assert refused.status_code == 400
            response = browser.post(
                "/login",
                data={
                    "username": "admin",
                    "password": match.group(1),
                    "csrf_token": token,
                },
            )
            assert response.status_code == 302
            assert browser.get("/task/list").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert count(empty_database_url, Task) == 2000  # --demo seeded the empty database

    process, port = _serve(tmp_path, empty_database_url, "--demo")
    try:
        output = _read_until_running(process)
        assert "shown only this once" not in output  # the password is printed once
        assert "Seeding" not in output  # and the demo data is not added twice
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert count(empty_database_url, Task) == 2000
