"""Workers are the people tasks are assigned to."""

from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship, SQLModel

if TYPE_CHECKING:
    from models.task import Task, TaskAssignment


class WorkerBase(SQLModel):
    name: str = Field(min_length=1, max_length=120, index=True)
    email: str = Field(max_length=254, unique=True, regex=r"^[^@\s]+@[^@\s]+$")
    active: bool = True
    hired_on: date | None = None


class Worker(WorkerBase, table=True):
    id: int | None = Field(default=None, primary_key=True)

    assigned_tasks: list["Task"] = Relationship(back_populates="assignee")
    assignments: list["TaskAssignment"] = Relationship(
        back_populates="worker", cascade_delete=True
    )


class WorkerCreate(WorkerBase):
    pass


class WorkerUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    email: str | None = Field(default=None, max_length=254)
    active: bool | None = None
    hired_on: date | None = None


class WorkerRead(WorkerBase):
    id: int
