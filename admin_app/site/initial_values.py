"""A new row's form filled in from its address, as Django's add form is.

`GET /{identity}/create?team=3&name=Ann` opens the form with the team and the
name chosen, as if the user had typed them: each value is read by its
field's own parser, so a related row is chosen by its key (its label shown),
a date by the form's date format, a choice by its value. Nothing is saved
until the user presses Save, through the same write path as any form. A
row's details page links here to add a row that points at it ("Add Hero",
its team chosen).

Only the fields the form edits are filled: a secret, a password, or a link
editor is never taken from an address (it would sit in browser history and
server logs), and parameters naming no field are ignored. A value the
field cannot read stays in its box as given, and is refused on Save with
the field's message, as typed text would be.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData, QueryParams
from wtforms import Form

from admin_app.model.fields import FieldSpec, Kind


def initial_values(
    specs: Mapping[str, FieldSpec], params: QueryParams
) -> dict[str, list[str]]:
    """The values `params` gives the form's fields, by field name."""
    return {
        name: params.getlist(name)
        for name in params
        if (spec := specs.get(name)) is not None
        and spec.in_form
        and not spec.is_secret
        and spec.kind is not Kind.LINK_WITH_DATA
    }


def filled_in(form: type[Form], values: dict[str, list[str]]) -> type[Form]:
    """`form`, whose new blank instances start with `values` as if typed (a
    form made from a submission or a row is left as it is)."""
    if not values:
        return form

    class FilledIn(form):  # type: ignore[valid-type, misc]
        def process(
            self, formdata: Any = None, obj: Any = None, *args: Any, **kwargs: Any
        ) -> None:
            super().process(formdata, obj, *args, **kwargs)
            if formdata is not None or obj is not None or kwargs.get("data"):
                return
            for name, texts in values.items():
                field = self._fields.get(name)
                if field is not None:
                    field.process(FormData([(name, text) for text in texts]))

    FilledIn.__name__ = form.__name__
    return FilledIn
