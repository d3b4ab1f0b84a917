"""Fixtures: each zoo module served untouched on SQLite and PostgreSQL, seeded,
with a superuser logged in."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app import create_app
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.zoo.seeds import seed

HEROES = "tests.zoo.heroes"
FULLSTACK = "tests.zoo.fullstack"
TRACKER = "tests.zoo.tracker"
COLUMNS = "tests.zoo.columns"
SOCIAL = "tests.zoo.social"
LEGACY = "tests.zoo.legacy"
LOADING = "tests.zoo.loading"
ZOO = (HEROES, FULLSTACK, TRACKER, COLUMNS, SOCIAL, LEGACY, LOADING)


@dataclass
class Site:
    """A zoo module served by the admin: the app, a logged-in superuser's
    browser, and the database to check what it holds."""

    module: str
    app: Starlette
    client: TestClient

    @property
    def engine(self) -> Engine:
        return self.app.state.engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


def serve(url: str, module: str, *, seeded: bool = True) -> Iterator[Site]:
    app = create_app(migrated(url, (module,)), module, SECRET_KEY)
    try:
        if seeded:
            seed(app.state.engine, module)
        add_staff(app, "keeper", superuser=True)
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            yield Site(module, app, client)
    finally:
        app.state.engine.dispose()


def serve_live(url: str, module: str) -> Iterator[tuple[Site, str]]:
    """`serve`, and the app on a real server too (for a browser): the site
    and the server's address."""
    from tests.live import live_server

    for site in serve(url, module):
        with live_server(site.app) as address:
            yield site, address


@pytest.fixture
def site(request: pytest.FixtureRequest, empty_database_url: str) -> Iterator[Site]:
    """The zoo module named by the test's indirect parameter, served and seeded."""
    yield from serve(empty_database_url, request.param)


@pytest.fixture
def heroes_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, HEROES)


@pytest.fixture
def fullstack_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, FULLSTACK)


@pytest.fixture
def tracker_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, TRACKER)


@pytest.fixture
def columns_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, COLUMNS)


@pytest.fixture
def social_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, SOCIAL)


@pytest.fixture
def legacy_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, LEGACY)


@pytest.fixture
def loading_site(empty_database_url: str) -> Iterator[Site]:
    yield from serve(empty_database_url, LOADING)
