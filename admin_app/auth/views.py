"""The admin page for staff accounts: never shows a hash, hashes what is typed."""

from typing import Any

from starlette.requests import Request
from wtforms import Form, PasswordField, validators

from admin_app.auth.accounts import set_password
from admin_app.auth.models import StaffUser
from admin_app.auth.passwords import WeakPassword
from admin_app.views import AdminView
from admin_app.writes import FormErrors


class StaffUserAdmin(AdminView, model=StaffUser):
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
    form_columns = ["username", "is_active", "is_superuser"]
    audit_hidden = ("password_hash",)

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        form = await super().scaffold_form(rules)
        password = PasswordField(
            "Password",
            validators=[validators.Optional()],
            description="At least 12 characters. Leave empty to keep the current one.",
            render_kw={"autocomplete": "new-password"},
        )
        return type("StaffUserForm", (form,), {"new_password": password})

    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        password = data.pop("new_password", None)
        if is_created and not password:
            raise FormErrors({"new_password": ["A new staff user needs a password."]})
        if password:
            model.username = data.get("username", model.username)
            try:
                set_password(model, password)
            except WeakPassword as error:
                raise FormErrors({"new_password": [str(error)]}) from error
