"""PostgreSQL's own column types, tried as a new user would: every page of a
table holding them, its forms, its export imported back, a changed file and
its revert.

SQLAdmin has no form field for `cidr`, `macaddr8`, ranges, `money`, bit
strings or `tsvector`: every form of such a table was a server error, and an
imported cell of one was handed to the driver as text (a server error for a
range). Such a value is now typed as its text and read by the database."""

import csv
import io
import json
from datetime import date, timedelta
from ipaddress import IPv4Address, IPv4Network

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy import text as text_sql
from sqlalchemy.dialects.postgresql import Range
from sqlmodel import Session
from starlette.testclient import TestClient

from admin_app.listing.indexes import suggest_indexes
from admin_app.writing.audit import AuditEntry
from tests.conftest import login, served_with_keeper
from tests.pages import field_errors, form_values, list_rows, post_form, text
from tests.postgres_types import EXTENSIONS, TypedVenue
from tests.test_list_editing import changed, list_form, row_of
from tests.test_list_editing import save as save_list
from tests.zoo.test_import_queries import statements_run
from tests.zoo.test_import_roundtrip import csv_bytes, import_preview

MODULE = "tests.postgres_types"
EDIT = "/admin/typed-venue/edit/{}"


def values(app, key: int) -> dict:  # type: ignore[no-untyped-def]
    """The row's values as the driver gives them (a `Range`, not a dict)."""
    with Session(app.state.engine) as session:
        row = session.get(TypedVenue, key)
        return {name: getattr(row, name) for name in TypedVenue.model_fields}


def export(client: TestClient) -> list[dict[str, str]]:
    answer = client.get("/admin/typed-venue/export/csv")
    assert answer.status_code == 200
    return list(csv.DictReader(io.StringIO(answer.text)))


def preview(client: TestClient, rows: list[dict[str, str]]) -> dict:
    return import_preview(client, "typed-venue", csv_bytes(list(rows[0]), rows))


def save(client: TestClient, key: int, **changed: str):  # type: ignore[no-untyped-def]
    """The edit form as shown, with `changed` fields typed over."""
    shown = form_values(client.get(EDIT.format(key)).text)
    pairs = [(n, changed.pop(n) if n in changed else v) for n, v in shown]
    assert not changed, f"no such fields: {changed}"
    return post_form(client, EDIT.format(key), pairs)


