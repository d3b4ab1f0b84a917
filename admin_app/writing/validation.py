"""The model's own validation of a row's values, whatever its relationships are called.

SQLModel's `model_validate` copies relationship values from its input by
attribute lookup, so for a plain dict a relationship named `items`, `keys`,
`values`, `copy` or `get` receives the dict's method (the FastAPI template's
`User.items` failed with "Incompatible collection type:
builtin_function_or_method is not list-like"). The values are passed as a dict
that hides those names: validators still see a dict, and every field
constraint, `@field_validator` and `@model_validator` of the model runs.

A field whose validation may read another key than its name
(`Field(alias="fullName")`, as an app's JSON API names it) is given its
value under that key too: SQLModel with a recent pydantic validates by the
alias only (unless the model allows names), and every save was refused
("Field required"); older ones read the name. Its errors name the field
again (`field_named`).
"""

from functools import cache
from typing import Any

from pydantic import AliasChoices, ValidationError
from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import SQLModel

from admin_app.model.writable import writable


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
    """`model.model_validate(values)` for a table model, its columns holding
    their values as they store them (`writable`: a URL as its text), or
    ValidationError."""
    row = model.model_validate(_given(model, values))
    made = {name: getattr(row, name) for name in values}
    for name, value in writable(model, made).items():
        if value is not made[name]:
            set_attribute(row, name, value)  # not through validate_assignment
    return row


def problems(model: type, error: ValidationError) -> list[tuple[str, str]]:
    """(field, message) of each of a validation error's problems, in the
    words the forms show ("" for the row as a whole): pydantic's "Value
    error, " dropped, and a value missing (a new row of a file without its
    column) said to be required, not "Input should be a valid string"."""
    found = []
    for problem in error.errors():
        location = problem["loc"]
        field = field_named(model, str(location[0])) if location else ""
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "missing" or (
            problem["type"].endswith("_type") and problem.get("input") is None
        ):
            message = "This field is required."
        found.append((field, message))
    return found


def field_named(model: type, key: str) -> str:
    """The field a validation error's location `key` names (its alias, or
    its own name)."""
    return _names(model).get(key, key)


def validated_values(model: type, values: dict[str, Any]) -> Any:
    """The values `validate_row` would give, as attributes of an object that
    is not a row (it cannot be added to a session), or ValidationError.

    SQLModel's `model_validate` of a table model first makes a whole row
    object (every default, through SQLAlchemy's instrumentation), has
    pydantic validate into it, then sets every attribute again through
    SQLAlchemy's events: three quarters of its time, and of an import's
    largest single cost, for a caller that only reads the values. The same
    validator runs here on the same input, so every constraint and validator
    of the model applies; a model whose `model_validate` is its own is
    validated by it."""
    given = _given(model, values)
    if getattr(model.model_validate, "__func__", None) is not _SQLMODEL_VALIDATE:
        return model.model_validate(given)
    holder = model.__new__(model)
    model.__pydantic_validator__.validate_python(given, self_instance=holder)
    return holder


_SQLMODEL_VALIDATE = SQLModel.model_validate.__func__  # type: ignore[attr-defined]


@cache
def _relationships(model: type) -> frozenset[str]:
    return frozenset(rel.key for rel in inspect(model).relationships)


def _given(model: type, values: dict[str, Any]) -> _ColumnValues:
    """`values` (by attribute) as the model's validation reads them."""
    aliases = _aliases(model)
    if aliases:
        values = dict(values)
        for name, alias in aliases.items():
            if name in values:
                values[alias] = values[name]
    return _ColumnValues(values, _relationships(model))


@cache
def _aliases(model: type) -> dict[str, str]:
    """The key each field's validation may read, where it is not the field's name."""
    found = {}
    for name, field in getattr(model, "model_fields", {}).items():
        alias = field.validation_alias or field.alias
        if isinstance(alias, AliasChoices):
            alias = alias.choices[0]
        if isinstance(alias, str) and alias != name:
            found[name] = alias
    return found


@cache
def _names(model: type) -> dict[str, str]:
    return {alias: name for name, alias in _aliases(model).items()}
