"""The full-stack template's tables with a project's own save hook on items:
`on_model_change` reads the submitted title and sets a column the form does
not show, as projects stamp a slug or a summary."""

from typing import Any

from starlette.requests import Request

from admin_app import AdminView
from tests.zoo.fullstack import Item, User

__all__ = ["User"]


class ItemAdmin(AdminView, model=Item):
    async def on_model_change(
        self, data: dict[str, Any], model: Any, is_created: bool, request: Request
    ) -> None:
        await super().on_model_change(data, model, is_created, request)
        model.description = f"Saved as {data['title']}"
