"""How a model's relations reach other rows: foreign keys without a
relationship, and link tables with data of their own however they are
declared (the link's one-to-many, a `link_model=` many-to-many, or both).
"""

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Column, ForeignKeyConstraint, Table, inspect
from sqlalchemy.orm import RelationshipDirection, RelationshipProperty

from admin_app.model.mapped import mapper_of


@dataclass(frozen=True)
class LinkFacts:
    """A link table with data of its own, seen from one parent: which link
    columns point at the parent and which at the row on the other side."""

    link_model: type
    parent_pairs: tuple[tuple[Column, Column], ...]  # (link column, parent column)
    other_model: type
    other_pairs: tuple[tuple[Column, Column], ...]  # (link column, other column)
    other_name: str  # the other side in words' source: `worker`
    other: RelationshipProperty | None  # link -> other, when the link declares it
    fields: tuple[str, ...]  # the link's own columns (`role`, `assigned_at`)


def mapped_class(table: Any) -> type | None:
    """The class that maps `table` (the project's or the admin's own)."""
    mapper = mapper_of(table)
    return mapper.class_ if mapper is not None else None


def foreign_key_target(column: Column) -> tuple[type, Column] | None:
    """The mapped class and key column a single foreign key column points at,
    when it points at that class's whole primary key."""
    for fk in column.foreign_keys:
        target = mapped_class(fk.column.table)
        key = list(inspect(target).primary_key) if target is not None else []
        if target is not None and key == [fk.column]:
            return target, fk.column
    return None


def referring_constraints(table: Table) -> tuple[ForeignKeyConstraint, ...]:
    """Foreign keys of other tables (or this one) that point at `table`, in
    the order the metadata sorts its tables.

    Every save that changes a row asks (each row of an import: sorting the
    tables took a seventh of a preview), so the answer is kept while the
    metadata holds the same tables (a bounded number of answers: a process
    whose metadata keeps growing, a test run, does not keep every one)."""
    return _referring(table, tuple(table.metadata.tables.values()))


@lru_cache(maxsize=1024)
def _referring(
    table: Table, _tables: tuple[Table, ...]
) -> tuple[ForeignKeyConstraint, ...]:
    return tuple(
        constraint
        for other in table.metadata.sorted_tables
        for constraint in other.foreign_key_constraints
        if constraint.referred_table is table
    )


def is_plain_link(table: Table) -> bool:
    """Whether `table` holds nothing but keys of other rows (a plain
    many-to-many's link): its rows are only the link, with no data or name
    of their own."""
    return all(column.foreign_keys for column in table.columns)


@cache
def composite_keys(model: type) -> tuple[tuple[type, tuple[str, ...]], ...]:
    """The foreign keys of `model` over several columns that point at
    another mapped class's whole primary key (a booking's hall and seat
    number): each as its target class and the attribute keys of its
    columns, in the order of the target's key."""
    mapper = inspect(model)
    found = []
    for constraint in mapper.local_table.foreign_key_constraints:
        if len(constraint.elements) < 2:
            continue
        target = mapped_class(constraint.referred_table)
        if target is None:
            continue
        local_of = {fk.column: fk.parent for fk in constraint.elements}
        key = list(inspect(target).primary_key)
        if set(key) != set(local_of):
            continue
        names = tuple(mapper.get_property_by_column(local_of[c]).key for c in key)
        found.append((target, names))
    return tuple(found)


@cache
def own_row_columns(model: type) -> tuple[str, ...]:
    """The attribute keys of `model`'s columns that name a row of its own
    table (a task's parent): an import that adds rows may name them there."""
    mapper = inspect(model)
    table = mapper.local_table
    return tuple(
        mapper.get_property_by_column(column).key
        for column in table.columns
        if any(fk.column.table is table for fk in column.foreign_keys)
    )


def link_facts(rel: RelationshipProperty) -> LinkFacts | None:
    """How `rel` reaches rows of a link table with data of its own, or None
    when it does not (a plain many-to-many, a one-to-many to ordinary rows)."""
    if rel.direction is RelationshipDirection.MANYTOMANY:
        link_model = mapped_class(rel.secondary)
        if link_model is None:
            return None
        parent = tuple((link, mine) for mine, link in rel.synchronize_pairs)
        other = tuple(
            (link, theirs) for theirs, link in rel.secondary_synchronize_pairs
        )
        other_model = rel.mapper.class_
        other_rel = next(
            (
                r
                for r in inspect(link_model).relationships
                if r.direction is RelationshipDirection.MANYTOONE
                and {local for local, _ in r.local_remote_pairs or []}
                == {link for link, _ in other}
            ),
            None,
        )
    elif rel.direction is RelationshipDirection.ONETOMANY:
        link_model = rel.mapper.class_
        parent = tuple(
            (remote, local) for local, remote in rel.local_remote_pairs or []
        )
        keys = set(inspect(link_model).primary_key)
        rest = keys - {link for link, _ in parent}
        others = [
            r
            for r in inspect(link_model).relationships
            if r.direction is RelationshipDirection.MANYTOONE
            and {local for local, _ in r.local_remote_pairs or []} == rest
        ]
        if len(others) != 1:
            return None
        other_rel = others[0]
        other = tuple(other_rel.local_remote_pairs or ())
        other_model = other_rel.mapper.class_
    else:
        return None
    keys = set(inspect(link_model).primary_key)
    if {link for link, _ in parent} | {link for link, _ in other} != keys:
        return None  # the two sides do not name a link row
    if not {link for link, _ in parent} < keys:
        return None
    mapper = inspect(link_model)
    fields = tuple(
        mapper.get_property_by_column(c).key for c in mapper.columns if c not in keys
    )
    if not fields:
        return None  # a plain link: edited as a multi-select
    other_name = (
        other_rel.key
        if other_rel is not None
        else mapper.get_property_by_column(other[0][0]).key.removesuffix("_id")
        if len(other) == 1
        else "row"
    )
    return LinkFacts(
        link_model, parent, other_model, other, other_name, other_rel, fields
    )
