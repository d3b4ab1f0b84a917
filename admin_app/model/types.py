"""The type a column stores, seen through the wrappers models put on it.

SQLModel declares `str` fields as `AutoString`, a `TypeDecorator` around
`String`, and projects wrap types of their own the same way: every question
about what a column holds (is it text, has it a size) asks the stored type.
"""

from sqlalchemy import ARRAY, Column, Enum, String
from sqlalchemy.types import TypeDecorator, TypeEngine


def stored_type(type_: TypeEngine) -> TypeEngine:
    """A `TypeDecorator`'s implementation (SQLModel's `AutoString`: `String`),
    else the type itself."""
    return type_.impl_instance if isinstance(type_, TypeDecorator) else type_


def is_text(column: Column) -> bool:
    """Whether `column` stores free text: a string type, not an enum's."""
    kind = stored_type(column.type)
    return isinstance(kind, String) and not isinstance(kind, Enum)


def nested_array(type_: TypeEngine) -> bool:
    """Whether a column of `type_` is an array of arrays (PostgreSQL's
    `integer[][]`), whose items are lists rather than values."""
    array = stored_type(type_)
    return isinstance(array, ARRAY) and (
        (array.dimensions or 1) > 1 or isinstance(stored_type(array.item_type), ARRAY)
    )
