"""Values as the database stores them: the time-zone rule and "unchanged".

Every write path (forms, bulk edits, link rows, filters reading a datetime)
applies the same two rules, so they live with the other facts about models.
"""

from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, inspect

from admin_app.model.labels import jsonable


def _is_aware_column(column: Column) -> bool:
    return bool(getattr(column.type, "timezone", False))


def normalise_datetime(column: Column, value: Any) -> Any:
    """Aware values become naive UTC for naive columns; naive values are read as
    UTC for columns declared with a time zone, and aware ones are given in UTC
    (SQLite keeps no offset: `12:00+02:00` stored as it is would read back as
    12:00 UTC, two hours off)."""
    if not isinstance(value, datetime):
        return value
    try:
        if _is_aware_column(column):
            if value.tzinfo:
                return value.astimezone(UTC)
            return value.replace(tzinfo=UTC)
        return _naive_utc(value)
    except OverflowError as error:  # 9999-12-31T23:00-05:00 is in year 10000
        raise OutOfCalendar(
            f"{value.isoformat(' ')} is beyond the calendar once given in UTC "
            "(from 0001-01-01 to 9999-12-31)."
        ) from error


@cache
def _aware_columns(model: type) -> tuple[tuple[str, Column], ...]:
    """The columns of `model` declared with a time zone, by attribute key."""
    return tuple(
        (prop.key, prop.columns[0])
        for prop in inspect(model).column_attrs
        if _is_aware_column(prop.columns[0])
    )


def aware_in_utc(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """A row's values (by attribute) as read back, the times of its columns
    declared with a time zone in UTC (`normalise_datetime`), in place:
    SQLite keeps no offset and gives them back naive, PostgreSQL in its
    session's zone, so the preview and the audit trail named a column's old
    value without its zone, or in another, beside its new one in UTC (as the
    CSV writes it)."""
    for name, column in _aware_columns(model):
        value = values.get(name)
        if isinstance(value, datetime) and value.tzinfo is not UTC:
            values[name] = normalise_datetime(column, value)
    return values


class OutOfCalendar(ValueError):
    """A datetime whose offset takes it beyond year 1 or 9999 in UTC."""


def _naive_utc(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def comparable(a: datetime, b: datetime) -> tuple[datetime, datetime]:
    """Two datetimes made comparable: both naive UTC where only one has a
    time zone (a naive value is UTC, as the CSV writes it and SQLite keeps
    it)."""
    if (a.tzinfo is None) == (b.tzinfo is None):
        return a, b
    return _naive_utc(a), _naive_utc(b)


# types whose values are unchanged exactly when equal (an import compares
# every column of every row)
_COMPARED = frozenset({int, bool, float, type(None), date, time})
# What a JSON column holds: an object or array, or a pydantic model that a
# project's type stores as one (`TypeDecorator(JSON)` around `Settings`)
JSON_DOCUMENTS = (dict, list, BaseModel)


def unchanged(old: Any, new: Any) -> bool:
    """Whether `new`, as read back from a form, is what `old` showed there.

    Forms show datetimes to the second, so a form saved unchanged must not
    shave the microseconds off a stored timestamp; browsers send line breaks
    as CRLF, so stored LF text is not rewritten either.
    """
    if type(old) is type(new) and type(old) in _COMPARED:
        return old == new
    if isinstance(old, str) and isinstance(new, str):  # or kinds of text (`BitString`)
        return str.replace(old, "\r\n", "\n") == str.replace(new, "\r\n", "\n")
    if isinstance(old, datetime) and isinstance(new, datetime):
        old, new = comparable(old, new)
        return old.replace(microsecond=0) == new if new.microsecond == 0 else old == new
    if isinstance(old, JSON_DOCUMENTS) and isinstance(new, JSON_DOCUMENTS):
        # a JSON column read as objects, validated into pydantic models
        return jsonable(old) == jsonable(new)
    return old == new
