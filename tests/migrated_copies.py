"""Test databases: a new one, and a new one migrated for some model modules
as a copy of one migrated once a process.

Migrating (Alembic reading its scripts, then the tables' DDL) took up to a
tenth of a second a test, a third of a SQLite test's setup. A fresh
database is instead copied from a template migrated the first time those
modules were asked for: a SQLite file is copied, a PostgreSQL database is made
again with `CREATE DATABASE ... TEMPLATE`. What a test finds is what the
migration made; a database that is not fresh (a second migration, a replica's
primary, a file a test wrote) is migrated as before.
"""

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url

from admin_app.db import make_engine
from admin_app.migrate import upgrade

# made by `new_postgres_database`, not migrated yet: {database URL: its server's URL}
_fresh_postgres: dict[str, str] = {}
# {(server URL or "sqlite", modules): the template's file or database name}
_templates: dict[tuple[str, tuple[str, ...]], str] = {}
_folder: Path | None = None  # where SQLite templates are kept
_servers: dict[str, Engine] = {}  # {server URL: its AUTOCOMMIT engine}


def keep_templates_in(folder: Path) -> None:
    """Keep SQLite templates in `folder` (pytest's temporary folder, which it
    clears as it does a test's); without one, in a folder removed at exit."""
    global _folder
    _folder = folder


def migrate(url: str, models: tuple[str, ...]) -> None:
    """Migrate the database at `url` for `models`, as `admin-app` does."""
    engine = make_engine(url)
    try:
        upgrade(engine, models)
    finally:
        engine.dispose()


def new_postgres_database(server_url: str) -> str:
    """A new, empty database on the server: its URL (copied into when it is
    migrated while it still holds nothing)."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    _create_database(server_url, name)
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    _fresh_postgres[url] = server_url
    return url


def drop_postgres_database(server_url: str, url: str) -> None:
    """Drop a database `new_postgres_database` made, whoever is connected."""
    _fresh_postgres.pop(url, None)
    with _server(server_url) as connection:
        connection.execute(
            text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
        )


def migrated_copy(url: str, models: tuple[str, ...]) -> bool:
    """Make the fresh database at `url` a copy of one migrated for `models`;
    False (nothing done) for a database that is not fresh."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or parsed.query or os.path.exists(path):
            return False
        shutil.copy(_sqlite_template(models), path)  # its owner-only mode too
        return True
    server_url = _fresh_postgres.pop(url, None)
    if server_url is None or not _holds_nothing(url):
        return False
    template = _postgres_template(server_url, models)
    with _server(server_url) as connection:
        connection.execute(text(f'DROP DATABASE "{parsed.database}"'))
        connection.execute(
            text(f'CREATE DATABASE "{parsed.database}" TEMPLATE "{template}"')
        )
    return True


# objects a test may have made before migrating (an extension, a schema, a
# type, a table): any of them and the database is migrated, not replaced
_MADE = """
SELECT EXISTS (SELECT FROM pg_extension WHERE extname <> 'plpgsql')
    OR EXISTS (SELECT FROM pg_namespace n WHERE n.nspname <> 'public'
               AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%')
    OR EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public')
    OR EXISTS (SELECT FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
               WHERE n.nspname = 'public')
    OR EXISTS (SELECT FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public')
"""


def _holds_nothing(url: str) -> bool:
    """Whether the database is as `CREATE DATABASE` made it: a fixture may
    have made an extension or a schema in it before asking for it migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return not connection.execute(text(_MADE)).scalar()
    finally:
        engine.dispose()


def leave_server(server_url: str) -> None:
    """Drop the template databases this process made on the server, and close
    the process's connection to it."""
    ours = [name for (at, _), name in _templates.items() if at == server_url]
    if ours:
        with _server(server_url) as connection:
            for name in ours:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    if server_url in _servers:
        _servers.pop(server_url).dispose()


def _sqlite_template(models: tuple[str, ...]) -> str:
    key = ("sqlite", models)
    if key not in _templates:
        if _folder is None:
            keep_templates_in(Path(tempfile.mkdtemp(prefix="migrated-")))
            atexit.register(shutil.rmtree, _folder, ignore_errors=True)
        path = _folder / f"{uuid.uuid4().hex}.db"
        migrate(f"sqlite:///{path}", models)
        _templates[key] = str(path)
    return _templates[key]


def _postgres_template(server_url: str, models: tuple[str, ...]) -> str:
    key = (server_url, models)
    if key not in _templates:
        name = f"template_{uuid.uuid4().hex[:12]}"
        _create_database(server_url, name)
        database = make_url(server_url).set(database=name)
        migrate(database.render_as_string(hide_password=False), models)
        _templates[key] = name
    return _templates[key]


def _create_database(server_url: str, name: str) -> None:
    with _server(server_url) as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))


@contextmanager
def _server(server_url: str) -> Iterator[Connection]:
    """An AUTOCOMMIT connection to the server (CREATE DATABASE needs one),
    kept for the process: a test makes and drops its databases through it."""
    engine = _servers.get(server_url)
    if engine is None:
        engine = create_engine(
            server_url, isolation_level="AUTOCOMMIT", pool_size=1, pool_pre_ping=True
        )
        _servers[server_url] = engine
    with engine.connect() as connection:
        yield connection
