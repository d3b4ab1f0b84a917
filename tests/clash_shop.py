"""A shop's `Memo`, served beside a blog's (`tests.clash_blog`) of the same name."""

from sqlmodel import Field, SQLModel


class Memo(SQLModel, table=True):
    __tablename__ = "shop_memo"

    id: int | None = Field(default=None, primary_key=True)
    note: str
