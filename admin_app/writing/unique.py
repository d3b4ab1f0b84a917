"""Values no two rows may share: the write path's unique check, for one row
or for a batch of rows at once.

A save names the field whose value another row holds already ("Another row
already has this email.") rather than let the database refuse it with SQL
text. A group of columns is checked only when the save sets it: a new row's
every group, an existing row's groups whose values it changes (a row left
as it is adds no duplicate, as the database's own constraint would see it).

A form checks its row with one query a group (`taken`). An import decides a
batch of rows before writing them, and asks for all of their values with one
query a group (`taken_among`): a batch in which any value is held by another
row, or asked for twice, is run again row by row, whose checks name each
row's field exactly; its confirmation asks again for the values of each
batch it writes, and names the rows whose values were taken since. A group
whose uniqueness the database enforces itself (a unique constraint or index
on exactly its columns, `enforced_groups`) is not asked for: the batch's
write is refused then, and run again the same way. The query cost a tenth
of a preview of 100,000 new rows on SQLite; on PostgreSQL, where a query
for hundreds of values is prepared once and run for every batch with a plan
made for the table's size before the import (its statistics do not count
the rows the transaction adds), it scanned the whole table for each batch:
55 s instead of 3.6 s.
"""

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import (
    Column,
    UniqueConstraint,
    and_,
    inspect,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session

ASKED_AT_ONCE = 500  # parameters of one query (SQLite's old limit: 999)


class UniqueGroup(NamedTuple):
    """Columns whose values no two rows may share, with their attribute keys."""

    columns: tuple[Column, ...]
    attributes: tuple[str, ...]


class Asked(NamedTuple):
    """The values a save asks a unique group to hold for one row."""

    group: UniqueGroup
    values: tuple[Any, ...]
    own_key: tuple[Any, ...] | None  # None: a row not stored yet


@cache
def unique_groups(model: type) -> tuple[UniqueGroup, ...]:
    """The column groups of `model` whose values no two rows may share: a
    unique column, a unique constraint, a unique index on columns alone
    (not on an expression, nor only where a condition holds)."""
    mapper = inspect(model)
    table = mapper.local_table
    groups = {(col,) for col in table.columns if col.unique} | {
        tuple(constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    }
    groups |= {
        tuple(index.columns)
        for index in table.indexes
        if index.unique
        and all(isinstance(part, Column) for part in index.expressions)
        and not any(
            key.endswith("_where") and value is not None
            for key, value in index.kwargs.items()
        )
    }
    return tuple(
        UniqueGroup(
            columns, tuple(mapper.get_property_by_column(c).key for c in columns)
        )
        for columns in groups
    )


@cache
def key_group(model: type) -> UniqueGroup:
    """The primary key's columns, as a group no two rows may share."""
    mapper = inspect(model)
    columns = tuple(mapper.primary_key)
    return UniqueGroup(
        columns, tuple(mapper.get_property_by_column(c).key for c in columns)
    )


def asked_values(
    model: type,
    values: Mapping[str, Any],
    own_key: Sequence[Any],
    changes: Mapping[str, Any] | None,
) -> Iterator[Asked]:
    """The groups a save of `values` (the row's columns as it would be, by
    attribute key) asks to hold, for a row whose key is `own_key` (parts
    None: not stored yet). `changes` are an existing row's changed columns
    (None for a new row): a group none of them touches is not asked. A group
    with an empty value asks nothing."""
    key = None if any(part is None for part in own_key) else tuple(own_key)
    for group in unique_groups(model):
        if changes is not None and not any(a in changes for a in group.attributes):
            continue
        held = tuple(values[a] for a in group.attributes)
        if all(value is not None for value in held):
            yield Asked(group, held, key)


def taken(session: Session, model: type, asked: Asked) -> bool:
    """Whether another row holds the values `asked` for."""
    columns = asked.group.columns
    stmt = (
        select(1)
        .select_from(inspect(model).local_table)
        .where(and_(*(c == v for c, v in zip(columns, asked.values, strict=True))))
    )
    if asked.own_key is not None:
        keys = inspect(model).primary_key
        stmt = stmt.where(
            or_(*(k != v for k, v in zip(keys, asked.own_key, strict=True)))
        )
    return session.execute(stmt.limit(1)).first() is not None


def enforced_groups(session: Session, model: type) -> frozenset[UniqueGroup]:
    """The unique groups of `model` that the database itself refuses to see
    twice: a unique constraint, or a unique index on exactly those columns
    (an index with a condition enforces nothing for the rows outside it)."""
    if not unique_groups(model):
        return frozenset()
    table = inspect(model).local_table
    found = inspect(session.connection())
    names = {
        frozenset(c["column_names"])
        for c in found.get_unique_constraints(table.name, schema=table.schema)
    }
    for index in found.get_indexes(table.name, schema=table.schema):
        options = index.get("dialect_options", {})
        if index["unique"] and not any(k.endswith("_where") for k in options):
            names.add(frozenset(index["column_names"]))
    return frozenset(
        group
        for group in unique_groups(model)
        if frozenset(c.name for c in group.columns) in names
    )


class BatchUniqueCheck:
    """One import's check of its batches' unique values: which groups the
    database enforces itself is read once, when first asked, and those are
    left to it."""

    def __init__(self, session: Session, model: type) -> None:
        self.session, self.model = session, model
        self._enforced: frozenset[UniqueGroup] | None = None

    @property
    def enforced(self) -> frozenset[UniqueGroup]:
        if self._enforced is None:
            self._enforced = enforced_groups(self.session, self.model)
        return self._enforced

    def needed(self) -> bool:
        """Whether any unique group is left to this check."""
        return not self.enforced.issuperset(unique_groups(self.model))

    def taken(self, asked: Sequence[Asked]) -> set[int]:
        """The positions in `asked` whose values are taken (`taken_among`),
        of the groups the database does not enforce."""
        return taken_among(self.session, self.model, asked, self.enforced)


def taken_among(
    session: Session,
    model: type,
    asked: Sequence[Asked],
    enforced: frozenset[UniqueGroup] = frozenset(),
) -> set[int]:
    """The positions in `asked` of the values another row holds, or that an
    earlier one of them asks for too: one query a group (of `ASKED_AT_ONCE`
    parameters) but those `enforced` by the database. Where the database
    holds a value in another form than asked (a column comparing text
    without case), each value of that query is asked for alone."""
    found: set[int] = set()
    owners: dict[UniqueGroup, dict[tuple[Any, ...], tuple[int, Any]]] = {}
    for position, one in enumerate(asked):
        if one.group in enforced:
            continue
        group = owners.setdefault(one.group, {})
        if one.values in group:
            found.add(position)  # asked twice
        else:
            group[one.values] = (position, one.own_key)
    if not owners:
        return found
    keys = list(inspect(model).primary_key)
    with _each_query_planned(session):
        for group, wanted in owners.items():
            columns, width = group.columns, len(group.columns)
            values = iter(wanted)
            while chunk := list(islice(values, ASKED_AT_ONCE // width)):
                if width == 1:
                    where = columns[0].in_([value[0] for value in chunk])
                else:
                    where = tuple_(*columns).in_(chunk)
                holders = session.execute(select(*columns, *keys).where(where)).all()
                if any(tuple(row[:width]) not in wanted for row in holders):
                    # held in another form: each value of the chunk asked alone
                    found |= {
                        position
                        for position, _key in map(wanted.__getitem__, chunk)
                        if taken(session, model, asked[position])
                    }
                    continue
                for row in holders:
                    position, own_key = wanted[tuple(row[:width])]
                    if own_key != tuple(row[width:]):
                        found.add(position)
    return found


@contextmanager
def _each_query_planned(session: Session) -> Iterator[None]:
    """Have PostgreSQL plan each query inside for its own values
    (`plan_cache_mode`), its setting put back after (a transaction's own
    setting, undone with it); nothing on another database.

    psycopg prepares a query it has run five times, and PostgreSQL may then
    keep one plan for it, made for the table's size as its statistics say:
    a batch's query for hundreds of values, asked while the import's own
    rows fill the table (rows the statistics do not count), then scanned the
    whole table once a value, 54 s for 100,000 new rows of a table without
    an index on the column against 5 s planned anew. Only these queries:
    the batch's executemany UPDATE is best planned once."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql" or (dialect.server_version_info or ()) < (12,):
        yield
        return
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    yield  # a failure inside ends the transaction, and the setting with it
    session.execute(text("SET LOCAL plan_cache_mode = DEFAULT"))
