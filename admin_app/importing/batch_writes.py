"""A batch of imported rows written with one statement per shape.

The ORM's flush handles every mapping SQLModel can make, but it spends most of
an import's time on bookkeeping a batch of plain column changes does not need:
tracking each attribute's history, sorting the unit of work, and an UPDATE
compiled per row's set of changed columns. When a table's rows are plain
columns (`plain_columns`), an import instead has the write path decide each
row's column values (`RowWriter.column_changes`: the same validation, merge
and unique checks as a form) and writes the batch here: one executemany
UPDATE for each set of changed columns, and one INSERT ... RETURNING for each
set of given columns, whose returned rows are the new rows as stored (their
keys and defaults). The ORM's rules for a new row's empty values are kept:
an empty key or an empty column with a default is left out, so the database
or the column's default fills it.

A table whose writes the ORM shapes itself (mapper or flush events, a version
counter, `onupdate` values, inheritance) is left to the flush.
"""

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import Column, and_, bindparam, insert, inspect, update
from sqlalchemy.orm import Mapper, Session
from sqlalchemy.orm.base import instance_dict
from sqlmodel import SQLModel

from admin_app.importing.array_insert import array_insert, arrays_of
from admin_app.model.values import unchanged

_EVENTS = ("before_insert", "after_insert", "before_update", "after_update")


_IMMUTABLE = (type(None), bool, int, float, str, bytes, enum.Enum)


@cache
def default_makers(model: type) -> tuple[tuple[str, Callable[[], Any]], ...] | None:
    """Each optional field's default, as a call that makes it as pydantic's
    `FieldInfo.get_default` does: a default factory called, a mutable
    default copied. Worked out once a model (pydantic inspects a factory's
    signature at every call: a tenth of a new row's import). None when a
    factory wants the other fields' values (pydantic 2.10+): only the
    model's constructor can give them."""
    makers = []
    for name, info in model.model_fields.items():
        if info.is_required():
            continue
        if getattr(info, "default_factory_takes_validated_data", False):
            return None
        if info.default_factory is not None:
            make = info.default_factory
        elif isinstance(info.default, _IMMUTABLE):
            make = repeat(info.default).__next__
        else:
            make = partial(info.get_default, call_default_factory=True)
        makers.append((name, make))
    return tuple(makers)


def plain_columns(model: type, session: Session) -> bool:
    """Whether rows of `model` can be written without the ORM's flush: one
    table, no version counter, no values made on update, no listeners."""
    mapper: Mapper = inspect(model)
    if mapper.inherits is not None or mapper.version_id_col is not None:
        return False
    if any(getattr(mapper.dispatch, name) for name in _EVENTS):
        return False
    if session.dispatch.before_flush or session.dispatch.after_flush:
        return False
    dialect = session.get_bind().dialect
    if not dialect.insert_executemany_returning_sort_by_parameter_order:
        return False
    table = mapper.local_table
    return all(
        column.onupdate is None and column.server_onupdate is None
        for column in table.columns
    )


class UnorderedInsert(Exception):
    """A batch's new rows came back from one INSERT in an order their keys
    did not give: the batch is run again row by row."""


@dataclass
class _Insert:
    values: dict[str, Any]  # by column key
    stored: dict[str, Any] = field(default_factory=dict)  # by attribute key


