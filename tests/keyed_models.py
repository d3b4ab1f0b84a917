"""Tables whose keys are not plain integers, for the key and URL tests.

Users and items with UUID keys as the FastAPI full-stack template declares them
(an item's owner a UUID foreign key with ON DELETE CASCADE); notes keyed by
text that needs escaping in a URL (`%`, `?`, `#`, `/`, space, non-ASCII);
pairs with a composite text key (parts holding `;` and `,`); rates keyed by a
date and a decimal.
"""

import uuid
from datetime import date
from decimal import Decimal

from sqlmodel import Field, Relationship, SQLModel


class KeyedUser(SQLModel, table=True):
    __tablename__ = "keyed_user"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=255)
    full_name: str | None = Field(default=None, max_length=255)

    owned: list["KeyedItem"] = Relationship(back_populates="owner", cascade_delete=True)


class KeyedItem(SQLModel, table=True):
    __tablename__ = "keyed_item"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    title: str = Field(min_length=1, max_length=255)
    description: str | None = Field(default=None, max_length=255)
    owner_id: uuid.UUID = Field(
        foreign_key="keyed_user.id", nullable=False, ondelete="CASCADE"
    )

    owner: KeyedUser | None = Relationship(back_populates="owned")


class OddKeyNote(SQLModel, table=True):
    """A note keyed by any text a user types, as a wiki page name."""

    __tablename__ = "odd_key_note"

    code: str = Field(primary_key=True, max_length=100)
    body: str = Field(default="", max_length=200)


class OddKeyPair(SQLModel, table=True):
    """Two text parts make the key."""

    __tablename__ = "odd_key_pair"

    left: str = Field(primary_key=True, max_length=100)
    right: str = Field(primary_key=True, max_length=100)
    note: str = Field(default="", max_length=200)


class KeyedRate(SQLModel, table=True):
    """A rate per day and band: a date and a decimal make the key."""

    __tablename__ = "keyed_rate"

    day: date = Field(primary_key=True)
    band: Decimal = Field(primary_key=True, max_digits=6, decimal_places=2)
    percent: int = 0


class KeyedBlob(SQLModel, table=True):
    """An integer key with UUID and bytes columns: their old values in a bulk
    edit's audit entry are written by the database (`oldvalues`)."""

    __tablename__ = "keyed_blob"

    id: int | None = Field(default=None, primary_key=True)
    ref: uuid.UUID | None = None
    blob: bytes | None = None
    label: str = Field(default="", max_length=50)
