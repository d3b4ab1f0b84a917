"""How a row is named on every page, select and export.

A row is shown by `__admin_label__` if its class defines it, else by its first
column named `name`, `title`, `username`, `email` or `slug`, else by its first
text column that is unique on its own, not its key and no secret (a member's
`handle`, a product's `sku`: a value that names one row), else as
`<Class> #<pk>`. Python reprs never reach a page.
"""

import enum
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel
from sqlalchemy import Column, String, cast, inspect, select
from sqlalchemy.orm import Mapper, Session

from admin_app.model.attributes import attribute_name
from admin_app.model.keys import row_identifier
from admin_app.model.names import model_words
from admin_app.model.secret_names import is_secret_name
from admin_app.model.text_search import column_sample, contains
from admin_app.model.types import is_text

LABEL_COLUMNS = ("name", "title", "username", "email", "slug")


# Columns a view marks secret (`field_overrides`), which the model's own
# names do not say: they never name a row, on any page.
_SECRET_COLUMNS: set[Column] = set()


def never_a_label(column: Column) -> None:
    """Keep `column` from naming rows: a view has marked it secret."""
    if column not in _SECRET_COLUMNS:
        _SECRET_COLUMNS.add(column)
        label_column.cache_clear()


@cache  # a model's columns are fixed; asked once a row on some pages
def label_column(model: type) -> str | None:
    """The column that names rows of `model`, or None if it has none."""
    columns = inspect(model).columns
    shown = [c for c in columns if c not in _SECRET_COLUMNS]
    keys = {attribute_name(c) for c in shown}
    named = next((name for name in LABEL_COLUMNS if name in keys), None)
    if named is not None:
        return named
    return next((attribute_name(c) for c in shown if _names_one_row(c)), None)


def _names_one_row(column: Column) -> bool:
    """A text column whose value names one row: declared unique by itself,
    not the key (which `<Class> #<pk>` shows already), not a secret."""
    return bool(
        is_text(column)
        and column.unique
        and not column.primary_key
        and not is_secret_name(attribute_name(column))
    )


def primary_key_text(obj: Any) -> str:
    """The primary key of `obj` as text; composite keys joined by commas."""
    mapper: Mapper = inspect(type(obj))
    values = mapper.primary_key_from_instance(obj)
    return ",".join("" if value is None else str(value) for value in values)


def label_for(obj: Any) -> str:
    """The label a staff user sees for `obj`."""
    if obj is None:
        return ""
    if hasattr(type(obj), "__admin_label__"):
        custom = obj.__admin_label__  # a method or a property
        return str(custom() if callable(custom) else custom)
    column = label_column(type(obj))
    if column is not None:
        value = getattr(obj, column, None)
        if value not in (None, ""):
            return str(value)
    return f"{model_words(type(obj).__name__)} #{primary_key_text(obj)}"


MESSAGE_LABEL = 100  # characters of a row's label a message repeats


def in_message(label: str) -> str:
    """A row's label cut to `MESSAGE_LABEL` characters, as a message repeats
    it: a message after a save travels in the session cookie, which a
    browser drops whole beyond 4 KB (a title of 5,000 characters lost its
    "added" message)."""
    return label if len(label) <= MESSAGE_LABEL else label[: MESSAGE_LABEL - 1] + "…"


