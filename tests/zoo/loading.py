"""A library as an async FastAPI app declares it: relationships load eagerly
(`lazy="selectin"`, `lazy="joined"`), since an async session cannot load an
attribute on first touch, and the one a page must never load by accident
refuses to (`lazy="raise"`)."""

from datetime import date

from sqlmodel import Field, Relationship, SQLModel


class LoadShelfBook(SQLModel, table=True):
    __tablename__ = "load_shelf_book"

    shelf_id: int = Field(foreign_key="load_shelf.id", primary_key=True)
    book_id: int = Field(foreign_key="load_book.id", primary_key=True)


class LoadAuthor(SQLModel, table=True):
    __tablename__ = "load_author"

    id: int | None = Field(default=None, primary_key=True)
    name: str

    books: list["LoadBook"] = Relationship(
        back_populates="author", sa_relationship_kwargs={"lazy": "raise"}
    )


class LoadShelf(SQLModel, table=True):
    __tablename__ = "load_shelf"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)

    books: list["LoadBook"] = Relationship(
        back_populates="shelves",
        link_model=LoadShelfBook,
        sa_relationship_kwargs={"lazy": "selectin"},
    )


class LoadBook(SQLModel, table=True):
    __tablename__ = "load_book"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    pages: int | None = None
    published_on: date | None = None
    author_id: int | None = Field(default=None, foreign_key="load_author.id")

    author: LoadAuthor | None = Relationship(
        back_populates="books", sa_relationship_kwargs={"lazy": "joined"}
    )
    shelves: list[LoadShelf] = Relationship(
        back_populates="books",
        link_model=LoadShelfBook,
        sa_relationship_kwargs={"lazy": "raise"},
    )
