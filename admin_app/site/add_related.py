"""Add another: a row of a related table created from the form that picks it.

Django's admin puts a "+" beside a foreign-key select (its
`RelatedFieldWidgetWrapper`); this is the same for the admin's create and edit
forms. The "+" is a plain link to the related table's create page (a new tab
without JavaScript), shown only to a user who may create rows there. admin.js
opens that page in a dialog in popup mode instead.

Popup mode is the query parameter `_popup=1` (Django's name), on the page and
on its form's POST (the Save button's `formaction` carries it, so the security
headers can let the admin frame the page without reading a body). Any other
value of `_popup` is ignored. In popup mode the page has no navigation, and a
successful save answers `popup_answer.html` instead of redirecting: the new
row's key and its label as pickers show it, which admin.js hands to the opener
(same origin only). The row is written by the same create path as any form.
"""

from __future__ import annotations

import inspect as pyinspect
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import URL, QueryParams
from starlette.requests import Request
from wtforms import FieldList
from wtforms.fields.core import UnboundField

from admin_app.model.keys import row_identifier
from admin_app.model.labels import LIST_LIMIT, choice_pairs, label_column, label_for

POPUP_PARAMETER = "_popup"
POPUP_VALUE = "1"


def popup_requested(params: QueryParams) -> bool:
    """Whether the request asks for popup mode: `_popup=1` exactly."""
    return params.get(POPUP_PARAMETER) == POPUP_VALUE


def is_popup(request: Request) -> bool:
    """For templates: whether this page is shown in popup mode."""
    return popup_requested(request.query_params)


def popup_url(url: Any) -> str:
    """`url` (a create page) in popup mode."""
    return str(url.include_query_params(**{POPUP_PARAMETER: POPUP_VALUE}))


class AddRelatedWidget:
    """A select's own widget followed by the "+" link that adds a row to it
    (after a link editor's table, its new row's select).

    Everything but rendering is the wrapped widget's (SQLAdmin's templates read
    `widget.input_type`); SQLAdmin's search-as-you-type widget renders
    asynchronously, so the link follows an awaited select too."""

    def __init__(self, inner: Any, url: str, name: str) -> None:
        self.inner = inner
        self.url = url
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)

    def link(self, field: Any, field_id: str) -> Markup:
        what = f"Add another {self.name}"
        if isinstance(field, FieldList):  # a link editor: its new row's select
            what = f"{what} to {field.label.text}"
        return Markup(
            '<a class="add-related btn btn-icon btn-outline-secondary" href="{url}" '
            'target="_blank" rel="noopener" data-add-related="{popup}" '
            'data-for="{field}" data-name="{name}" title="{what}">'
            '<i class="fa-solid fa-plus" aria-hidden="true"></i>'
            '<span class="visually-hidden">{what}</span></a>'
        ).format(
            url=self.url,
            popup=popup_url(URL(self.url)),
            field=field_id,
            name=self.name,
            what=what,
        )

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        shown = self.inner(field, **kwargs)
        link = self.link(field, kwargs.get("id", field.id))
        if pyinspect.isawaitable(shown):

            async def then() -> Markup:
                return Markup(await shown) + link

            return then()
        return Markup(shown) + link


def with_add_links(
    form: type, request: Request, views: list[Any], targets: dict[str, type]
) -> dict[str, UnboundField]:
    """The form's fields (by name) that choose rows of a table the user may
    add to, each with its "+" link; `views` are the views the user may open."""
    creatable = {
        view.model: view
        for view in views
        if view.can_create and view.has_permission(request, "create")
    }
    wrapped: dict[str, UnboundField] = {}
    for name, target in targets.items():
        unbound = getattr(form, name, None)
        related = creatable.get(target)
        if not isinstance(unbound, UnboundField) or related is None:
            continue
        inner = unbound.kwargs.get("widget") or unbound.field_class.widget
        url = str(request.url_for("admin:create", identity=related.identity))
        copy = UnboundField(
            unbound.field_class,
            *unbound.args,
            name=unbound.name,
            **{**unbound.kwargs, "widget": AddRelatedWidget(inner, url, related.name)},
        )
        copy.creation_counter = unbound.creation_counter  # keeps the field order
        wrapped[name] = copy
    return wrapped


def picker_label(session: Session, obj: Any) -> str:
    """`obj`'s label as the pickers show it: with its key when another row of
    its table has the same label (`labels.choice_pairs`)."""
    model = type(obj)
    key = row_identifier(obj)
    label = label_for(obj)
    column = label_column(model)
    if column is not None:
        attr = getattr(model, column)
        same = select(func.count()).select_from(
            select(1)
            .select_from(model)
            .where(func.lower(attr) == label.lower())
            .limit(2)
            .subquery()
        )
        shared = (session.scalar(same) or 0) > 1
        return f"{label} (#{key})" if shared else label
    rows = session.scalars(select(model).limit(LIST_LIMIT + 1)).all()
    if len(rows) > LIST_LIMIT:
        return label
    return dict(choice_pairs(rows)).get(key, label)


def popup_answer(session: Session, obj: Any) -> dict[str, str]:
    """What the popup tells its opener about the row it added."""
    return {
        "key": row_identifier(obj),
        "label": picker_label(session, obj),
        "name": label_for(obj),
    }