class BatchWrites:
    """The UPDATEs and INSERTs of one batch, run together by `write`."""

    def __init__(self, model: type) -> None:
        self.mapper: Mapper = inspect(model)
        self.table = self.mapper.local_table
        self.keys: list[Column] = list(self.mapper.primary_key)
        self._column = {prop.key: prop.columns[0] for prop in self.mapper.column_attrs}
        # the attribute keys of the table's columns, in the order the
        # INSERT returns them
        self._attributes = tuple(
            self.mapper.get_property_by_column(column).key
            for column in self.table.columns
        )
        # each column's place among the returned columns, by column key
        self._position = {column.key: n for n, column in enumerate(self.table.columns)}
        self._updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._inserts: list[_Insert] = []

    def new_row(self) -> Any:
        """A new row of the model holding its defaults, as `model()` makes it.

        Its values are only read (the batch inserts them itself), so it is
        made the way SQLAlchemy makes the rows it loads, with each default
        put in place, rather than by SQLModel's constructor, which sets
        every field through SQLAlchemy's events: a third of a new row's
        import. A model with a constructor or post-init of its own is made
        by them."""
        model = self.mapper.class_
        manager = self.mapper.class_manager
        makers = default_makers(model)
        if (
            manager.original_init is not SQLModel.__init__
            or getattr(model, "__pydantic_post_init__", None)
            or makers is None
        ):
            return model()
        row = manager.new_instance()
        values = instance_dict(row)
        for name, make in makers:
            values[name] = make()
        return row

    def update(self, key: tuple[Any, ...], changes: Mapping[str, Any]) -> None:
        """Set `changes` (by attribute key) on the row whose primary key is `key`."""
        if not changes:
            return
        names = tuple(sorted(changes))
        params = {f"k{n}": part for n, part in enumerate(key)}
        params.update({f"v{n}": changes[name] for n, name in enumerate(names)})
        self._updates.setdefault(names, []).append(params)

    def insert(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Add a row of `values` (by attribute key); the returned dict is
        filled with the row as stored, by attribute key, at `write`."""
        row = _Insert(self._insert_values(values))
        self._inserts.append(row)
        return row.stored

    def _insert_values(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """As the ORM's flush inserts a new object: an empty value is left out
        where the database or the column's default makes one (a key, a column
        with a default), written as NULL elsewhere."""
        chosen = {}
        for name, value in values.items():
            column = self._column[name]
            if value is None and not column.type.should_evaluate_none:
                made = column.primary_key or column.default is not None
                if made or column.server_default is not None:
                    continue
            chosen[column.key] = value
        return chosen

    def write(self, session: Session) -> None:
        """Run the batch's statements in `session`'s transaction."""
        for names, params in self._updates.items():
            columns = [self._column[name] for name in names]
            stmt = (
                update(self.table)
                .where(
                    and_(*(k == bindparam(f"k{n}") for n, k in enumerate(self.keys)))
                )
                .values({c.key: bindparam(f"v{n}") for n, c in enumerate(columns)})
            )
            session.execute(stmt, params)
        groups: dict[tuple[str, ...], list[_Insert]] = {}
        for row in self._inserts:
            groups.setdefault(tuple(sorted(row.values)), []).append(row)
        for names, rows in groups.items():
            stored = self._inserted(session, names, [row.values for row in rows])
            for row, values in zip(rows, stored, strict=True):
                row.stored.update(zip(self._attributes, values, strict=True))
        self._updates, self._inserts = {}, []

    def _inserted(
        self, session: Session, names: tuple[str, ...], params: list[dict[str, Any]]
    ) -> Sequence[Sequence[Any]]:
        """INSERT the rows of `params` (given the columns `names`); the rows
        as stored, in the order of `params`.

        SQLAlchemy inserts one row per statement where the database does not
        promise that a multi-row INSERT returns its rows in order (SQLite):
        a twentieth of a large import; on PostgreSQL its one statement for
        many rows is long (`array_insert` says why that costs). Where the
        database makes the key, a number, each row's is larger than the one
        before, so one statement per batch is run (on PostgreSQL of arrays)
        and its rows are put in order by their keys; on PostgreSQL a row
        whose key is given comes back in the arrays' order. Each returned
        row is checked to hold the values given for it, else the batch is
        run again row by row (`UnorderedInsert`)."""
        dialect = session.get_bind().dialect
        key = self._made_key(names)
        arrays = None
        if key is not None or all(k.key in names for k in self.keys):
            arrays = array_insert(self.table, names, dialect)
        if arrays is not None:
            stored = list(session.execute(arrays, arrays_of(names, params)))
        elif key is not None and dialect.name == "sqlite":
            stmt = insert(self.table).returning(*self.table.columns)
            stored = list(session.execute(stmt, params))
        else:
            stmt = insert(self.table).returning(
                *self.table.columns, sort_by_parameter_order=True
            )
            return list(session.execute(stmt, params))
        if key is not None:
            stored.sort(key=itemgetter(key))
        positions = [(self._position[name], name) for name in names]
        for sent, values in zip(params, stored, strict=True):
            if [sent[n] for _i, n in positions] == [values[i] for i, _n in positions]:
                continue  # stored exactly as sent, as most rows are
            if not all(unchanged(sent[n], values[i]) for i, n in positions):
                raise UnorderedInsert
        return stored

    def _made_key(self, names: tuple[str, ...]) -> int | None:
        """The position of the key among the returned columns when the rows
        of one multi-row INSERT can be put in order by it: a number the
        database makes (SQLite's rowid, PostgreSQL's sequence), not given
        by the rows; else None."""
        column = self.table.autoincrement_column
        if (
            column is None
            or len(self.keys) != 1
            or self.keys[0] is not column
            or column.key in names
        ):
            return None
        return self._position[column.key]
