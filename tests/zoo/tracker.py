"""A task tracker as a popular SQLModel guide writes it.

`Literal` statuses and roles stored as strings (`sa_type=String`), workers
keyed by their handle (`@claude-code`), an `Assignment` link with a `role` and
an `assigned_at` declared both ways (`TrackerTask.workers` through
`link_model=` and the link's own relationships, with the `overlaps=` that
SQLAlchemy asks for), a plain many-to-many of labels, subtasks through a
self-referential `parent_id` (with a `@model_validator` keeping a task from
being its own parent), and a task's checklist as kanban tools keep
theirs, its columns named as they name them: `sort` (its place), `page` (of
the spec it comes from) and `select` (picked for the review), which are also
the names of the list page's own parameters.

The guide calls them Task, Worker, Assignment and Label; they are prefixed
here because the shipped demo already has a `Task` and a `task` table.
"""

from datetime import UTC, date, datetime
from typing import Literal, Optional

from pydantic import model_validator
from sqlalchemy import String, Text
from sqlmodel import Field, Relationship, SQLModel

Status = Literal["todo", "doing", "review", "done"]
Role = Literal["owner", "reviewer", "helper"]


def now() -> datetime:
    return datetime.now(UTC)


class TrackerTaskLabel(SQLModel, table=True):
    __tablename__ = "tracker_task_label"

    task_id: int = Field(foreign_key="tracker_task.id", primary_key=True)
    label_id: int = Field(foreign_key="tracker_label.id", primary_key=True)


class TrackerAssignment(SQLModel, table=True):
    __tablename__ = "tracker_assignment"

    task_id: int = Field(foreign_key="tracker_task.id", primary_key=True)
    worker_id: str = Field(foreign_key="tracker_worker.id", primary_key=True)
    role: Role = Field(default="owner", sa_type=String)
    assigned_at: datetime = Field(default_factory=now)

    task: "TrackerTask" = Relationship(
        back_populates="assignments", sa_relationship_kwargs={"overlaps": "workers"}
    )
    worker: "TrackerWorker" = Relationship(
        back_populates="assignments", sa_relationship_kwargs={"overlaps": "tasks"}
    )


class TrackerLabel(SQLModel, table=True):
    __tablename__ = "tracker_label"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)

    tasks: list["TrackerTask"] = Relationship(
        back_populates="labels", link_model=TrackerTaskLabel
    )


class TrackerWorker(SQLModel, table=True):
    __tablename__ = "tracker_worker"

    id: str = Field(primary_key=True)  # the handle: "@claude-code"
    name: str
    kind: Literal["human", "agent"] = Field(default="human", sa_type=String)

    tasks: list["TrackerTask"] = Relationship(
        back_populates="workers",
        link_model=TrackerAssignment,
        sa_relationship_kwargs={"overlaps": "assignments,task,worker"},
    )
    assignments: list[TrackerAssignment] = Relationship(
        back_populates="worker", sa_relationship_kwargs={"overlaps": "tasks"}
    )


class TrackerTask(SQLModel, table=True):
    __tablename__ = "tracker_task"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    description: str | None = Field(default=None, sa_type=Text)
    status: Status = Field(default="todo", sa_type=String, index=True)
    priority: int = Field(default=3, ge=1, le=5)
    due_on: date | None = None
    parent_id: int | None = Field(default=None, foreign_key="tracker_task.id")

    parent: Optional["TrackerTask"] = Relationship(
        back_populates="subtasks",
        sa_relationship_kwargs={"remote_side": "TrackerTask.id"},
    )
    subtasks: list["TrackerTask"] = Relationship(back_populates="parent")
    workers: list[TrackerWorker] = Relationship(
        back_populates="tasks",
        link_model=TrackerAssignment,
        sa_relationship_kwargs={"overlaps": "assignments,task,worker"},
    )
    assignments: list[TrackerAssignment] = Relationship(
        back_populates="task", sa_relationship_kwargs={"overlaps": "workers"}
    )
    labels: list[TrackerLabel] = Relationship(
        back_populates="tasks", link_model=TrackerTaskLabel
    )

    @model_validator(mode="after")
    def not_its_own_subtask(self) -> "TrackerTask":
        """The guide's rule across two fields: a task is not its own parent."""
        if self.id is not None and self.parent_id == self.id:
            raise ValueError("A task cannot be its own parent.")
        return self


class TrackerStep(SQLModel, table=True):
    """One item of a task's checklist."""

    __tablename__ = "tracker_step"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    task_id: int = Field(foreign_key="tracker_task.id")
    sort: int = 0
    page: int | None = None
    select: bool = False
