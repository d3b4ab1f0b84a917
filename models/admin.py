"""The shipped domain's own admin pages: overrides of the generated views.

The registry finds this module beside `models` the way Django finds `admin.py`.
"""

from datetime import date

from sqlalchemy import and_, exists, select

from admin_app import AdminView
from admin_app.listing.filters import SimpleListFilter
from models.project import Project
from models.task import Task, TaskAssignment, TaskStatus


class OverdueFilter(SimpleListFilter):
    title = "Overdue"
    parameter_name = "overdue"
    choices = {
        "yes": (
            "Overdue",
            lambda: and_(Task.due_date < date.today(), Task.status != TaskStatus.done),
        ),
        "no": (
            "Not overdue",
            lambda: (
                ~and_(Task.due_date < date.today(), Task.status != TaskStatus.done)
                | Task.due_date.is_(None)
            ),
        ),
    }


class UnassignedFilter(SimpleListFilter):
    title = "Assignment"
    parameter_name = "unassigned"
    choices = {
        "yes": (
            "Nobody assigned",
            lambda: and_(
                Task.assignee_id.is_(None),
                ~exists().where(TaskAssignment.task_id == Task.id),
            ),
        ),
    }


class OpenTasksFilter(SimpleListFilter):
    title = "Open tasks"
    parameter_name = "open_tasks"
    choices = {
        "yes": (
            "Has open tasks",
            lambda: exists(
                select(Task.id).where(
                    Task.project_id == Project.id, Task.status != TaskStatus.done
                )
            ),
        ),
        "no": (
            "No open tasks",
            lambda: (
                ~exists(
                    select(Task.id).where(
                        Task.project_id == Project.id, Task.status != TaskStatus.done
                    )
                )
            ),
        ),
    }


class TaskAdmin(AdminView, model=Task):
    extra_filters = [OverdueFilter, UnassignedFilter]
    column_default_sort = [("id", True)]
    list_editable = ["status", "priority", "assignee", "due_date"]


class ProjectAdmin(AdminView, model=Project):
    extra_filters = [OpenTasksFilter]
