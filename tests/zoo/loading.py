"""A library as an async FastAPI app declares it: relationships load eagerly
(`lazy="selectin"`, `lazy="joined"`: an author's books, a book's publisher),
since an async session cannot load an attribute on first touch, and those a
page must never load by accident refuse to (`lazy="raise"`: a book's author
and shelves)."""

from datetime import date

from sqlmodel import Field, Relationship, SQLModel


class LoadShelfBook(SQLModel, table=True):
    __tablename__ = "load_shelf_book"

    shelf_id: int = Field(foreign_key="load_shelf.id", primary_key=True)
    book_id: int = Field(foreign_key="load_book.id", primary_key=True)


class LoadPublisher(SQLModel, table=True):
    __tablename__ = "load_publisher"

    id: int | None = Field(default=None, primary_key=True)
    name: str


class LoadAuthor(SQLModel, table=True):
    __tablename__ = "load_author"

    id: int | None = Field(default=None, primary_key=True)
    name: str

    books: list["LoadBook"] = Relationship(
        back_populates="author", sa_relationship_kwargs={"lazy": "joined"}
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
    publisher_id: int | None = Field(default=None, foreign_key="load_publisher.id")

    author: LoadAuthor | None = Relationship(
        back_populates="books", sa_relationship_kwargs={"lazy": "raise"}
    )
    publisher: LoadPublisher | None = Relationship(
        sa_relationship_kwargs={"lazy": "joined"}
    )
    shelves: list[LoadShelf] = Relationship(
        back_populates="books",
        link_model=LoadShelfBook,
        sa_relationship_kwargs={"lazy": "raise"},
    )
