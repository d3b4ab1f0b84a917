"""Search-as-you-type selects that hold their chosen rows in the page itself.

SQLAdmin's select2 AJAX widget renders an empty `<select>` and leaves the
chosen rows in `data-json`, for its script to add as options. A form posted
without that script (a script that failed to load, a tool or a test that
submits the page as it is) then sends no value, and the save clears the
relation. Like Django's autocomplete widget, this one renders each chosen row
as an `<option selected>`: the form posts it as it stands, and select2 shows
the options it finds when it starts.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup
from sqladmin.fields import AjaxSelectField, AjaxSelectMultipleField
from sqladmin.widgets import AjaxSelect2Widget
from sqlalchemy import inspect
from wtforms.fields.core import UnboundField
from wtforms.widgets import html_params

AJAX_FIELDS = (AjaxSelectField, AjaxSelectMultipleField)


class ChosenAjaxSelect(AjaxSelect2Widget):
    """SQLAdmin's search-as-you-type select, with its chosen rows as options."""

    async def __call__(self, field: Any, **kwargs: Any) -> Markup:  # type: ignore[override]
        kwargs.setdefault("data-role", "select2-ajax")
        kwargs.setdefault("data-url", field.loader.model_admin.ajax_lookup_url)
        if field.allow_blank and not self.multiple:
            kwargs.setdefault("data-allow-blank", "1")
        if self.multiple:
            kwargs.setdefault("multiple", "1")
        kwargs.setdefault("id", field.id)
        values = (field.data or ()) if self.multiple else [field.data]
        options = [
            await _option(field.loader, value) for value in values if value is not None
        ]
        return Markup("<select {}>{}</select>").format(
            Markup(html_params(name=field.name, **kwargs)), Markup("").join(options)
        )


async def _option(loader: Any, value: Any) -> Markup:
    """A chosen value as a selected option labelled as the search labels it:
    a row the form holds already, or a key (posted, or a foreign key's value),
    looked up; a key naming no row keeps its text, so the form's error about
    it stays next to what was typed."""
    if inspect(value, raiseerr=False) is not None:  # a mapped row
        item = loader.format(value)
    else:
        item = await loader.format_by_pk(value) or {"id": value, "text": value}
    return Markup('<option value="{}" selected>{}</option>').format(
        item["id"], item["text"]
    )


def with_chosen_options(field: Any) -> Any:
    """`field` (a form field before binding) with the widget above if it is
    one of SQLAdmin's search-as-you-type fields; any other field as it is."""
    if isinstance(field, UnboundField) and issubclass(field.field_class, AJAX_FIELDS):
        multiple = issubclass(field.field_class, AjaxSelectMultipleField)
        field.kwargs.setdefault("widget", ChosenAjaxSelect(multiple=multiple))
    return field
