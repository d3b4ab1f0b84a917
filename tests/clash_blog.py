"""A blog's `Memo`, served beside a shop's (`tests.clash_shop`) of the same name."""

from sqlmodel import Field, SQLModel


class Memo(SQLModel, table=True):
    __tablename__ = "blog_memo"

    id: int | None = Field(default=None, primary_key=True)
    title: str
