"""Tags label tasks through a plain link table."""

from typing import TYPE_CHECKING

from sqlmodel import Field, Relationship, SQLModel

if TYPE_CHECKING:
    from models.task import Task


class TaskTagLink(SQLModel, table=True):
    """A plain many-to-many link: only the two keys."""

    __tablename__ = "task_tag_link"

    task_id: int = Field(foreign_key="task.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(
        foreign_key="tag.id", primary_key=True, ondelete="CASCADE", index=True
    )


class TagBase(SQLModel):
    name: str = Field(min_length=1, max_length=50, unique=True)
    color: str | None = Field(default=None, max_length=7, regex=r"^#[0-9a-fA-F]{6}$")


class Tag(TagBase, table=True):
    id: int | None = Field(default=None, primary_key=True)

    tasks: list["Task"] = Relationship(back_populates="tags", link_model=TaskTagLink)


class TagCreate(TagBase):
    pass


class TagUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    color: str | None = Field(default=None, max_length=7)


class TagRead(TagBase):
    id: int
