"""A foreign key over two columns, tried as a new user would: the database
refused a booking whose hall and seat number named no seat, and the import
said only "The change conflicts with other data", naming no column. The
write path now looks for the row the two values name, as it does for a key
of one column, on both databases."""

import csv
import io
from datetime import date

from sqlmodel import Session, select
from starlette.testclient import TestClient

from tests.composite_keys import VenueBooking, VenueSeat
from tests.conftest import login, served_with_keeper
from tests.pages import form_values, list_rows, post_form, referring_sections
from tests.zoo.test_import_roundtrip import csv_bytes

MODULE = "tests.composite_keys"
JSON = {"Accept": "application/json"}


def seats(app) -> list[tuple[str, str | None, int | None]]:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        rows = session.exec(select(VenueBooking).order_by(VenueBooking.id))
        return [(b.guest, b.seat_hall, b.seat_number) for b in rows]


def test_a_booking_names_its_seat_by_two_columns(empty_database_url: str) -> None:
    app = served_with_keeper(empty_database_url, MODULE)
    with Session(app.state.engine) as session:
        session.add_all(
            [VenueSeat(hall="A", number=1), VenueSeat(hall="B; x", number=1)]
        )
        session.flush()
        session.add(
            VenueBooking(guest="Ann", on=date(2026, 1, 1), seat_hall="A", seat_number=1)
        )
        session.add(VenueBooking(guest="Bob", on=date(2026, 1, 2)))
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            listed = list_rows(client.get("/admin/venue-booking/list").text)
            assert [row["Seat"] for row in listed] == ["Venue seat #A,1", ""]
            # chosen on the form, by the key whose hall holds the separator
            url = "/admin/venue-booking/edit/2"
            shown = form_values(client.get(url).text)
            chosen = [(n, "B\\; x;1" if n == "seat" else v) for n, v in shown]
            assert post_form(client, url, chosen).status_code == 302
            assert seats(app) == [("Ann", "A", 1), ("Bob", "B; x", 1)]

            exported = client.get("/admin/venue-booking/export/csv").text
            rows = list(csv.DictReader(io.StringIO(exported)))
            rows[0]["seat_number"] = "9"  # hall A has no seat 9
            files = {"file": ("b.csv", csv_bytes(list(rows[0]), rows))}
            answer = client.post(
                "/admin/venue-booking/import", files=files, headers=JSON
            ).json()
            assert answer["errors"] == [
                {
                    "row": 2,
                    "column": "seat_hall",
                    "message": "Choose a valid option: that row does not exist.",
                }
            ]
            rows[0]["seat_hall"], rows[0]["seat_number"] = "B; x", "1"
            files = {"file": ("b.csv", csv_bytes(list(rows[0]), rows))}
            answer = client.post(
                "/admin/venue-booking/import", files=files, headers=JSON
            ).json()
            assert (answer["changed"], answer["errors"]) == (1, [])
            client.post(
                "/admin/venue-booking/import/confirm", data={"token": answer["token"]}
            )
            assert seats(app) == [("Ann", "B; x", 1), ("Bob", "B; x", 1)]
    finally:
        app.state.engine.dispose()


def test_a_seats_page_lists_the_bookings_that_name_it(empty_database_url: str) -> None:
    """Rows pointing here by two columns are listed on the seat's page; the
    list has no filter over the pair, so no link to it is offered."""
    app = served_with_keeper(empty_database_url, MODULE)
    with Session(app.state.engine) as session:
        session.add_all([VenueSeat(hall="A", number=1), VenueSeat(hall="A", number=2)])
        session.flush()
        session.add_all(
            VenueBooking(guest=g, on=date(2026, 1, n), seat_hall="A", seat_number=1)
            for n, g in enumerate(("Ann", "Bob"), start=1)
        )
        session.add(VenueBooking(guest="Cy", on=date(2026, 1, 3), seat_hall="A"))
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            shown = referring_sections(client.get("/admin/venue-seat/details/A;1").text)
            section = shown["venue_booking-seat_hall-seat_number"]
            assert (section["title"], section["count"]) == ("Bookings", "2")
            assert section["rows"] == [
                (
                    f"Venue booking #{n}",
                    f"http://testserver/admin/venue-booking/details/{n}",
                )
                for n in (1, 2)
            ]
            assert section["list"] is None
            other = referring_sections(client.get("/admin/venue-seat/details/A;2").text)
            section = other["venue_booking-seat_hall-seat_number"]
            assert (section["count"], section["rows"], section["none"]) == (
                "0",
                [],
                True,
            )
    finally:
        app.state.engine.dispose()