@pytest.fixture
def site(empty_database_url: str):  # type: ignore[no-untyped-def]
    engine = create_engine(empty_database_url)
    with engine.begin() as connection:  # as the operator has them installed
        for extension in EXTENSIONS:
            connection.execute(text_sql(f"CREATE EXTENSION {extension}"))
    engine.dispose()
    app = served_with_keeper(empty_database_url, MODULE)
    with Session(app.state.engine) as session:
        session.add_all(
            [
                TypedVenue(
                    name="Hall",
                    contact="Desk@Example.org",
                    extras={"floor": "2", "lift": None},
                    aliases=["Big", "hall"],
                    network=IPv4Network("10.0.0.0/8"),
                    device="08:00:2b:01:02:03:04:05",
                    gateway="10.0.0.1",
                    seats=Range(1, 100),
                    season=Range(date(2026, 5, 1), date(2026, 10, 1)),
                    fee="$12.50",
                    features="1010",
                    keywords="'big':1 'hall':2",
                    plan=[[1, 2], [3, 4]],
                    turnaround=timedelta(hours=2),
                ),
                TypedVenue(name="Shed", contact="shed@example.org"),
            ]
        )
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            yield app, client
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_every_page_shows_them_and_a_form_saved_as_shown_changes_nothing(site):
    app, client = site
    for page in ("list", "create", "details/1", "edit/1", "details/2", "edit/2"):
        answer = client.get(f"/admin/typed-venue/{page}")
        assert answer.status_code == 200, (page, answer.text[-300:])
    hall = list_rows(client.get("/admin/typed-venue/list").text)[0]
    assert (hall["Network"], hall["Seats"], hall["Fee"]) == (
        "10.0.0.0/8",
        "[1,100)",
        "$12.50",
    )
    assert (hall["Features"], hall["Turnaround"]) == ("1010", "2:00:00")
    # an email in `citext` is listed and searched as text (it was long text,
    # off the list); `hstore` as the JSON object it is
    assert hall["Contact"] == "Desk@Example.org"
    assert json.loads(hall["Extras"]) == {"floor": "2", "lift": None}
    # psycopg read an array of an extension's type as its text, letter by letter
    assert hall["Aliases"] == '["Big", "hall"]'
    found = list_rows(client.get("/admin/typed-venue/list?search=DESK@").text)
    assert [row["Name"] for row in found] == ["Hall"]
    for key in (1, 2):
        before = values(app, key)
        saved = save(client, key)
        assert saved.status_code == 302, field_errors(saved.text)
        assert values(app, key) == before


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_form_stores_what_the_database_reads_and_refuses_the_rest_by_field(site):
    app, client = site
    saved = save(
        client,
        2,
        network="192.168.0.0/16",
        seats="[5,7]",
        season="empty",
        hours="(,)",
        fee="3.25",
        features="0001",
        keywords="quiet garden",
        plan="[[1], [2]]",
        turnaround="1 day, 0:00:05",
    )
    assert saved.status_code == 302, field_errors(saved.text)
    shed = values(app, 2)
    assert shed["network"] == IPv4Network("192.168.0.0/16")
    assert shed["seats"] == Range(5, 8)  # as PostgreSQL writes it
    assert shed["season"] == Range(empty=True)
    assert (shed["fee"], shed["features"]) == ("$3.25", "0001")
    assert (shed["keywords"], shed["plan"]) == ("'garden' 'quiet'", [[1], [2]])
    assert shed["turnaround"] == timedelta(days=1, seconds=5)
    saved = save(client, 2, extras='{"open": "9-17", "dogs": null}')
    assert saved.status_code == 302, field_errors(saved.text)
    assert values(app, 2)["extras"] == {"open": "9-17", "dogs": None}
    shed = values(app, 2)
    for extras, error in (
        (
            '{"floor": 3}',
            "This field holds a text for each name: write it as {&#34;name",
        ),
        ('{"floor": "a\\u0000b"}', "Null characters are not allowed."),
    ):
        refused = save(client, 2, extras=extras)
        assert refused.status_code == 400
        assert field_errors(refused.text)[0].startswith(error)
    refused = save(client, 2, contact="DESK@example.ORG")  # Hall's, in citext
    assert field_errors(refused.text) == ["Another row already has this contact."]
    assert values(app, 2) == shed
    # an address the driver gives as `IPv4Address`, which the model holds as
    # text: validated as text, not taken for someone else's change
    moved = save(client, 1, gateway="10.0.0.2")
    assert moved.status_code == 302, field_errors(moved.text)
    assert values(app, 1)["gateway"] == IPv4Address("10.0.0.2")
    before = values(app, 1)
    refused = save(
        client,
        1,
        network="300.1.1.1/8",
        seats="[7,5]",
        fee="lots",
        features="12",
        plan="[[1, 2], [3]]",
    )
    assert refused.status_code == 400
    errors = field_errors(refused.text)
    assert "The database cannot read &#39;300.1.1.1/8&#39; as cidr" in errors[0]
    assert "as int4range" in errors[1]
    assert "as money" in errors[2]
    assert "as bit(4)" in errors[3]
    assert errors[4].startswith("Each list inside this one must hold as many items")
    assert values(app, 1) == before


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_export_imports_back_unchanged_and_a_changed_file_is_reverted(site):
    app, client = site
    rows = export(client)
    hall = rows[0]
    assert (hall["seats"], hall["plan"], hall["found_by"]) == (
        "[1,100)",
        "[[1,2],[3,4]]",
        "'hall':1",
    )
    with statements_run(app.state.engine) as seen:
        same = preview(client, rows)
    assert (same["changed"], same["unchanged"], same["errors"]) == (0, 2, [])
    # a cell left as exported is known by its text: no reading by the database
    assert not [statement for statement in seen if "CAST(" in statement]

    before = values(app, 1)
    hall.update(network="10.1.0.0/16", seats="[2,3)", features="0000", plan="[[9]]")
    rows[1].update(network="nope", season="[2026-02-01,2026-01-01)")
    refused = preview(client, rows)
    assert [(e["row"], e["column"]) for e in refused["errors"]] == [
        (3, "network"),
        (3, "season"),
    ]
    assert "as cidr" in refused["errors"][0]["message"]
    assert json.loads(hall["extras"]) == {"floor": "2", "lift": None}
    rows[1].update(network="", season="", device="08:00:2b:01:02:03:04:06")
    rows[1]["extras"] = '{"door": "red"}'
    answer = preview(client, rows)
    assert (answer["changed"], answer["errors"]) == (2, [])
    changes = answer["rows"][0]["changes"]
    assert changes["seats"] == ["[1,100)", "[2,3)"]
    assert changes["network"] == ["10.0.0.0/8", "10.1.0.0/16"]
    assert "gateway" not in changes  # left as exported
    client.post("/admin/typed-venue/import/confirm", data={"token": answer["token"]})
    hall_now = values(app, 1)
    assert (hall_now["seats"], hall_now["plan"]) == (Range(2, 3), [[9]])
    assert values(app, 2)["device"] == "08:00:2b:01:02:03:04:06"
    assert values(app, 2)["extras"] == {"door": "red"}

    with Session(app.state.engine) as session:
        entry = session.scalars(
            select(AuditEntry.id).where(AuditEntry.action == "import")
        ).one()
    reverted = client.post(f"/admin/audit-entry/revert/{entry}", follow_redirects=False)
    assert reverted.status_code == 302
    assert values(app, 1) == before
    assert (values(app, 2)["device"], values(app, 2)["extras"]) == (None, None)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_they_are_edited_on_the_list_as_their_text(site):
    app, client = site
    url = "/admin/typed-venue/list"
    shown = list_form(client.get(url).text)
    hall, shed = row_of(shown, 1), row_of(shown, 2)
    assert (f"row-{hall}-seats", "[1,100)") in shown
    before = [values(app, 1), values(app, 2)]
    assert save_list(client, url, shown).status_code == 302
    assert [values(app, 1), values(app, 2)] == before  # saved as shown

    edited = {f"row_{hall}_seats": "[3,4]", f"row_{shed}_network": "1.2.3.0/24"}
    saved = save_list(client, url, changed(list_form(client.get(url).text), **edited))
    assert saved.status_code == 302
    assert values(app, 1)["seats"] == Range(3, 5)
    assert values(app, 2)["network"] == IPv4Network("1.2.3.0/24")

    before = [values(app, 1), values(app, 2)]
    edited = {f"row_{hall}_seats": "[4,3]", f"row_{shed}_fee": "$2.00"}
    refused = save_list(client, url, changed(list_form(client.get(url).text), **edited))
    assert refused.status_code == 400
    assert "Seats: The database cannot read '[4,3]' as int4range" in text(refused.text)
    assert [values(app, 1), values(app, 2)] == before  # the other row unsaved too


@pytest.mark.parametrize("backend", ["postgresql"])
def test_suggested_indexes_leave_out_what_the_list_reads_as_text(site):
    """`hstore` is sorted and filtered by its text, as JSON and lists are:
    an index on the column would serve neither, and was suggested."""
    app, _client = site
    views = [v for v in app.state.admin.views if hasattr(v, "field_specs")]
    statements = suggest_indexes(views, app.state.engine.dialect)
    assert any(s.startswith("CREATE INDEX") for s in statements)
    for name in ("extras", "aliases", "plan"):
        assert not [s for s in statements if f" ({name}" in s], name
    with app.state.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
