"""A Django-style admin site for SQLModel applications.

`create_app()` is the one public entry point; `AdminView` is the base class a
project subclasses to override the generated view of one of its tables.
"""

from admin_app.app import create_app
from admin_app.site.views import AdminView

__all__ = ["AdminView", "create_app"]
