"""The `admin-app` command: serve, migrate, createsuperuser, seed-demo,
suggest-indexes.

Every command reads DATABASE_URL, ADMIN_MODELS and ADMIN_SECRET_KEY like
`create_app()` does.
"""

import copy
import os
import secrets
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from admin_app.auth.accounts import AccountError, create_staff_user, staff_user_count
from admin_app.auth.models import StaffUser
from admin_app.auth.passwords import WeakPassword
from admin_app.db import make_engine
from admin_app.migrate import database_url_from_env, serves_shipped_models, upgrade
from admin_app.settings import (
    DEFAULT_ALLOWED_HOSTS,
    DEFAULT_MODELS,
    SECRET_KEY_FILE,
    ImproperlyConfigured,
    load_or_create_secret_key,
    trusted_proxies,
)

DEMO_ROWS = 2000


def _models() -> tuple[str, ...]:
    value = os.environ.get("ADMIN_MODELS", "")
    return tuple(m.strip() for m in value.split(",") if m.strip()) or DEFAULT_MODELS


def _engine():  # type: ignore[no-untyped-def]
    """The engine on DATABASE_URL (an async driver's URL too, as create_app
    reads it); a URL that cannot be served is one line, not a traceback."""
    try:
        return make_engine(database_url_from_env())
    except ImproperlyConfigured as error:
        raise click.ClickException(str(error)) from error


def _migrate(engine) -> None:  # type: ignore[no-untyped-def]
    created = upgrade(engine, _models())
    if created:
        click.echo(f"Created missing tables: {', '.join(created)}")


def _seed(engine, rows: int) -> None:  # type: ignore[no-untyped-def]
    from models.seed import seed_demo  # only the shipped domain has demo data

    with (
        Session(engine) as session,
        click.progressbar(
            length=rows, label="Seeding demo tasks", file=sys.stderr
        ) as bar,
    ):
        started = time.perf_counter()
        added = seed_demo(session, rows, progress=bar.update)
        session.commit()
        seconds = time.perf_counter() - started
    total = sum(added.values())
    click.echo("Added " + ", ".join(f"{n:,} {kind}" for kind, n in added.items()))
    click.echo(f"{total:,} rows in {seconds:.1f} s ({total / seconds:,.0f} rows/s)")


@click.group()
def main() -> None:
    """Run and manage the SQLModel admin site."""


@main.command()
def migrate() -> None:
    """Apply the database migrations (Alembic upgrade to the newest revision)."""
    engine = _engine()
    _migrate(engine)
    click.echo(f"Database is up to date: {engine.url.render_as_string()}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--demo", is_flag=True, help="Seed the example data into an empty database."
)
def serve(host: str, port: int, workers: int, demo: bool) -> None:
    """Apply migrations, then serve the admin at http://HOST:PORT/admin/."""
    import uvicorn

    try:
        options = uvicorn_options()
    except ImproperlyConfigured as error:
        raise click.ClickException(str(error)) from error
    if demo and not serves_shipped_models(_models()):
        raise click.UsageError("--demo seeds the shipped `models` package only.")
    engine = _engine()
    _migrate(engine)
    if demo:
        from models import Task

        with Session(engine) as session:
            empty = session.query(Task.id).first() is None
        if empty:
            _seed(engine, DEMO_ROWS)
    _ensure_first_superuser(engine)
    _ensure_secret_key()
    engine.dispose()
    # Workers build the app from the environment; make sure they get ours.
    os.environ["DATABASE_URL"] = database_url_from_env()
    os.environ["ADMIN_MODELS"] = ",".join(_models())
    _allow_host(host)
    click.echo(f"Admin at http://{host}:{port}/admin/")
    # Several workers need the app as an import string: each worker process
    # imports it and builds its own app (and pool) from the environment.
    uvicorn.run(
        "admin_app.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config(workers),
        **options,
    )


