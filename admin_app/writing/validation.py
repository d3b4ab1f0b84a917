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

try:  # the context SQLModel's own `model_validate` makes a table row in
    from sqlmodel._compat import partial_init
except ImportError:  # pragma: no cover
    partial_init = None


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


def validated_values(model: type, values: dict[str, Any]) -> Any:
    """The same validation as `validate_row`, for a row whose values are only
    read (a form's, an import's), never added to a session.

    SQLModel's `model_validate` sets each validated value again through
    SQLAlchemy's instrumentation, so that a session would track the row:
    half the cost of validating an imported row, for a row that is thrown
    away. Here the model's own validator (every constraint and validator)
    fills the row, and SQLAlchemy's state is kept beside the values so they
    read as attributes. Where SQLModel lacks the means, `validate_row`."""
    if partial_init is None:  # pragma: no cover - older or newer SQLModel
        return validate_row(model, values)
    hidden = _relationships(model)
    with partial_init():
        row = model()  # SQLAlchemy's state, no defaults made
    kept = row.__dict__.copy()
    model.__pydantic_validator__.validate_python(
        _ColumnValues(values, hidden), self_instance=row
    )
    filled = row.__dict__
    for key, value in kept.items():
        filled.setdefault(key, value)
    return row


_RELATIONSHIPS: dict[type, frozenset[str]] = {}


def _relationships(model: type) -> frozenset[str]:
    found = _RELATIONSHIPS.get(model)
    if found is None:
        found = frozenset(rel.key for rel in inspect(model).relationships)
        _RELATIONSHIPS[model] = found
    return found
