"""The list query: one pipeline from a request's query string to a `Select`.

The list page, the CSV export and the bulk edit all start from `ListQuery`;
none of them reads filter, search, sort or selection parameters on its own.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    Select,
    String,
    and_,
    asc,
    cast,
    desc,
    func,
    inspect,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.orm import aliased, selectinload
from sqlalchemy.sql import ColumnElement
from starlette.exceptions import HTTPException
from starlette.requests import Request

from admin_app.listing.filters import BadFilter, Chip
from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.keys import BadKey, parse_key
from admin_app.model.labels import label_column


class ListedView(Protocol):
    """What the list query needs of the view it serves (the site's `AdminView`
    provides it; the list path does not import the site)."""

    model: Any
    field_specs: Mapping[str, Any]  # name -> FieldSpec: how each field sorts
    page_size: int
    page_size_options: list[int]
    _sort_fields: list[str]
    _list_relations: list[Any]

    def get_filters(self) -> list[Any]: ...
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
    if spec.kind is Kind.JSON:  # PostgreSQL cannot order `json` itself
        return [], [cast(column, String) for column in spec.columns]
    return [], list(spec.columns)


MAX_PAGE = 1_000_000
MAX_SELECTION = 100_000


def bad_request(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _positive_int(
    params: Mapping[str, str], name: str, default: int, limit: int
) -> int:
    text = params.get(name)
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= limit:
        raise bad_request(
            f"{name} must be a whole number from 1 to {limit:,}, not {text!r}."
        )
    return int(text)


def key_condition(model: type, identifiers: Sequence[str]) -> ColumnElement:
    """Rows of `model` named by SQLAdmin identifiers (`pks=1,2` or `pks=1;2,3;4`)."""
    keys = list(inspect(model).primary_key)
    try:
        values = [parse_key(model, text) for text in identifiers]
    except BadKey as error:
        raise bad_request(
            f"pks: {error.args[0]!r} names no {model.__name__}."
        ) from error
    if len(keys) == 1:
        return keys[0].in_([value[0] for value in values])
    return or_(
        *(and_(*(k == v for k, v in zip(keys, value, strict=True))) for value in values)
    )


@dataclass(frozen=True)
class ListQuery:
    """What the user asked the list for: filters, search, sort, selection, page."""

    view: "ListedView"
    base: Select
    conditions: tuple[ColumnElement, ...]
    chips: tuple[Chip, ...]
    search: str
    order: tuple[tuple[str, bool], ...]
    selection: tuple[str, ...] | None
    page: int
    page_size: int

    @classmethod
    def from_request(cls, view: "ListedView", request: Request) -> "ListQuery":
        """Parse and check every list parameter; anything malformed is a 400."""
        params = request.query_params
        if any("\x00" in value for _, value in params.multi_items()):
            raise bad_request("The request holds a NUL character, which no value has.")
        conditions: list[ColumnElement] = []
        chips: list[Chip] = []
        try:
            for list_filter in view.get_filters():
                conditions += list_filter.conditions(params)
                chips += list_filter.chips(params)
        except BadFilter as error:
            raise bad_request(str(error)) from error
        page_size = _positive_int(
            params, "pageSize", view.page_size, max(view.page_size_options)
        )
        selection = None
        if params.get("pks"):
            selection = tuple(p for p in params["pks"].split(",") if p)
            if len(selection) > MAX_SELECTION:
                raise bad_request(f"Select at most {MAX_SELECTION:,} rows by key.")
        return cls(
            view=view,
            base=view.list_query(request),
            conditions=tuple(conditions),
            chips=tuple(chips),
            search=params.get("search", "").strip(),
            order=cls._order(view, params),
            selection=selection,
            page=_positive_int(params, "page", 1, MAX_PAGE),
            page_size=page_size,
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
        stmt = self.base.where(*self.conditions)
        if self.selection is not None:
            stmt = stmt.where(key_condition(self.view.model, self.selection))
        if self.search:
            stmt = self.view.search_query(stmt, self.search)
        return stmt

    def ordered(self) -> Select:
        """`filtered()` in the list's order, ending with the primary key so that
        pages and exports are stable when sort values repeat. A related row
        sorts by its label, as the list shows it."""
        stmt = self.filtered()
        model = self.view.model
        fields = getattr(self.view, "field_specs", {})
        used: set[Any] = set()
        for name, is_desc in self.order:
            spec = fields.get(name)
            if spec is None:
                joins, terms = [], [getattr(model, name)]
            else:
                joins, terms = sort_terms(spec)
            for target, on in joins:
                stmt = stmt.outerjoin(target, on)
            for term in terms:
                stmt = stmt.order_by(desc(term) if is_desc else asc(term))
            if spec is None:
                used.add(name)
            else:
                used |= {c.key for c in spec.columns if any(c is t for t in terms)}
        for key in inspect(model).primary_key:
            if key.key not in used:
                stmt = stmt.order_by(asc(key))
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
        stmt = self.ordered().limit(self.page_size).offset((page - 1) * self.page_size)
        for relation in self.view._list_relations:
            stmt = stmt.options(selectinload(relation))
        return stmt

    @property
    def active(self) -> bool:
        return bool(self.chips or self.search)

    def url_without(self, request: Request, names: Sequence[str]) -> str:
        """This page's URL with the parameters `names` (and the page) removed."""
        return str(request.url.remove_query_params(["page", *names]))

    def filter_parameters(self) -> list[str]:
        return [name for f in self.view.get_filters() for name in f.parameters()]
