"""A booking names its seat by a foreign key over two columns (the seat's
hall and number, its composite primary key), as a venue's schema does."""

from datetime import date

from sqlalchemy import ForeignKeyConstraint
from sqlmodel import Field, Relationship, SQLModel


class VenueSeat(SQLModel, table=True):
    __tablename__ = "venue_seat"

    hall: str = Field(primary_key=True)
    number: int = Field(primary_key=True)
    bookings: list["VenueBooking"] = Relationship(back_populates="seat")


class VenueBooking(SQLModel, table=True):
    __tablename__ = "venue_booking"
    __table_args__ = (
        ForeignKeyConstraint(
            ["seat_hall", "seat_number"], ["venue_seat.hall", "venue_seat.number"]
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    guest: str
    on: date
    seat_hall: str | None = None
    seat_number: int | None = None
    seat: VenueSeat | None = Relationship(back_populates="bookings")
