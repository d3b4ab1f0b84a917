"""The base view every table's admin page is generated from.

Each default comes from the table's metadata and applies only where the class
(or a project's override of it) leaves the option unset, the way Django's
`ModelAdmin` options work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, ClassVar

from anyio import to_thread
from sqladmin import ModelView, expose
from sqladmin.ajax import QueryAjaxModelLoader
from sqladmin.formatters import BASE_FORMATTERS
from sqladmin.forms import converts
from sqladmin.helpers import get_object_identifier
from sqladmin.pagination import Pagination
from sqlalchemy import Select, String, cast, false, func, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from wtforms import Form, HiddenField, TextAreaField

from admin_app.listing.filters import (
    ChoiceFilter,
    EmptyFilter,
    ListFilter,
    RangeFilter,
    RelatedFilter,
    is_choice_type,
    is_range_type,
)
from admin_app.listing.query import ListQuery
from admin_app.model import metadata
from admin_app.model.keys import BadKey, parse_key
from admin_app.model.labels import (
    LIST_LIMIT,
    choices_if_small,
    enum_label,
    escape_like,
    field_label,
    label_column,
    label_for,
    local_time,
    search_by_label,
)
from admin_app.site.selection_views import SelectionActions
from admin_app.writing.concurrency import VERSION_FIELD
from admin_app.writing.forms import AdminForm, WriteConverter
from admin_app.writing.links import inline_field, link_specs
from admin_app.writing.saving import RowSaving

logger = logging.getLogger(__name__)

# SQLAdmin builds a form class without the request; the fields a user may see
# depend on it (links to tables they cannot view are left out).
_FORM_REQUEST: ContextVar[Request | None] = ContextVar("form_request", default=None)


@contextmanager
def form_request(request: Request) -> Iterator[None]:
    """Forms scaffolded inside this block are shaped for `request`'s user."""
    token = _FORM_REQUEST.set(request)
    try:
        yield
    finally:
        _FORM_REQUEST.reset(token)


class LabelledAjaxLoader(QueryAjaxModelLoader):
    """Search-as-you-type choices that show row labels, not reprs."""

    def format(self, model: Any) -> dict[str, Any]:
        if not model:
            return {}
        return {"id": str(get_object_identifier(model)), "text": label_for(model)}

    async def format_by_pk(self, pk: Any) -> dict[str, Any]:
        try:
            values = parse_key(self.model, str(pk))
        except BadKey:
            return {}
        keys = inspect(self.model).primary_key
        where = (k == v for k, v in zip(keys, values, strict=True))
        rows = await self.model_admin._run_query(select(self.model).where(*where))
        return self.format(rows[0]) if rows else {}