@cache  # a model's fields are fixed; an import asks once a cell
def field_label(model: type, name: str) -> str:
    """The heading of a column or relationship: its pydantic `title` if the
    model gives one, else the name in words (`due_date` -> "Due date")."""
    field = getattr(model, "model_fields", {}).get(name)
    if field is not None and field.title:
        return field.title
    if name == "id":
        return "ID"
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def format_datetime(value: datetime) -> str:
    """Datetimes are stored as UTC (naive ones by convention) and shown so."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration_text(value: timedelta) -> str:
    """A duration as pages and files write it, and as forms and imports read
    it back: Python's `2:15:00` and `1 day, 0:00:05`, but a negative one as
    `-25:00:01`, hours and all (Python's `-2 days, 22:59:59` reads back as
    another length to some readers)."""
    if value >= timedelta(0):
        return str(value)
    left = -value
    minutes, seconds = divmod(left.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"-{left.days * 24 + hours}:{minutes:02}:{seconds:02}"
    return f"{text}.{left.microseconds:06}" if left.microseconds else text


def json_text(value: Any) -> str:
    """A JSON object or array as pages and forms show it: JSON, which can be
    typed back (never a Python repr, with its `'` quotes and `None`), in the
    stored order (a list is data, not rows to sort by label). An array's
    items JSON has no type for are written as text the model reads back."""
    return json.dumps(value, ensure_ascii=False, default=json_item)


def json_item(item: Any) -> Any:
    """A value JSON has no type for (a date, time, UUID, decimal, duration,
    enum member or bytes; an array's item, an audit entry's value) as text
    the model reads back: a member by its value, bytes as hex, a duration as
    `duration_text` (a negative one too); a pydantic model as its JSON
    object (its repr, `theme='dark'`, was no JSON to type back)."""
    if isinstance(item, BaseModel):
        return item.model_dump(mode="json")
    if isinstance(item, enum.Enum):
        return item.value
    if isinstance(item, datetime | date | time):
        return item.isoformat()
    if isinstance(item, timedelta):
        return duration_text(item)
    if isinstance(item, bytes | bytearray | memoryview):
        return bytes(item).hex()
    return str(item)  # a UUID, a decimal


_PLAIN = frozenset({str, int, float, bool, type(None)})  # exactly: not enums


def jsonable(value: Any) -> Any:
    """A value as JSON can hold it, readable in the audit log and read back by
    a revert (`admin_app.site.auditlog`), and as a JSON column is handed it
    (`writable`) and compared (`values.unchanged`): UUIDs, decimals, dates and times as
    their canonical text, enums by value, bytes as hex, sets as sorted lists,
    anything else JSON has no type for as its text."""
    if type(value) in _PLAIN:  # most values (an import makes millions of them)
        return value
    if type(value) is dict:  # a row's values by name (an import: two a row)
        return {
            k if type(k) is str else str(jsonable(k)): (
                v if type(v) in _PLAIN else jsonable(v)
            )
            for k, v in value.items()
        }
    if isinstance(value, enum.Enum):  # before str and int: StrEnum, IntEnum
        return jsonable(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=_sort_key)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    return json_item(value)  # as pages and the export's JSON write it


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def local_time(value: datetime) -> Markup:
    """A datetime for a page: UTC with the zone named, in a `<time>` element.

    One convention on every page (lists, details, audit log) and in every
    form field (see `admin_app.writing.forms`): staff in several zones read
    and type the same text, and a value read off a page can be typed back."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return Markup('<time datetime="{}Z">{}</time>').format(
        value.isoformat(timespec="seconds"), format_datetime(value)
    )


def choice_pairs(
    rows: Iterable[Any], *, by_label: bool = True
) -> list[tuple[str, str]]:
    """(key, label) of `rows` for a picker, sorted by label as the filters
    sort them; a label two rows share gets the key, "Plan search index
    (#12)", so a staff user can tell them apart."""
    pairs = [(row_identifier(row), label_for(row)) for row in rows]
    seen = Counter(label.casefold() for _key, label in pairs)
    pairs = [
        (key, f"{label} (#{key})" if seen[label.casefold()] > 1 else label)
        for key, label in pairs
    ]
    return sorted(pairs, key=lambda pair: pair[1].casefold()) if by_label else pairs


def search_by_label(
    session: Session, model: type, term: str, limit: int = 20
) -> list[tuple[str, str]]:
    """(key, label) of rows of `model` whose label column contains `term`, for
    search-as-you-type choices; by key when the model has no label column."""
    column = label_column(model)
    stmt = select(model)
    if column is not None:
        attr = getattr(model, column)
        engine = session.get_bind().engine
        sample = column_sample(engine, inspect(model).columns[column])
        stmt = stmt.where(contains(attr, term, sample)).order_by(attr)
    else:
        stmt = stmt.where(cast(inspect(model).primary_key[0], String) == term)
    rows = session.scalars(stmt.limit(limit)).all()
    return choice_pairs(rows, by_label=column is not None)


LIST_LIMIT = 100  # a table with more rows is searched as you type, not listed


def choices_if_small(
    session: Session, model: type, limit: int = LIST_LIMIT
) -> list[tuple[str, str]] | None:
    """(key, label) of every row of `model` by label, or None when the table has
    more than `limit` rows (then it is searched as you type instead)."""
    rows = session.scalars(select(model).limit(limit + 1)).all()
    if len(rows) > limit:
        return None
    return choice_pairs(rows)


def yes_no(value: bool) -> Markup:
    """A flag in a list or on a details page: SQLAdmin's tick or cross, named
    for a screen reader and on hover (the icon alone says nothing). An image
    with a name, not a visually hidden word: that is placed absolutely, out
    of a wide table's scroll box, and the page scrolled sideways."""
    icon, word = (
        ("fa-check text-success", "Yes") if value else ("fa-times text-danger", "No")
    )
    return Markup('<i class="fa {}" role="img" aria-label="{}" title="{}"></i>').format(
        icon, word, word
    )


def enum_label(member: Any) -> str:
    """A choice as every page names it: `in_progress` -> "In progress". An
    enum member by its value where that is text in words ("home & garden"
    -> "Home & garden"), else by its name: a code of a letter or two or a
    number (`small = "S"`, `low = 1`) tells staff nothing ("Small", "Low")."""
    text = member
    if isinstance(member, enum.Enum):
        value = member.value
        text = value if isinstance(value, str) and len(value) > 2 else member.name
    return str(text).replace("_", " ").capitalize()
