"""An app on PostgreSQL alone whose columns are PostgreSQL's own types, as a
booking system declares them: a network (`cidr`), a hardware address
(`macaddr8`), an address the app holds as text (`inet`), ranges of numbers,
dates and times, a price in `money`, a bit string, a search document kept
by the app (`tsvector`) and one the database computes, a seating plan as an
array of arrays, a duration declared as PostgreSQL's `INTERVAL`, and the
types of two extensions: an email in case-insensitive text (`citext`), a
list of such texts, and texts by name (`hstore`)."""

from datetime import timedelta
from ipaddress import IPv4Network, IPv6Network
from typing import Any

from sqlalchemy import Column, Computed, Integer
from sqlalchemy.dialects.postgresql import (
    ARRAY,
    BIT,
    CIDR,
    CITEXT,
    DATERANGE,
    HSTORE,
    INET,
    INT4RANGE,
    INTERVAL,
    MACADDR8,
    MONEY,
    TSTZRANGE,
    TSVECTOR,
)
from sqlmodel import Field, SQLModel

from admin_app import AdminView

EXTENSIONS = ("citext", "hstore")  # installed on the database before the tables


class TypedVenue(SQLModel, table=True):
    __tablename__ = "typed_venue"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    # PostgreSQL's extensions: case-insensitive text, and texts by name
    contact: str | None = Field(default=None, sa_column=Column(CITEXT, unique=True))
    extras: dict[str, str | None] | None = Field(default=None, sa_column=Column(HSTORE))
    aliases: list[str] | None = Field(default=None, sa_column=Column(ARRAY(CITEXT)))
    network: IPv4Network | IPv6Network | None = Field(
        default=None, sa_column=Column(CIDR)
    )
    device: str | None = Field(default=None, sa_column=Column(MACADDR8))
    # the driver gives an `IPv4Address`; the app writes and reads text
    gateway: str | None = Field(default=None, sa_column=Column(INET))
    seats: Any = Field(default=None, sa_column=Column(INT4RANGE))
    season: Any = Field(default=None, sa_column=Column(DATERANGE))
    hours: Any = Field(default=None, sa_column=Column(TSTZRANGE))
    fee: str | None = Field(default=None, sa_column=Column(MONEY))
    features: str | None = Field(default=None, sa_column=Column(BIT(4)))
    keywords: str | None = Field(default=None, sa_column=Column(TSVECTOR))
    found_by: str | None = Field(
        default=None,
        sa_column=Column(
            TSVECTOR, Computed("to_tsvector('simple', name)", persisted=True)
        ),
    )
    plan: list[list[int]] | None = Field(
        default=None, sa_column=Column(ARRAY(Integer, dimensions=2))
    )
    turnaround: timedelta | None = Field(default=None, sa_column=Column(INTERVAL))


class TypedVenueAdmin(AdminView, model=TypedVenue):
    """Its network, seats, gateway and fee edited on the list too."""

    list_editable = ["network", "seats", "gateway", "fee"]
