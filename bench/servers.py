"""The two apps the benchmark serves: ours, and plain SQLAdmin 0.32 set up by hand.

Both read BENCH_DATABASE_URL and serve the same shipped tables.
"""

import os

from sqladmin import Admin, ModelView
from starlette.applications import Starlette

from admin_app import create_app
from admin_app.db import make_engine


def ours() -> Starlette:
    return create_app(
        os.environ["BENCH_DATABASE_URL"], "models", "bench-secret-key" * 3
    )


def plain() -> Starlette:
    """SQLAdmin as its documentation sets it up: a ModelView per table, no
    extras (the project's page shows its tasks, as SQLAdmin's details do)."""
    from models import Project, Task

    class TaskAdmin(ModelView, model=Task):
        column_list = [
            Task.id,
            Task.title,
            Task.status,
            Task.priority,
            Task.progress,
            Task.due_date,
            Task.project,
            Task.assignee,
            Task.parent,
            Task.created_at,
        ]
        column_searchable_list = [Task.title]
        column_sortable_list = [Task.id, Task.title, Task.progress]

    app = Starlette()
    admin = Admin(app, make_engine(os.environ["BENCH_DATABASE_URL"]))
    admin.add_view(TaskAdmin)

    class ProjectAdmin(ModelView, model=Project):
        pass

    admin.add_view(ProjectAdmin)
    return app
