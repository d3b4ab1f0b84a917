"""Who may do what: deny by default; superusers may do everything; other staff
hold the grants of their groups.

A grant is `(table, action)` with the actions staff think in: view, create,
edit, delete, export, bulk_edit, import. SQLAdmin asks about its own names (list,
details, import, `action:<slug>`); `NEEDS` says which grants each one takes.
Every action needs `view` too, so a table is in a user's menu exactly when they
may see its rows. A project's own `@action` needs its own grant.
"""

from typing import Any, ClassVar

from sqladmin.contrib.rbac import DBAuthorizationBackend
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from admin_app.auth.backend import current_user
from admin_app.auth.models import StaffUser

GRANTABLE = {
    "view": "View",
    "create": "Create",
    "edit": "Edit",
    "delete": "Delete",
    "export": "Export",
    "bulk_edit": "Bulk edit",
    "import": "Import",
}

NEEDS: dict[str, tuple[str, ...]] = {
    "list": ("view",),
    "details": ("view",),
    "create": ("view", "create"),
    # The admin's import; each new row also needs create, each changed row edit.
    "import": ("view", "import"),
    "edit": ("view", "edit"),
    "delete": ("view", "delete"),
    "export": ("view", "export"),
    "bulk_edit": ("view", "edit", "bulk_edit"),
    "action:bulk-edit": ("view", "edit", "bulk_edit"),
    "action:bulk-delete": ("view", "delete"),
}


class StaffAuthorization(DBAuthorizationBackend):
    """SQLAdmin's group-based backend, reading the admin's own group tables
    (one query per request), with staff actions mapped onto SQLAdmin's."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        super().__init__(session_factory, user_model=StaffUser, accesses_attr="grants")

    def has_permission(
        self, request: Request, identity: str, action: str, obj: Any | None = None
    ) -> bool:
        needs = grants_needed(action)
        return bool(needs) and all(
            super(StaffAuthorization, self).has_permission(request, identity, need, obj)
            for need in needs
        )


def grants_needed(action: str) -> tuple[str, ...]:
    """The grants an action takes; none (so: denied) for an unknown action."""
    if action in NEEDS:
        return NEEDS[action]
    if action.startswith("action:"):
        return ("view", action)
    return ()


class SuperuserWrites:
    """For the admin's own staff and group pages: only superusers change them,
    since a user who could edit accounts or groups could grant themselves
    anything. Viewing them can be granted like any table."""

    superuser_writes: ClassVar[bool] = True

    def has_permission(self, request: Request, action: str, obj: Any = None) -> bool:
        if action not in ("list", "details"):
            user = current_user(request)
            if user is None or not user.is_superuser:
                return False
        return super().has_permission(request, action, obj)
