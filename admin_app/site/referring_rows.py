"""The rows of other tables that point at a row, on the row's details page.

Tried as a new user would on the SQLModel tutorial, a team's page showed
nothing of its heroes: rows that point at a row (a team's heroes, a user's
items, a task's subtasks) are not a field of it (its form does not edit
them, and a project's million tasks are not one cell), so the field
descriptions leave them off every page. SQLAdmin's details page loads every
such row into one cell; Django's shows none. Here each foreign key of
another table the user may view that points at the row becomes a short
section: how many rows point here (counted as the list counts, capped), the
first few in their list's order, each by label linked to its page, and a
link to their list narrowed to this row by the list's own related-row
filter, where the rest are with their search, export and bulk edit.

The rows are read through the other table's `ListQuery`, so a view that
shows a user only some rows (its own `list_query`) shows no others here. A
link table the page already shows (a many-to-many's, a link with data of
its own) and a plain link (nothing but keys: no row to name) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from anyio import to_thread
from sqlalchemy import ForeignKeyConstraint, Table, and_, inspect
from sqlalchemy.orm import RelationshipDirection, Session
from starlette.requests import Request

from admin_app.listing.counts import RowCount, count_rows
from admin_app.listing.filters import RelatedFilter
from admin_app.listing.query import ListQuery
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import Kind, changed_field_label, field_specs
from admin_app.model.keys import identifier
from admin_app.model.names import table_words
from admin_app.model.relations import (
    is_plain_link,
    mapped_class,
    referring_constraints,
)
from admin_app.writing.unique import key_group, unique_groups

SHOWN_ROWS = 10
"""Rows named in a section; the list holds the rest."""


@dataclass(frozen=True)
class ReferringRows:
    """The rows of one foreign key that point at the page's row."""

    name: str  # the section's id
    title: str  # "Heroes", or "Social messages (Recipient)" beside a second key
    count: RowCount
    rows: tuple[tuple[str, str], ...]  # (label, details page) of the first ones
    list_url: str | None  # their list narrowed to this row, where a filter can
    list_text: str  # the words of that link
    add_url: str | None  # the other table's create form, this row chosen
    add_text: str  # the words of that link: "Add Hero"


def _title(model: type, constraint: ForeignKeyConstraint, keys: int) -> str:
    """The section's heading: the relation `model` declares over these rows
    as its form would name it ("Heroes", "Subtasks"), else the referring
    table's rows ("Steps"), with the referring field ("Messages
    (Recipient)") where that table points here by more than one key or is
    the page's own table."""
    columns = set(constraint.columns)
    for spec in field_specs(model).values():
        rel = spec.relationship
        if (
            spec.kind is Kind.TO_MANY
            and rel is not None
            and rel.direction is RelationshipDirection.ONETOMANY
            and {remote for _local, remote in rel.local_remote_pairs or []} == columns
        ):
            return spec.label
    many = table_words(constraint.table)[1]
    many = many[:1].upper() + many[1:]
    referring = mapped_class(constraint.table)
    if keys == 1 and referring is not model:
        return many
    specs = field_specs(referring)
    fields = dict.fromkeys(
        changed_field_label(specs, referring, attribute_name(c))
        for c in constraint.columns
    )
    return f"{many} ({', '.join(fields)})"


def _shown_elsewhere(view: Any) -> set[Table]:
    """The link tables the page's own fields show: its many-to-many
    relations' and its links with data."""
    mapper = inspect(view.model)
    tables = {
        rel.secondary for rel in mapper.relationships if rel.secondary is not None
    }
    return tables | {inspect(spec.link_model).local_table for spec in view._link_specs}


def _list_url(
    request: Request, view: Any, constraint: ForeignKeyConstraint, key: str | None
) -> str | None:
    """The referring view's list narrowed to the row by its related-row
    filter, if it has one over exactly this key."""
    if key is None or len(constraint.columns) != 1:
        return None
    column = next(iter(constraint.columns))
    for found in view.filters_for(request):
        if isinstance(found, RelatedFilter) and found.column is column:
            url = request.url_for("admin:list", identity=view.identity)
            return f"{url}?{urlencode({found.parameter_name: key})}"
    return None


