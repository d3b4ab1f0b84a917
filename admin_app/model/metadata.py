"""Facts about a mapped table that the generated views are built from."""

from sqlalchemy import Column, Enum, Integer, String, Text, inspect
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty
from sqlalchemy.types import TypeDecorator, TypeEngine

LONG_TEXT = 255  # string columns longer than this stay off the list page


def _base_type(type_: TypeEngine) -> TypeEngine:
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def is_text(column: Column) -> bool:
    """A free-text column (not an enum): searchable with ILIKE."""
    type_ = _base_type(column.type)
    return isinstance(type_, String) and not isinstance(type_, Enum)


def is_long_text(column: Column) -> bool:
    type_ = _base_type(column.type)
    return is_text(column) and (
        isinstance(type_, Text) or not type_.length or type_.length > LONG_TEXT
    )


def is_generated_pk(column: Column) -> bool:
    """A single integer primary key the database numbers itself."""
    table = column.table
    return (
        column.primary_key
        and len(table.primary_key.columns) == 1
        and isinstance(_base_type(column.type), Integer)
        and column.autoincrement in (True, "auto")
        and not column.foreign_keys
    )


def to_one(model: type) -> dict[str, RelationshipProperty]:
    return {
        rel.key: rel
        for rel in inspect(model).relationships
        if rel.direction is RelationshipDirection.MANYTOONE
    }


def many_to_many(model: type) -> dict[str, RelationshipProperty]:
    return {
        rel.key: rel
        for rel in inspect(model).relationships
        if rel.direction is RelationshipDirection.MANYTOMANY
    }


def columns_shown_by(model: type) -> dict[str, str]:
    """Foreign key column name -> the to-one relationship that shows it by label."""
    shown: dict[str, str] = {}
    for name, rel in to_one(model).items():
        for local, _remote in rel.local_remote_pairs or []:
            shown.setdefault(local.key, name)
    return shown


def field_order(model: type) -> list[str]:
    """Column attribute names, primary keys first, then in table order, each
    foreign key replaced by its to-one relationship (once), so rows show
    `project`, not `project_id`, and a link row starts with the rows it links."""
    mapper = inspect(model)
    shown_by = columns_shown_by(model)
    names: list[str] = []
    props = sorted(
        mapper.column_attrs, key=lambda prop: not prop.columns[0].primary_key
    )
    for prop in props:
        name = shown_by.get(prop.columns[0].key, prop.key)
        if name not in names:
            names.append(name)
    return names


def column(model: type, name: str) -> Column | None:
    return inspect(model).columns.get(name)


def enum_classes(model: type) -> set[type]:
    """The Python enums of `model`'s enum columns (shown by label, not value)."""
    return {
        column.type.enum_class
        for column in inspect(model).columns
        if isinstance(column.type, Enum) and column.type.enum_class is not None
    }
