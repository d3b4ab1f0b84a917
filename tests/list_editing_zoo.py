"""Zoo tables served with list editing: other people's models, untouched, with
a project's views naming `list_editable` (as `models/admin.py` does for Task)."""

from sqlalchemy import Select
from starlette.requests import Request

from admin_app import AdminView
from tests.zoo.fullstack import Item, User
from tests.zoo.heroes import Hero, HeroTeamLink, Team
from tests.zoo.legacy import LegacyProduct, LegacySupplier
from tests.zoo.tracker import (
    TrackerAssignment,
    TrackerLabel,
    TrackerStep,
    TrackerTask,
    TrackerTaskLabel,
    TrackerWorker,
)

__all__ = [
    "HeroTeamLink",
    "Item",
    "LegacySupplier",
    "Team",
    "TrackerAssignment",
    "TrackerLabel",
    "TrackerStep",
    "TrackerTaskLabel",
    "TrackerWorker",
    "User",
]


class HeroAdmin(AdminView, model=Hero):
    """Black Lion's row is kept as it is (a project's per-row check)."""

    list_editable = ["name", "age", "team"]

    async def check_can_edit(self, request: Request, obj: Hero) -> bool:
        return obj.name != "Black Lion" and await super().check_can_edit(request, obj)


class UserAdmin(AdminView, model=User):
    list_editable = ["email", "full_name", "is_active"]


class ItemAdmin(AdminView, model=Item):
    list_editable = ["title", "owner"]


class TrackerTaskAdmin(AdminView, model=TrackerTask):
    """Staff see (and edit) open tasks only."""

    list_editable = ["status", "priority", "due_on", "parent"]

    def list_query(self, request: Request) -> Select:
        return super().list_query(request).where(TrackerTask.status != "done")


class LegacyProductAdmin(AdminView, model=LegacyProduct):
    """Columns named apart from their attributes, one the database computes."""

    list_editable = ["code", "unit_price", "quantity", "supplier"]
