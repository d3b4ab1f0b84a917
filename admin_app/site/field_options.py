"""A view's field descriptions, and the SQLAdmin options made from them.

The generated view reads `field_specs(model)`, applies the view's own
`field_overrides`, and then SQLAdmin's options where the view sets them
(`column_list`, `column_details_list`, `form_columns`,
`column_searchable_list`, `column_sortable_list`, `column_export_list` and
their `_exclude` forms, `column_labels`), so a project's choices win and every
consumer still reads one description per field. Secrets stay off every page
but the form whatever a list names.
"""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from admin_app.model.attributes import attribute_name
from admin_app.model.fields import (
    FieldSpec,
    Kind,
    apply_overrides,
    field_specs,
    secrets_hidden,
)
from admin_app.writing.forms import fields_by_kind

# place -> (SQLAdmin's option naming it, the option excluding from it)
OPTIONS: dict[str, tuple[str, str | None]] = {
    "in_list": ("column_list", "column_exclude_list"),
    "in_details": ("column_details_list", "column_details_exclude_list"),
    "in_form": ("form_columns", "form_excluded_columns"),
    "in_search": ("column_searchable_list", None),
    "in_sort": ("column_sortable_list", None),
    "in_export": ("column_export_list", "column_export_exclude_list"),
}


@dataclass
class ViewFields:
    """What a view shows where, decided once when the view is made."""

    specs: dict[str, FieldSpec]
    options: dict[str, Any]  # SQLAdmin options to set on the view
    export_names: list[str] | None  # None: every column, keys and labels
    audit_hidden: frozenset[str]  # column keys the audit trail never records


def _name(item: Any) -> str:
    return item if isinstance(item, str) else item.key


def _names(items: Iterable[Any] | None) -> list[str]:
    return [_name(item) for item in items or []]


def _set_by_project(view: type, option: str | None) -> bool:
    return bool(option and getattr(view, option, None))


def _with(specs: dict[str, FieldSpec], names: Iterable[str], **change: Any) -> None:
    for name in names:
        if name in specs:
            specs[name] = dataclasses.replace(specs[name], **change)


def _field_of_column(specs: dict[str, FieldSpec], key: str) -> str | None:
    """The field showing column `key` (a foreign key's related row, say)."""
    if key in specs:
        return key
    return next(
        (n for n, s in specs.items() if key in [attribute_name(c) for c in s.columns]),
        None,
    )


def view_fields(view: type) -> ViewFields:
    """The field descriptions of `view`'s model as `view` shows them."""
    specs = apply_overrides(field_specs(view.model), view.field_overrides)
    for key in view.audit_hidden:
        _with(specs, [_field_of_column(specs, key) or key], in_audit=False)
    _with(specs, view.bulk_edit_excluded, in_bulk_edit=False)
    labels = {_name(k): v for k, v in (view.column_labels or {}).items()}
    for name, label in labels.items():
        _with(specs, [name], label=label)
    specs = {name: secrets_hidden(spec) for name, spec in specs.items()}

    options: dict[str, Any] = {}
    chosen: dict[str, list[str]] = {}
    for place, (include, exclude) in OPTIONS.items():
        named = getattr(view, include, None)
        if named == "__all__":
            names = list(specs)
        elif named:
            names = _names(named)
        else:
            excluded = set(_names(getattr(view, exclude, None) if exclude else None))
            names = [
                n for n, s in specs.items() if getattr(s, place) and n not in excluded
            ]
        if place != "in_form":  # a secret is typed in, never read back
            names = [n for n in names if not (n in specs and specs[n].is_secret)]
        for name, spec in specs.items():
            specs[name] = dataclasses.replace(spec, **{place: name in names})
        chosen[place] = names
        options[include] = names
        if exclude:
            options[exclude] = []
    # Link rows with data are edited inline, beside SQLAdmin's own fields.
    options["form_columns"] = [
        n
        for n in chosen["in_form"]
        if n not in specs or specs[n].kind is not Kind.LINK_WITH_DATA
    ]
    # ... and shown on the details page as a table of their own.
    options["column_details_list"] = [
        n
        for n in chosen["in_details"]
        if n not in specs or specs[n].kind is not Kind.LINK_WITH_DATA
    ]
    project_export = _set_by_project(view, "column_export_list") or _set_by_project(
        view, "column_export_exclude_list"
    )
    options.update(_form_options(view, specs, options["form_columns"]))
    options["column_labels"] = {
        **{attribute_name(c): s.label for s in specs.values() for c in s.columns},
        **{n: s.label for n, s in specs.items()},
        **labels,
    }
    return ViewFields(
        specs=specs,
        options=options,
        export_names=chosen["in_export"] if project_export else None,
        audit_hidden=frozenset(
            {
                attribute_name(c)
                for s in specs.values()
                if not s.in_audit
                for c in s.columns
            }
            | set(view.audit_hidden)
        ),
    )


def _merged(defaults: dict[str, dict], project: dict[Any, dict]) -> dict[str, dict]:
    merged = {name: dict(args) for name, args in defaults.items()}
    for name, args in (project or {}).items():
        merged[_name(name)] = {**merged.get(_name(name), {}), **args}
    return merged


def _form_options(
    view: type, specs: dict[str, FieldSpec], form_names: list[str]
) -> dict[str, Any]:
    """Form field classes, arguments and widget options by field kind."""
    overrides, args, widgets = fields_by_kind(specs, form_names)
    include_pk = view.form_include_pk or any(
        any(c.primary_key for c in specs[n].columns)
        and specs[n].kind is not Kind.TO_ONE
        for n in form_names
        if n in specs
    )
    return {
        "form_overrides": {
            **overrides,
            **{_name(k): v for k, v in (view.form_overrides or {}).items()},
        },
        "form_args": _merged(args, view.form_args),
        "form_widget_args": _merged(widgets, view.form_widget_args),
        "form_include_pk": include_pk,
    }
