"""Async SQLModel apps: their `DATABASE_URL` and their engine serve the admin.

An app that keeps `postgresql+asyncpg://...` or `sqlite+aiosqlite://...` in
its environment, or hands the admin its `AsyncEngine`, gets the admin on the
same database through the synchronous driver; a driver that is missing is one
line naming what to install.
"""

import logging
import re
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx2 as httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from sqlalchemy import create_engine, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.testclient import TestClient

from admin_app import create_app, db
from admin_app.auth.accounts import check_credentials
from admin_app.auth.models import StaffUser
from admin_app.cli import main
from admin_app.drivers import synchronous_url
from admin_app.settings import ImproperlyConfigured
from models import Project, Task
from tests.aio import run_coroutine
from tests.conftest import PASSWORD, SECRET_KEY, add_staff, csrf_token_of, login
from tests.pages import list_rows
from tests.test_cli import _read_until_running, _serve


def as_async(url: str) -> str:
    """The URL an async app keeps for the same database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(False)
    # asyncpg's own spelling of options, as hosted PostgreSQL services document it
    asyncpg = parsed.set(drivername="postgresql+asyncpg").update_query_dict(
        {"ssl": "disable", "prepared_statement_cache_size": "0"}
    )
    return asyncpg.render_as_string(hide_password=False)


@pytest.fixture
def async_url(empty_database_url: str) -> str:
    return as_async(empty_database_url)


@pytest.fixture
def fresh_notes(monkeypatch):  # type: ignore[no-untyped-def]
    """Forget which translations this process has logged already."""
    monkeypatch.setattr(db, "_noted", set())


# --- The translation -------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "served"),
    [
        (
            "postgresql+asyncpg://app:s3cret@db.example.com/shop?ssl=require",
            "postgresql+psycopg://app:s3cret@db.example.com/shop?sslmode=require",
        ),
        (
            "postgresql+asyncpg://app@db/shop?ssl=true&application_name=shop"
            "&prepared_statement_cache_size=0&statement_cache_size=0",
            "postgresql+psycopg://app@db/shop?application_name=shop&sslmode=require",
        ),
        (
            "postgresql+asyncpg://app@db/shop?ssl=false&timeout=2.5",
            "postgresql+psycopg://app@db/shop?connect_timeout=3&sslmode=disable",
        ),
        (
            "postgresql+asyncpg://app@db/shop?ssl=require&sslmode=verify-full",
            "postgresql+psycopg://app@db/shop?sslmode=verify-full",
        ),
        (
            "postgresql+psycopg_async://app@db/shop?sslmode=require",
            "postgresql+psycopg://app@db/shop?sslmode=require",
        ),
        ("sqlite+aiosqlite:///app.db", "sqlite:///app.db"),
        ("sqlite+aiosqlite:///app.db?timeout=10", "sqlite:///app.db?timeout=10"),
        ("postgresql://app@db/shop", "postgresql+psycopg://app@db/shop"),
        ("postgresql+psycopg://app@db/shop", "postgresql+psycopg://app@db/shop"),
        ("sqlite:///app.db", "sqlite:///app.db"),
    ],
)
def test_an_async_url_is_served_through_the_synchronous_driver(given, served):
    translated = synchronous_url(given)
    assert translated.url.render_as_string(hide_password=False) == served
    assert (translated.note is not None) == ("+a" in given or "_async" in given)


def test_the_note_says_what_was_translated_and_never_the_password():
    note = synchronous_url(
        "postgresql+asyncpg://app:s3cret@db/shop?ssl=require"
        "&prepared_statement_cache_size=0"
    ).note
    assert note == (
        "The database URL names the async driver asyncpg; the admin connects "
        "with postgresql+psycopg, the synchronous driver of the same database; "
        "ssl=require read as sslmode=require; prepared_statement_cache_size "
        "left out (asyncpg only); no prepared statements (prepare_threshold=None)."
    )
    assert "s3cret" not in note


def test_asyncpg_without_a_statement_cache_is_psycopg_without_prepared_statements():
    """PgBouncer and hosted poolers ask asyncpg apps for a cache size of 0."""
    for name in ("prepared_statement_cache_size", "statement_cache_size"):
        off = synchronous_url(f"postgresql+asyncpg://app@db/shop?{name}=0")
        assert off.connect_args == {"prepare_threshold": None}
        assert off.url.query == {}
        on = synchronous_url(f"postgresql+asyncpg://app@db/shop?{name}=100")
        assert on.connect_args == {}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "postgresql+asyncpg://app@db/shop?ssl=maybe",
            "ssl=maybe in the database URL is not an SSL mode",
        ),
        ("not a database url", "The database URL cannot be read"),
        ("nosuchdb+driver://app@db/shop", "SQLAlchemy does not know"),
    ],
)
def test_a_url_that_cannot_be_served_is_one_line(url, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        create_app(url, "models", SECRET_KEY)


@pytest.mark.parametrize(
    ("url", "module", "advice"),
    [
        (
            "postgresql+asyncpg://app:s3cret@db/shop",
            "psycopg",
            "pip install 'sqlmodel-admin[postgres]'",
        ),
        (
            "postgresql+psycopg://app:s3cret@db/shop",
            "psycopg",
            "pip install 'sqlmodel-admin[postgres]'",
        ),
        ("mysql+aiomysql://app:s3cret@db/shop", "pymysql", "pip install pymysql"),
    ],
)
def test_a_missing_driver_names_what_to_install(
    url, module, advice, monkeypatch, tmp_path
):
    monkeypatch.setitem(sys.modules, module, None)  # as if it were not installed
    with pytest.raises(ImproperlyConfigured) as raised:
        create_app(url, "models", SECRET_KEY)
    message = str(raised.value)
    assert message.endswith(advice)
    assert "\n" not in message and "s3cret" not in message

    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["migrate"])
    assert result.exit_code == 1
    assert result.output == f"Error: {message}\n"  # one line, no traceback


# --- The command line and the served app on an async URL ------------------


@pytest.fixture
def run(async_url, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    """`admin-app ...` with the async app's DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", async_url)
    monkeypatch.delenv("ADMIN_MODELS", raising=False)
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)

    return invoke


