"""A value the model's validation made, in the form its column's writer takes.

A model may validate a column's value into a richer type than the column
stores: a URL (`HttpUrl`), an address (`IPv4Address`), a path or a secret
(`SecretStr`) in a text column, pydantic models (`list[Step]`) or dates in
a JSON column. SQLModel's table models do not validate, so an app's own
rows hold what they were given; the admin validates every save, and the
drivers and SQLAlchemy's JSON writer refused what it made ("Error binding
parameter: type 'HttpUrl' is not supported"): every save of such a row was
"The database refused the change", and the import of a JSON column typed
as models was a server error. The write path hands each such column its
value as the column stores it (`writable`), and compares it in that form
with what the row holds, so a row saved as shown changes nothing.

A number for a column of a fixed number of decimal places is handed with
them (`7` as `7.00`), as the column holds it: the preview and the audit
trail name the value the row will hold.

Only text columns (SQLAlchemy's own string types and SQLModel's
`AutoString`), JSON columns and numeric columns of SQLAlchemy's own types
are converted: a project's own column type takes the value its model makes,
as its writer was written for it.
"""

import enum
from collections.abc import Callable
from datetime import date, time, timedelta
from decimal import MAX_PREC, Context, Decimal, Inexact, InvalidOperation
from functools import cache
from typing import Any

from pydantic import SecretBytes, SecretStr
from sqlalchemy import JSON, Column, Numeric, inspect
from sqlalchemy.types import TypeDecorator
from sqlmodel.sql.sqltypes import AutoString

from admin_app.model.fields import annotation
from admin_app.model.labels import jsonable
from admin_app.model.types import is_text

# what every driver binds to a text column as it is (an int to a code column)
_BOUND = (str, int, float, Decimal, bytes, date, time, timedelta)


def _text(value: Any) -> Any:
    """A value a text column is handed: its text, a secret's own, an enum
    member's value (its text is `Plan.free`)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, _BOUND):
        return value
    if isinstance(value, SecretStr | SecretBytes):
        return value.get_secret_value()  # its text is "**********"
    return str(value)


def _own_text(column: Column) -> bool:
    """A text column of SQLAlchemy's or SQLModel's own string types (not a
    project's type around one)."""
    type_ = column.type
    own = isinstance(type_, AutoString) or not isinstance(type_, TypeDecorator)
    return own and is_text(column)


def _holds_text(found: Any) -> bool:
    return isinstance(found, type) and issubclass(found, str)


# quantizes exactly, or signals that digits would be lost
_EXACT = Context(prec=MAX_PREC, traps=[Inexact, InvalidOperation])


def _to_scale(scale: int) -> Callable[[Any], Any]:
    """How a number is written to a column of `scale` decimal places: with
    them, as the column holds it (`11` is `11.00`), so that the preview, the
    audit entry and the page show the value the row will hold; a number the
    scale cannot hold exactly is left as it is (its size check refuses it)."""
    step = Decimal(1).scaleb(-scale)

    def scaled(value: Any) -> Any:
        if type(value) is not Decimal or not value.is_finite():
            return value
        try:  # and zero unsigned, as the databases hold it
            return (value if value else abs(value)).quantize(step, context=_EXACT)
        except (Inexact, InvalidOperation):
            return value

    return scaled


@cache
def _converters(model: type) -> dict[str, Callable[[Any], Any]]:
    """By attribute, how a value of `model`'s text columns that the model
    does not type as text, of its JSON columns and of its numeric columns
    of a fixed scale, is written."""
    converters: dict[str, Callable[[Any], Any]] = {}
    for prop in inspect(model).column_attrs:
        column = prop.columns[0]
        if isinstance(column.type, JSON):
            converters[prop.key] = jsonable
        elif _own_text(column) and not _holds_text(annotation(model, prop.key)):
            converters[prop.key] = _text
        elif isinstance(column.type, Numeric) and isinstance(column.type.scale, int):
            converters[prop.key] = _to_scale(column.type.scale)
    return converters


def writable(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """`values` (by attribute), as validated by `model`, in the form their
    columns store them."""
    converters = _converters(model)
    if not converters:
        return values
    made = {
        name: converters[name](values[name])
        for name in converters.keys() & values.keys()
        if values[name] is not None
    }
    return {**values, **made} if made else values
