"""A table with a column of every type the export writes, to check each cell's
format on both databases (see `admin_app/listing/cells.py`)."""

import enum
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from pydantic import NaiveDatetime
from sqlalchemy import JSON, DateTime, LargeBinary
from sqlmodel import Field, SQLModel


class Size(enum.IntEnum):
    small = 1
    large = 2


class Mood(enum.StrEnum):
    calm = "calm"
    loud = "=loud"  # a value a spreadsheet would evaluate


class Specimen(SQLModel, table=True):
    __tablename__ = "cells_specimen"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    label: str = Field(default="", max_length=200)
    count: int | None = None
    ratio: float | None = None
    price: Decimal | None = Field(default=None, max_digits=20, decimal_places=8)
    flag: bool | None = None
    naive_at: NaiveDatetime | None = None
    aware_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sqlmodel_at: datetime | None = None  # SQLModel's own aware UTC column
    day: date | None = None
    clock: time | None = None
    size: Size | None = None
    mood: Mood | None = None
    data: dict | None = Field(default=None, sa_type=JSON)
    blob: bytes | None = Field(default=None, sa_type=LargeBinary)
