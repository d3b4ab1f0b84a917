"""What a list page shows around its rows: the filter panel's counts (Django's
facets) and the date drill-down above the table (Django's `date_hierarchy`).

Both are read in the page's own session right after its rows, from the
request's one `ListQuery`, under the same statement time limit, and kept on
the request for the templates (which run no queries of their own for them).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy.orm import Session
from starlette.requests import Request

from admin_app.listing.drilldown import DATE_KINDS, DrillDown, drill_down
from admin_app.listing.facets import NO_FACETS, Facets, facet_counts
from admin_app.listing.filters import RangeFilter, RelatedFilter
from admin_app.listing.paging import PageRead
from admin_app.listing.query import ListQuery
from admin_app.model.fields import FieldSpec

FIRST_LISTED_DATE = "<first listed date>"
"""`date_hierarchy`'s default: the first date or datetime field the list shows."""

Panel = tuple[Facets, DrillDown | None]
"""A list page's filter counts and date drill-down."""


class ListPanel:
    """The counts and the drill-down of a view's list page (a part of
    `AdminView`: it uses the view's filters, fields, sessions, `count_limits`
    and `list_query_for`)."""

    show_facets: ClassVar[bool] = True
    """Each choice in the filter panel says how many rows it would leave
    ("Blocked (12)"), as Django's `ModelAdmin.show_facets`; a user may hide
    the counts (`_facets=0`). False: never counted."""
    date_hierarchy: ClassVar[str | None] = FIRST_LISTED_DATE
    """The date or datetime field the list drills down by (years, months,
    days), as Django's `date_hierarchy`; by default the first one listed;
    None: no drill-down."""

    identity: str
    field_specs: dict[str, FieldSpec]
    session_maker: Any
    _filters: list[Any]
    _list_prop_names: list[str]
    _date_spec: FieldSpec | None = None

    def _date_hierarchy_spec(self) -> FieldSpec | None:
        """The field `date_hierarchy` names (checked when the view is made: a
        typo stops the app at start, not on a page), or the first date field
        listed. Its from / to filter must exist: the links are its parameters."""
        name = type(self).date_hierarchy
        if name is None:
            return None
        ranged = {f.parameter_name for f in self._filters if isinstance(f, RangeFilter)}

        def usable(spec: FieldSpec | None) -> bool:
            return (
                spec is not None
                and spec.kind in DATE_KINDS
                and spec.column is not None
                and spec.name in ranged
            )

        if name == FIRST_LISTED_DATE:
            listed = (self.field_specs.get(n) for n in self._list_prop_names)
            return next((spec for spec in listed if usable(spec)), None)
        spec = self.field_specs.get(name)
        if not usable(spec):
            raise ValueError(
                f"{type(self).__name__}.date_hierarchy: {name!r} is not a date or "
                "datetime column with a from / to filter."
            )
        return spec

    def facets_shown(self, request: Request) -> bool:
        """Whether the filter panel counts its choices for this request."""
        return self.show_facets and self.list_query_for(request).facets_wanted

    def _read_facets(self, session: Session, query: ListQuery) -> Facets:
        """The filter panel's counts of a list page, read in the page's
        session before its rows (whose count they hold)."""
        if not (self.show_facets and query.facets_wanted):
            return NO_FACETS
        choices = {
            f.parameter_name: f.lookups()
            for f in query.filters
            if isinstance(f, RelatedFilter)
        }
        return facet_counts(session, query, self.count_limits(), choices)

    def _read_drill(
        self, session: Session, query: ListQuery, read: PageRead
    ) -> DrillDown | None:
        """The date drill-down of a list page, read in the page's session after
        its rows (`read`: how large the list is)."""
        if self._date_spec is None:
            return None
        return drill_down(
            session,
            query,
            self._date_spec,
            dict(query.signature),
            large=not read.total.exact,
        )

    def keep_panel(self, request: Request, panel: Panel) -> None:
        request.state.__dict__.setdefault("_list_panels", {})[self.identity] = panel

    def _panel(self, request: Request) -> Panel:
        return request.state.__dict__.get("_list_panels", {}).get(
            self.identity, (NO_FACETS, None)
        )

    def facets_of(self, request: Request) -> Facets:
        """The filter panel's counts of this request's list (none if hidden)."""
        return self._panel(request)[0]

    def filter_choices(
        self, request: Request, list_filter: RelatedFilter
    ) -> list[tuple[str, str]] | None:
        """A related-row filter's listed rows, as read for its counts if they
        were (one query fewer), else read now."""
        choices = self.facets_of(request).choices
        if list_filter.parameter_name in choices:
            return choices[list_filter.parameter_name]
        return list_filter.lookups()

    def drill_down_of(self, request: Request) -> DrillDown | None:
        """The date drill-down above this request's list, if the view has one."""
        return self._panel(request)[1]
