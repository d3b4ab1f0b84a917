"""A table with a column of every type the export writes, to check each cell's
format on both databases (see `admin_app/listing/cells.py`)."""

import enum
import uuid
from datetime import date, datetime, time
from decimal import Decimal

from pydantic import NaiveDatetime
from sqlalchemy import JSON, DateTime, LargeBinary, Numeric
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
    # Numeric(20, 8) as sa_type: pydantic 2.0 refuses max_digits on an optional
    # Decimal
    price: Decimal | None = Field(default=None, sa_type=Numeric(20, 8))
    flag: bool | None = None
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    naive_at: NaiveDatetime | None = Field(default=None, sa_type=DateTime)
    aware_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sqlmodel_at: datetime | None = None  # SQLModel's own aware UTC column
    day: date | None = None
    clock: time | None = None
    size: Size | None = None
    mood: Mood | None = None
    data: dict | None = Field(default=None, sa_type=JSON)
    blob: bytes | None = Field(default=None, sa_type=LargeBinary)
