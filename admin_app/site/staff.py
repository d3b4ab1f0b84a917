"""The admin pages for staff accounts and groups.

Accounts follow the rule for every secret (their hash is never shown) and
hash what is typed; groups carry the grants their members hold. Only
superusers change either.
"""

from typing import Any

from anyio import to_thread
from sqladmin.contrib.rbac import PermissionMatrixField
from sqlalchemy import func, select
from starlette.requests import Request
from wtforms import Form

from admin_app.auth.accounts import set_password
from admin_app.auth.grants import (
    NamedBoxesWidget,
    grant_value,
    parse_grant,
    permission_rows,
)
from admin_app.auth.models import GroupGrant, StaffGroup, StaffUser
from admin_app.auth.passwords import WeakPassword
from admin_app.auth.permissions import SuperuserWrites, grants_needed
from admin_app.model.limits import cannot_hold
from admin_app.site.views import AdminView, current_form_request
from admin_app.writing.writes import FormErrors

PERMISSIONS = "permissions"
PASSWORD_AGAIN = "password_repeat"


def with_needed_grants(values: set[str]) -> set[str]:
    """The ticked grants and those they need (View for any, Edit for Bulk
    edit): a group given Export alone would otherwise save, and its members
    find they may do nothing."""
    needed = set(values)
    for value in values:
        identity, action = parse_grant(value)
        needed |= {grant_value(identity, need) for need in grants_needed(action)}
    return needed


class StaffUserAdmin(SuperuserWrites, AdminView, model=StaffUser):
    name = "Staff user"
    category = "Administration"
    icon = "fa-solid fa-user-shield"
    column_list = ["id", "username", "is_active", "is_superuser", "last_login"]
    column_details_list = [
        "id",
        "username",
        "is_active",
        "is_superuser",
        "last_login",
        "created_at",
    ]
    column_searchable_list = ["username"]
    # The password hash is a secret like any other (never shown, exported,
    # searched, bulk edited or audited); its form field takes a new password.
    form_columns = ["username", "password_hash", "is_active", "is_superuser", "groups"]
    field_overrides = {
        "password_hash": {
            # typed as the password, and hashed here (`set_password`), after
            # the password rules that need the username
            "kind": "secret",
            "label": "Password",
            "description": "At least 12 characters, and not the username.",
        },
        # counted up to end the user's sessions (a new password, a
        # deactivation): the audit trail names the change so
        "session_version": {"label": "Sessions ended"},
    }
    # Deactivating ends the user's sessions through an attribute event, which a
    # bulk UPDATE (and its revert) would skip.
    bulk_edit_excluded = ("is_active",)

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        """The form, with the password asked twice (a typo in a password
        field cannot be seen), the second box right after the first; on an
        edit form, empty boxes keep the password."""
        form = await super().scaffold_form(rules)
        request = current_form_request()
        return self.password_asked_twice(form, "password_hash", PASSWORD_AGAIN, request)

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Store what is typed as a password as its hash, never as typed."""
        password = data.pop("password_hash", None)  # the boxes agree (`asked_twice`)
        username = str(data.get("username") or model.username or "")
        if await to_thread.run_sync(self._name_taken, username, model.id):
            raise FormErrors(
                {"username": ["A staff user with this name exists (case is ignored)."]}
            )
        if is_created and not password:
            raise FormErrors({"password_hash": ["A new staff user needs a password."]})
        if password:
            model.username = data.get("username", model.username)
            try:
                set_password(model, password)
            except WeakPassword as error:
                raise FormErrors({"password_hash": [str(error)]}) from error

    def _name_taken(self, username: str, own_id: int | None) -> bool:
        """Names are unique ignoring case, as at login throttling and in
        `createsuperuser`: `Admin` and `admin` would share one failure count.
        A name the column cannot hold (a null character) is no one's: the
        write path refuses it with its reason."""
        with self.session_maker() as session:
            if cannot_hold(StaffUser.__table__.c.username, username, session):
                return False
            return (
                session.scalar(
                    select(StaffUser.id).where(
                        func.lower(StaffUser.username) == username.strip().lower(),
                        StaffUser.id != own_id,
                    )
                )
                is not None
            )


class StaffGroupAdmin(SuperuserWrites, AdminView, model=StaffGroup):
    """Groups and what their members may do, edited as a permission matrix."""

    name = "Staff group"
    category = "Administration"
    icon = "fa-solid fa-users"
    column_list = ["id", "name"]
    column_details_list = ["id", "name", "members", "grants"]
    form_columns = ["name", "members"]

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        matrix = PermissionMatrixField(
            "Permissions",
            rows=permission_rows(self._admin_ref.views),
            validate_choice=True,
            widget=NamedBoxesWidget(),
            description="Every action needs View as well, and Bulk edit needs "
            "Edit: saving ticks them.",
        )
        return type("StaffGroupForm", (form,), {PERMISSIONS: matrix})

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        data = await super().get_form_data_for_edit(obj)
        data[PERMISSIONS] = await to_thread.run_sync(self._grant_values, obj)
        return data

    def _grant_values(self, obj: Any) -> list[str]:
        with self.session_maker() as session:
            grants = session.scalars(
                select(GroupGrant).where(GroupGrant.group_id == obj.id)
            )
            return sorted(grant_value(g.identity, g.action) for g in grants)

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        """Save the ticked boxes as the group's grants (those the matrix offers;
        grants it does not offer, such as wildcards, are kept)."""
        await super().on_model_change(data, model, is_created, request)
        if PERMISSIONS not in data:
            return
        offered = {
            choice.value
            for row in permission_rows(self._admin_ref.views)
            for choice in row.choices
        }
        wanted = with_needed_grants(set(data.pop(PERMISSIONS) or []) & offered)
        wanted &= offered
        have = {grant_value(g.identity, g.action): g for g in model.grants}
        for value, grant in have.items():
            if value in offered and value not in wanted:
                model.grants.remove(grant)
        for value in sorted(wanted - have.keys()):
            identity, action = parse_grant(value)
            model.grants.append(GroupGrant(identity=identity, action=action))

    def _state(self, session: Any, obj: Any) -> dict[str, Any]:
        """The audit trail records the group's grants with its columns."""
        state = super()._state(session, obj)
        state[PERMISSIONS] = sorted(
            grant_value(g.identity, g.action) for g in obj.grants
        )
        return state