class LabelledConverter(WriteConverter):
    """Plain selects (small related tables, enums) labelled the way lists are."""

    @converts("Enum")
    def conv_enum(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        field = super().conv_enum(model, prop, kwargs)
        field.kwargs["choices"] = [
            (value, enum_label(value)) for value, _ in field.kwargs["choices"]
        ]
        return field

    async def _prepare_select_options(self, prop, session_maker):  # type: ignore[no-untyped-def]
        target = prop.mapper.class_

        def load() -> list[Any]:
            with session_maker() as session:
                return list(session.scalars(select(target)).all())

        rows = await to_thread.run_sync(load)
        return [(str(get_object_identifier(obj)), label_for(obj)) for obj in rows]


def _is_unset(view: type, option: str) -> bool:
    return not getattr(view, option, None)


class AdminView(SelectionActions, RowSaving, ModelView):
    """Base of every generated view; subclass it with `model=` to override one.

    Related tables with more than `small_table_rows` rows get search-as-you-type
    selects, and their to-many links stay off forms and the details page, so a
    page never loads a whole large table. The sizes are read when the site
    starts; set `form_ajax_refs` or `form_columns` to decide yourself.
    """

    page_size = 25
    export_types = ["csv"]
    page_size_options = [10, 25, 50, 100]
    form_converter = LabelledConverter
    small_table_rows: ClassVar[int] = LIST_LIMIT
    audit_hidden: ClassVar[tuple[str, ...]] = ()
    """Columns whose values the audit trail never records (say, a hash)."""
    bulk_edit_excluded: ClassVar[tuple[str, ...]] = ()
    """Fields that change one row at a time only (a bulk UPDATE runs no hooks)."""
    extra_filters: ClassVar[list[ListFilter | type[ListFilter]]] = []
    """A project's own filters, shown after the generated ones."""

    def __init__(self) -> None:
        self._small_tables: dict[type, bool] = {}
        self._link_specs = link_specs(self.model)
        self._audit_hidden = set(type(self).audit_hidden)
        view = type(self)
        model = self.model
        fields = metadata.field_order(model)
        if _is_unset(view, "column_list") and _is_unset(view, "column_exclude_list"):
            self.column_list = [
                name
                for name in fields
                if not (col := metadata.column(model, name)) is not None
                or not metadata.is_long_text(col)
            ]
        if _is_unset(view, "column_details_list") and _is_unset(
            view, "column_details_exclude_list"
        ):
            self.column_details_list = fields + self._small_many_to_many()
        if _is_unset(view, "column_searchable_list"):
            self.column_searchable_list = [
                col.key for col in inspect(model).columns if metadata.is_text(col)
            ]
        if _is_unset(view, "column_sortable_list"):
            self.column_sortable_list = [
                name for name in fields if metadata.column(model, name) is not None
            ]
        if _is_unset(view, "form_columns") and _is_unset(view, "form_excluded_columns"):
            self.form_columns = [
                name
                for name in fields
                if not (
                    (col := metadata.column(model, name)) is not None
                    and metadata.is_generated_pk(col)
                )
            ] + self._small_many_to_many()
        if _is_unset(view, "form_overrides"):
            self.form_overrides = {
                col.key: TextAreaField
                for col in inspect(model).columns
                if metadata.is_long_text(col)
            }
        form_names = [self._get_prop_name(c) for c in self.form_columns or []]
        if not view.form_include_pk:
            self.form_include_pk = any(
                (col := metadata.column(model, name)) is not None
                and (col.primary_key or col.foreign_keys)
                for name in form_names
            )
        if _is_unset(view, "form_ajax_refs"):
            self.form_ajax_refs = {
                name: self._ajax_options(rel.mapper.class_)
                for name, rel in {
                    **metadata.to_one(model),
                    **metadata.many_to_many(model),
                }.items()
                if name in form_names and not self._is_small(rel.mapper.class_)
            }
        self.column_labels = {
            **{
                name: field_label(model, name)
                for name in [
                    *inspect(model).columns.keys(),
                    *inspect(model).relationships.keys(),
                ]
            },
            **{self._get_prop_name(k): v for k, v in view.column_labels.items()},
        }
        # An empty required relation gets "This field is required." from the
        # write path rather than WTForms' "Not a valid choice".
        self.form_args = {
            **{name: {"allow_blank": True} for name in metadata.to_one(model)},
            **view.form_args,
        }
        if view.form_base_class is Form:
            self.form_base_class = type(
                f"{model.__name__}Form",
                (AdminForm,),
                {"zero_means_none": frozenset(metadata.to_one(model))},
            )
        related = {rel.mapper.class_ for rel in inspect(model).relationships}
        self.column_type_formatters = {
            **BASE_FORMATTERS,
            **{cls: label_for for cls in related | {model}},
            datetime: local_time,
            **dict.fromkeys(metadata.enum_classes(model), enum_label),
            **view.column_type_formatters,
        }
        super().__init__()
        self._filters: list[ListFilter] = list(view.column_filters) or [
            *self._generated_filters(),
            *(f() if isinstance(f, type) else f for f in view.extra_filters),
        ]
        self._form_ajax_refs = {
            name: LabelledAjaxLoader(
                name, loader.model, self, **self.form_ajax_refs[name]
            )
            for name, loader in self._form_ajax_refs.items()
        }

    def _generated_filters(self) -> list[ListFilter]:
        """A filter for every column by its type, and for many-to-many links."""
        model = self.model
        relationships = inspect(model).relationships
        shown_by = metadata.columns_shown_by(model)
        found: list[ListFilter] = []
        for column in inspect(model).columns:
            if column.key in shown_by:
                rel = relationships[shown_by[column.key]]
                found.append(
                    RelatedFilter(model, rel, self.session_maker, column=column)
                )
            elif metadata.is_generated_pk(column) or metadata.is_text(column):
                continue
            elif is_choice_type(column):
                found.append(ChoiceFilter(model, column))
            elif is_range_type(column):
                found.append(RangeFilter(model, column))
            if column.nullable and not metadata.is_text(column):
                found.append(EmptyFilter(model, column, shown_by.get(column.key)))
        for rel in metadata.many_to_many(model).values():
            found.append(RelatedFilter(model, rel, self.session_maker, column=None))
        return found

    def get_filters(self) -> list[ListFilter]:
        return self._filters

    def list_query_for(self, request: Request) -> ListQuery:
        """The request's `ListQuery`, parsed once per request."""
        cache = request.state.__dict__.setdefault("_list_queries", {})
        if self.identity not in cache:
            cache[self.identity] = ListQuery.from_request(self, request)
        return cache[self.identity]

    async def list_context(self, request: Request) -> dict[str, Any]:
        return {"list_query": self.list_query_for(request)}

    async def list(self, request: Request) -> Pagination:
        query = self.list_query_for(request)
        count, page, rows = await to_thread.run_sync(self._read_page, query)
        return Pagination(rows=rows, page=page, page_size=query.page_size, count=count)

    def _read_page(self, query: ListQuery) -> tuple[int, int, list[Any]]:
        with self.session_maker() as session:
            count = session.scalar(query.count()) or 0
            page = min(query.page, Pagination.max_page(count, query.page_size))
            rows = list(session.scalars(query.page_rows(page)).unique().all())
        return count, page, rows

    def search_query(self, stmt: Select, term: str) -> Select:
        """Rows where a searchable column contains `term`, wildcards taken literally."""
        pattern = f"%{escape_like(term)}%"
        columns = [getattr(self.model, name) for name in self._search_fields]
        return stmt.where(
            or_(
                false(), *(cast(c, String).ilike(pattern, escape="\\") for c in columns)
            )
        )

    @expose("/filter-options", methods=["GET"])
    async def filter_options(self, request: Request) -> Response:
        """Search-as-you-type choices for a related-row filter on a large table."""
        name = request.query_params.get("name", "")
        found = next(
            (
                f.target
                for f in self._filters
                if isinstance(f, RelatedFilter) and f.parameter_name == name
            ),
            None,
        )
        return await self._search_response(request, found, "a related-row filter")

    async def _search_response(
        self, request: Request, model: type | None, what: str
    ) -> Response:
        """select2's JSON: rows of `model` whose label contains the typed term."""
        if not await self.check_can_list(request):
            raise HTTPException(403)
        if model is not None and not self.may_link(request, model):
            raise HTTPException(403)  # its rows are not this user's to read
        term = request.query_params.get("term", "")[:100]
        if model is None or not term:
            raise HTTPException(400, f"Name {what} and a search term.")

        def search() -> list[tuple[str, str]]:
            with self.session_maker() as session:
                return search_by_label(session, model, term)

        results = await to_thread.run_sync(search)
        return JSONResponse({"results": [{"id": i, "text": t} for i, t in results]})

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """SQLAdmin's form, plus an inline editor per link table with data of its
        own, plus the version token that guards against overwriting changes."""
        form = await super().scaffold_form(rules)
        extra: dict[str, Any] = {VERSION_FIELD: HiddenField()}
        for spec in self._link_specs:
            choices = await to_thread.run_sync(self._choices, spec.other_model)
            url = f"{self._admin_ref.base_url}/{self.identity}/link-options"
            extra[spec.name] = await inline_field(
                spec, self.session_maker, choices, url
            )
        request = _FORM_REQUEST.get()
        if request is not None:
            for name, other in self._link_targets().items():
                if not self.may_link(request, other):
                    extra[name] = None  # WTForms: no such field on this form
        return type(form.__name__, (form,), extra)

    def _link_targets(self) -> dict[str, type]:
        """Every many-to-many field and inline link editor, by the table it links to."""
        return {
            **{
                name: rel.mapper.class_
                for name, rel in metadata.many_to_many(self.model).items()
            },
            **{spec.name: spec.other_model for spec in self._link_specs},
        }

    def may_link(self, request: Request, other: type) -> bool:
        """Editing links takes view permission on the table on the other side."""
        return any(view.model is other for view in self._admin_ref.views_for(request))

    def is_accessible(self, request: Request) -> bool:
        """The table is in the menu and its pages open only for users who may
        view its rows (every other action needs that too)."""
        return self.has_permission(request, "list")

    def _choices(self, model: type) -> list[tuple[str, str]] | None:
        with self.session_maker() as session:
            return choices_if_small(session, model)

    @expose("/link-options", methods=["GET"])
    async def link_options(self, request: Request) -> Response:
        """Search-as-you-type choices for adding a link row to a large table."""
        name = request.query_params.get("name", "").split("-", 1)[0]
        spec = next((s for s in self._link_specs if s.name == name), None)
        model = spec.other_model if spec is not None else None
        may_edit = self.has_permission(request, "edit") or self.has_permission(
            request, "create"
        )
        if model is not None and not (may_edit and self.may_link(request, model)):
            raise HTTPException(403)
        return await self._search_response(request, model, "a link editor")

    def _small_many_to_many(self) -> list[str]:
        return [
            name
            for name, rel in metadata.many_to_many(self.model).items()
            if self._is_small(rel.mapper.class_)
        ]

    def _is_small(self, model: type) -> bool:
        """Whether `model`'s table has at most `small_table_rows` rows."""
        if model not in self._small_tables:
            limit = self.small_table_rows
            stmt = select(func.count()).select_from(
                select(1).select_from(model).limit(limit + 1).subquery()
            )
            try:
                with self.session_maker() as session:
                    rows = session.scalar(stmt) or 0
            except SQLAlchemyError:
                rows = limit + 1  # no table yet: assume it will be large
            self._small_tables[model] = rows <= limit
        return self._small_tables[model]

    @staticmethod
    def _ajax_options(target: type) -> dict[str, Any]:
        label = label_column(target)
        texts = [col.key for col in inspect(target).columns if metadata.is_text(col)]
        keys = [col.key for col in inspect(target).primary_key]
        return {
            "fields": [label] if label else texts or keys,
            "order_by": label or keys[0],
            "limit": 20,
        }
