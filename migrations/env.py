"""Alembic environment: reads DATABASE_URL, batch mode for SQLite.

`admin-app migrate` passes the URL and whether the shipped domain is served in
`config.attributes`; `alembic` run from the repo root reads the environment and
sees every table, for `alembic check` and autogenerate.
"""

from alembic import context
from sqlalchemy import Connection
from sqlmodel import SQLModel

import admin_app.tables  # noqa: F401  (registers the admin's tables)
from admin_app.db import make_engine
from admin_app.migrate import VERSION_TABLE, database_url_from_env

config = context.config
if config.attributes.get("include_shipped_models", True):
    import models  # noqa: F401  (registers the shipped tables)

target_metadata = SQLModel.metadata
OWN_PACKAGES = {"admin_app", "models"}
OWN_TABLES = {
    mapper.local_table.name
    for mapper in SQLModel._sa_registry.mappers
    if mapper.class_.__module__.partition(".")[0] in OWN_PACKAGES
}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Compare only the tables these migrations own: a project's own tables in
    the same database or on the same metadata are its own Alembic's business."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return table is None or table.name in OWN_TABLES


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=config.attributes.get("database_url") or database_url_from_env(),
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    run(connection)
else:
    engine = make_engine(
        config.attributes.get("database_url") or database_url_from_env()
    )
    with engine.connect() as connection:
        run(connection)
    engine.dispose()
