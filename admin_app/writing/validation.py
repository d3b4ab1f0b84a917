"""The model's own validation of a row's values, whatever its relationships are called.

SQLModel's `model_validate` copies relationship values from its input by
attribute lookup, so for a plain dict a relationship named `items`, `keys`,
`values`, `copy` or `get` receives the dict's method (the FastAPI template's
`User.items` failed with "Incompatible collection type:
builtin_function_or_method is not list-like"). The values are passed as a dict
that hides those names: validators still see a dict, and every field
constraint, `@field_validator` and `@model_validator` of the model runs.
"""

from typing import Any

from sqlalchemy import inspect


class _ColumnValues(dict):
    """A dict of column values whose relationship-named attributes are absent."""

    __slots__ = ("_hidden",)

    def __init__(self, values: dict[str, Any], hidden: frozenset[str]) -> None:
        super().__init__(values)
        self._hidden = hidden

    def __getattribute__(self, name: str) -> Any:
        if name != "_hidden" and name in object.__getattribute__(self, "_hidden"):
            raise AttributeError(name)
        return super().__getattribute__(name)


def validate_row(model: type, values: dict[str, Any]) -> Any:
    """`model.model_validate(values)` for a table model, or ValidationError."""
    hidden = frozenset(rel.key for rel in inspect(model).relationships)
    return model.model_validate(_ColumnValues(values, hidden))
