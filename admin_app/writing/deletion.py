"""Deleting many rows: what else goes with them, then one transaction.

The confirmation page counts, for every foreign key that points at the table,
the rows that would be deleted with the selection (ON DELETE CASCADE), emptied
(SET NULL) or that block the deletion (no action or RESTRICT), as Django's
admin lists related objects before a delete.
"""

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ForeignKey, Table, func, select
from sqlalchemy.orm import Session

from admin_app.listing.query import ListQuery
from admin_app.model.keys import row_identifier
from admin_app.writing.audit import jsonable, record


class DeletingView(Protocol):
    """What a deletion needs of the view it serves."""

    model: Any
    identity: str

    def count_words(self, count: int) -> str: ...


@dataclass(frozen=True)
class Consequence:
    table: str
    column: str
    rule: str  # "delete", "empty" or "block"
    count: int

    @property
    def sentence(self) -> str:
        rows = f"{self.count:,} {self.table} row{'s' if self.count != 1 else ''}"
        if self.rule == "delete":
            return f"{rows} will be deleted with them (through {self.column})."
        if self.rule == "empty":
            return f"{rows} will have {self.column} emptied."
        return f"{rows} refer to them through {self.column}, so they cannot be deleted."


def _references(table: Table) -> list[ForeignKey]:
    """Single-column foreign keys of other tables (or this one) pointing here."""
    found = []
    for other in table.metadata.sorted_tables:
        for constraint in other.foreign_key_constraints:
            if constraint.referred_table is table and len(constraint.elements) == 1:
                found.append(constraint.elements[0])
    return found


def _rule(foreign_key: ForeignKey) -> str:
    """What deleting a referenced row does to a referencing one. Rows are
    deleted through the ORM (as SQLAdmin's delete does), which empties a
    nullable key the database would otherwise keep."""
    rule = (foreign_key.ondelete or "").upper()
    if rule == "CASCADE":
        return "delete"
    if rule == "SET NULL" or foreign_key.parent.nullable:
        return "empty"
    return "block"


def consequences(session: Session, query: ListQuery) -> list[Consequence]:
    table = query.view.model.__table__
    found = []
    for foreign_key in _references(table):
        referenced = foreign_key.column
        chosen = query.filtered().with_only_columns(referenced)
        count = session.scalar(
            select(func.count())
            .select_from(foreign_key.parent.table)
            .where(foreign_key.parent.in_(chosen))
        )
        if count:
            found.append(
                Consequence(
                    foreign_key.parent.table.name,
                    foreign_key.parent.key,
                    _rule(foreign_key),
                    count,
                )
            )
    return found


def delete_selected(
    session: Session, view: "DeletingView", query: ListQuery, request: Any
) -> int:
    """Delete the selected rows in `session`'s transaction, with one audit entry."""
    model = view.model
    rows = session.execute(query.filtered()).scalars().all()
    if not rows:
        return 0
    keys = [row_identifier(row) for row in rows]
    hidden = getattr(view, "_audit_hidden", ())  # secrets are never recorded
    recorded = [c for c in model.__table__.columns if c.key not in hidden]
    old = {
        key: {c.key: jsonable(getattr(row, c.key)) for c in recorded}
        for key, row in zip(keys, rows, strict=True)
    }
    for row in rows:  # through the ORM: its cascades and hooks apply
        session.delete(row)
    session.flush()
    record(
        session,
        request,
        "bulk_delete" if len(keys) > 1 else "delete",
        view.identity,
        keys,
        f"Deleted {view.count_words(len(keys))}",
        {"old": old},
    )
    return len(keys)
