"""The full-stack template's users and items, untouched, with a project's
views that keep a person's name and an item's description out of the audit
trail (`audit_hidden`), as a project under a privacy rule does, and let staff
edit the name on the list."""

from admin_app import AdminView
from tests.zoo.fullstack import Item, User

__all__ = ["Item", "User"]


class UserAdmin(AdminView, model=User):
    audit_hidden = ("full_name",)
    list_editable = ["full_name", "is_active"]


class ItemAdmin(AdminView, model=Item):
    audit_hidden = ("description",)
