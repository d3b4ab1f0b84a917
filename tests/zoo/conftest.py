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


def _site_of(module: str):  # type: ignore[no-untyped-def]
    """A fixture serving zoo module `module`, seeded."""

    @pytest.fixture
    def served(empty_database_url: str) -> Iterator[Site]:
        yield from serve(empty_database_url, module)

    return served


heroes_site = _site_of(HEROES)
fullstack_site = _site_of(FULLSTACK)
tracker_site = _site_of(TRACKER)
columns_site = _site_of(COLUMNS)
social_site = _site_of(SOCIAL)
legacy_site = _site_of(LEGACY)
loading_site = _site_of(LOADING)
