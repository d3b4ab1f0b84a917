"""One table per kind of column the admin claims to serve.

Composite primary keys, IntEnum, StrEnum and a plain Enum, Decimal, float,
a 64-bit integer, JSON, date, time, a duration (`timedelta`), bytes, naive
and aware datetimes, long `Text`, PostgreSQL's arrays and JSONB (declared as
apps tested on SQLite declare them, with a JSON variant there), a UUID that is
not a key, foreign keys without a `Relationship` (nullable and required),
text primary keys holding `%`, `?`, `#`, `/`, spaces and non-ASCII letters,
sizes declared on the database's side only (`sa_type=String(3)`), a
unique index over two columns, and a row as an app's JSON API declares it
(text columns its model validates into a URL, an address, a path, a
secret and enums, and a field its API names in camel case).
"""

import enum
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from pydantic import HttpUrl, SecretStr
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import AutoString, Field, SQLModel


class Level(enum.IntEnum):
    low = 1
    middle = 2
    high = 3


class Colour(enum.StrEnum):
    red = "red"
    green = "green"
    deep_blue = "deep_blue"


class Size(enum.Enum):
    small = "S"
    large = "L"


class ZooShelf(SQLModel, table=True):
    __tablename__ = "zoo_shelf"

    id: int | None = Field(default=None, primary_key=True)
    name: str


class ZooSample(SQLModel, table=True):
    """Every column type, most of them nullable, and a key to a shelf that no
    relationship names."""

    __tablename__ = "zoo_sample"

    id: int | None = Field(default=None, primary_key=True)
    level: Level = Level.middle
    colour: Colour = Colour.red
    size: Size | None = None
    price: Decimal = Field(default=Decimal("0"), max_digits=10, decimal_places=2)
    ratio: float | None = None
    # a 64-bit count: more digits than a spreadsheet keeps of a number
    sightings: int | None = Field(default=None, sa_type=BigInteger)
    payload: dict[str, Any] | list[Any] | None = Field(default=None, sa_type=JSON)
    born_on: date | None = None
    opens_at: time | None = None
    duration: timedelta | None = None
    blob: bytes | None = Field(default=None, sa_type=LargeBinary)
    seen_naive: datetime | None = Field(default=None, sa_type=DateTime())
    seen_aware: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    notes: str | None = Field(default=None, sa_type=Text)
    flag: bool = False
    external_id: uuid.UUID | None = None
    shelf_id: int | None = Field(default=None, foreign_key="zoo_shelf.id")
    tags: list[str] = Field(  # its default is the model's, not the column's
        default_factory=list,
        sa_column=Column(ARRAY(String).with_variant(JSON(), "sqlite"), nullable=False),
    )
    ratings: list[int] | None = Field(
        default=None, sa_type=ARRAY(Integer).with_variant(JSON(), "sqlite")
    )


class ZooCode(SQLModel, table=True):
    """A text key as people type them, and a required key to a shelf without a
    relationship."""

    __tablename__ = "zoo_code"

    code: str = Field(primary_key=True)
    title: str
    shelf_id: int = Field(foreign_key="zoo_shelf.id")


class ZooSeat(SQLModel, table=True):
    """A composite key of text and number, and a holder who books one seat a
    day (a unique index over two columns, declared by the table)."""

    __tablename__ = "zoo_seat"
    __table_args__ = (Index("zoo_seat_holder_day", "holder", "booked_on", unique=True),)

    hall: str = Field(primary_key=True)
    number: int = Field(primary_key=True)
    holder: str | None = None
    booked_on: date | None = None


class ZooEvent(SQLModel, table=True):
    """Columns named as event and log tables name them, which are also the
    names of a form's own attributes (`data`, `meta`, `errors`), and two
    whose size only the database's side declares, as a project that types
    its columns by hand does."""

    __tablename__ = "zoo_event"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    data: str | None = None
    meta: dict[str, Any] | None = Field(
        default=None, sa_type=JSON().with_variant(JSONB(), "postgresql")
    )
    errors: int = 0
    level: str | None = Field(default=None, sa_type=String(3))
    took: Decimal | None = Field(default=None, sa_type=Numeric(5, 2))


class Plan(str, enum.Enum):  # noqa: UP042 (as APIs declared them before StrEnum)
    free = "free"
    team = "team_plan"


class Tier(enum.Enum):
    bronze = "B"
    gold = "G"


class ZooProfile(SQLModel, table=True):
    """A row as an app's JSON API declares it: text columns its model
    validates into richer types (a URL, an address, a path, a secret, an
    enum's value), as FastAPI apps type them, and a field its API names in
    camel case."""

    __tablename__ = "zoo_profile"

    id: int | None = Field(default=None, primary_key=True)
    display_name: str = Field(alias="displayName", max_length=40)
    homepage: HttpUrl | None = Field(default=None, sa_type=AutoString)
    address: IPv4Address | None = Field(default=None, sa_type=AutoString)
    folder: Path | None = Field(default=None, sa_type=AutoString)
    api_key: SecretStr | None = Field(default=None, sa_type=AutoString)
    plan: Plan = Field(default=Plan.free, sa_type=AutoString)
    tier: Tier | None = Field(default=None, sa_type=AutoString)
