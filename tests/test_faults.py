"""Faults under load, on PostgreSQL served by two workers: the database
restarting, two bulk edits at once, an export cut off by an outage.

Each test asserts what staff would see (the 503 page, a broken download) and
what the database holds afterwards: every write the admin acknowledged.
"""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

from admin_app.auth.accounts import create_staff_user
from admin_app.db import make_engine
from admin_app.migrate import upgrade
from admin_app.writing.audit import AuditEntry
from models import Project, Task
from models.seed import seed_demo
from tests.conftest import PASSWORD, csrf_token_of, start_own_postgres
from tests.pgserver import PostgresServer
from tests.served import served

TASKS = 200


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of this module's own, since its tests stop it."""
    server = start_own_postgres("fault tests")
    yield server
    server.stop()


@pytest.fixture
def site(own_postgres: PostgresServer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(admin base URL, database URL): the shipped models with demo tasks,
    served by `admin-app serve --workers 2`."""
    url = own_postgres.url.rsplit("/", 1)[0] + f"/faults_{os.getpid()}_{time.time_ns()}"
    admin = create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine, ("models",))
    with Session(engine) as session:
        seed_demo(session, TASKS)
        create_staff_user(session, "admin", PASSWORD, superuser=True)
        session.commit()
    engine.dispose()
    with served(url, tmp_path, "--workers", "2") as base:
        yield base, url


def logged_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    token = csrf_token_of(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    client.headers["X-CSRF-Token"] = csrf_token_of(client.get("/").text)
    return client


class Writer(threading.Thread):
    """Adds projects one after another, noting each one the admin acknowledged
    (302) and every status it answered."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.client = logged_in(base)
        self.acknowledged: list[str] = []
        self.statuses: list[int | str] = []
        self.running = True

    def run(self) -> None:
        number = 0
        while self.running:
            number += 1
            name = f"Written {number}"
            try:
                response = self.client.post(
                    "/project/create", data={"name": name, "save": "Save"}
                )
            except httpx.TransportError as error:
                self.statuses.append(type(error).__name__)
            else:
                self.statuses.append(response.status_code)
                if response.status_code == 302:
                    self.acknowledged.append(name)
            time.sleep(0.02)


def wait_for(check, seconds: float = 90) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


def test_a_database_restart_under_load_loses_no_acknowledged_write(own_postgres, site):
    base, url = site
    writer = Writer(base)
    writer.start()
    reader = logged_in(base)
    try:
        wait_for(lambda: len(writer.acknowledged) >= 5)
        own_postgres.stop_server()
        outage = reader.get("/task/list")
        wait_for(lambda: 503 in writer.statuses)
        own_postgres.run_server()
        # the admin recovers by itself: no restart, no operator
        wait_for(lambda: reader.get("/task/list").status_code == 200)
        after = len(writer.acknowledged)
        wait_for(lambda: len(writer.acknowledged) >= after + 5)
    finally:
        writer.running = False
        writer.join(timeout=60)
    assert outage.status_code == 503
    assert "Retry-After" in outage.headers
    assert "database" in outage.text.lower()
    assert set(writer.statuses) <= {302, 503}, writer.statuses
    engine = make_engine(url)
    with Session(engine) as session:
        stored = set(session.exec(select(Project.name)).all())
    engine.dispose()
    assert set(writer.acknowledged) <= stored


def waiting_for_locks(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND datname = current_database()"
            )
        )


def test_two_overlapping_bulk_edits_both_finish_and_are_both_audited(site):
    base, url = site
    first, second = logged_in(base), logged_in(base)
    shared = list(range(1, 101))
    edits = {
        first: (shared + list(range(101, 151)), "11"),
        second: (shared + list(range(151, 201)), "22"),
    }
    answers: dict[httpx.Client, int] = {}

    def bulk_edit(client: httpx.Client) -> None:
        keys, value = edits[client]
        response = client.post(
            f"/task/bulk-edit?pks={','.join(map(str, keys))}",
            data={"fields": "progress", "progress": value},
        )
        answers[client] = response.status_code

    engine = make_engine(url)
    # A colleague's transaction holds the shared rows until both edits have
    # reached them, so the two really overlap (not one after the other).
    colleague = engine.connect()
    colleague.execute(text("SELECT id FROM task WHERE id <= 100 FOR UPDATE"))
    threads = [threading.Thread(target=bulk_edit, args=(c,)) for c in edits]
    for thread in threads:
        thread.start()
    wait_for(lambda: waiting_for_locks(engine) == 2)
    colleague.rollback()
    colleague.close()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == {first: 302, second: 302}
    with Session(engine) as session:
        progress = dict(session.exec(select(Task.id, Task.progress)).all())
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == "bulk_edit")
        ).all()
    engine.dispose()
    assert {progress[k] for k in range(101, 151)} == {11}
    assert {progress[k] for k in range(151, 201)} == {22}
    overlap = {progress[k] for k in shared}
    assert len(overlap) == 1 and overlap <= {11, 22}  # one edit ran after the other
    assert sorted(len(e.keys()) for e in entries) == [150, 150]
    later, earlier = sorted(
        (e.change_data() for e in entries),
        key=lambda data: data["new"]["progress"] != progress[shared[0]],
    )
    # the edit that ran second found the first one's value in every shared row
    assert {later["old"][str(k)]["progress"] for k in shared} == {
        earlier["new"]["progress"]
    }


def test_an_export_cut_off_by_an_outage_is_a_broken_download(own_postgres, site):
    base, url = site
    engine = make_engine(url)
    with engine.begin() as connection:  # enough rows that the export streams
        connection.execute(
            text(
                "INSERT INTO task (title, status, priority, progress, created_at) "
                "SELECT 'Bulk task ' || n, 'todo', 'normal', 0, now() "
                "FROM generate_series(1, 60000) AS n"
            )
        )
    engine.dispose()
    client = logged_in(base)
    received = 0
    with (
        pytest.raises(httpx.HTTPError),
        client.stream("GET", "/task/export/csv") as response,
    ):
        assert response.status_code == 200
        for chunk in response.iter_bytes():
            if received == 0:
                own_postgres.stop_server()  # the rest of the export is cut off
            received += len(chunk)
    own_postgres.run_server()
    assert received > 0
    wait_for(lambda: client.get("/task/list").status_code == 200)
    with Session(make_engine(url)) as session:
        assert session.exec(select(func.count()).select_from(Task)).one() == 60200
