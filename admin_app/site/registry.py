"""Discover SQLModel tables in the configured modules and build one view each.

A project overrides the generated view of a table by subclassing `AdminView`
with `model=` in its models module, or in an `admin` module beside it (for
`shop.models`, `shop.models.admin` or `shop.admin`), as Django's `ModelAdmin`.
"""

import importlib
import importlib.util
import re
from collections.abc import Iterable
from types import ModuleType

from sqladmin.helpers import prettify_class_name
from sqlmodel import SQLModel

from admin_app.model.names import model_words, plural
from admin_app.site.views import AdminView


def _import_if_present(name: str) -> ModuleType | None:
    """Import `name` if such a module exists; errors inside it still surface."""
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:  # its parent package does not exist
        return None
    return importlib.import_module(name)


def _admin_modules(module_name: str) -> list[str]:
    names = [module_name, f"{module_name}.admin"]
    parent = module_name.rpartition(".")[0]
    if parent:
        names.append(f"{parent}.admin")
    return names


def discover_tables(module_names: Iterable[str]) -> list[type[SQLModel]]:
    """Every SQLModel table class defined in or imported by the modules."""
    tables: list[type[SQLModel]] = []
    for name in module_names:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, SQLModel)
                and hasattr(value, "__table__")
                and value not in tables
            ):
                tables.append(value)
    return tables


def discover_overrides(module_names: Iterable[str]) -> dict[type, type[AdminView]]:
    """Project views found next to the models, by the model they serve."""
    overrides: dict[type, type[AdminView]] = {}
    for module_name in module_names:
        for name in _admin_modules(module_name):
            module = _import_if_present(name)
            for value in vars(module).values() if module else ():
                if (
                    isinstance(value, type)
                    and issubclass(value, AdminView)
                    and getattr(value, "model", None) is not None
                ):
                    overrides.setdefault(value.model, value)
    return overrides


def view_for(model: type, base: type[AdminView] = AdminView) -> type[AdminView]:
    """A fresh view class for one site.

    SQLAdmin stores the site's session factory and templates on the view class,
    so each site gets its own subclass and two sites never share that state.
    """
    default = prettify_class_name(model.__name__)  # SQLAdmin's, when unset
    name = base.name if base is not AdminView and base.name != default else None
    name = name or model_words(model.__name__)
    chosen_plural = base.name_plural if base is not AdminView else None
    if not chosen_plural or chosen_plural == f"{base.name}s":
        chosen_plural = plural(name)
    attrs = {"name": name, "name_plural": chosen_plural}
    return type(f"{model.__name__}Admin", (base,), attrs, model=model)  # type: ignore[return-value]


def build_views(
    module_names: Iterable[str], builtin: dict[type, type[AdminView]]
) -> list[type[AdminView]]:
    """Views for the project's tables by name, then for the admin's own tables."""
    module_names = list(module_names)
    tables = discover_tables(module_names)
    overrides = {**builtin, **discover_overrides(module_names)}
    project = [
        view_for(t, overrides.get(t, AdminView)) for t in tables if t not in builtin
    ]
    own = [view_for(model, overrides[model]) for model in builtin]
    _distinct_identities(project, {view.identity for view in own})
    return sorted(project, key=lambda view: view.name_plural.casefold()) + own


def _distinct_identities(views: list[type[AdminView]], taken: set[str]) -> None:
    """Give each view a URL of its own. A view's identity is its class name's
    slug (SQLAdmin's): a project's `StaffUser` or `AuditEntry` (an HR app's)
    had the admin's own staff and audit pages' URLs, and the first view
    served both, so the admin's own were out of reach. Such a table, or a
    second class of one name in two modules, is named by its table's name
    (`hr-staff-user`), numbered if that is taken too."""
    for view in views:
        if view.identity in taken:
            base = re.sub(r"[^a-z0-9]+", "-", view.model.__table__.name.lower())
            identity = base = base.strip("-") or "table"
            number = 1
            while identity in taken:
                number += 1
                identity = f"{base}-{number}"
            view.identity = identity
        taken.add(view.identity)
