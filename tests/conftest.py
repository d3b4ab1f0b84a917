"""Fixtures: a real database per test (SQLite file, and PostgreSQL), the app, staff.

Every HTTP test runs twice, on a SQLite file and on PostgreSQL. PostgreSQL is
TEST_DATABASE_URL when set, else a throwaway server started here from the
machine's binaries. Without either the PostgreSQL runs are skipped, except
under CI, where that is an error.
"""

import os
import re
from collections.abc import Iterator
from functools import cache

import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.auth import accounts
from admin_app.auth.accounts import create_staff_user
from admin_app.auth.models import GroupGrant, StaffGroup, StaffUser
from tests.memory_folder import keep_temporary_files_in_memory
from tests.migrated_copies import (
    drop_postgres_database,
    keep_templates_in,
    leave_server,
    migrate,
    migrated_copy,
    new_postgres_database,
)
from tests.pgserver import PostgresServer, StandbyServer, start_postgres, start_standby

keep_temporary_files_in_memory()

# TestClient sends `Host: testserver`; browsers in the e2e tests use 127.0.0.1.
os.environ.setdefault("ADMIN_ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

SECRET_KEY = "test-secret-key-" + "x" * 32
PASSWORD = "correct horse battery staple"
BACKENDS = ["sqlite", "postgresql"]


def start_own_postgres(tests: str) -> PostgresServer:
    """A throwaway PostgreSQL server started from the machine's binaries;
    without them the caller's `tests` are skipped, except under CI, where
    that is an error."""
    try:
        return start_postgres()
    except (FileNotFoundError, RuntimeError) as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the {tests}: {error}")
        pytest.skip(f"no postgres server here (under CI this fails): {error}")


@pytest.fixture(scope="session", autouse=True)
def passwords_hashed_once_a_process() -> Iterator[None]:
    """Argon2 is slow on purpose (a tenth of a second a hash, the same again to
    check one), and the suite creates a staff user and logs in a thousand
    times with one password. Here a password's hash is made once a process and
    a checked (password, hash) pair remembered: the check is a pure function of
    the pair, and any salt makes a valid hash, so nothing a test sees changes
    but the time. Only the account functions' names are re-bound; the hashing
    module itself, and its tests, stay as shipped."""
    hash_password, verify_password = accounts.hash_password, accounts.verify_password
    accounts.hash_password = cache(hash_password)
    accounts.verify_password = cache(verify_password)
    yield
    accounts.hash_password, accounts.verify_password = hash_password, verify_password


@pytest.fixture(scope="session", autouse=True)
def migrated_templates_kept(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SQLite templates (`migrated`) kept where pytest clears them."""
    keep_templates_in(tmp_path_factory.mktemp("migrated"))


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        leave_server(url)
        return
    server = start_own_postgres("PostgreSQL tests")
    yield server.url
    leave_server(server.url)
    server.stop()


@pytest.fixture(scope="session")
def replicated_postgres() -> Iterator[tuple[PostgresServer, StandbyServer]]:
    """A throwaway primary and a hot standby streaming from it (`pg_basebackup
    -R`), both of their own, so pausing the standby's replay or stopping it
    touches no other test's database."""
    primary = start_own_postgres("replica tests")
    try:
        standby = start_standby(primary)
    except RuntimeError:
        primary.stop()
        raise
    try:
        yield primary, standby
    finally:
        try:
            standby.stop()  # a standby stops before its primary
        finally:
            primary.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def empty_database_url(
    backend: str, tmp_path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A new, empty database of the backend under test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'admin.db'}"
        return
    server_url = request.getfixturevalue("postgres_server_url")
    url = new_postgres_database(server_url)
    yield url
    drop_postgres_database(server_url, url)


def migrated(url: str, models: tuple[str, ...]) -> str:
    """`url`, migrated for `models` (a fresh database as a copy of one migrated
    once a process: `tests.migrated_copies`)."""
    if not migrated_copy(url, models):
        migrate(url, models)
    return url


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A database migrated for the shipped models."""
    return migrated(empty_database_url, ("models",))


@pytest.fixture
def app(database_url: str) -> Iterator[Starlette]:
    app = create_app(database_url, "models", SECRET_KEY)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def db(app: Starlette) -> Iterator[Session]:
    """A session on the app's database, for checking what it holds."""
    with Session(app.state.engine) as session:
        yield session


def served_with_keeper(database_url: str, *modules: str) -> Starlette:
    """An app serving `modules` on `database_url` (migrated for them), with a
    superuser `keeper`."""
    app = create_app(migrated(database_url, modules), list(modules), SECRET_KEY)
    add_staff(app, "keeper", superuser=True)
    return app


def add_staff(
    app: Starlette,
    username: str,
    *,
    superuser: bool = False,
    grants: dict[str, list[str]] | None = None,
) -> StaffUser:
    """A staff user; `grants` ({table: [action, ...]}) go through a group of
    their own, as a superuser would set them up in the admin."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        user = create_staff_user(session, username, PASSWORD, superuser=superuser)
        if grants:
            group = StaffGroup(name=f"{username} group", members=[user])
            group.grants = [
                GroupGrant(identity=table, action=action)
                for table, actions in grants.items()
                for action in actions
            ]
            session.add(group)
        session.commit()
        return user


def csrf_token_of(html: str) -> str:
    """The CSRF token a page carries for its forms and scripts."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    """Log in through the login form, as a browser does.

    On success the client then sends the new session's CSRF token as the
    `X-CSRF-Token` header, as the admin's script does for its requests, so
    tests can post forms without copying the hidden field each time.
    """
    client.headers.pop("X-CSRF-Token", None)
    token = csrf_token_of(client.get("/admin/login").text)
    response = client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    if response.status_code == 302:  # the new session's token, on the lightest page
        client.headers["X-CSRF-Token"] = csrf_token_of(client.get("/admin/login").text)
    return response


@pytest.fixture
def superuser(app: Starlette) -> StaffUser:
    return add_staff(app, "admin", superuser=True)


@pytest.fixture
def client(app: Starlette, superuser: StaffUser) -> Iterator[TestClient]:
    """A browser session logged in as a superuser."""
    with TestClient(app) as client:
        assert login(client, superuser.username).status_code == 302
        yield client


@pytest.fixture
def anonymous(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


OTHER = "tests.other_models"


@pytest.fixture
def library(empty_database_url):
    app = create_app(migrated(empty_database_url, (OTHER,)), OTHER, SECRET_KEY)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def librarian(library):
    add_staff(library, "librarian", superuser=True)
    with TestClient(library) as client:
        assert login(client, "librarian").status_code == 302
        yield client


def serving(url: str, models: str) -> Iterator[Starlette]:
    """The admin serving the `models` module on a fresh database at `url`."""
    app = create_app(migrated(url, (models,)), models, SECRET_KEY)
    yield app
    app.state.engine.dispose()


def superuser_browser(app: Starlette) -> Iterator[TestClient]:
    """A superuser `keeper` logged in to `app`."""
    add_staff(app, "keeper", superuser=True)
    with TestClient(app) as client:
        assert login(client, "keeper").status_code == 302
        yield client


@pytest.fixture
def shapes(empty_database_url: str) -> Iterator[Starlette]:
    """The admin serving `tests.write_models` (the shapes saves and deletes
    meet in other people's models)."""
    yield from serving(empty_database_url, "tests.write_models")


@pytest.fixture
def keeper(shapes: Starlette) -> Iterator[TestClient]:
    yield from superuser_browser(shapes)
