"""Database URLs as the admin connects to them: the synchronous driver of each
database, and a one-line answer when that driver is missing.

Async SQLModel apps keep an async driver in `DATABASE_URL` (asyncpg, psycopg's
async mode, aiosqlite). The admin runs synchronous sessions in a thread pool,
as SQLAdmin does with a synchronous engine, so it serves such a URL through
the same database's synchronous driver. The two drivers do not always spell
their options alike: asyncpg's `ssl=require` (as hosted PostgreSQL services
document it) is libpq's `sslmode=require`, and asyncpg's statement cache has
no psycopg counterpart, except that turning it off (`=0`, as PgBouncer and
hosted poolers ask) is psycopg's `prepare_threshold=None`. Everything else in
the URL is kept.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from admin_app.settings import ImproperlyConfigured

# Async driver -> the synchronous driver of the same database.
SYNC_DRIVERS = {
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql+psycopg_async": "postgresql+psycopg",
    "sqlite+aiosqlite": "sqlite",
    "mysql+aiomysql": "mysql+pymysql",
    "mysql+asyncmy": "mysql+pymysql",
    "mariadb+aiomysql": "mariadb+pymysql",
    "mariadb+asyncmy": "mariadb+pymysql",
    "oracle+oracledb_async": "oracle+oracledb",
    "mssql+aioodbc": "mssql+pyodbc",
}
# No driver named: SQLAlchemy would pick psycopg2; the admin ships psycopg 3.
DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}

# What to install when a driver's module cannot be imported.
INSTALL = {
    "psycopg": "pip install 'sqlmodel-admin[postgres]'",
    "psycopg2": "pip install psycopg2-binary, or write postgresql+psycopg:// and "
    "pip install 'sqlmodel-admin[postgres]'",
    "pymysql": "pip install pymysql",
    "oracledb": "pip install oracledb",
    "pyodbc": "pip install pyodbc",
}

LIBPQ_SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# asyncpg's statement caches; 0 turns prepared statements off.
ASYNCPG_STATEMENT_CACHES = ("prepared_statement_cache_size", "statement_cache_size")
# asyncpg's connect() options that psycopg has no counterpart for.
ASYNCPG_ONLY = (
    *ASYNCPG_STATEMENT_CACHES,
    "prepared_statement_name_func",
    "max_cached_statement_lifetime",
    "max_cacheable_statement_size",
    "command_timeout",
    "direct_tls",
    "record_class",
    "connection_class",
    "server_settings",
)


@dataclass(frozen=True)
class SyncURL:
    url: URL
    note: str | None
    """One line saying what was translated, or None when nothing was."""
    connect_args: dict[str, object] = field(default_factory=dict)
    """Options for the synchronous driver that a URL cannot carry."""


def parse_url(value: str | URL) -> URL:
    """`value` as a SQLAlchemy URL, or one line saying what is wrong with it
    (never the value itself: it may hold a password)."""
    try:
        return make_url(value)
    except (ArgumentError, ValueError) as error:
        raise ImproperlyConfigured(
            "The database URL cannot be read; it looks like "
            "sqlite:///admin.db or postgresql+psycopg://user:password@host/name."
        ) from error


def synchronous_url(value: str | URL) -> SyncURL:
    """The URL the admin connects with: the same database, a synchronous driver."""
    url = parse_url(value)
    if url.drivername in DEFAULT_DRIVERS:
        return SyncURL(url.set(drivername=DEFAULT_DRIVERS[url.drivername]), None)
    sync_driver = SYNC_DRIVERS.get(url.drivername)
    if sync_driver is None:
        return SyncURL(url, None)
    changes: list[str] = []
    connect_args: dict[str, object] = {}
    query: Mapping[str, str | tuple[str, ...]] = url.query
    if url.drivername == "postgresql+asyncpg":
        query, changes = _libpq_options(query)
        if any(url.query.get(name) == "0" for name in ASYNCPG_STATEMENT_CACHES):
            connect_args["prepare_threshold"] = None
            changes.append("no prepared statements (prepare_threshold=None)")
    sync = url.set(drivername=sync_driver, query=query)
    note = (
        f"The database URL names the async driver {url.get_driver_name()}; the "
        f"admin connects with {sync.drivername}, the synchronous driver of the "
        "same database"
    )
    note += "".join(f"; {change}" for change in changes) + "."
    return SyncURL(sync, note, connect_args)


def _libpq_options(
    query: Mapping[str, str | tuple[str, ...]],
) -> tuple[dict[str, str | tuple[str, ...]], list[str]]:
    """asyncpg's URL options as libpq (psycopg) spells them, and what changed."""
    kept = dict(query)
    changes = []
    ssl = kept.pop("ssl", None)
    if ssl is not None and "sslmode" not in kept:
        kept["sslmode"] = _sslmode(_single(ssl, "ssl"))
        changes.append(f"ssl={_single(ssl, 'ssl')} read as sslmode={kept['sslmode']}")
    timeout = kept.pop("timeout", None)
    if timeout is not None and "connect_timeout" not in kept:
        kept["connect_timeout"] = str(_seconds(_single(timeout, "timeout")))
        changes.append(f"timeout read as connect_timeout={kept['connect_timeout']}")
    dropped = [name for name in ASYNCPG_ONLY if kept.pop(name, None) is not None]
    if dropped:
        changes.append(f"{', '.join(dropped)} left out (asyncpg only)")
    return kept, changes


def _single(value: str | tuple[str, ...], name: str) -> str:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise ImproperlyConfigured(f"The database URL gives {name} twice.")
        return value[0]
    return value


def _sslmode(ssl: str) -> str:
    """asyncpg's `ssl` (a mode, or a boolean) as libpq's `sslmode`."""
    value = ssl.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return "require"
    if value in ("false", "0", "no", "off"):
        return "disable"
    if value in LIBPQ_SSLMODES:
        return value
    raise ImproperlyConfigured(
        f"ssl={ssl} in the database URL is not an SSL mode; use one of "
        f"{', '.join(LIBPQ_SSLMODES)}."
    )


def _seconds(text: str) -> int:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise ImproperlyConfigured(
            f"timeout={text} in the database URL is not a number of seconds."
        )
    return max(1, math.ceil(seconds))


def require_driver(url: URL) -> None:
    """Raise one line naming what to install when `url`'s driver is missing."""
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError as error:
        raise ImproperlyConfigured(
            f"The database URL names {url.drivername}, a database or driver "
            "SQLAlchemy does not know."
        ) from error
    try:
        dialect.import_dbapi()
    except ImportError as error:
        module = (error.name or dialect.driver).partition(".")[0]
        advice = INSTALL.get(module, f"pip install {module}")
        raise ImproperlyConfigured(
            f"The database URL needs the driver {module}, which is not installed: "
            f"{advice}"
        ) from error
