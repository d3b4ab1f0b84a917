"""The list query: one pipeline from a request's query string to a `Select`.

The list page, the CSV export and the bulk edit all start from `ListQuery`;
none of them reads filter, search, sort or selection parameters on its own.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import urlencode

from sqlalchemy import (
    Select,
    String,
    and_,
    asc,
    cast,
    desc,
    false,
    func,
    inspect,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql import ColumnElement
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin_app.listing.filters import BadFilter, Chip
from admin_app.listing.keyset import list_identity
from admin_app.listing.parameters import FACETS_PARAMETER, LIST_PARAMETERS
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.keys import BadKey, parse_key, parse_selection
from admin_app.model.labels import label_column
from admin_app.model.limits import compared
from admin_app.model.parsing import whole_number


class ListedView(Protocol):
    """What the list query needs of the view it serves (the site's `AdminView`
    provides it; the list path does not import the site)."""

    model: Any
    field_specs: Mapping[str, Any]  # name -> FieldSpec: how each field sorts
    page_size: int
    page_size_options: list[int]
    _sort_fields: list[str]
    _search_fields: list[str]
    _list_relations: list[Any]

    def filters_for(self, request: Request) -> list[Any]: ...
    def list_query(self, request: Request) -> Select: ...
    def search_query(self, stmt: Select, term: str) -> Select: ...
    def _get_prop_name(self, prop: Any) -> str: ...
    def _get_default_sort(self) -> list[tuple[str, bool]]: ...


def sort_terms(spec: FieldSpec) -> tuple[list[tuple[Any, Any]], list[ColumnElement]]:
    """How a list sorts by a field: the outer joins it needs and its ORDER BY
    terms. A related row sorts by its label column (joined), or by its key
    when its label is not a column (`__admin_label__`, `<Class> #<key>`)."""
    if spec.kind is Kind.TO_ONE and spec.target is not None and spec.target_columns:
        label = label_column(spec.target)
        if label is not None and not hasattr(spec.target, "__admin_label__"):
            alias = aliased(spec.target)
            mapper = inspect(spec.target)
            on = and_(
                *(
                    local == getattr(alias, mapper.get_property_by_column(remote).key)
                    for local, remote in zip(
                        spec.columns, spec.target_columns, strict=True
                    )
                )
            )
            return [(alias, on)], [getattr(alias, label)]
    if spec.kind in (Kind.JSON, Kind.LIST):  # by its text, on every database
        # (PostgreSQL cannot order `json`; a page cursor carries text)
        return [], [cast(column, String) for column in spec.columns]
    return [], list(spec.columns)


MAX_PAGE = 1_000_000
MAX_SELECTION = 10_000
"""Rows a `pks=` list may name (a list page holds at most 100; select all
matching rows with `select=all` instead)."""
MAX_KEY_VALUES = 20_000
"""Key values one statement may bind: SQLite takes at most 32,766 variables,
and a statement also binds its filters' values."""
MAX_SEARCH = 200
"""Characters a search may have: SQLite refuses LIKE patterns over 50,000
bytes, and no label or text a person searches for is longer."""


