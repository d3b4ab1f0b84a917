"""A row's link rows on its details page, as a table a staff user can read.

SQLAdmin's details page leaves out link rows with data of their own (a task's
assignments with their role) and shows many-to-many rows as "(bug) (docs)".
Here each link table the row's field descriptions place on the details page
becomes a small table: the row on the other side by label (a link to its page
when the user may open it), then the link's own fields as the forms name them
and as the lists show their values.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind, field_specs
from admin_app.model.labels import (
    duration_text,
    enum_label,
    field_label,
    json_text,
    label_for,
    local_time,
)
from admin_app.model.values import JSON_DOCUMENTS
from admin_app.writing.links import LinkSpec

MAX_LINK_ROWS = 500  # a details page is not the place for more; the list is


@dataclass(frozen=True)
class LinkRow:
    """One link row: the other side's label, its page (None: plain text), and
    the link's own values as shown."""

    label: str
    url: str | None
    cells: list[Any]


@dataclass
class LinkTable:
    """The link rows of one link table, under the parent's field label."""

    name: str
    title: str
    headings: list[str]
    rows: list[LinkRow] = field(default_factory=list)
    more: int = 0  # rows left out beyond MAX_LINK_ROWS


def shown_value(spec: FieldSpec | None, value: Any) -> Any:
    """A link field's value as the lists show it: a choice by its label, a
    datetime in the admin's time convention, a boolean as Yes / No."""
    if value is None:
        return ""
    if spec is not None and spec.kind is Kind.CHOICE:
        labels = dict(spec.choices)
        if value in labels:
            return labels[value]
    if isinstance(value, enum.Enum):
        return enum_label(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, timedelta):
        return duration_text(value)
    if isinstance(value, JSON_DOCUMENTS):  # a JSON column's object or array
        return json_text(value)
    return str(value)


def read_link_tables(
    session: Session,
    parent: Any,
    links: list[tuple[LinkSpec, str]],
    url_of: Callable[[Any], str | None],
) -> list[LinkTable]:
    """The link rows of `parent` for each (link, title), the other side's
    rows read in one query per link table, not one per row."""
    tables = []
    for spec, title in links:
        own = field_specs(spec.link_model)
        condition = and_(
            *(
                link == getattr(parent, attribute_name(col))
                for link, col in spec.parent_pairs
            )
        )
        rows = session.scalars(
            select(spec.link_model).where(condition).limit(MAX_LINK_ROWS + 1)
        ).all()
        others = _other_rows(session, spec, rows)
        table = LinkTable(
            name=spec.name,
            title=title,
            headings=[
                field_label(spec.link_model, spec.other_name),
                *(field_label(spec.link_model, name) for name in spec.fields),
            ],
        )
        for row in rows[:MAX_LINK_ROWS]:
            other = others.get(spec.other_key(row))
            table.rows.append(
                LinkRow(
                    label=label_for(other) if other is not None else "",
                    url=url_of(other) if other is not None else None,
                    cells=[
                        shown_value(own.get(name), getattr(row, name))
                        for name in spec.fields
                    ],
                )
            )
        table.rows.sort(key=lambda r: r.label.casefold())
        table.more = max(0, len(rows) - MAX_LINK_ROWS)
        tables.append(table)
    return tables


def _other_rows(
    session: Session, spec: LinkSpec, rows: list[Any]
) -> dict[tuple[Any, ...], Any]:
    """The rows on the other side of `rows`, by their key in the link."""
    keys = {spec.other_key(row) for row in rows}
    if not keys:
        return {}
    columns = [other for _link, other in spec.other_pairs]
    conditions = [
        and_(*(c == v for c, v in zip(columns, key, strict=True))) for key in keys
    ]
    found = {}
    for other in session.scalars(select(spec.other_model).where(or_(*conditions))):
        found[tuple(getattr(other, attribute_name(c)) for c in columns)] = other
    return found


class DetailsLinks:
    """The details page's link tables, for `AdminView` (a mixin, like the
    view's other page parts)."""

    async def link_tables(self, request: Any, obj: Any) -> list[LinkTable]:
        """The link tables of `obj` its details page shows to this user: link
        tables with data, each only if the user may see the other side."""
        views = {v.model: v for v in self._admin_ref.views_for(request)}  # type: ignore[attr-defined]
        links = [
            (spec, self.field_specs[spec.name].label)  # type: ignore[attr-defined]
            for spec in self._link_specs  # type: ignore[attr-defined]
            if self.field_specs[spec.name].in_details  # type: ignore[attr-defined]
            and spec.other_model in views
        ]
        if not links:
            return []

        def read() -> list[LinkTable]:
            with self.session_maker() as session:  # type: ignore[attr-defined]
                return read_link_tables(
                    session,
                    obj,
                    links,
                    lambda other: self.details_url(request, other),  # type: ignore[attr-defined]
                )

        return await to_thread.run_sync(read)
