"""Projects group tasks."""

from typing import TYPE_CHECKING

from pydantic import NaiveDatetime
from sqlalchemy import DateTime
from sqlmodel import Field, Relationship, SQLModel

from models.validation import NaiveUTCDateTime, utcnow

if TYPE_CHECKING:
    from models.task import Task


class ProjectBase(SQLModel):
    name: str = Field(min_length=1, max_length=120, unique=True)
    description: str | None = Field(default=None, max_length=2000)
    archived: bool = False


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    created_at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime)

    tasks: list["Task"] = Relationship(back_populates="project")


class ProjectCreate(ProjectBase):
    created_at: NaiveUTCDateTime | None = None


class ProjectUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    archived: bool | None = None


class ProjectRead(ProjectBase):
    id: int
    created_at: NaiveDatetime
