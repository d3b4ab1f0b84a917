"""A read replica: lists, counts, exports and details read a real streaming
standby, while writes, edit forms and the pages after a user's own save read
the primary; a standby that stops is not noticed by anyone but the log.

The standby is a `pg_basebackup -R` copy of a throwaway primary
(`replicated_postgres`). Pausing its replay (`pg_wal_replay_pause()`) makes
what it serves visibly older than the primary: a row inserted on the primary
then is on one page and missing from another, which shows where each page read.
"""

import logging
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.site import read_routing
from admin_app.writing.audit import AuditEntry
from models import Project
from tests.conftest import (
    PASSWORD,
    SECRET_KEY,
    add_staff,
    csrf_token_of,
    login,
    migrated,
)
from tests.pages import form_values, list_rows, post_form
from tests.pgserver import PostgresServer, StandbyServer
from tests.zoo import fullstack
from tests.zoo.seeds import seed

CATCH_UP_SECONDS = 60  # a bound for the standby to replay, not a measure


@dataclass
class Replicated:
    """One database on the primary, and the same database on the standby."""

    primary: PostgresServer
    standby: StandbyServer
    name: str

    @property
    def url(self) -> str:
        return make_url(self.primary.url).set(database=self.name).render_as_string()

    @property
    def read_url(self) -> str:
        return make_url(self.standby.url).set(database=self.name).render_as_string()

    def _standby(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.standby.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def pause_replay(self) -> None:
        with self._standby() as connection:
            connection.execute("select pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self._standby() as connection:
            connection.execute("select pg_wal_replay_resume()")

    def caught_up(self) -> None:
        """Wait until the standby has replayed everything the primary wrote."""
        with psycopg.connect(
            host="127.0.0.1", port=self.primary.port, user="postgres", autocommit=True
        ) as connection:
            # Commits here are asynchronous (pgserver.py): the commit record
            # may still be in the WAL buffers, past pg_current_wal_lsn().
            query = "select pg_current_wal_insert_lsn()"
            (target,) = connection.execute(query).fetchone()
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while time.monotonic() < deadline:
            try:
                with self._standby() as connection:
                    (behind,) = connection.execute(
                        "select pg_wal_lsn_diff(%s, pg_last_wal_replay_lsn()) > 0",
                        (target,),
                    ).fetchone()
                if not behind:
                    return
            except psycopg.OperationalError:
                pass  # starting up
            time.sleep(0.05)
        raise AssertionError("the standby did not catch up with the primary")

    def stop_standby(self) -> None:
        self.standby.stop_server()

    def start_standby(self) -> None:
        self.standby.run_server()


@pytest.fixture
def replicated(replicated_postgres) -> Iterator[Replicated]:
    """A new database on the primary, replicated to the standby."""
    primary, standby = replicated_postgres
    name = f"replica_{uuid.uuid4().hex[:12]}"
    admin = create_engine(primary.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = Replicated(primary, standby, name)
    try:
        yield database
    finally:
        if not (standby.data / "postmaster.pid").exists():
            standby.run_server()  # a test stopped it and failed before restarting
        database.resume_replay()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def serve(database: Replicated, module: str) -> Starlette:
    app = create_app(
        migrated(database.url, (module,)),
        module,
        SECRET_KEY,
        read_database_url=database.read_url,
    )
    return app


@pytest.fixture
def long_window(monkeypatch):
    """The user's own saves read the primary for an hour: the test does not
    race the few seconds the marker lasts by default."""
    monkeypatch.setattr(read_routing, "READ_YOUR_WRITES_SECONDS", 3600)


@pytest.fixture
def shop(replicated: Replicated, long_window) -> Iterator[Starlette]:
    app = serve(replicated, "models")
    add_staff(app, "writer", superuser=True)
    add_staff(app, "reader", superuser=True)
    with Session(app.state.engine) as session:
        session.add(Project(name="Apollo"))
        session.commit()
    replicated.caught_up()
    yield app
    app.state.read_replica.dispose()
    app.state.engine.dispose()


@pytest.fixture
def clients(shop: Starlette) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(shop) as writer, TestClient(shop) as reader:
        assert login(writer, "writer").status_code == 302
        assert login(reader, "reader").status_code == 302
        yield writer, reader


def names(client: TestClient, identity: str = "project", column: str = "Name"):
    response = client.get(f"/admin/{identity}/list")
    assert response.status_code == 200
    return {row[column] for row in list_rows(response.text)}


def insert_on_primary(app: Starlette, name: str) -> int:
    with Session(app.state.engine) as session:
        project = Project(name=name)
        session.add(project)
        session.commit()
        return project.id


def test_lists_read_the_replica_and_a_saver_sees_their_own_row(
    replicated, shop, clients
):
    writer, reader = clients
    assert names(reader) == {"Apollo"}
    replicated.pause_replay()
    hidden = insert_on_primary(shop, "Hidden")
    # Nobody wrote through the reader's session: every reading page reads the
    # standby, which has not replayed the insert.
    assert names(reader) == {"Apollo"}
    assert reader.get(f"/admin/project/details/{hidden}").status_code == 404
    export = reader.get("/admin/project/export/csv")
    assert export.status_code == 200
    assert "Hidden" not in export.text and "Apollo" in export.text
    with Session(shop.state.engine) as session:  # its audit entry: the primary's
        exports = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "export")
        ).all()
    assert [e.summary for e in exports] == ["Exported 1 Project"]
    index = reader.get("/admin/")
    assert index.status_code == 200

    # The writer saves a project: the page after the save, and the pages after
    # it, read the primary, so the writer's own row is there.
    created = writer.post(
        "/admin/project/create", data={"name": "Gemini"}, follow_redirects=True
    )
    assert created.status_code == 200
    assert "Gemini" in created.text
    assert names(writer) == {"Apollo", "Hidden", "Gemini"}
    with Session(shop.state.engine) as session:
        gemini = session.scalar(select(Project.id).where(Project.name == "Gemini"))
    assert writer.get(f"/admin/project/details/{gemini}").status_code == 200
    # ...and the reader's list is still the standby's.
    assert names(reader) == {"Apollo"}

    replicated.resume_replay()
    replicated.caught_up()
    assert names(reader) == {"Apollo", "Hidden", "Gemini"}


def test_edit_forms_read_the_primary(replicated, shop, clients):
    _writer, reader = clients
    with Session(shop.state.engine) as session:
        apollo = session.scalar(select(Project).where(Project.name == "Apollo"))
    replicated.pause_replay()
    with Session(shop.state.engine) as session:
        row = session.get(Project, apollo.id)
        row.name = "Apollo II"
        session.commit()
    assert names(reader) == {"Apollo"}  # the list reads the standby
    form = reader.get(f"/admin/project/edit/{apollo.id}")
    assert form.status_code == 200
    values = form_values(form.text)
    assert ("name", "Apollo II") in values  # the form reads the primary
    # Its version token is the row as the primary holds it: saving from it is
    # no stale edit.
    values = [(k, "Apollo III" if k == "name" else v) for k, v in values]
    saved = post_form(
        reader, f"/admin/project/edit/{apollo.id}", values, follow_redirects=False
    )
    assert saved.status_code == 302, saved.text
    with Session(shop.state.engine) as session:
        assert session.get(Project, apollo.id).name == "Apollo III"
    assert names(reader) == {"Apollo III"}  # the reader just saved: the primary


def test_without_the_marker_a_saver_would_read_the_replica(replicated, monkeypatch):
    """The marker is what shows a user their own change: without it (a window
    of 0 s) the page after the save reads the standby, which misses it."""
    monkeypatch.setattr(read_routing, "READ_YOUR_WRITES_SECONDS", 0)
    app = serve(replicated, "models")
    try:
        add_staff(app, "writer", superuser=True)
        replicated.caught_up()  # the standby has the tables the login's pages read
        with TestClient(app) as writer:
            assert login(writer, "writer").status_code == 302
            replicated.caught_up()
            replicated.pause_replay()
            created = writer.post(
                "/admin/project/create", data={"name": "Gemini"}, follow_redirects=True
            )
            assert created.status_code == 200
            assert names(writer) == set()
    finally:
        app.state.read_replica.dispose()
        app.state.engine.dispose()


def test_a_mounted_admin_reads_the_replica_too(replicated, long_window):
    """Mounted in a host application, the reading pages are recognised below
    the mount point."""
    app = serve(replicated, "models")
    host = Starlette(routes=[Mount("/backoffice", app=app)])
    try:
        add_staff(app, "reader", superuser=True)
        replicated.caught_up()
        with TestClient(host) as reader:
            token = csrf_token_of(reader.get("/backoffice/login").text)
            logged_in = reader.post(
                "/backoffice/login",
                data={"username": "reader", "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            assert logged_in.status_code == 302
            replicated.pause_replay()
            insert_on_primary(app, "Hidden")
            listed = reader.get("/backoffice/project/list")
            assert listed.status_code == 200
            assert list_rows(listed.text) == []  # the standby's: no row yet
            form = reader.get("/backoffice/project/create")
            assert form.status_code == 200
    finally:
        app.state.read_replica.dispose()
        app.state.engine.dispose()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_stopped_replica_falls_back_to_the_primary_and_is_used_again(
    replicated, shop, clients, caplog
):
    _writer, reader = clients
    replica = shop.state.read_replica
    clock = replica.clock = FakeClock()
    replicated.pause_replay()
    first = insert_on_primary(shop, "First")
    assert names(reader) == {"Apollo"}  # the standby's

    caplog.set_level(logging.WARNING, logger="admin_app.replica")
    replicated.stop_standby()
    # Every reading page answers, from the primary.
    for _ in range(3):
        assert names(reader) == {"Apollo", "First"}
    assert reader.get(f"/admin/project/details/{first}").status_code == 200
    export = reader.get("/admin/project/export/csv")
    assert export.status_code == 200 and "First" in export.text
    assert reader.get("/admin/").status_code == 200
    outages = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(outages) == 1  # logged once, not on every request

    replicated.start_standby()
    replicated.caught_up()
    replicated.pause_replay()
    insert_on_primary(shop, "Second")
    # Not yet due for a retry: still the primary.
    assert names(reader) == {"Apollo", "First", "Second"}
    clock.now += replica.retry_after + 1
    # Retried, and it answers: the standby again, without the newest row.
    assert names(reader) == {"Apollo", "First"}
    back = [r for r in caplog.records if "answers again" in r.getMessage()]
    assert len(back) == 1
    outages = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
    assert len(outages) == 1


def test_a_replica_that_stays_down_is_retried_quietly(
    replicated, shop, clients, caplog
):
    _writer, reader = clients
    replica = shop.state.read_replica
    clock = replica.clock = FakeClock()
    caplog.set_level(logging.WARNING, logger="admin_app.replica")
    replicated.stop_standby()
    try:
        assert names(reader) == {"Apollo"}
        for _ in range(3):
            clock.now += replica.retry_after + 1  # due: tried, and down again
            assert names(reader) == {"Apollo"}
        outages = [r for r in caplog.records if "cannot be reached" in r.getMessage()]
        assert len(outages) == 1
    finally:
        replicated.start_standby()


def test_a_zoo_table_through_the_replica(replicated, long_window):
    """The full-stack template's items (UUID keys): their list and details
    read the standby; their owner edits one and sees the change at once."""
    module = "tests.zoo.fullstack"
    app = serve(replicated, module)
    try:
        seed(app.state.engine, module)
        add_staff(app, "writer", superuser=True)
        add_staff(app, "reader", superuser=True)
        replicated.caught_up()
        with Session(app.state.engine) as session:
            laptop = session.scalar(
                select(fullstack.Item).where(fullstack.Item.title == "Laptop")
            )
        with TestClient(app) as writer, TestClient(app) as reader:
            assert login(writer, "writer").status_code == 302
            assert login(reader, "reader").status_code == 302
            replicated.pause_replay()
            form = writer.get(f"/admin/item/edit/{laptop.id}")
            values = [
                (k, "Laptop Pro" if k == "title" else v)
                for k, v in form_values(form.text)
            ]
            saved = post_form(
                writer, f"/admin/item/edit/{laptop.id}", values, follow_redirects=True
            )
            assert saved.status_code == 200
            assert "Laptop Pro" in names(writer, "item", "Title")
            details = writer.get(f"/admin/item/details/{laptop.id}")
            assert "Laptop Pro" in details.text

            titles = names(reader, "item", "Title")
            assert "Laptop" in titles and "Laptop Pro" not in titles
            details = reader.get(f"/admin/item/details/{laptop.id}")
            assert details.status_code == 200 and "Laptop Pro" not in details.text
            export = reader.get("/admin/item/export/csv")
            assert "Laptop Pro" not in export.text and "Laptop" in export.text

            replicated.resume_replay()
            replicated.caught_up()
            assert "Laptop Pro" in names(reader, "item", "Title")
    finally:
        app.state.read_replica.dispose()
        app.state.engine.dispose()
