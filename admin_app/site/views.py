"""The base view every table's admin page is generated from.

Every default comes from the fields' descriptions (`admin_app.model.fields`)
and applies only where the class (or a project's override of it) leaves the
option unset, the way Django's `ModelAdmin` options work.
"""

from __future__ import annotations

import enum
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, ClassVar

from anyio import to_thread
from pydantic import BaseModel
from sqladmin import ModelView, expose
from sqladmin.ajax import QueryAjaxModelLoader
from sqladmin.fields import AjaxSelectField
from sqladmin.formatters import BASE_FORMATTERS
from sqladmin.pagination import Pagination
from sqlalchemy import ColumnElement, Select, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from wtforms import Form, HiddenField

from admin_app.auth.passwords import hash_password as argon2_hash
from admin_app.db import limit_statement_time
from admin_app.listing.counts import COUNT_CAP, ESTIMATE_ABOVE, CountLimits
from admin_app.listing.export import ExportColumn, export_columns
from admin_app.listing.filters import (
    ChoiceFilter,
    EmptyFilter,
    ListFilter,
    RangeFilter,
    RelatedFilter,
)
from admin_app.listing.paging import PageRead, read_page
from admin_app.listing.query import ListQuery
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import (
    RANGE_KINDS,
    FieldSpec,
    Kind,
    annotation,
    field_specs,
)
from admin_app.model.keys import BadKey, key_attributes, parse_key, row_identifier
from admin_app.model.labels import (
    LIST_LIMIT,
    choice_pairs,
    choices_if_small,
    duration_text,
    enum_label,
    json_text,
    label_column,
    label_for,
    local_time,
    never_a_label,
    search_by_label,
    yes_no,
)
from admin_app.model.text_search import any_contains, column_sample, contains_parts
from admin_app.replica import engine_for_reads
from admin_app.site.add_related import with_add_links
from admin_app.site.back_links import BackToList
from admin_app.site.chosen_select import with_chosen_options
from admin_app.site.details_links import DetailsLinks
from admin_app.site.field_options import view_fields
from admin_app.site.import_views import ImportActions
from admin_app.site.initial_values import filled_in, initial_values
from admin_app.site.keyed_urls import KeyedLinks, plain_or_link
from admin_app.site.list_edit_views import ListEditing
from admin_app.site.list_pagination import ListPagination
from admin_app.site.list_panel import ListPanel, Panel
from admin_app.site.referring_rows import DetailsReferrers
from admin_app.site.selection_views import SelectionActions
from admin_app.writing.concurrency import VERSION_FIELD
from admin_app.writing.forms import (
    AdminForm,
    KeySelectField,
    MarkedRequired,
    WriteConverter,
)
from admin_app.writing.links import inline_field, link_specs
from admin_app.writing.saving import RowSaving
from admin_app.writing.secret_fields import (
    KEEP_BOTH_EMPTY,
    REPEAT_SUFFIX,
    STORED_HASHED,
    asked_twice,
)
from admin_app.writing.writes import FormErrors

logger = logging.getLogger(__name__)

# SQLAdmin builds a form class, and lists the filter panel, without the
# request; the fields and filters a user may see depend on it (rows of tables
# they cannot view are never offered to choose from).
_FORM_REQUEST: ContextVar[Request | None] = ContextVar("form_request", default=None)


# The request whose list or details page is being rendered: SQLAdmin's
# templates ask the view which related cells to link without passing it.
_PAGE_REQUEST: ContextVar[Request | None] = ContextVar("page_request", default=None)


# Whether the form being scaffolded is a create or edit page's, which offers
# "add another" beside its selects (a list row's or a bulk edit's does not).
_ADD_LINKS: ContextVar[bool] = ContextVar("add_links", default=False)


@contextmanager
def form_request(request: Request, *, add_links: bool = False) -> Iterator[None]:
    """Forms scaffolded and filter panels shown inside this block are shaped
    for `request`'s user; with `add_links`, selects get their "+" links."""
    token = _FORM_REQUEST.set(request)
    adding = _ADD_LINKS.set(add_links)
    try:
        yield
    finally:
        _ADD_LINKS.reset(adding)
        _FORM_REQUEST.reset(token)