def test_every_command_reads_an_async_url(run, empty_database_url, fresh_notes):
    migrated = run("migrate")
    assert migrated.exit_code == 0, migrated.output
    assert "Database is up to date" in migrated.output
    created = run(
        "createsuperuser", "--username", "boss", "--password-stdin", stdin=PASSWORD
    )
    assert created.exit_code == 0, created.output
    seeded = run("seed-demo", "--rows", "20")
    assert seeded.exit_code == 0, seeded.output
    assert "20 tasks" in seeded.output

    engine = db.make_engine(empty_database_url)
    with Session(engine) as session:
        assert check_credentials(session, "boss", PASSWORD) is not None
        assert session.exec(select(func.count()).select_from(Task)).one() == 20
    engine.dispose()


def test_serve_on_an_async_url_logs_in(tmp_path, async_url):
    process, port = _serve(tmp_path, async_url)
    try:
        output = _read_until_running(process)
        assert output.count("names the async driver") == 1  # logged once
        password = re.search(r"shown only this once:\s+(\S+)", output).group(1)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/admin") as browser:
            token = csrf_token_of(browser.get("/login").text)
            response = browser.post(
                "/login",
                data={"username": "admin", "password": password, "csrf_token": token},
            )
            assert response.status_code == 302
            assert browser.get("/task/list").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def async_app(database_url: str) -> Iterator:  # type: ignore[type-arg]
    app = create_app(as_async(database_url), "models", SECRET_KEY)
    yield app
    app.state.engine.dispose()


def test_the_served_app_logs_in_through_an_async_url(async_app, database_url):
    engine = async_app.state.engine
    assert engine.dialect.is_async is False
    if engine.dialect.name == "postgresql":  # prepared_statement_cache_size=0
        with engine.connect() as connection:
            assert connection.connection.driver_connection.prepare_threshold is None
    add_staff(async_app, "admin", superuser=True)
    with TestClient(async_app) as browser:
        assert login(browser, "admin").status_code == 302
        assert browser.get("/admin/task/list").status_code == 200
        token = browser.headers["X-CSRF-Token"]
        saved = browser.post(
            "/admin/project/create",
            data={"name": "Apollo", "csrf_token": token, "save": "Save"},
            follow_redirects=False,
        )
        assert saved.status_code == 302
    engine = db.make_engine(database_url)
    with Session(engine) as session:
        assert [p.name for p in session.exec(select(Project)).all()] == ["Apollo"]
    engine.dispose()


