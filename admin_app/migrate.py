"""Apply the Alembic migrations that ship with the admin.

The admin's own tables (branch `admin`) go into every database it serves; the
shipped example domain (branch `demo`) only when the `models` package is served.
A project's own tables are its own business: ones that do not exist yet are
created from their metadata (as `SQLModel.metadata.create_all` would), and
existing ones are never altered.
"""

import importlib.util
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL
from sqlalchemy.schema import CreateSchema
from sqlmodel import SQLModel

from admin_app.settings import DEFAULT_DATABASE_URL

VERSION_TABLE = (
    "admin_alembic_version"  # not `alembic_version`: that one is the project's
)
SHIPPED_MODELS = "models"


def database_url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def _script_location() -> Path:
    spec = importlib.util.find_spec("migrations")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "The `migrations` package that ships with the admin is missing."
        )
    return Path(spec.origin).parent


def alembic_config(database_url: str, *, include_shipped_models: bool = True) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_script_location()))
    config.attributes["database_url"] = database_url
    config.attributes["include_shipped_models"] = include_shipped_models
    return config


def serves_shipped_models(model_modules: tuple[str, ...]) -> bool:
    return SHIPPED_MODELS in model_modules


def upgrade(engine: Engine, model_modules: tuple[str, ...]) -> list[str]:
    """Bring the database up to date; return the names of tables created outside
    the migrations (a project's own tables that did not exist yet)."""
    create_private_sqlite_file(engine.url)
    shipped = serves_shipped_models(model_modules)
    config = alembic_config(
        engine.url.render_as_string(hide_password=False),
        include_shipped_models=shipped,
    )
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads" if shipped else "admin@head")
    return create_missing_tables(engine, model_modules) if not shipped else []


def create_private_sqlite_file(url: URL) -> None:
    """Create a new SQLite database file readable by its owner only, as the
    session key file is: SQLite would create it (and its -wal and -shm files,
    which copy its mode) readable by every account on the machine. An
    existing file keeps the mode its owner gave it."""
    database = url.database
    if (
        url.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or url.query.get("uri")
    ):
        return
    try:
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:  # it exists, or its folder does not: SQLite says which
        return


def create_missing_tables(engine: Engine, model_modules: tuple[str, ...]) -> list[str]:
    """Create the models' tables the database lacks, each in its own schema
    (`__table_args__ = {"schema": "inventory"}`), and on PostgreSQL a schema
    it lacks too, as a table needs one; return their names."""
    from admin_app.site.registry import discover_tables

    inspector = inspect(engine)
    models = [model.__table__ for model in discover_tables(model_modules)]
    schemas = {table.schema for table in models}
    if engine.dialect.name == "postgresql":
        known = set(inspector.get_schema_names())
    else:  # SQLite's other schemas are attached files: not ours to make
        known = {schema for schema in schemas if schema}
    existing = {
        (schema, name)
        for schema in schemas
        if schema is None or schema in known
        for name in inspector.get_table_names(schema)
    }
    tables = [table for table in models if (table.schema, table.name) not in existing]
    with engine.begin() as connection:
        for schema in sorted(schemas - known - {None}):
            connection.execute(CreateSchema(schema))
        SQLModel.metadata.create_all(connection, tables=tables)
    return [table.fullname for table in tables]