def current_form_request() -> Request | None:
    """The request whose form is being scaffolded (see `form_request`)."""
    return _FORM_REQUEST.get()


class LabelledAjaxLoader(QueryAjaxModelLoader):
    """Search-as-you-type choices that show row labels, not reprs."""

    def format(self, model: Any) -> dict[str, Any]:
        if not model:
            return {}
        if isinstance(model, tuple):  # a search result, labelled already
            return {"id": model[0], "text": model[1]}
        return {"id": row_identifier(model), "text": label_for(model)}

    async def get_list(self, request: Request, term: str) -> list[Any]:
        """The rows found, as (key, label) with a shared label told apart by
        its key ("Plan search index (#12)")."""
        rows = await super().get_list(request, term)
        return choice_pairs(rows, by_label=False)  # kept in the search's order

    async def format_by_pk(self, pk: Any) -> dict[str, Any]:
        """The row a chosen key names, labelled; {} if none does (a key the
        database cannot compare with its column, too: the view's lookup by
        key says so)."""
        try:
            values = parse_key(self.model, str(pk))
        except BadKey:
            return {}
        keys = inspect(self.model).primary_key
        where = (k == v for k, v in zip(keys, values, strict=True))
        row = await self.model_admin._get_object_by_pk(select(self.model).where(*where))
        return self.format(row) if row is not None else {}


class LabelledConverter(WriteConverter):
    """Form fields as the view's field descriptions say: selects labelled the
    way lists are, foreign keys without a relationship as related rows, and
    search-as-you-type only where the related table is large right now."""

    view: ClassVar[AdminView | None] = None

    async def convert(  # type: ignore[override]
        self,
        model: type,
        prop: Any,
        session_maker: Any,
        field_args: dict[str, Any],
        field_widget_args: dict[str, Any],
        form_include_pk: bool,
        label: str | None = None,
        override: Any = None,
        form_ajax_refs: dict[str, Any] | None = None,
    ) -> Any:
        view = self.view
        spec = view.field_specs.get(prop.key) if view is not None else None
        refs = dict(form_ajax_refs or {})
        if (
            view is not None
            and spec is not None
            and prop.key in refs
            and prop.key not in view._chosen_ajax
            and await to_thread.run_sync(view.is_small, spec.target)
        ):
            del refs[prop.key]  # few rows: a plain select of them all
        if (
            view is not None
            and spec is not None
            and spec.kind is Kind.TO_ONE
            and spec.relationship is None
            and override is None
        ):
            return await self._key_field(
                view, spec, refs.get(prop.key), label, field_args, field_widget_args
            )
        field = await super().convert(
            model,
            prop,
            session_maker,
            field_args,
            field_widget_args,
            form_include_pk,
            label=label,
            override=override,
            form_ajax_refs=refs,
        )
        return with_chosen_options(field)

    @staticmethod
    async def _key_field(
        view: AdminView,
        spec: FieldSpec,
        loader: Any,
        label: str | None,
        field_args: dict[str, Any],
        widget_args: dict[str, Any],
    ) -> Any:
        """A foreign key that no relationship names, chosen by label like one
        that has a relationship: a select, or search-as-you-type."""
        kwargs = {
            "label": label,
            "render_kw": {"class": "form-control", **widget_args},
            **field_args,
        }
        if not spec.nullable:  # marked so; the write path says it when empty
            kwargs["validators"] = [*kwargs.get("validators", ()), MarkedRequired()]
        if loader is not None:
            return with_chosen_options(
                AjaxSelectField(loader, allow_blank=True, **kwargs)
            )
        choices = await to_thread.run_sync(view.all_choices, spec.target)
        return KeySelectField(choices=[("", ""), *choices], **kwargs)

    async def _prepare_select_options(self, prop, session_maker):  # type: ignore[no-untyped-def]
        target = prop.mapper.class_

        def load() -> list[Any]:
            with session_maker() as session:
                return list(session.scalars(select(target)).all())

        rows = await to_thread.run_sync(load)
        return choice_pairs(rows)  # by label, as the filters sort them


