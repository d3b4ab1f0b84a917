"""The shipped example domain: a small project tracker.

Importing this package registers every table on `SQLModel.metadata`, which is
what the admin's registry and Alembic read.
"""

from models.project import Project, ProjectCreate, ProjectRead, ProjectUpdate
from models.tag import Tag, TagCreate, TagRead, TagUpdate, TaskTagLink
from models.task import (
    AssignmentRole,
    Task,
    TaskAssignment,
    TaskAssignmentCreate,
    TaskAssignmentRead,
    TaskAssignmentUpdate,
    TaskCreate,
    TaskPriority,
    TaskRead,
    TaskStatus,
    TaskUpdate,
)
from models.worker import Worker, WorkerCreate, WorkerRead, WorkerUpdate

__all__ = [
    "AssignmentRole",
    "Project",
    "ProjectCreate",
    "ProjectRead",
    "ProjectUpdate",
    "Tag",
    "TagCreate",
    "TagRead",
    "TagUpdate",
    "Task",
    "TaskAssignment",
    "TaskAssignmentCreate",
    "TaskAssignmentRead",
    "TaskAssignmentUpdate",
    "TaskCreate",
    "TaskPriority",
    "TaskRead",
    "TaskStatus",
    "TaskTagLink",
    "TaskUpdate",
    "Worker",
    "WorkerCreate",
    "WorkerRead",
    "WorkerUpdate",
]
