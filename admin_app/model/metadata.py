"""Low-level facts about a mapped table, read from SQLAlchemy's inspection.

What a field is (its kind, where it appears) is decided once in
`admin_app.model.fields`; these helpers only look up columns and to-one
relationships by name for the write path.
"""

from sqlalchemy import Column, inspect
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty


def to_one(model: type) -> dict[str, RelationshipProperty]:
    return {
        rel.key: rel
        for rel in inspect(model).relationships
        if rel.direction is RelationshipDirection.MANYTOONE
    }


def columns_shown_by(model: type) -> dict[str, str]:
    """Foreign key column name -> the to-one relationship that shows it by label."""
    shown: dict[str, str] = {}
    for name, rel in to_one(model).items():
        for local, _remote in rel.local_remote_pairs or []:
            shown.setdefault(local.key, name)
    return shown


def column(model: type, name: str) -> Column | None:
    return inspect(model).columns.get(name)