class AdminView(
    KeyedLinks,
    SelectionActions,
    ImportActions,
    ListPanel,
    DetailsLinks,
    DetailsReferrers,
    BackToList,
    ListEditing,
    RowSaving,
    ModelView,
):
    """Base of every generated view; subclass it with `model=` to override one.

    Every page reads the fields' descriptions (`admin_app.model.fields`):
    change one with `field_overrides`, or set any SQLAdmin option, and the
    rest keep their generated defaults. Related tables with more than
    `small_table_rows` rows get search-as-you-type selects (on forms, in link
    editors and in the filter panel); their size is read each time a form is
    made, so a table that grows (or starts empty) is treated as it is now. Set
    `form_ajax_refs` to always search as you type.
    """

    page_size = 25
    show_compact_lists = False  # related rows one per line, not "(bug) (docs)"
    export_types = ["csv", "xlsx"]
    page_size_options = [10, 25, 50, 100]
    form_converter = LabelledConverter
    small_table_rows: ClassVar[int] = LIST_LIMIT
    count_cap: ClassVar[int] = COUNT_CAP
    """The list's count reads at most this many matching rows ("10,000+")."""
    estimate_above: ClassVar[int] = ESTIMATE_ABOVE
    """On PostgreSQL, a whole table larger than this (by the planner's
    statistics) is counted by its estimate ("about 10,000,000")."""
    field_overrides: ClassVar[dict[str, Any]] = {}
    """Changes to one field's description, by field name, e.g.
    `{"notes": {"kind": "long_text"}, "pin": {"kind": "secret"}}`."""
    audit_hidden: ClassVar[tuple[str, ...]] = ()
    """Columns whose values the audit trail never records (secrets never are)."""
    bulk_edit_excluded: ClassVar[tuple[str, ...]] = ()
    """Fields that change one row at a time only (a bulk UPDATE runs no hooks)."""
    extra_filters: ClassVar[list[ListFilter | type[ListFilter]]] = []
    """A project's own filters, shown after the generated ones."""

    def __init__(self) -> None:
        view = type(self)
        model = self.model
        fields = view_fields(view)
        self.field_specs: dict[str, FieldSpec] = fields.specs
        self._export_names = fields.export_names
        self._audit_hidden = set(fields.audit_hidden)
        # never in a page, not even as a digest in a form's version token
        self._secret_columns = {
            attribute_name(column)
            for spec in fields.specs.values()
            if spec.is_secret
            for column in spec.columns
        }
        self._link_specs = link_specs(model, fields.specs)
        for option, value in fields.options.items():
            setattr(self, option, value)
        specs = self.field_specs
        for spec in specs.values():
            if spec.is_secret:  # by its name, or by this view's word
                for column in spec.columns:
                    never_a_label(column)
        form_names = [self._get_prop_name(c) for c in self.form_columns or []]
        self._chosen_ajax = {self._get_prop_name(k) for k in view.form_ajax_refs}
        sized = {
            name: specs[name]
            for name in form_names
            if name in specs and specs[name].size_dependent
        }
        # Every related field gets a search-as-you-type loader; the form uses
        # it only while the related table is large (see LabelledConverter).
        self.form_ajax_refs = {
            **{
                name: self._ajax_options(spec.target)
                for name, spec in sized.items()
                if spec.relationship is not None
            },
            **view.form_ajax_refs,
        }
        if view.form_base_class is Form:
            self.form_base_class = type(
                f"{model.__name__}Form",
                (AdminForm,),
                {
                    "zero_means_none": frozenset(
                        n for n, s in specs.items() if s.kind is Kind.TO_ONE
                    ),
                    "kept_when_empty": frozenset(
                        n for n, s in specs.items() if s.is_secret
                    ),
                },
            )
        if isinstance(view.form_converter, type) and issubclass(
            view.form_converter, LabelledConverter
        ):
            self.form_converter = type(
                view.form_converter.__name__, (view.form_converter,), {"view": self}
            )
        related = {s.target for s in specs.values() if s.target is not None}
        enums = {
            type(value)
            for s in specs.values()
            for value, _label in s.choices
            if isinstance(value, enum.Enum)
        }
        documents = {  # pydantic models a project's JSON type stores
            found
            for s in specs.values()
            if s.kind is Kind.JSON
            and isinstance(found := annotation(model, s.name), type)
            and issubclass(found, BaseModel)
        }
        self.column_type_formatters = {
            **BASE_FORMATTERS,
            bool: yes_no,
            **{cls: label_for for cls in related | {model}},
            datetime: local_time,
            timedelta: duration_text,
            dict: json_text,  # a JSON column's object or array (relationships'
            list: json_text,  # lists are SQLAlchemy's own list type)
            **dict.fromkeys(documents, json_text),
            **dict.fromkeys(enums, enum_label),
            # a project's own (SQLAdmin's defaults are those above)
            **{
                cls: found
                for cls, found in view.column_type_formatters.items()
                if BASE_FORMATTERS.get(cls) is not found
            },
        }
        plain_choices = {
            n: _choice_formatter(s)
            for n, s in specs.items()
            if s.kind is Kind.CHOICE
            and s.choices
            and not any(isinstance(v, enum.Enum) for v, _ in s.choices)
        }
        self.column_formatters = {**plain_choices, **view.column_formatters}
        self.column_formatters_detail = {
            **plain_choices,
            **view.column_formatters_detail,
        }
        super().__init__()
        self._filters: list[ListFilter] = list(view.column_filters) or [
            *self._generated_filters(),
            *(f() if isinstance(f, type) else f for f in view.extra_filters),
        ]
        loaders = {
            name: LabelledAjaxLoader(
                name, loader.model, self, **self.form_ajax_refs[name]
            )
            for name, loader in self._form_ajax_refs.items()
        }
        for name, spec in sized.items():
            if spec.relationship is None and name not in loaders:
                loaders[name] = LabelledAjaxLoader(
                    name, spec.target, self, **self._ajax_options(spec.target)
                )
        self._form_ajax_refs = loaders
        self._ajax_relation_names = set(loaders) & set(self._relation_names)
        self._date_spec = self._date_hierarchy_spec()
        self._list_editable = self._checked_list_editable()

    def _get_default_sort(self) -> list[tuple[str, bool]]:
        """The view's `column_default_sort`, else the key, named by its
        attributes (SQLAdmin names it by its columns' names, which a model
        over an older database may give other attributes)."""
        if self.column_default_sort:
            return super()._get_default_sort()
        return [(name, False) for name in key_attributes(self.model)]

    def _generated_filters(self) -> list[ListFilter]:
        """A filter for every field its description puts in the filter panel:
        related rows, choices, ranges, and empty / not empty."""
        model = self.model
        found: list[ListFilter] = []
        for spec in self.field_specs.values():
            if not spec.in_filter:
                continue
            column = spec.column
            if spec.kind is Kind.TO_MANY:
                found.append(
                    RelatedFilter(
                        model,
                        spec.relationship,
                        self.session_maker,
                        column=None,
                        spec=spec,
                        listed_up_to=self.small_table_rows,
                    )
                )
                continue
            if column is None:
                continue
            if spec.kind is Kind.TO_ONE:
                found.append(
                    RelatedFilter(
                        model,
                        spec.relationship,
                        self.session_maker,
                        column=column,
                        spec=spec,
                        listed_up_to=self.small_table_rows,
                    )
                )
            elif spec.kind in (Kind.CHOICE, Kind.BOOL):
                found.append(ChoiceFilter(model, column, spec=spec))
            elif spec.kind in RANGE_KINDS:
                found.append(RangeFilter(model, column, spec=spec))
            if spec.nullable or spec.kind is Kind.LIST:
                found.append(EmptyFilter(model, column, spec=spec))
        return found

    def get_filters(self) -> list[ListFilter]:
        """SQLAdmin's filter panel: the filters of the request being served."""
        request = _FORM_REQUEST.get()
        return self._filters if request is None else self.filters_for(request)

    def filters_for(self, request: Request) -> list[ListFilter]:
        """The filters `request`'s user may use: a related-row filter chooses
        rows of another table, which takes view permission on that table."""
        return [
            f
            for f in self._filters
            if not isinstance(f, RelatedFilter) or self.may_link(request, f.target)
        ]

    def list_query_for(self, request: Request) -> ListQuery:
        """The request's `ListQuery`, parsed once per request."""
        cache = request.state.__dict__.setdefault("_list_queries", {})
        if self.identity not in cache:
            cache[self.identity] = ListQuery.from_request(self, request)
        return cache[self.identity]

    async def list_context(self, request: Request) -> dict[str, Any]:
        _PAGE_REQUEST.set(request)  # for the related cells (see below)
        request.state.__dict__["_listing"] = True  # its cells may be inputs
        return {"list_query": self.list_query_for(request)}

    async def details_context(self, request: Request) -> dict[str, Any]:
        _PAGE_REQUEST.set(request)
        return await super().details_context(request)

    @property
    def _non_link_related_fields(self) -> list[str]:
        """Related cells SQLAdmin's list and details show without a link to
        the related row: the project's own choice, the cells the list shows
        as inputs (a select inside a link would follow the link), and every
        relation to a table the page's user may not open (a link would end
        on a 403). Made once a request: the list's template asks every cell."""
        names = list(self.__dict__.get("_project_non_link", []))
        request = _PAGE_REQUEST.get()
        if request is None:
            return names
        made = request.state.__dict__.setdefault("_non_link_fields", {})
        if self.identity not in made:
            names += [
                name
                for name, spec in self.field_specs.items()
                if spec.relationship is not None
                and spec.target is not None
                and not self.may_link(request, spec.target)
            ]
            if request.state.__dict__.get("_listing") and self.may_edit_list(request):
                names += self._list_editable
            made[self.identity] = names
        return made[self.identity]

    @_non_link_related_fields.setter
    def _non_link_related_fields(self, names: list[str]) -> None:
        self.__dict__["_project_non_link"] = list(names)

    async def list(self, request: Request) -> Pagination:
        query = self.list_query_for(request)
        read, related, panel = await to_thread.run_sync(self._read_page, query)
        request.state.__dict__.setdefault("_related_rows", {})[self.identity] = related
        self.keep_panel(request, panel)
        return ListPagination.of(read)

    def count_limits(self) -> CountLimits:
        """How far this list's counts read (`count_cap`, `estimate_above`)."""
        return CountLimits(cap=self.count_cap, estimate_above=self.estimate_above)

    def _read_page(
        self, query: ListQuery
    ) -> tuple[PageRead, dict[str, dict[Any, Any]], Panel]:
        """The page's rows, their related rows, and its filter counts and
        drill-down: one session, under the list's statement time limit."""
        with self.session_maker() as session:
            limit_statement_time(session)
            facets = self._read_facets(session, query)
            read = read_page(session, query, self.count_limits(), facets.sampled)
            related = self._keyed_rows(session, read.rows, self._list_prop_names)
            drill = self._read_drill(session, query, read)
        return read, related, (facets, drill)

    def _keyed_field(self, name: str) -> FieldSpec | None:
        """The field of a foreign key column that no relationship names."""
        spec = self.field_specs.get(name)
        if spec is None or spec.kind is not Kind.TO_ONE or spec.relationship:
            return None
        return spec if spec.column is not None else None

    def _keyed_rows(
        self, session: Any, rows: list[Any], names: list[str]
    ) -> dict[str, dict[Any, Any]]:
        """The related rows of those foreign keys on a page, one query per
        field, so the list shows labels without a query per row."""
        found: dict[str, dict[Any, Any]] = {}
        for name in names:
            spec = self._keyed_field(name)
            if spec is None:
                continue
            (key,) = spec.target_columns
            values = {getattr(row, name) for row in rows} - {None}
            targets = (
                session.scalars(select(spec.target).where(key.in_(values))).all()
                if values
                else []
            )
            attr = inspect(spec.target).get_property_by_column(key).key
            found[name] = {getattr(t, attr): t for t in targets}
        return found

    def _related_row(self, spec: FieldSpec, value: Any) -> Any:
        if value is None:
            return None
        with self.session_maker() as session:
            return self._keyed_rows(
                session, [type("Row", (), {spec.name: value})()], [spec.name]
            )[spec.name].get(value)

    def _related_cell(
        self, request: Request | None, spec: FieldSpec, related: Any, value: Any
    ) -> Any:
        """A related row by label, linked to its details when it has a page."""
        if related is None:
            return "" if value is None else str(value)
        if request is None:
            return label_for(related)
        return plain_or_link(*self.labelled_link(request, related))

    async def get_prop_value(self, obj: Any, prop: str) -> Any:
        """SQLAdmin turns an enum member that is not a `StrEnum` into its
        Python name (`home_garden`, `PENDING`); here it stays the member, and
        the view's enum formatter shows its label ("Home & garden"), as the
        filters, the forms and the audit log name it."""
        value = await super().get_prop_value(obj, prop)
        if isinstance(value, str) and "." not in prop:
            member = getattr(obj, prop, None)
            if isinstance(member, enum.Enum):
                return member
        return value

    async def get_list_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        cell = await self.list_edit_cell(obj, prop, request)
        if cell is not None:
            return getattr(obj, prop, None), cell
        spec = self._keyed_field(prop)
        if spec is None or prop in self._list_formatters:
            return _by_label(*await super().get_list_value(obj, prop, request))
        value = getattr(obj, prop, None)
        page = (
            request.state.__dict__.get("_related_rows", {}).get(self.identity, {})
            if request is not None
            else {}
        )
        if prop in page:
            related = page[prop].get(value)
        else:
            related = await to_thread.run_sync(self._related_row, spec, value)
        return value, self._related_cell(request, spec, related, value)

    async def get_detail_value(
        self, obj: Any, prop: str, request: Request | None = None
    ) -> tuple[Any, Any]:
        spec = self._keyed_field(prop)
        if spec is None or prop in self._detail_formatters:
            return _by_label(*await super().get_detail_value(obj, prop, request))
        value = getattr(obj, prop, None)
        related = await to_thread.run_sync(self._related_row, spec, value)
        return value, self._related_cell(request, spec, related, value)

    def search_query(self, stmt: Select, term: str) -> Select:
        """Rows where a searchable text column contains `term` (wildcards taken
        literally) or a choice column is exactly `term` (its value or label)."""
        engine = engine_for_reads(self.session_maker)  # its column statistics
        conditions = []
        for name in self._search_fields:
            spec = self.field_specs.get(name)
            if (
                spec is not None
                and spec.kind is Kind.CHOICE
                and spec.column is not None
            ):
                found, value = spec.choice_for_search(term)
                if found:
                    conditions.append((None, spec.column == value))
                continue
            if spec is not None and (spec.is_secret or spec.column is None):
                continue  # never searched; relations are filtered instead
            sample = column_sample(engine, spec.column) if spec is not None else ()
            attribute = getattr(self.model, name)
            conditions.append(contains_parts(attribute, term, sample))
        by_key = self._uuid_key_named(term)
        if by_key is not None:
            conditions.append((None, by_key))
        return stmt.where(any_contains(conditions))

    def _uuid_key_named(self, term: str) -> ColumnElement[bool] | None:
        """The row whose UUID key the search names whole, as staff paste it
        from a link, a log or an email: a UUID is no text column to search."""
        keys = list(inspect(self.model).primary_key)
        spec = self.field_specs.get(attribute_name(keys[0])) if len(keys) == 1 else None
        if spec is None or spec.kind is not Kind.UUID:
            return None
        try:
            return keys[0] == uuid.UUID(term.strip())
        except ValueError:
            return None

    def export_columns(self) -> list[ExportColumn]:
        """The CSV's columns: every column of the table (a foreign key also as
        its related row's label beside it) unless the view names them."""
        return export_columns(self.field_specs, self._export_names)

    async def on_model_change(
        self, data: dict, model: Any, is_created: bool, request: Request
    ) -> None:
        """A new row needs the secrets its table requires; on an edit an empty
        secret keeps the stored one (the form leaves it out of `data`)."""
        self.check_new_row(data, is_created)

    def check_new_row(self, data: dict, is_created: bool) -> None:
        """`on_model_change`'s own check, callable from a worker thread (an
        import calls it for each row of a view that keeps the hook as it is)."""
        if not is_created:
            return
        missing = {
            name: ["This field is required."]
            for name, spec in self.field_specs.items()
            if spec.is_secret
            and name in self._form_prop_names
            and not data.get(name)
            and _required(spec)
        }
        if missing:
            raise FormErrors(missing)

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

    def hash_password(self, password: str) -> str:
        """What a password typed into a password hash's field (a column named
        `hashed_password` or `password_hash`, or of kind `password`) is stored
        as: its argon2id hash, which pwdlib (the hasher of FastAPI's docs and
        full-stack template) and passlib's argon2 verify. A project whose
        application hashes otherwise returns its own function's hash here
        (`return get_password_hash(password)`); a `ValueError` refuses the
        password, its message shown under the box."""
        return argon2_hash(password)

    def _passwords_asked_twice(
        self, form: type[Form], request: Request | None
    ) -> type[Form]:
        """`form` with each password hash's field asked twice and hashed by
        `hash_password`."""
        for name, spec in self.field_specs.items():
            if spec.kind is Kind.PASSWORD and hasattr(form, name):
                again = name + REPEAT_SUFFIX
                form = self.password_asked_twice(
                    form, name, again, request, hasher=self.hash_password
                )
        return form

    def password_asked_twice(
        self,
        form: type[Form],
        name: str,
        again: str,
        request: Request | None,
        **field: Any,
    ) -> type[Form]:
        """`form` with the password field `name` asked twice (`asked_twice`,
        the second box named `again`), described by its field's description
        (else as stored hashed); on an edit form, two empty boxes keep the
        password, and it says so."""
        said = self.field_specs[name].description or STORED_HASHED
        if request is not None and "pk" in request.path_params:  # an edit form
            said = f"{said} {KEEP_BOTH_EMPTY}"
        return asked_twice(form, name, again, description=said, **field)

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """SQLAdmin's form, plus an inline editor per link table with data of its
        own, plus the version token that guards against overwriting changes."""
        form = await super().scaffold_form(rules)
        # SQLAdmin reads edit-form data of these by relationship; a foreign
        # key without one is read as a plain column.
        self._ajax_relation_names = set(self._form_ajax_refs) & set(
            self._relation_names
        )
        extra: dict[str, Any] = {VERSION_FIELD: HiddenField()}
        request = _FORM_REQUEST.get()
        url = (  # from the request: the admin may be mounted anywhere
            request.url_for(f"admin:view-{self.identity}-link_options").path
            if request is not None
            else f"{self._admin_ref.base_url}/{self.identity}/link-options"
        )
        for spec in self._link_specs:
            choices = await to_thread.run_sync(self._choices, spec.other_model)
            extra[spec.name] = await inline_field(
                spec, self.session_maker, choices, url
            )
        targets = self._choice_targets() if request is not None else {}
        for name, other in targets.items():
            if not self.may_link(request, other):
                extra[name] = None  # WTForms: no such field on this form
        form = type(form.__name__, (form,), extra)
        form = self._passwords_asked_twice(form, request)
        if request is not None and _ADD_LINKS.get():
            views = self._admin_ref.views_for(request)
            wrapped = with_add_links(form, request, views, targets)
            form = type(form.__name__, (form,), wrapped)
        if request is not None and self._opening_create_form(request):
            form = filled_in(
                form, initial_values(self.field_specs, request.query_params)
            )
        return form

    def _opening_create_form(self, request: Request) -> bool:
        """Whether `request` opens this table's create form (whose address
        may give its fields' first values)."""
        if request.method != "GET" or not request.query_params:
            return False
        create = request.url_for("admin:create", identity=self.identity)
        return request.url.path == create.path

    async def form_for(self, request: Request, rules: list[str] | None) -> type[Form]:
        """The form as `request`'s user may fill it in."""
        with form_request(request):
            return await self.scaffold_form(rules)

    def _choice_targets(self) -> dict[str, type]:
        """Every form field that chooses rows of another table, by that table:
        to-one selects (and their key columns, if a view shows those), many-to-
        many selects and inline link editors."""
        targets: dict[str, type] = {}
        for name, spec in self.field_specs.items():
            if spec.kind is Kind.TO_ONE and spec.target is not None:
                targets[name] = spec.target
                targets.update(
                    dict.fromkeys(
                        (attribute_name(c) for c in spec.columns), spec.target
                    )
                )
        return {**targets, **self._link_targets()}

    def _link_targets(self) -> dict[str, type]:
        """Every many-to-many field and inline link editor, by the table it links to."""
        return {
            **{
                name: spec.target
                for name, spec in self.field_specs.items()
                if spec.kind is Kind.TO_MANY and spec.target is not None
            },
            **{spec.name: spec.other_model for spec in self._link_specs},
        }

    def may_link(self, request: Request, other: type) -> bool:
        """Choosing or filtering by rows of another table (a select, a link
        editor, a related-row filter, their searches) takes view permission on
        that table, as Django's autocomplete does."""
        return any(view.model is other for view in self._admin_ref.views_for(request))

    def may_see_history(self, request: Request) -> bool:
        """Whether the row's History link leads anywhere for this user: it
        opens the audit log, which takes its own view grant."""
        return any(
            view.identity == "audit-entry"
            for view in self._admin_ref.views_for(request)
        )

    def is_accessible(self, request: Request) -> bool:
        """The table is in the menu and its pages open only for users who may
        view its rows (every other action needs that too)."""
        return self.has_permission(request, "list")

    def _choices(self, model: type) -> list[tuple[str, str]] | None:
        with self.session_maker() as session:
            return choices_if_small(session, model, self.small_table_rows)

    def all_choices(self, model: type) -> list[tuple[str, str]]:
        """(key, label) of every row of `model`, by label (a small table)."""
        with self.session_maker() as session:
            return choice_pairs(session.scalars(select(model)).all())

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

    def is_small(self, model: type) -> bool:
        """Whether `model`'s table has at most `small_table_rows` rows now.

        Read each time a form is made (a bounded count, at most
        `small_table_rows + 1` rows), so a table that grows is searched as you
        type from then on; a table not created yet counts as large."""
        limit = self.small_table_rows
        stmt = select(func.count()).select_from(
            select(1).select_from(model).limit(limit + 1).subquery()
        )
        try:
            with self.session_maker() as session:
                rows = session.scalar(stmt) or 0
        except SQLAlchemyError:
            return False
        return rows <= limit

    @staticmethod
    def _ajax_options(target: type) -> dict[str, Any]:
        label = label_column(target)
        texts = [
            s.name
            for s in field_specs(target).values()
            if s.kind in (Kind.TEXT, Kind.LONG_TEXT)
        ]
        keys = list(key_attributes(target))
        return {
            "fields": [label] if label else texts or keys,
            "order_by": label or keys[0],
            "limit": 20,
        }


def _by_label(value: Any, shown: Any) -> tuple[Any, Any]:
    """A to-many cell's rows in label order ("bug, docs"), as pickers and
    filters list them, rather than in the order the database returned."""
    if not (isinstance(value, list) and isinstance(shown, list)):
        return value, shown
    if len(value) != len(shown) or len(value) < 2:
        return value, shown
    pairs = sorted(zip(value, shown, strict=True), key=lambda p: str(p[1]).casefold())
    return [v for v, _ in pairs], [s for _, s in pairs]


def _required(spec: FieldSpec) -> bool:
    """Whether a new row must be given a value for the field."""
    return any(
        not c.nullable and c.default is None and c.server_default is None
        for c in spec.columns
    )


def _choice_formatter(spec: FieldSpec) -> Any:
    """A choice column's value shown by its label, as filters name it."""
    labels = dict(spec.choices)

    def show(obj: Any, prop: str) -> Any:
        value = getattr(obj, prop, None)
        return "" if value is None else labels.get(value, value)

    return show
