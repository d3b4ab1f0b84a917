"""A row's typed column values as JSON, read back exactly: what an import's
preview keeps of each row's decision for its confirmation to write
(`decisions`). JSON holds text, numbers, true, false and null; a
datetime, date, time, decimal, UUID, bytes, duration or enum member is
written as `[type, text]`, and a JSON column's value as `["json", value]`
when JSON gives it back equal. Any other value is NotKept: the preview then
keeps its rows' cells instead.
"""

import enum
import json
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Enum, inspect
from sqlalchemy.orm import Mapper

from admin_app.model.keys import key_attributes

_PLAIN = frozenset({type(None), bool, int, float, str})  # exactly: not enums
_ISO = (datetime, date, time)
_FROM_TEXT: dict[str, Callable[[str], Any]] = {
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "time": time.fromisoformat,
    "Decimal": Decimal,
    "UUID": uuid.UUID,
    "bytes": bytes.fromhex,
}


class NotKept(ValueError):
    """A value the codec has no exact form for."""


class ValueCodec:
    """A row's column values (by attribute key) as JSON and back, exactly:
    a value of a type JSON lacks is written as `[type, text]`."""

    def __init__(self, model: type) -> None:
        mapper: Mapper = inspect(model)
        self._enums = {
            prop.key: prop.columns[0].type.enum_class
            for prop in mapper.column_attrs
            if isinstance(prop.columns[0].type, Enum)
        }
        self._key_attributes = key_attributes(model)

    def encode(self, values: dict[str, Any]) -> dict[str, Any]:
        """`values` as JSON can hold them, or NotKept."""
        return {key: self._encoded(key, value) for key, value in values.items()}

    def decode(self, values: dict[str, Any]) -> dict[str, Any]:
        return {key: self._decoded(key, value) for key, value in values.items()}

    def encode_key(self, key: tuple[Any, ...]) -> list[Any]:
        return [
            self._encoded(*pair) for pair in zip(self._key_attributes, key, strict=True)
        ]

    def decode_key(self, key: list[Any]) -> tuple[Any, ...]:
        return tuple(
            self._decoded(*pair) for pair in zip(self._key_attributes, key, strict=True)
        )

    def _encoded(self, key: str, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if kind in _ISO:
            return [kind.__name__, value.isoformat()]
        if kind is Decimal or kind is uuid.UUID:
            return [kind.__name__, str(value)]
        if kind is bytes:
            return ["bytes", value.hex()]
        if kind is timedelta:
            return ["timedelta", [value.days, value.seconds, value.microseconds]]
        if isinstance(value, enum.Enum) and self._enums.get(key) is kind:
            return ["enum", value.name]
        if (kind is dict or kind is list) and _same_as_json(value):
            return ["json", value]  # a JSON column's value
        raise NotKept(key)

    def _decoded(self, key: str, value: Any) -> Any:
        if type(value) is not list:
            return value
        kind, text = value
        if kind in _FROM_TEXT:
            return _FROM_TEXT[kind](text)
        if kind == "timedelta":
            return timedelta(*text)
        if kind == "enum":
            return self._enums[key][text]
        return text  # "json"


def _same_as_json(value: Any) -> bool:
    """Whether JSON gives `value` back equal (no tuple, no datetime inside)."""
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False
