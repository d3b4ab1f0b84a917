"""Engine and session factory: one synchronous code path for SQLite and PostgreSQL.

A URL with an async driver is served through the same database's synchronous
driver (see `admin_app.drivers`); a host application's `AsyncEngine` gives the
admin a synchronous engine on the same URL with the same pool sizes. A host's
synchronous `Engine` is used as it is.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, Pool, QueuePool

from admin_app.drivers import SyncURL, require_driver, synchronous_url
from admin_app.model.loading import selectin_collections
from admin_app.replica import ReadReplica, RoutingSession
from admin_app.settings import (
    ImproperlyConfigured,
    pool_settings,
    statement_timeout,
)

logger = logging.getLogger(__name__)
_noted: set[str] = set()  # translations already logged by this process


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Enforce foreign keys (off by default in SQLite) and use WAL.

    WAL lets the list page read while another worker writes; the busy timeout
    makes a second writer wait instead of failing at once.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# Extensions' text types psycopg knows nothing of: an array of one came back
# as its text (`{X,y}`), which SQLAlchemy's ARRAY read letter by letter.
EXTENSION_TEXT_TYPES = ("citext",)


def _extension_types(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    """Register with psycopg the extension text types the database has, so
    an array of them (`citext[]`) is read as a list of texts, as an app
    that registers them on its own engine reads it."""
    from psycopg.types import TypeInfo

    for name in EXTENSION_TEXT_TYPES:
        info = TypeInfo.fetch(dbapi_connection, name)
        if info is not None:
            info.register(dbapi_connection)


def admin_url(database_url: str | URL) -> SyncURL:
    """The URL the admin connects with, its translation logged once."""
    translated = synchronous_url(database_url)
    if translated.note and translated.note not in _noted:
        _noted.add(translated.note)
        logger.warning(translated.note)
    require_driver(translated.url)
    return translated


def make_engine(database_url: str | URL, **options: object) -> Engine:
    """The admin's own engine on `database_url`; `options` are pool settings.

    On a database server (not SQLite) the pool settings of the environment
    (`ADMIN_POOL_SIZE` and its kin, see `pool_settings`) win over `options`,
    and pre-ping is on unless turned off: a connection the server or a proxy
    dropped is replaced before use instead of failing a request.
    """
    env_options = pool_settings()  # a bad value is refused on SQLite too
    translated = admin_url(database_url)
    url, connect_args = translated.url, dict(translated.connect_args)
    if url.get_backend_name() == "sqlite":
        connect_args["check_same_thread"] = False
        engine = create_engine(url, connect_args=connect_args, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.update(env_options)
    options.setdefault("pool_pre_ping", True)
    engine = create_engine(url, connect_args=connect_args, **options)
    if url.get_driver_name() == "psycopg":
        event.listen(engine, "connect", _extension_types)
    return engine


def make_read_replica(database_url: str | URL, primary: Engine) -> ReadReplica:
    """The read replica on `database_url`, falling back to `primary`; its
    engine takes the same pool settings as the primary's."""
    return ReadReplica(make_engine(database_url), primary)


def engine_for(engine: Engine | AsyncEngine) -> Engine:
    """The synchronous engine the admin uses beside a host application's engine.

    An `AsyncEngine` (or its `sync_engine`) cannot run the admin's synchronous
    sessions; the admin makes its own engine on the same URL, translated to the
    synchronous driver, with the same pool sizes. The options given to
    `create_async_engine` as `connect_args` belong to the async driver and are
    not carried over: put them in the URL.

    A synchronous `Engine` is shared as it is: same pool, no listeners added.
    On SQLite that means foreign keys are enforced only if the host turns them
    on; if not, this logs one line saying so, since ON DELETE CASCADE and SET
    NULL then do nothing when the admin deletes a row.
    """
    if isinstance(engine, AsyncEngine):
        engine = engine.sync_engine
    if not isinstance(engine, Engine):
        raise ImproperlyConfigured(
            "create_app(engine=...) takes a SQLAlchemy Engine or AsyncEngine, "
            f"not {type(engine).__name__}."
        )
    if engine.dialect.is_async:
        if _in_memory(engine.url):
            raise ImproperlyConfigured(
                "An in-memory SQLite database lives inside the connection of the "
                "engine that made it; the admin cannot reach it. Use a file, "
                "such as sqlite+aiosqlite:///app.db."
            )
        return make_engine(engine.url, echo=engine.echo, **_pool_options(engine.pool))
    if engine.dialect.name == "sqlite" and _foreign_keys_off(engine):
        logger.warning(
            "The SQLite engine given to create_app() does not enforce foreign "
            "keys (SQLite's default) and the admin leaves it as it is: deleting "
            "a row then leaves in place the rows ON DELETE CASCADE or SET NULL "
            "would change. Run PRAGMA foreign_keys=ON on connect in your app."
        )
    return engine