def test_the_translation_is_logged_once(database_url, caplog, fresh_notes):
    caplog.set_level(logging.INFO, logger="admin_app.db")
    for _ in range(3):
        db.make_engine(as_async(database_url)).dispose()
    notes = [r for r in caplog.records if "names the async driver" in r.message]
    assert len(notes) == 1


# --- create_app(engine=...) ------------------------------------------------


def async_host(engine: AsyncEngine, admin_prefix: str = "/admin") -> FastAPI:
    """An async FastAPI app that writes with its own engine and mounts the
    admin on that same engine."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    host = FastAPI(lifespan=lifespan)

    @host.post("/projects/{name}")
    async def add_project(name: str) -> dict:
        async with AsyncSession(engine) as session:
            session.add(Project(name=name))
            await session.commit()
        return {"added": name}

    admin = create_app(models="models", secret_key=SECRET_KEY, engine=engine)
    host.state.admin = admin
    host.mount(admin_prefix, admin)
    return host


def test_an_async_engine_serves_the_admin_on_the_same_database(database_url):
    engine = create_async_engine(
        as_async(database_url), pool_size=3, max_overflow=1, pool_recycle=600
    )
    host = async_host(engine)
    admin_engine = host.state.admin.state.engine
    assert not admin_engine.dialect.is_async
    assert admin_engine.url.database == engine.url.database
    assert admin_engine.pool.size() == 3
    assert admin_engine.pool._max_overflow == 1
    assert admin_engine.pool._recycle == 600
    add_staff(host.state.admin, "admin", superuser=True)
    with TestClient(host) as browser:
        assert browser.post("/projects/Borealis").json() == {"added": "Borealis"}
        assert login(browser, "admin").status_code == 302
        rows = list_rows(browser.get("/admin/project/list").text)
        assert [row["Name"] for row in rows] == ["Borealis"]
    admin_engine.dispose()


def test_a_synchronous_engine_is_used_as_it_is(database_url, caplog):
    engine = create_engine(database_url)
    app = create_app(models="models", secret_key=SECRET_KEY, engine=engine)
    assert app.state.engine is engine
    assert not event.contains(engine, "connect", db._sqlite_pragmas)
    add_staff(app, "admin", superuser=True)
    with TestClient(app) as browser:
        assert login(browser, "admin").status_code == 302
        assert browser.get("/admin/task/list").status_code == 200
    engine.dispose()


def test_a_sqlite_engine_without_foreign_keys_is_said_once(tmp_path, caplog):
    url = f"sqlite:///{tmp_path / 'host.db'}"
    lax = create_engine(url)
    create_app(models="models", secret_key=SECRET_KEY, engine=lax)
    assert "does not enforce foreign keys" in caplog.text
    lax.dispose()

    caplog.clear()
    strict = create_engine(url)

    @event.listens_for(strict, "connect")
    def foreign_keys_on(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    create_app(models="models", secret_key=SECRET_KEY, engine=strict)
    assert "foreign keys" not in caplog.text
    strict.dispose()


def test_engine_arguments_that_cannot_work_are_one_line(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ImproperlyConfigured, match="a database_url or an engine"):
        create_app(f"sqlite:///{tmp_path / 'b.db'}", "models", SECRET_KEY, engine)
    with pytest.raises(ImproperlyConfigured, match="takes a SQLAlchemy Engine"):
        create_app(models="models", secret_key=SECRET_KEY, engine="sqlite://")
    memory = create_async_engine("sqlite+aiosqlite://")
    with pytest.raises(ImproperlyConfigured, match="Use a file"):
        create_app(models="models", secret_key=SECRET_KEY, engine=memory)
    run_coroutine(memory.dispose())
    engine.dispose()


def test_staff_table_is_shared_with_the_host_engine(database_url):
    """What the admin writes through the translated engine, the host reads
    through its async one."""
    engine = create_async_engine(as_async(database_url))
    app = create_app(models="models", secret_key=SECRET_KEY, engine=engine)
    add_staff(app, "clerk")

    async def usernames() -> list[str]:
        async with AsyncSession(engine) as session:
            names = (await session.exec(select(StaffUser.username))).all()
        await engine.dispose()
        return names

    assert run_coroutine(usernames()) == ["clerk"]
    app.state.engine.dispose()
