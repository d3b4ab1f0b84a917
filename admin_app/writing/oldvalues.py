"""A bulk edit's audit entry, written by the database from the rows themselves.

The entry keeps every affected key and its old values, so that the edit can be
reverted. Reading 100,000 rows into Python and encoding them as JSON costs many
times the UPDATE itself; instead one `INSERT ... SELECT` aggregates the keys
and old values into the entry's text in SQL (`json_group_object` on SQLite,
`json_object_agg` on PostgreSQL), in the change's transaction, before the
UPDATE. The JSON has the shape the Python path writes (`{"new": ..., "old":
{key: {field: value}}, ...}`), so the audit log and revert read both alike.

Only tables with a single integer key take this path (their keys need no
escaping in `object_keys`); tables with other keys (UUID, text, composite)
have their rows read in Python (`BulkEditor._apply_reading_rows`).
"""

import json
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Enum,
    Integer,
    LargeBinary,
    String,
    TypeDecorator,
    Uuid,
    case,
    cast,
    func,
    insert,
    inspect,
    literal,
    not_,
    select,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from admin_app.clock import utcnow
from admin_app.listing.cells import enum_values
from admin_app.model.attributes import attribute_name
from admin_app.writing.audit import AuditEntry, jsonable

DIALECTS = ("sqlite", "postgresql")


def supported(model: type, dialect: Dialect) -> bool:
    """Whether the database can write this table's bulk-edit entries itself."""
    keys = list(inspect(model).primary_key)
    if dialect.name not in DIALECTS or len(keys) != 1:
        return False
    type_ = keys[0].type
    if isinstance(type_, TypeDecorator):
        type_ = type_.load_dialect_impl(dialect)
    return isinstance(type_, Integer) and not _has_number_enum(model)


def _has_number_enum(model: type) -> bool:
    """An enum whose values are numbers (IntEnum): SQL's CASE cannot mix its
    JSON numbers with the stored names' text, so such tables take the Python
    path."""
    return any(
        isinstance(column.type, Enum)
        and column.type.enum_class is not None
        and any(not isinstance(m.value, str) for m in column.type.enum_class)
        for column in inspect(model).columns
    )


def _json_value(column: Any, dialect: Dialect) -> ColumnElement:
    """A column's value as the audit log shows it, as `jsonable` writes it in
    Python: enums by their Python value (the table stores names), flags as
    JSON booleans, UUIDs in their hyphenated text (SQLite stores 32 hex
    digits), bytes as hex (SQLite's JSON cannot hold a BLOB)."""
    type_ = column.type
    if isinstance(type_, Enum):
        return enum_values(column, dialect, jsonable)
    sqlite = dialect.name == "sqlite"
    if isinstance(type_, Boolean) and sqlite:
        return case((column, func.json("true")), (not_(column), func.json("false")))
    if isinstance(type_, Uuid) and sqlite:
        return _hyphenated(func.lower(column))
    if isinstance(type_, LargeBinary) and sqlite:  # hex(NULL) is ''
        return case((column.is_not(None), func.lower(func.hex(column))))
    if isinstance(type_, LargeBinary):
        return func.encode(column, "hex")
    return column


def _hyphenated(hex_digits: ColumnElement) -> ColumnElement:
    """`0123...` (32 hex digits) as `01234567-89ab-...`; NULL stays NULL."""
    parts = [func.substr(hex_digits, start, length) for start, length in UUID_PARTS]
    text = parts[0]
    for part in parts[1:]:
        text = text + literal("-", String) + part
    return text


UUID_PARTS = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _old_values(columns: list[Any], key: Any, dialect: Dialect) -> ColumnElement:
    """`{"<key>": {"<field>": old value, ...}, ...}` over the selected rows."""
    pairs: list[Any] = []
    for column in columns:
        pairs += [literal(attribute_name(column), String), _json_value(column, dialect)]
    key_text = cast(key, String)
    if dialect.name == "sqlite":
        return func.json_group_object(key_text, func.json_object(*pairs))
    return cast(func.json_object_agg(key_text, func.json_build_object(*pairs)), String)


def recorded_rows(model: type, entry_id: int, dialect: Dialect) -> ColumnElement:
    """The rows an entry names, by key, read from its `object_keys` in SQL.

    The UPDATE then finds its rows by primary key instead of scanning the table
    with the list's conditions a second time, and changes exactly the rows whose
    old values the entry holds, even if other rows came to match the filters
    since (READ COMMITTED on PostgreSQL).
    """
    (key,) = inspect(model).primary_key
    entry = AuditEntry.__table__
    keys_text = (
        select(func.trim(entry.c.object_keys, ","))
        .where(entry.c.id == entry_id)
        .scalar_subquery()
    )
    if dialect.name == "sqlite":
        listed = func.json_each(literal("[", String) + keys_text + literal("]", String))
        return key.in_(select(cast(listed.table_valued("value").c.value, Integer)))
    as_array = func.string_to_array(keys_text, literal(",", String))
    return key == func.any(cast(as_array, ARRAY(BigInteger)))


def insert_entry(
    session: Session,
    model: type,
    where: ColumnElement,
    names: list[str],
    *,
    username: str,
    table: str,
    head: dict[str, Any],
) -> tuple[int, int] | None:
    """Add the entry of a bulk edit of the rows `where` selects, before the
    change; return its id and how many rows it names (None when no row)."""
    dialect = session.get_bind().dialect
    mapper = inspect(model)
    (key,) = mapper.primary_key
    columns = [mapper.columns[name] for name in names]
    rows = (
        select(
            func.count().label("n"),
            func.aggregate_strings(cast(key, String), ",").label("keys"),
            type_coerce(_old_values(columns, key, dialect), String).label("old"),
        )
        .select_from(model)
        .where(where)
        .subquery()
    )
    opening = json.dumps(jsonable({**head, "old": {}}))[: -len("{}}")]
    entry = AuditEntry.__table__
    values = select(
        literal(utcnow(), entry.c.at.type),
        literal(username, String),
        literal("bulk_edit", String),
        literal(table, String),
        literal(",", String) + rows.c["keys"] + literal(",", String),
        cast(rows.c.n, String),
        literal(opening, String) + rows.c.old + literal("}", String),
    ).where(rows.c.n > 0)
    statement = (
        insert(entry)
        .from_select(
            ["at", "username", "action", "table", "object_keys", "summary", "changes"],
            values,
        )
        .returning(entry.c.id, entry.c.summary)
    )
    found = session.execute(statement).first()
    return None if found is None else (found[0], int(found[1]))