def _in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    )


def _pool_options(pool: Pool) -> dict[str, object]:
    """The settings of an async engine's pool, for a synchronous pool."""
    if isinstance(pool, QueuePool):  # AsyncAdaptedQueuePool is one
        options: dict[str, object] = {
            "pool_size": pool.size(),
            "pool_timeout": pool.timeout(),
            "pool_recycle": pool._recycle,
            "pool_use_lifo": pool._pool.use_lifo,
        }
        if pool._max_overflow >= 0:
            options["max_overflow"] = pool._max_overflow
        if pool._pre_ping:
            options["pool_pre_ping"] = True
        return options
    if isinstance(pool, NullPool):
        return {"poolclass": NullPool}
    return {}  # SQLite's in-process pools: the synchronous default fits


def _foreign_keys_off(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            return not connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    except SQLAlchemyError:  # not reachable now: nothing to say yet
        return False


def reads_bind(session: Session) -> Engine:
    """The engine `session`'s reads go to: the replica, when the request's
    reads go there."""
    if isinstance(session, RoutingSession):
        return session.bind_for_reads()
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def set_local(session: Session, setting: str, value: str) -> None:
    """PostgreSQL's `SET LOCAL setting = value` where `session` reads: it
    ends with the transaction (or the savepoint it is in, if that is rolled
    back), so a host application's shared engine keeps its own settings."""
    session.execute(
        text("SELECT set_config(:setting, :value, true)"),
        {"setting": setting, "value": value},
        bind_arguments={"bind": reads_bind(session)},
    )


def limit_statement_time(session: Session, seconds: float | None = None) -> None:
    """Bound every statement of `session`'s transaction by the statement
    timeout (`ADMIN_STATEMENT_TIMEOUT`, or `seconds`), on PostgreSQL: a sort
    on an unindexed column of a huge table is cancelled by the database
    instead of holding a worker."""
    if reads_bind(session).dialect.name != "postgresql":
        return
    limit = statement_timeout() if seconds is None else seconds
    set_local(session, "statement_timeout", str(round(limit * 1000)))


def statement_timed_out(error: BaseException) -> bool:
    """Whether the database cancelled a statement for running too long."""
    orig = getattr(error, "orig", None)
    return str(getattr(orig, "sqlstate", "") or "") == "57014"


_T = TypeVar("_T")


def within_time(session: Session, seconds: float, read: Callable[[], _T]) -> _T | None:
    """`read()` in a savepoint whose statements PostgreSQL cancels after
    `seconds`, or None if it did: a read that may be quick (a walk along an
    index, a sample in the list's order) is tried before a slower sure one.
    The time limit ends with the savepoint; the transaction goes on."""
    try:
        with session.begin_nested():
            limit_statement_time(session, min(seconds, statement_timeout()))
            found = read()
            limit_statement_time(session)
            return found
    except OperationalError as error:
        if not statement_timed_out(error):
            raise
    return None


def begin_for_savepoints(session: Session, *, writing: bool = False) -> None:
    """Start SQLite's transaction now. Python's sqlite3 begins one only before
    a write, so a SAVEPOINT issued first would be the outermost transaction
    and its RELEASE would commit: a preview would write its rows, and a
    refused confirmation would keep the rows before the refusal.

    `writing` takes the database's write lock at once (`BEGIN IMMEDIATE`,
    waiting for another writer as the busy timeout allows): what the
    transaction reads then cannot change before it writes. (A transaction
    that read first, then found another writer had committed since, fails
    at its first write.)"""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def make_session_factory(
    engine: Engine, replica: ReadReplica | None = None
) -> sessionmaker[Session]:
    """Sessions on `engine`; with a `replica`, their reads go there while a
    request allows it (see `admin_app.replica`), everything else to `engine`."""
    selectin_collections(RoutingSession)
    return sessionmaker(
        bind=engine,
        class_=RoutingSession,
        replica=replica,
        expire_on_commit=False,
        autoflush=False,
    )