def max_selection(model: type) -> int:
    """How many rows of `model` one `pks=` list may name."""
    width = len(inspect(model).primary_key)
    return min(MAX_SELECTION, MAX_KEY_VALUES // width)


MAX_PARAMETERS = 200
"""No list needs more query parameters; each one is repeated by the page's
links, so thousands of them would multiply the page."""


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _positive_int(
    params: Mapping[str, str], name: str, default: int, limit: int
) -> int:
    text = params.get(name)
    if not text:
        return default
    number = whole_number(text)
    if number is None or not 1 <= number <= limit:
        raise bad_request(
            f"{name} must be a whole number from 1 to {limit:,}, not {text!r}."
        )
    return number


def key_condition(model: type, identifiers: Sequence[str]) -> ColumnElement:
    """Rows of `model` named by identifiers (`pks=1,2` or `pks=1;2,3;4`).

    One `IN` list, of row values for a composite key (`(a, b) IN (VALUES
    ...)`): SQLite refuses an `OR` of a thousand `AND`s as too deep.
    """
    keys = list(inspect(model).primary_key)
    try:
        values = [parse_key(model, text) for text in identifiers]
    except BadKey as error:
        raise bad_request(
            f"pks: {error.args[0]!r} names no {model.__name__}."
        ) from error
    if not values:
        return false()
    if len(keys) == 1:
        return keys[0].in_([compared(keys[0], value[0]) for value in values])
    return tuple_(*keys).in_([tuple_(*map(compared, keys, value)) for value in values])


def selected_keys(model: type, params: Mapping[str, str]) -> tuple[str, ...] | None:
    """The identifiers `pks=` names (see `admin_app.model.keys`), checked:
    each must be a key of `model`, at least one and at most `max_selection`
    of them. None without `pks`."""
    text = params.get("pks")
    if text is None:
        return None
    try:
        chosen = tuple(parse_selection(text))
    except BadKey as error:
        raise bad_request(
            f"pks: {error.args[0]!r} is not a key: write % and , inside a key "
            "as %25 and %2C."
        ) from error
    if not chosen:  # `pks=`: no rows chosen, never "every row"
        raise bad_request("Choose rows first: pks names none.")
    limit = max_selection(model)
    if len(chosen) > limit:
        raise bad_request(
            f"Select at most {limit:,} rows by key (pks names {len(chosen):,}); "
            "to act on every matching row, use select=all with the list's filters."
        )
    key_condition(model, chosen)  # each key checked now: a 400, not later
    return chosen


def _exact_count(params: Mapping[str, str]) -> bool:
    text = params.get("count", "")
    if text not in ("", "exact"):
        raise bad_request(f"count can only be exact, not {text!r}.")
    return text == "exact"


def _facets_wanted(params: Mapping[str, str]) -> bool:
    text = params.get(FACETS_PARAMETER, "")
    if text not in ("", "0", "1"):
        raise bad_request(f"{FACETS_PARAMETER} can only be 0 or 1, not {text!r}.")
    return text != "0"


def _nullable(term: Any) -> bool:
    """Whether a sort term of the list's own table may be NULL."""
    prop = getattr(term, "property", None)
    columns = getattr(prop, "columns", None) or [term]
    return bool(getattr(columns[0], "nullable", True))


def search_term(params: Mapping[str, str]) -> str:
    term = params.get("search", "").strip()
    if len(term) > MAX_SEARCH:
        raise bad_request(
            f"Search for at most {MAX_SEARCH} characters, not {len(term):,}."
        )
    return term


@dataclass(frozen=True)
class ListQuery:
    """What the user asked the list for: filters, search, sort, selection, page."""

    view: "ListedView"
    filters: tuple[Any, ...]
    """The filters this request's user may use (see `filters_for`)."""
    base: Select
    filter_conditions: tuple[tuple[ColumnElement, ...], ...]
    """Each filter's own conditions, in the order of `filters` (a facet
    counts the list without its own filter)."""
    chips: tuple[Chip, ...]
    search: str
    order: tuple[tuple[str, bool], ...]
    selection: tuple[str, ...] | None
    page: int
    page_size: int
    exact_count: bool = False
    """`count=exact`: the user asked for the exact number of matching rows."""
    cursor: str = ""
    """`cursor=`: where the page starts (see `admin_app.listing.keyset`)."""
    signature: tuple[tuple[str, str], ...] = ()
    """The parameters that choose the rows (filters, search, selection)."""
    facets_wanted: bool = True
    """`_facets=0`: the user hid the filter panel's counts."""
    filter_params: QueryParams = field(default_factory=QueryParams)
    """The parameters the filters read, and their panel shows as chosen:
    the request's, but for values of spaces only (a field left blank, as an
    empty one: a date bound of " " parsed as no date, compared with NULL)."""

    @classmethod
    def from_request(cls, view: "ListedView", request: Request) -> "ListQuery":
        """Parse and check every list parameter; anything malformed is a 400."""
        params = request.query_params
        if len(params.multi_items()) > MAX_PARAMETERS:
            raise bad_request(
                f"A list takes at most {MAX_PARAMETERS} query parameters; "
                f"this address has {len(params.multi_items()):,}."
            )
        if any("\x00" in value for _, value in params.multi_items()):
            raise bad_request("The request holds a NUL character, which no value has.")
        chips: list[Chip] = []
        own: list[tuple[ColumnElement, ...]] = []
        filters = tuple(view.filters_for(request))
        chosen = QueryParams([(k, v) for k, v in params.multi_items() if v.strip()])
        try:
            for list_filter in filters:
                own.append(tuple(list_filter.conditions(chosen)))
                chips += list_filter.chips(chosen)
        except BadFilter as error:
            raise bad_request(str(error)) from error
        page_size = _positive_int(
            params, "pageSize", view.page_size, max(view.page_size_options)
        )
        return cls(
            view=view,
            filters=filters,
            base=view.list_query(request),
            filter_conditions=tuple(own),
            chips=tuple(chips),
            search=search_term(params),
            order=cls._order(view, params),
            selection=selected_keys(view.model, params),
            page=_positive_int(params, "page", 1, MAX_PAGE),
            page_size=page_size,
            exact_count=_exact_count(params),
            facets_wanted=_facets_wanted(params),
            filter_params=chosen,
            cursor=params.get("cursor", ""),
            signature=tuple(
                sorted(
                    (k, v)
                    for k, v in params.multi_items()
                    if k in {"search", "pks", "select"}
                    or any(k in f.parameters() for f in filters)
                )
            ),
        )

    @staticmethod
    def _order(
        view: "ListedView", params: Mapping[str, str]
    ) -> tuple[tuple[str, bool], ...]:
        sort_by = params.get("sortBy")
        direction = params.get("sort", "asc")
        if direction not in ("asc", "desc"):
            raise bad_request(f"sort must be asc or desc, not {direction!r}.")
        if sort_by:
            if sort_by not in view._sort_fields:
                raise bad_request(f"The list cannot be sorted by {sort_by!r}.")
            return ((sort_by, direction == "desc"),)
        return tuple(
            (view._get_prop_name(name), is_desc)
            for name, is_desc in view._get_default_sort()
        )

    def filtered(self) -> Select:
        """The rows the list shows on all its pages, in no particular order."""
        return self.filtered_except(None)

    @cached_property
    def narrowed(self) -> bool:
        """Whether a filter, the search or a selection narrows the list (the
        rows' read may then sample its matches or walk its order's index)."""
        return self.filtered().whereclause is not None

    def filtered_except(self, list_filter: Any) -> Select:
        """The list's rows with every filter but `list_filter` applied (and the
        search and selection): what a facet of that filter counts, so each of
        its choices says how many rows choosing it would leave."""
        kept = [
            condition
            for found, conditions in zip(
                self.filters, self.filter_conditions, strict=True
            )
            if found is not list_filter
            for condition in conditions
        ]
        return self._filtered(tuple(kept))

    def _filtered(self, conditions: tuple[ColumnElement, ...]) -> Select:
        stmt = self.base.where(*conditions)
        if self.selection is not None:
            stmt = stmt.where(key_condition(self.view.model, self.selection))
        if self.search:
            stmt = self.view.search_query(stmt, self.search)
        return stmt

    def sort_plan(self) -> tuple[list[tuple[Any, Any]], list[tuple[Any, bool, bool]]]:
        """`_sort_plan`, made once: its joined aliases are the ones the page's
        ORDER BY, cursor values and seek conditions all name."""
        return self._sort_plan

    @cached_property
    def _sort_plan(self) -> tuple[list[tuple[Any, Any]], list[tuple[Any, bool, bool]]]:
        """The list's order: the outer joins it needs and its ORDER BY terms as
        (expression, descending, nullable), ending with the primary key so
        that no two rows tie. A related row sorts by its label, as the list
        shows it."""
        model = self.view.model
        fields = getattr(self.view, "field_specs", {})
        joins: list[tuple[Any, Any]] = []
        terms: list[tuple[Any, bool, bool]] = []
        used: set[Any] = set()
        for name, is_desc in self.order:
            spec = fields.get(name)
            if spec is None:
                found, sorted_by = [], [getattr(model, name)]
            else:
                found, sorted_by = sort_terms(spec)
            joins += found
            terms += [(t, is_desc, bool(found) or _nullable(t)) for t in sorted_by]
            if spec is None:
                used.add(name)
            else:
                used |= {
                    attribute_name(c)
                    for c in spec.columns
                    if any(c is t for t in sorted_by)
                }
        # The key runs in the direction of the last sort term, so one index on
        # (sort column, key) serves the list both ways (read backwards for
        # `desc`), as a deep page's seek needs.
        key_desc = terms[-1][1] if terms else False
        for key in inspect(model).primary_key:
            name = attribute_name(key)
            if name not in used:
                terms.append((getattr(model, name), key_desc, False))
        return joins, terms

    def ordered(self, reverse: bool = False) -> Select:
        """`filtered()` in the list's order (`reverse`: backwards, for the page
        before a cursor), ending with the primary key so that pages and
        exports are stable when sort values repeat."""
        return self._in_order(self.filtered(), reverse)

    def keyed(self, keys: Sequence[tuple[Any, ...]]) -> Select:
        """The rows of these primary keys, in the list's order: a page whose
        keys another query read from the list's rows in its order (the
        filter counts' sample), loaded by key alone. The search is not asked
        again: the planner, sure that few rows match, could read them all
        instead of looking the keys up."""
        columns = inspect(self.view.model).primary_key
        if len(columns) == 1:
            chosen = columns[0].in_([key[0] for key in keys])
        else:
            chosen = tuple_(*columns).in_([tuple(key) for key in keys])
        return self._in_order(self.base.where(chosen))

    def _in_order(self, stmt: Select, reverse: bool = False) -> Select:
        joins, terms = self.sort_plan()
        for target, on in joins:
            stmt = stmt.outerjoin(target, on)
        for term, is_desc, _nullable_term in terms:
            stmt = stmt.order_by(desc(term) if is_desc != reverse else asc(term))
        return stmt

    def where_selected(self) -> ColumnElement:
        """A condition on the table naming the selected rows, for UPDATE and
        DELETE: the list's own conditions when it reads the table alone (one
        scan), else the selected keys as a subquery."""
        stmt = self.filtered()
        if stmt.get_final_froms() == [self.view.model.__table__]:
            return stmt.whereclause if stmt.whereclause is not None else true()
        keys = list(inspect(self.view.model).primary_key)
        chosen = stmt.with_only_columns(*keys)
        return keys[0].in_(chosen) if len(keys) == 1 else tuple_(*keys).in_(chosen)

    def count(self) -> Select:
        return select(func.count()).select_from(
            self.filtered().order_by(None).subquery()
        )

    def page_rows(self, page: int) -> Select:
        return self.with_relations(
            self.ordered().limit(self.page_size).offset((page - 1) * self.page_size)
        )

    def with_relations(self, stmt: Select) -> Select:
        """`stmt` loading the related rows the list shows, in one query each."""
        for relation in self.view._list_relations:
            stmt = stmt.options(selectinload(relation))
        return stmt

    def cursor_identity(self) -> str:
        """What a page cursor of this list is bound to: its order, filters,
        search, selection and page size (see `admin_app.listing.keyset`)."""
        return list_identity(
            [self.view.model.__name__, self.order, self.page_size, *self.signature]
        )

    @property
    def active(self) -> bool:
        return bool(self.chips or self.search)

    def kept_parameters(
        self, request: Request, without: Sequence[str] = ()
    ) -> list[tuple[str, str]]:
        """The query parameters this list understands, but the page and
        `without`: what its filter forms and links carry over. Anything else
        in the address (made-up parameters, an `error=` text) is dropped."""
        known = {*LIST_PARAMETERS, *self.filter_parameters()} - {"page", *without}
        return [(k, v) for k, v in request.query_params.multi_items() if k in known]

    def query_string(
        self, request: Request, without: Sequence[str] = (), **values: str
    ) -> str:
        """The parameters this list understands, `without` removed and `values`
        set, as a query string (for its links, exports and bulk actions)."""
        params = self.kept_parameters(request, [*without, *values])
        return urlencode([*params, *values.items()])

    def url_with(
        self, request: Request, without: Sequence[str] = (), **values: str
    ) -> str:
        """This list's URL with the parameters it understands, `without`
        removed, `values` set, and page 1."""
        return str(
            request.url.replace(query=self.query_string(request, without, **values))
        )

    def url_without(self, request: Request, names: Sequence[str]) -> str:
        """This page's URL with the parameters `names` (and the page) removed."""
        return self.url_with(request, names)

    def filter_parameters(self) -> list[str]:
        return [name for f in self.filters for name in f.parameters()]

    def parameters_on(self, fields: set[str]) -> list[str]:
        """The filter and search parameters that read any of `fields` (field,
        column or relationship names): after those fields change, the rows
        may no longer match them."""
        names = set(fields)
        for name in fields:
            spec = self.view.field_specs.get(name)
            names |= (
                {attribute_name(c) for c in spec.columns} if spec is not None else set()
            )
        found = [
            parameter
            for f in self.filters
            if {
                attribute_name(f.column)
                if getattr(f, "column", None) is not None
                else None,
                getattr(getattr(f, "relationship", None), "key", None),
            }
            & names
            for parameter in f.parameters()
        ]
        if names & set(self.view._search_fields):
            found.append("search")
        return found
