"""The classes that map tables: the project's, and the admin's own.

The admin's own tables (staff users, groups, the audit log, import
previews) are declared on `AdminTable`, a registry of their own that shares
`SQLModel.metadata`: `create_all` and Alembic still see every table at
once, but a class name is looked up among the project's classes alone. On
SQLModel's one registry, a project with a `StaffGroup` of its own (an HR
app) stopped the admin at its start ("Multiple classes found for path
'StaffGroup'"), and its own `Relationship`s to its `StaffUser` or
`AuditEntry` were ambiguous the same way.
"""

from collections.abc import Iterator
from typing import Any

from sqlalchemy.orm import Mapper, registry
from sqlmodel import SQLModel

ADMIN_REGISTRY = registry(metadata=SQLModel.metadata)


class AdminTable(SQLModel, registry=ADMIN_REGISTRY):
    """The base of the admin's own table classes."""


def mappers() -> Iterator[Mapper]:
    """Every mapper of the project's classes, then of the admin's own."""
    yield from SQLModel._sa_registry.mappers  # type: ignore[attr-defined]
    yield from ADMIN_REGISTRY.mappers


def mapper_of(table: Any) -> Mapper | None:
    """The mapper of the class that maps `table`, if a class does."""
    return next((m for m in mappers() if m.local_table is table), None)
