"""`CREATE INDEX` statements that would make the configured lists fast.

A list sorts by its sort columns with the primary key last (keyset pages
seek on exactly that), filters by its filter columns and, on PostgreSQL,
searches its text columns with `ILIKE '%term%'`, which only a trigram index
(`pg_trgm`, GIN) answers without reading the whole table. This module only
writes the statements; `admin-app suggest-indexes` prints them, and the
project decides which to apply (through its own migrations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Column, Table

from admin_app.listing.filters import EmptyFilter
from admin_app.listing.query import sort_terms
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import Kind


class IndexedView(Protocol):
    model: Any
    field_specs: Mapping[str, Any]
    _sort_fields: list[str]
    _search_fields: list[str]
    _filters: list[Any]


def _index_columns(table: Table) -> list[list[str]]:
    """The columns of each existing index, unique constraint and the primary
    key, in their order."""
    found = [[c.name for c in table.primary_key.columns]]
    found += [[c.name for c in index.columns] for index in table.indexes]
    found += [
        [c.name for c in getattr(constraint, "columns", [])]
        for constraint in table.constraints
    ]
    return [columns for columns in found if columns]


def _sort_index(column: str, keys: list[str]) -> list[str]:
    """The index a sort by `column` needs: the column, then the primary key,
    as the list orders and a deep page seeks. An index on the column alone
    is not enough: the database then sorts every row that shares the first
    page's value (a million NULL due dates) to find the first page."""
    return [column, *(k for k in keys if k != column)]


def _by_text(view: IndexedView, column: Column) -> bool:
    """A field the list sorts and filters by its text (JSON, `hstore`,
    lists: `sort_terms`): an index on the column serves neither (and
    PostgreSQL's `json` takes none)."""
    spec = view.field_specs.get(attribute_name(column))
    return spec is not None and spec.kind in (Kind.JSON, Kind.LIST)


def _quote(dialect: Any, name: str) -> str:
    return dialect.identifier_preparer.quote(name)


def _index_name(table: Table, *parts: str) -> str:
    return "_".join(["ix", table.name, *parts])[:63]


def _own_column(table: Table, column: Any) -> Column | None:
    if isinstance(column, Column) and column.table is table:
        return column
    prop = getattr(column, "property", None)
    columns = getattr(prop, "columns", None)
    if columns and isinstance(columns[0], Column) and columns[0].table is table:
        return columns[0]
    return None


def _create(
    dialect: Any, table: Table, name: str, columns: list[str], using: str
) -> str:
    target = _quote(dialect, table.name)
    if table.schema:
        target = f"{_quote(dialect, table.schema)}.{target}"
    return (
        f"CREATE INDEX IF NOT EXISTS {_quote(dialect, name)} ON {target}"
        f"{using} ({', '.join(columns)});"
    )


def suggest_indexes(views: Iterable[IndexedView], dialect: Any) -> list[str]:
    """The statements, one per missing index, in view order."""
    statements: list[str] = []
    trigram = dialect.name == "postgresql"
    needs_extension = False
    for view in views:
        table = view.model.__table__
        if not isinstance(table, Table):
            continue
        existing = _index_columns(table)
        have = {columns[0] for columns in existing}  # what a filter needs
        keys = [c.name for c in table.primary_key.columns]
        index_names = {i.name for i in table.indexes}

        def q(name: str) -> str:
            return _quote(dialect, name)

        def add(
            name: str, columns: list[str], using: str = "", table: Table = table
        ) -> None:
            statements.append(_create(dialect, table, name, columns, using))

        for name in view._sort_fields:
            spec = view.field_specs.get(name)
            if spec is not None and sort_terms(spec)[0]:
                continue  # sorted by a joined row's label: no index of ours
            column = _own_column(table, spec.column if spec else None)
            if column is None or _by_text(view, column):
                continue
            needed = _sort_index(column.name, keys)
            if any(columns[: len(needed)] == needed for columns in existing):
                continue
            existing.append(needed)
            have.add(column.name)
            index = _index_name(table, column.name)
            if index in index_names:  # the model's own one-column index
                index = _index_name(table, *needed)
            add(index, [q(c) for c in needed])
        for list_filter in view._filters:
            column = _own_column(table, getattr(list_filter, "column", None))
            if column is None or column.name in have or _by_text(view, column):
                continue
            if isinstance(list_filter, EmptyFilter) and list_filter.text:
                continue  # text's Empty: a B-tree of long text may not be made
            have.add(column.name)
            add(_index_name(table, column.name), [q(column.name)])
        if not trigram:
            continue
        for name in view._search_fields:
            spec = view.field_specs.get(name)
            if (
                spec is None
                or spec.is_secret
                or spec.kind
                not in (
                    Kind.TEXT,
                    Kind.LONG_TEXT,
                )
            ):
                continue
            column = _own_column(table, spec.column)
            index = _index_name(table, name, "trgm")
            if column is None or index in index_names:
                continue
            needs_extension = True
            add(index, [f"{q(column.name)} gin_trgm_ops"], " USING gin")
    if needs_extension:
        statements.insert(0, "CREATE EXTENSION IF NOT EXISTS pg_trgm;")
    return statements