def _add_url(
    request: Request, view: Any, constraint: ForeignKeyConstraint, key: str | None
) -> str | None:
    """The referring view's create form with this row chosen in the field
    over this key, if the user may add rows there and the form has it."""
    if key is None or not (view.can_create and view.has_permission(request, "create")):
        return None
    columns = tuple(constraint.columns)
    for spec in view.field_specs.values():
        if (
            spec.kind is Kind.TO_ONE
            and spec.in_form
            and set(spec.columns) == set(columns)
        ):
            url = request.url_for("admin:create", identity=view.identity)
            return f"{url}?{urlencode({spec.name: key})}"
    return None


def _one_may_point(model: type, constraint: ForeignKeyConstraint) -> bool:
    """Whether no two rows of `model` may point at the same row by this key
    (a one-to-one: the key's columns are unique, or hold a unique group):
    a second one is not offered, it would be refused."""
    columns = set(constraint.columns)
    return any(
        set(group.columns) <= columns
        for group in (*unique_groups(model), key_group(model))
    )


def _list_text(count: RowCount, view: Any) -> str:
    """The list link's words: "All 37 in the list of heroes"."""
    where = f"in the list of {view.name_plural.lower()}"
    return f"All {count:,} {where}" if count != 1 else where[:1].upper() + where[1:]


def _unfiltered(request: Request) -> Request:
    """`request` without its query string: the referring list as it opens."""
    return Request({**request.scope, "query_string": b""}, request.receive)


class DetailsReferrers:
    """The details page's sections of rows that point here, for `AdminView`
    (a mixin, like the view's other page parts)."""

    async def referring_rows(self, request: Request, obj: Any) -> list[ReferringRows]:
        """A section for each foreign key of a table the user may view that
        points at `obj`'s table, in the tables' order."""
        table = inspect(self.model).local_table  # type: ignore[attr-defined]
        views = {
            inspect(v.model).local_table: v
            for v in self._admin_ref.views_for(request)  # type: ignore[attr-defined]
        }
        elsewhere = _shown_elsewhere(self)
        constraints = [
            c
            for c in referring_constraints(table)
            if c.table in views
            and c.table not in elsewhere
            and not is_plain_link(c.table)
        ]
        if not constraints:
            return []
        primary_key = list(inspect(self.model).primary_key)  # type: ignore[attr-defined]
        plain = _unfiltered(request)

        def section(
            session: Session, constraint: ForeignKeyConstraint
        ) -> ReferringRows | None:
            view = views[constraint.table]
            referred = [element.column for element in constraint.elements]
            values = [getattr(obj, attribute_name(c)) for c in referred]
            if None in values:
                return None  # a key no row can point at
            pointing = and_(
                *(c == v for c, v in zip(constraint.columns, values, strict=True))
            )
            key = identifier(values) if referred == primary_key else None
            listed = ListQuery.from_request(view, plain)
            first = session.scalars(
                listed.ordered().where(pointing).limit(SHOWN_ROWS + 1)
            ).all()
            count = (
                RowCount(len(first))
                if len(first) <= SHOWN_ROWS
                else count_rows(
                    session,
                    listed.filtered().where(pointing),
                    limits=view.count_limits(),
                )
            )
            return ReferringRows(
                name="-".join(
                    [constraint.table.name, *(c.key for c in constraint.columns)]
                ),
                title=_title(
                    self.model,  # type: ignore[attr-defined]
                    constraint,
                    sum(c.table is constraint.table for c in constraints),
                ),
                count=count,
                rows=tuple(
                    view.labelled_link(request, row) for row in first[:SHOWN_ROWS]
                ),
                list_text=_list_text(count, view),
                list_url=_list_url(request, view, constraint, key),
                add_text=f"Add {view.name}",
                add_url=None
                if first and _one_may_point(view.model, constraint)
                else _add_url(request, view, constraint, key),
            )

        def read() -> list[ReferringRows]:
            with self.session_maker() as session:  # type: ignore[attr-defined]
                found = [section(session, c) for c in constraints]
            return [s for s in found if s is not None]

        return await to_thread.run_sync(read)
