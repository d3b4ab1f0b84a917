"""Deleting rows: what else goes with them, then one transaction.

Every delete path (the trash icon, the details page, bulk delete) runs the
same check first, read from the metadata the way the deletion will really go
(rows are deleted through the ORM, as SQLAdmin deletes them), as Django's admin
lists related objects before a delete:

- an ORM relationship with delete cascade (`cascade_delete=True`), the
  rows of a plain many-to-many link (the ORM deletes those), or `ON DELETE
  CASCADE`: the referring rows are deleted with the selection;
- `ON DELETE SET NULL`, or a one-to-many relationship without cascade over a
  nullable key (the ORM empties it): the referring rows stay, key emptied;
- anything else (a non-nullable key the ORM would have to empty, link rows
  with data of their own such as a role and no cascade, a key with no action
  or RESTRICT): the referring rows block the deletion.

What is removed with the rows is shown before and recorded in the audit entry
after (the deleted rows with their values, the emptied keys with their old
values); what blocks refuses the deletion, with the same sentence everywhere.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import (
    ForeignKeyConstraint,
    Select,
    Table,
    func,
    inspect,
    select,
    tuple_,
)
from sqlalchemy.orm import Mapper, RelationshipDirection, Session
from sqlalchemy.sql import ColumnElement

from admin_app.listing.query import ListQuery
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import changed_field_label, field_specs
from admin_app.model.keys import identifier, row_identifier
from admin_app.model.labels import label_for
from admin_app.model.mapped import mapper_of
from admin_app.model.names import table_words
from admin_app.model.relations import is_plain_link, referring_constraints
from admin_app.writing.audit import jsonable, record
from admin_app.writing.writes import FormErrors

MAX_DEPTH = 4  # cascades followed through this many tables


class DeletingView(Protocol):
    """What a deletion needs of the view it serves."""

    model: Any
    identity: str
    name: str

    def count_words(self, count: int) -> str: ...

    def hidden_columns(self, table: Table) -> set[str]: ...


@dataclass(frozen=True)
class Consequence:
    """Rows of another table (or this one) that deleting the selection touches."""

    table: Table
    columns: tuple[str, ...]  # the referring columns
    rule: str  # "delete", "empty" or "block"
    count: int
    selected: int  # how many rows are being deleted: "it" or "them"
    where: ColumnElement = field(compare=False, repr=False)  # the referring rows

    @property
    def sentence(self) -> str:
        singular, many = table_words(self.table)
        words = f"{self.count:,} {(singular if self.count == 1 else many).lower()}"
        them = "it" if self.selected == 1 else "them"
        if self.rule == "delete":
            return f"{words} will be deleted with {them}."
        if self.rule == "empty":
            their = "its" if self.count == 1 else "their"
            return f"{words} will have {their} {self.field_words} emptied."
        refer = "refers" if self.count == 1 else "refer"
        they = "it" if self.selected == 1 else "they"
        return f"{words} {refer} to {them}, so {they} cannot be deleted."

    @property
    def field_words(self) -> str:
        """The referring field as its table's form names it: `parent`, not
        `parent_id`."""
        mapper = _mapper_of(self.table)
        if mapper is None:
            return " and ".join(c.replace("_", " ") for c in self.columns)
        model, specs = mapper.class_, field_specs(mapper.class_)
        names = [changed_field_label(specs, model, c).lower() for c in self.columns]
        return " and ".join(dict.fromkeys(names))  # a composite key's field once


def _mapper_of(table: Table) -> Mapper | None:
    """The mapped class of `table`, if a SQLModel class maps it."""
    return mapper_of(table)


def _rule(mapper: Mapper | None, constraint: ForeignKeyConstraint) -> tuple[str, bool]:
    """What deleting a referenced row does to the referring rows of
    `constraint`, and whether they are then deleted through the ORM (so that
    their own relationships apply in turn). `mapper` is None when the rows
    are deleted by the database (their relationships do not run)."""
    columns = set(constraint.columns)
    relationships = [
        rel
        for rel in (mapper.relationships if mapper is not None else ())
        if not rel.viewonly and not rel.passive_deletes
    ]
    for rel in relationships:  # the ORM loads these rows, then deletes or empties
        remote = {r for _local, r in rel.local_remote_pairs or []}
        if (
            rel.direction is RelationshipDirection.ONETOMANY
            and rel.mapper.local_table is constraint.table
            and remote == columns
        ):
            if rel.cascade.delete:
                return "delete", True
            nullable = all(c.nullable for c in constraint.columns)
            return ("empty" if nullable else "block"), False
    cascades = (constraint.ondelete or "").upper() == "CASCADE"
    for rel in relationships:  # a many-to-many: the ORM deletes its link rows
        pairs = {s for _local, s in rel.synchronize_pairs or []}
        if (
            rel.direction is RelationshipDirection.MANYTOMANY
            and rel.secondary is constraint.table
            and pairs == columns
        ):
            # Rows of a plain link are only the link; rows with data of their
            # own (a role) go only where the schema says so.
            plain = is_plain_link(constraint.table)
            return ("delete" if plain or cascades else "block"), False
    ondelete = (constraint.ondelete or "").upper()
    if cascades:
        return "delete", False
    if ondelete in ("SET NULL", "SET DEFAULT"):
        return "empty", False
    return "block", False


def _referring(constraint: ForeignKeyConstraint, chosen: Select) -> ColumnElement:
    """The rows of `constraint`'s table that refer to the rows `chosen` selects
    (`chosen` names the referred columns, in the constraint's order)."""
    columns = list(constraint.columns)
    if len(columns) == 1:
        return columns[0].in_(chosen)
    return tuple_(*columns).in_(chosen)


def _follow(
    session: Session,
    table: Table,
    chosen: Callable[[list[Any]], Select],
    mapper: Mapper | None,
    selected: int,
    depth: int,
) -> list[Consequence]:
    found: list[Consequence] = []
    for constraint in referring_constraints(table):
        referred = [element.column for element in constraint.elements]
        where = _referring(constraint, chosen(referred))
        count = session.scalar(
            select(func.count()).select_from(constraint.table).where(where)
        )
        if not count:
            continue
        rule, through_orm = _rule(mapper, constraint)
        names = tuple(c.key for c in constraint.columns)
        found.append(Consequence(constraint.table, names, rule, count, selected, where))
        if rule == "delete" and depth < MAX_DEPTH and constraint.table is not table:
            found += _follow(
                session,
                constraint.table,
                lambda cols, where=where, t=constraint.table: (
                    select(*cols).select_from(t).where(where)
                ),
                _mapper_of(constraint.table) if through_orm else None,
                selected,
                depth + 1,
            )
    return found


def consequences(
    session: Session, query: ListQuery, selected: int | None = None
) -> list[Consequence]:
    """What deleting the rows `query` selects does to other rows."""
    model = query.view.model
    if selected is None:
        selected = session.scalar(query.count()) or 0
    return _follow(
        session,
        model.__table__,
        lambda columns: query.filtered().with_only_columns(*columns).order_by(None),
        inspect(model),
        selected,
        1,
    )


def _removed(
    session: Session,
    effects: Iterable[Consequence],
    hidden: Callable[[Table], set[str]],
    many: bool,
) -> dict[str, Any]:
    """For the audit entry: the rows deleted with the selection, with their
    values, and the emptied keys with their old values."""
    found: dict[str, Any] = {}
    for effect in effects:
        table = effect.table
        _, plural = table_words(table)
        shown = [c for c in table.columns if attribute_name(c) not in hidden(table)]
        if effect.rule == "delete":
            name = f"{plural} deleted with {'them' if many else 'it'}"
            rows = session.execute(select(*shown).where(effect.where))
            values = [
                {
                    attribute_name(c): jsonable(v)
                    for c, v in zip(shown, row, strict=True)
                }
                for row in rows
            ]
        else:
            name = f"{plural}: {effect.field_words} emptied"
            keys = list(table.primary_key.columns)
            columns = [table.columns[c] for c in effect.columns]
            rows = session.execute(select(*keys, *columns).where(effect.where))
            values = [
                {
                    "key": identifier([jsonable(v) for v in row[: len(keys)]]),
                    **{
                        attribute_name(c): jsonable(v)
                        for c, v in zip(columns, row[len(keys) :], strict=True)
                    },
                }
                for row in rows
            ]
        found.setdefault(name, []).extend(values)
    return found


def delete_selected(
    session: Session,
    view: DeletingView,
    query: ListQuery,
    request: Any,
    before_each: Callable[[Any], None] | None = None,
) -> list[Any]:
    """Delete the selected rows in `session`'s transaction, with one audit
    entry; refuse (FormErrors, nothing deleted) if other rows block it."""
    model = view.model
    rows = session.execute(query.filtered()).scalars().all()
    if not rows:
        return []
    effects = consequences(session, query, len(rows))
    blocking = [e.sentence for e in effects if e.rule == "block"]
    if blocking:
        raise FormErrors({}, " ".join(dict.fromkeys(blocking)))
    removed = _removed(session, effects, view.hidden_columns, len(rows) > 1)
    hidden = view.hidden_columns(model.__table__)
    columns = [c for c in model.__table__.columns if attribute_name(c) not in hidden]
    keys = [row_identifier(row) for row in rows]
    old = {
        key: {
            attribute_name(c): jsonable(getattr(row, attribute_name(c)))
            for c in columns
        }
        for key, row in zip(keys, rows, strict=True)
    }
    for row in rows:  # through the ORM: its cascades and hooks apply
        if before_each is not None:
            before_each(row)
        session.delete(row)
    session.flush()
    if len(rows) == 1:
        (values,) = old.values()
        changes = {name: [value, None] for name, value in values.items()}
        changes.update({name: [value, None] for name, value in removed.items()})
        summary = f"Deleted {view.name} “{label_for(rows[0])}”"
        action = "delete"
    else:
        changes = {"old": old, **removed}
        summary = f"Deleted {view.count_words(len(keys))}"
        action = "bulk_delete"
    record(session, request, action, view.identity, keys, summary, changes)
    return list(rows)
