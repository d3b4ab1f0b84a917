"""Tasks: the rows staff spend their day on, and their assignments to workers."""

import enum
from datetime import date
from typing import Optional

from pydantic import NaiveDatetime
from sqlalchemy import CheckConstraint, DateTime
from sqlmodel import Field, Relationship, SQLModel

from models.project import Project
from models.tag import Tag, TaskTagLink
from models.validation import NaiveUTCDateTime, OptionalForeignKey, utcnow
from models.worker import Worker


class TaskStatus(enum.StrEnum):
    todo = "todo"
    in_progress = "in_progress"
    blocked = "blocked"
    done = "done"


class TaskPriority(enum.StrEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"


class TaskBase(SQLModel):
    title: str = Field(min_length=1, max_length=200, index=True)
    description: str | None = Field(default=None, max_length=5000)
    status: TaskStatus = Field(default=TaskStatus.todo, index=True)
    priority: TaskPriority = Field(default=TaskPriority.normal)
    progress: int = Field(default=0, ge=0, le=100)
    due_date: date | None = Field(default=None, index=True)
    project_id: int | None = Field(
        default=None, foreign_key="project.id", index=True, ondelete="SET NULL"
    )
    assignee_id: int | None = Field(
        default=None, foreign_key="worker.id", index=True, ondelete="SET NULL"
    )
    parent_id: int | None = Field(
        default=None, foreign_key="task.id", index=True, ondelete="SET NULL"
    )


class Task(TaskBase, table=True):
    __table_args__ = (
        CheckConstraint(
            "progress >= 0 AND progress <= 100", name="ck_task_progress_range"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    created_at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime)

    project: Project | None = Relationship(back_populates="tasks")
    assignee: Worker | None = Relationship(back_populates="assigned_tasks")
    parent: Optional["Task"] = Relationship(
        back_populates="subtasks",
        sa_relationship_kwargs={"remote_side": "Task.id"},
    )
    subtasks: list["Task"] = Relationship(back_populates="parent")
    assignments: list["TaskAssignment"] = Relationship(
        back_populates="task", cascade_delete=True
    )
    tags: list[Tag] = Relationship(back_populates="tasks", link_model=TaskTagLink)


class TaskCreate(TaskBase):
    project_id: OptionalForeignKey = None
    assignee_id: OptionalForeignKey = None
    parent_id: OptionalForeignKey = None


class TaskUpdate(SQLModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    status: TaskStatus | None = None
    priority: TaskPriority | None = None
    progress: int | None = Field(default=None, ge=0, le=100)
    due_date: date | None = None
    project_id: OptionalForeignKey = None
    assignee_id: OptionalForeignKey = None
    parent_id: OptionalForeignKey = None


class TaskRead(TaskBase):
    id: int
    created_at: NaiveDatetime


class AssignmentRole(enum.StrEnum):
    owner = "owner"
    contributor = "contributor"
    reviewer = "reviewer"


class TaskAssignmentBase(SQLModel):
    role: AssignmentRole = Field(default=AssignmentRole.contributor)
    assigned_at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime)


class TaskAssignment(TaskAssignmentBase, table=True):
    """A many-to-many link that carries data of its own: the worker's role."""

    __tablename__ = "task_assignment"

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    worker_id: int = Field(
        foreign_key="worker.id", primary_key=True, ondelete="CASCADE", index=True
    )

    task: Task = Relationship(back_populates="assignments")
    worker: Worker = Relationship(back_populates="assignments")


class TaskAssignmentCreate(TaskAssignmentBase):
    task_id: int
    worker_id: int
    assigned_at: NaiveUTCDateTime | None = None


class TaskAssignmentUpdate(SQLModel):
    role: AssignmentRole | None = None
    assigned_at: NaiveUTCDateTime | None = None


class TaskAssignmentRead(TaskAssignmentBase):
    task_id: int
    worker_id: int