def log_config(workers: int) -> dict[str, Any]:
    """uvicorn's logging; with several workers each line names the worker's
    process id, so an operator can tell which worker served a request."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    if workers > 1:
        for formatter in config["formatters"].values():
            formatter["fmt"] = formatter["fmt"].replace(
                "%(levelprefix)s", "%(levelprefix)s [pid %(process)d]", 1
            )
    return config


def uvicorn_options() -> dict[str, Any]:
    """How `serve` runs uvicorn: forwarded headers believed only from the
    proxies in ADMIN_TRUSTED_PROXIES (uvicorn would trust 127.0.0.1, so any
    local client could forge them), and no `server` header naming it."""
    proxies = trusted_proxies()
    return {
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": list(proxies) or None,
        "server_header": False,
    }


def _allow_host(host: str) -> None:
    """Serving on a named host or address answers requests for it, unless
    ADMIN_ALLOWED_HOSTS says otherwise; a wildcard address names no host."""
    if os.environ.get("ADMIN_ALLOWED_HOSTS"):
        return
    if host in ("0.0.0.0", "::"):
        click.echo(
            "Set ADMIN_ALLOWED_HOSTS to the names this admin is reached by; "
            "requests for other hosts get 400."
        )
        return
    os.environ["ADMIN_ALLOWED_HOSTS"] = ",".join(
        dict.fromkeys([*DEFAULT_ALLOWED_HOSTS, host])
    )


def _ensure_secret_key() -> None:
    if os.environ.get("ADMIN_SECRET_KEY"):
        return
    path = Path(os.environ.get("ADMIN_SECRET_KEY_FILE", SECRET_KEY_FILE)).resolve()
    key, created = load_or_create_secret_key(path)
    os.environ["ADMIN_SECRET_KEY"] = key
    verb = "Created" if created else "Using"
    click.echo(
        f"{verb} the session signing key in {path} (readable by its owner only)."
    )
    click.echo("Set ADMIN_SECRET_KEY to use your own.")


def _ensure_first_superuser(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        if staff_user_count(session):
            return
        password = secrets.token_urlsafe(15)
        create_staff_user(session, "admin", password, superuser=True)
        session.commit()
    click.echo("")
    click.echo("Created the superuser `admin`. Its password, shown only this once:")
    click.echo(f"    {password}")
    click.echo("")


@main.command()
@click.option("--username", required=True, help="The new superuser's username.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of prompting.",
)
def createsuperuser(username: str, password_stdin: bool) -> None:
    """Create a staff user who may do everything."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = _engine()
    if not inspect(engine).has_table(StaffUser.__tablename__):
        raise click.ClickException(
            "This database has no staff table yet: run `admin-app migrate` first."
        )
    try:
        with Session(engine) as session:
            create_staff_user(session, username, password, superuser=True)
            session.commit()
    except (AccountError, WeakPassword) as error:
        raise click.ClickException(str(error)) from error
    except SQLAlchemyError as error:
        raise click.ClickException(
            f"Could not save the user: {error.__class__.__name__}"
        ) from error
    click.echo(f"Superuser {username!r} created.")


@main.command("seed-demo")
@click.option("--rows", default=DEMO_ROWS, show_default=True, type=click.IntRange(1))
def seed_demo(rows: int) -> None:
    """Add demo data (ROWS tasks with projects, workers and tags)."""
    if not serves_shipped_models(_models()):
        raise click.UsageError("seed-demo fills the shipped `models` package only.")
    engine = _engine()
    _migrate(engine)
    _seed(engine, rows)


@main.command("suggest-indexes")
def suggest_indexes_command() -> None:
    """Print the CREATE INDEX statements that would make the lists fast.

    Btree indexes on the lists' sort and filter columns (sort columns with the
    primary key after them, as deep pages seek on them) and, on PostgreSQL,
    trigram (pg_trgm) indexes on the searched text columns. Nothing is applied:
    review them and add them through your own migrations."""
    from admin_app.app import create_app
    from admin_app.listing.indexes import suggest_indexes

    try:
        app = create_app(
            database_url_from_env(), _models(), secret_key="suggest-indexes"
        )
    except ImproperlyConfigured as error:
        raise click.ClickException(str(error)) from error
    engine = app.state.engine
    views = [v for v in app.state.admin.views if hasattr(v, "field_specs")]
    statements = suggest_indexes(views, engine.dialect)
    engine.dispose()
    if not statements:
        click.echo("-- Every list's sort, filter and search columns have an index.")
    for statement in statements:
        click.echo(statement)
