"""The project's own view for books, found beside its models like Django's admin.py."""

from admin_app import AdminView
from tests.other_models import Book


class BookAdmin(AdminView, model=Book):
    name = "Publication"
    column_list = ["title", "author", "price"]
    column_searchable_list = ["title", "isbn"]
