"""A second models module, unlike the shipped one, to show nothing is specific to it.

It uses SQLModel's default timezone-aware datetime column, a `__admin_label__`,
a table with no label column, a string primary key and a project override in
`admin.py` beside it.
"""

from datetime import datetime
from decimal import Decimal

from pydantic import model_validator
from sqlmodel import Field, Relationship, SQLModel


class Author(SQLModel, table=True):
    __tablename__ = "library_author"

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)

    books: list["Book"] = Relationship(back_populates="author")
    contributions: list["Contribution"] = Relationship(back_populates="author")

    @property
    def __admin_label__(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class BookGenre(SQLModel, table=True):
    __tablename__ = "library_book_genre"

    book_id: int = Field(foreign_key="library_book.id", primary_key=True)
    genre_code: str = Field(foreign_key="library_genre.code", primary_key=True)


class Genre(SQLModel, table=True):
    __tablename__ = "library_genre"

    code: str = Field(primary_key=True, max_length=20)
    description: str | None = Field(default=None, max_length=200)

    books: list["Book"] = Relationship(back_populates="genres", link_model=BookGenre)


class Book(SQLModel, table=True):
    __tablename__ = "library_book"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    isbn: str = Field(max_length=17, unique=True)
    price: Decimal = Field(default=Decimal("0"), max_digits=8, decimal_places=2, ge=0)
    published_at: datetime | None = None  # SQLModel's aware UTC column
    author_id: int | None = Field(default=None, foreign_key="library_author.id")

    author: Author | None = Relationship(back_populates="books")
    genres: list[Genre] = Relationship(back_populates="books", link_model=BookGenre)
    contributions: list["Contribution"] = Relationship(back_populates="book")


class Shelf(SQLModel, table=True):
    __tablename__ = "library_shelf"

    id: int | None = Field(default=None, primary_key=True)
    floor: int = 0


class Contribution(SQLModel, table=True):
    """A link with a NOT NULL column of its own and no default: who wrote what."""

    __tablename__ = "library_contribution"

    book_id: int = Field(foreign_key="library_book.id", primary_key=True)
    author_id: int = Field(foreign_key="library_author.id", primary_key=True)
    role: str = Field(min_length=1, max_length=40)
    position: int = Field(default=1, ge=1)

    book: Book = Relationship(back_populates="contributions")
    author: Author = Relationship(back_populates="contributions")

    @model_validator(mode="after")
    def ghostwriters_come_after_authors(self) -> "Contribution":
        """A rule across two fields, of the link row as a whole."""
        if self.role == "ghostwriter" and self.position == 1:
            raise ValueError("A ghostwriter is not named first.")
        return self
