"""Keys that are not small integers, in every place a key goes, on both databases.

A staff user creates, edits, selects, exports, bulk edits, reverts and deletes
rows keyed by UUIDs, by text holding `%`, `?`, `#`, `/`, spaces and accents,
by pairs of such texts, and by a date and a decimal; every link the pages
write leads to the row it names, and every audit entry holds the row's one
canonical key, so that the row's history finds it. Keys written any other
way name no row.
"""

import csv
import html
import io
import re
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

import httpx2 as httpx
import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.writing.audit import AuditEntry
from tests.conftest import (
    add_staff,
    login,
    serving,
    superuser_browser,
)
from tests.keyed_models import (
    KeyedBlob,
    KeyedItem,
    KeyedRate,
    KeyedUser,
    OddKeyNote,
    OddKeyPair,
)
from tests.live import live_server
from tests.pages import form_values, list_rows, text

KEYED = "tests.keyed_models"


@pytest.fixture
def keyed(empty_database_url: str) -> Iterator[Starlette]:
    yield from serving(empty_database_url, KEYED)


@pytest.fixture
def keeper(keyed: Starlette) -> Iterator[TestClient]:
    """A superuser's browser on the keyed tables."""
    yield from superuser_browser(keyed)


@pytest.fixture
def kdb(keyed: Starlette) -> Iterator[Session]:
    with Session(keyed.state.engine) as session:
        yield session


def add(app: Starlette, *rows: object) -> None:
    with Session(app.state.engine, expire_on_commit=False) as session:
        session.add_all(rows)
        session.commit()


def pks(*keys: str) -> str:
    """The query string `pks=...` as the list page's script writes it for
    ticked rows: keys joined by commas, `%` and `,` inside a key escaped,
    then the whole value URL-encoded."""
    value = ",".join(k.replace("%", "%25").replace(",", "%2C") for k in keys)
    return urlencode({"pks": value})


def entries(db: Session, action: str | None = None) -> list[AuditEntry]:
    db.expire_all()
    stmt = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return list(db.exec(stmt))


ROW = re.compile(
    r"<tr>\s*<td>\s*<input type=\"hidden\" value=\"([^\"]*)\">(.*?)</tr>", re.S
)


def row_links(page: str) -> dict[str, dict[str, str]]:
    """For each row of a list page, by the key it holds: its details and edit
    links and the URL its trash icon deletes with."""
    found = {}
    for key, row in ROW.findall(page):
        links: dict[str, str] = {}
        for url, kind in re.findall(r'href="([^"]*/(details|edit)/[^"]*)"', row):
            links.setdefault(kind, html.unescape(url))  # then related rows' links
        deleting = re.search(r'data-url="([^"]*/delete\?pks=[^"]*)"', row)
        if deleting:
            links["delete"] = html.unescape(deleting.group(1))
        found[html.unescape(key)] = links
    return found


def post_form(  # type: ignore[no-untyped-def]
    client: TestClient, page: str, changes: dict[str, str], button: str = "Save"
):
    """Submit the page's form as a browser would, with some fields changed."""
    action = html.unescape(re.search(r'<form action="([^"]+)"', page).group(1))
    values = [(n, v) for n, v in form_values(page) if n not in changes]
    values += [*changes.items(), ("save", button)]
    body: dict[str, list[str]] = {}
    for name, value in values:
        body.setdefault(name, []).append(value)
    return client.post(action, data=body, follow_redirects=False)


def history_url(page: str) -> str:
    return html.unescape(
        re.search(r'id="history-link"[^>]*href="([^"]+)"', page, re.S).group(1)
    )


# UUID keys, as the FastAPI full-stack template declares them


def test_uuid_rows_are_created_edited_shown_and_deleted(keeper, keyed, kdb):
    response = keeper.post(
        "/admin/keyed-user/create",
        data={"email": "ada@example.com", "full_name": "Ada", "save": "Save"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    user = kdb.exec(select(KeyedUser)).one()
    assert isinstance(user.id, uuid.UUID)
    (created,) = entries(kdb, "create")
    assert created.keys() == [str(user.id)]
    assert created.change_data()["id"] == [None, str(user.id)]

    response = keeper.post(
        "/admin/keyed-item/create",
        data={"title": "Notebook", "owner": str(user.id), "save": "Save"},
        follow_redirects=False,
    )
    assert response.status_code == 302, text(response.text)
    item = kdb.exec(select(KeyedItem)).one()
    assert item.owner_id == user.id
    assert entries(kdb, "create")[-1].change_data()["owner_id"] == [None, str(user.id)]

    links = row_links(keeper.get("/admin/keyed-item/list").text)[str(item.id)]
    assert links["details"].endswith(f"/admin/keyed-item/details/{item.id}")
    details = keeper.get(links["details"])
    assert details.status_code == 200 and "Notebook" in text(details.text)
    edit = keeper.get(links["edit"])
    assert edit.status_code == 200
    assert post_form(keeper, edit.text, {"title": "Sketchbook"}).status_code == 302
    kdb.expire_all()
    assert kdb.get(KeyedItem, item.id).title == "Sketchbook"
    (edited,) = entries(kdb, "edit")
    assert edited.keys() == [str(item.id)]
    assert edited.change_data() == {"title": ["Notebook", "Sketchbook"]}
    history = keeper.get(history_url(keeper.get(links["details"]).text))
    assert [row["Action"] for row in list_rows(history.text)] == ["Changed", "Added"]

    # A user without items, deleted with the trash icon of the list.
    add(keyed, loner := KeyedUser(email="loner@example.com"))
    trash = row_links(keeper.get("/admin/keyed-user/list").text)[str(loner.id)]
    response = keeper.delete(trash["delete"])
    assert response.status_code == 200
    assert response.text.endswith("/admin/keyed-user/list")
    kdb.expire_all()
    assert kdb.get(KeyedUser, loner.id) is None
    (deleted,) = entries(kdb, "delete")
    assert deleted.keys() == [str(loner.id)]
    assert deleted.change_data()["id"] == [str(loner.id), None]


def test_uuid_rows_are_selected_bulk_edited_reverted_exported_and_bulk_deleted(
    keeper, keyed, kdb
):
    ada, bob = KeyedUser(email="ada@example.com"), KeyedUser(email="bob@example.com")
    add(keyed, ada, bob)
    items = [KeyedItem(title=f"Item {n}", owner_id=ada.id) for n in range(4)]
    add(keyed, *items)
    chosen = [str(items[0].id), str(items[1].id)]

    listed = keeper.get(f"/admin/keyed-item/list?{pks(*chosen)}")
    assert listed.status_code == 200
    assert sorted(row_links(listed.text)) == sorted(chosen)

    form = keeper.get(f"/admin/keyed-item/bulk-edit?{pks(*chosen)}")
    assert form.status_code == 200 and "Edit 2 Keyed items" in text(form.text)
    response = keeper.post(
        f"/admin/keyed-item/bulk-edit?{pks(*chosen)}",
        data={
            "fields": ["description", "owner"],
            "description": "moved",
            "owner": str(bob.id),
        },
        follow_redirects=False,
    )
    assert response.status_code == 302, text(response.text)
    assert "2 Keyed items updated." in text(
        keeper.get(response.headers["location"]).text
    )
    kdb.expire_all()
    now = {str(i.id): (i.description, i.owner_id) for i in kdb.exec(select(KeyedItem))}
    assert {k: now[k] for k in chosen} == dict.fromkeys(chosen, ("moved", bob.id))
    assert [v for k, v in now.items() if k not in chosen] == [(None, ada.id)] * 2
    by_owner = keeper.get(f"/admin/keyed-item/list?owner_id={bob.id}")
    assert sorted(row_links(by_owner.text)) == sorted(chosen)
    (entry,) = entries(kdb, "bulk_edit")
    assert sorted(entry.keys()) == sorted(chosen)
    assert entry.change_data()["old"] == {
        key: {"description": None, "owner_id": str(ada.id)} for key in chosen
    }

    reverted = keeper.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True
    )
    assert "2 Keyed items put back as they were." in text(reverted.text)
    kdb.expire_all()
    assert {(i.description, i.owner_id) for i in kdb.exec(select(KeyedItem))} == {
        (None, ada.id)
    }
    (revert,) = entries(kdb, "revert")
    assert sorted(revert.keys()) == sorted(chosen)

    exported = keeper.get(f"/admin/keyed-item/export/csv?{pks(*chosen)}")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text)))[1:]
    cells = {cell for row in rows for cell in row}
    assert len(rows) == 2
    assert set(chosen) <= cells  # canonical UUID text
    assert not any(re.fullmatch(r"[0-9a-f]{32}", cell) for cell in cells)

    confirm = keeper.get(f"/admin/keyed-user/bulk-delete?{pks(str(ada.id))}")
    assert confirm.status_code == 200
    assert "This deletes 1 Keyed user" in text(confirm.text)
    response = keeper.post(
        f"/admin/keyed-user/bulk-delete?{pks(str(ada.id))}", follow_redirects=False
    )
    assert response.status_code == 302
    kdb.expire_all()
    assert kdb.exec(select(KeyedUser)).all() == [kdb.get(KeyedUser, bob.id)]
    assert kdb.exec(select(KeyedItem)).all() == []  # ON DELETE CASCADE
    assert entries(kdb, "delete")[-1].keys() == [str(ada.id)]


@pytest.mark.parametrize(
    "spelling", [str.upper, lambda k: k.replace("-", ""), lambda k: "{" + k + "}"]
)
def test_a_uuid_written_any_other_way_names_no_row(keeper, keyed, kdb, spelling):
    add(keyed, user := KeyedUser(email="ada@example.com"))
    other = spelling(str(user.id))
    assert keeper.get(f"/admin/keyed-user/details/{user.id}").status_code == 200
    for path in (f"/details/{other}", f"/edit/{other}"):
        assert keeper.get(f"/admin/keyed-user{path}").status_code == 404
    for path in ("/list", "/export/csv", "/bulk-edit", "/bulk-delete"):
        response = keeper.get(f"/admin/keyed-user{path}?pks={other}")
        assert response.status_code == 400, path
        assert "names no Keyed" in text(response.text) or "names no" in response.text
    assert keeper.delete(f"/admin/keyed-user/delete?pks={other}").status_code == 400
    kdb.expire_all()
    assert kdb.get(KeyedUser, user.id) is not None
    assert entries(kdb) == []


# Integer keys: only their plain digits (issue: `pks=1_2` deleted tag 12)


@pytest.mark.parametrize(
    "written", ["1_2", " 12", "%2012", "%EF%BC%91%EF%BC%92", "012", "+12", "12.0"]
)
def test_an_integer_key_written_any_other_way_names_no_row(client, db, written):
    from models import Tag

    db.add_all([Tag(name=f"tag {n}") for n in range(1, 13)])
    db.commit()
    twelve = db.exec(select(Tag).where(Tag.name == "tag 12")).one()
    assert twelve.id == 12
    assert client.get(f"/admin/tag/details/{written}").status_code == 404
    assert client.get(f"/admin/tag/edit/{written}").status_code == 404
    assert client.delete(f"/admin/tag/delete?pks={written}").status_code == 400
    response = client.get(f"/admin/tag/bulk-delete?pks={written}")
    assert response.status_code == 400 and "names no Tag" in text(response.text)
    db.expire_all()
    assert db.get(Tag, 12) is not None and entries(db) == []

    assert client.delete("/admin/tag/delete?pks=12").status_code == 200
    (deleted,) = entries(db, "delete")
    assert deleted.keys() == ["12"]
    history = client.get("/admin/audit-entry/list?table=tag&key=12")
    assert [row["Action"] for row in list_rows(history.text)] == ["Deleted"]


# Text keys: every link percent-encodes them, every route reads them back

ODD_KEYS = [
    "50% off",
    "what?",
    "#1",
    "a/b",
    "/lead",
    "trail/",
    "two  spaces",
    "café ☕",
    "a,b",
    "x;y",
    "back\\slash",
    "1+1",
    "a&b=c",
    "%2F",
    "..x",
]


@pytest.fixture
def served(keyed: Starlette) -> Iterator[httpx.Client]:
    """A superuser's browser on a real server: Starlette's TestClient decodes
    the path twice (`%252F` reaches the app as `/`), uvicorn once."""
    add_staff(keyed, "keeper", superuser=True)
    with live_server(keyed) as base, httpx.Client(base_url=base) as browser:
        assert login(browser, "keeper").status_code == 302
        yield browser


def test_every_text_key_round_trips_through_every_link(served, keyed, kdb):
    keeper = served
    add(keyed, *(OddKeyNote(code=key, body="old") for key in ODD_KEYS))
    links = row_links(keeper.get("/admin/odd-key-note/list?pageSize=50").text)
    assert sorted(links) == sorted(ODD_KEYS)
    for key in ODD_KEYS:
        details = keeper.get(links[key]["details"])
        assert details.status_code == 200, key
        assert " ".join(key.split()) in text(details.text)
        edit = keeper.get(links[key]["edit"])
        assert edit.status_code == 200, key
        assert post_form(keeper, edit.text, {"body": "new"}).status_code == 302, key
        kdb.expire_all()
        assert kdb.get(OddKeyNote, key).body == "new", key
        assert entries(kdb, "edit")[-1].keys() == [key]

        # The audit entry links back to the row.
        entry = entries(kdb, "edit")[-1]
        page = keeper.get(f"/admin/audit-entry/details/{entry.id}").text
        back = re.search(r'id="entry-rows">.*?href="([^"]+)"', page, re.S).group(1)
        assert html.unescape(back) == links[key]["details"]

        history = history_url(details.text)
        assert keeper.delete(links[key]["delete"]).status_code == 200, key
        kdb.expire_all()
        assert kdb.get(OddKeyNote, key) is None, key
        assert entries(kdb, "delete")[-1].keys() == [key]
        found = list_rows(keeper.get(history).text)
        assert [row["Action"] for row in found] == ["Deleted", "Changed"], key


PAIRS = [("a;b", "c,d"), ("50%", "x/y"), ("back\\", ";"), ("é #?", " "), ("1", "1")]


def test_composite_keys_holding_separators_round_trip(keeper, keyed, kdb):
    add(keyed, *(OddKeyPair(left=a, right=b) for a, b in PAIRS))
    links = row_links(keeper.get("/admin/odd-key-pair/list").text)
    assert len(links) == len(PAIRS)
    by_pair = {}
    for key, row in links.items():
        details = keeper.get(row["details"])
        assert details.status_code == 200, key
        edit = keeper.get(row["edit"])
        saved = post_form(
            keeper, edit.text, {"note": "seen"}, "Save and continue editing"
        )
        assert saved.status_code == 302, key
        assert saved.headers["location"] == row["edit"]  # back to the same row
        entry = entries(kdb, "edit")[-1]
        assert entry.keys() == [key]
        by_pair[tuple(entry_values(kdb, key))] = key
    kdb.expire_all()
    assert {p.note for p in kdb.exec(select(OddKeyPair))} == {"seen"}
    assert sorted(by_pair) == sorted(PAIRS)

    chosen = [by_pair[("a;b", "c,d")], by_pair[("50%", "x/y")]]
    listed = keeper.get(f"/admin/odd-key-pair/list?{pks(*chosen)}")
    assert sorted(row_links(listed.text)) == sorted(chosen)
    export_link = re.search(r'id="export-csv"[^>]*href="([^"]+)"', listed.text, re.S)
    exported = keeper.get(html.unescape(export_link.group(1)))  # the list's export
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted((r["left"], r["right"]) for r in rows) == [
        ("50%", "x/y"),
        ("a;b", "c,d"),
    ]
    assert (
        keeper.delete(f"/admin/odd-key-pair/delete?{pks(*chosen)}").status_code == 200
    )
    kdb.expire_all()
    remaining = {(p.left, p.right) for p in kdb.exec(select(OddKeyPair))}
    assert remaining == set(PAIRS) - {("a;b", "c,d"), ("50%", "x/y")}
    # Both rows went in one transaction, recorded as one entry naming both.
    assert sorted(entries(kdb, "bulk_delete")[-1].keys()) == sorted(chosen)

    last = by_pair[("back\\", ";")]
    assert keeper.delete(links[last]["delete"]).status_code == 200
    kdb.expire_all()
    assert kdb.get(OddKeyPair, ("back\\", ";")) is None


def entry_values(db: Session, key: str) -> tuple[str, str]:
    """The pair a composite identifier names, read back from the table."""
    for pair in db.exec(select(OddKeyPair)):
        left = pair.left.replace("\\", "\\\\").replace(";", "\\;")
        right = pair.right.replace("\\", "\\\\").replace(";", "\\;")
        if f"{left};{right}" == key:
            return (pair.left, pair.right)
    raise AssertionError(f"no pair has the identifier {key!r}")


def test_date_and_decimal_keys_are_written_as_the_columns_store_them(
    keeper, keyed, kdb
):
    add(keyed, KeyedRate(day=date(2025, 1, 2), band=Decimal("1.5"), percent=3))
    links = row_links(keeper.get("/admin/keyed-rate/list").text)
    assert list(links) == ["2025-01-02;1.50"]
    (row,) = links.values()
    assert keeper.get(row["details"]).status_code == 200
    assert keeper.get("/admin/keyed-rate/details/2025-01-02;1.5").status_code == 404
    assert keeper.get("/admin/keyed-rate/details/2025-1-2;1.50").status_code == 404
    edit = keeper.get(row["edit"])
    assert post_form(keeper, edit.text, {"percent": "4"}).status_code == 302
    assert entries(kdb, "edit")[-1].keys() == ["2025-01-02;1.50"]
    assert keeper.delete(row["delete"]).status_code == 200
    kdb.expire_all()
    assert kdb.exec(select(KeyedRate)).all() == []


# Many rows by key, and inputs the database would refuse


def test_a_thousand_composite_key_rows_are_listed_exported_edited_and_deleted(
    keeper, keyed, kdb
):
    add(keyed, *(OddKeyPair(left=f"l;{n}", right=f"r,{n}") for n in range(1100)))
    chosen = [f"l\\;{n};r,{n}" for n in range(1000)]
    query = pks(*chosen)

    listed = keeper.get(f"/admin/odd-key-pair/list?{query}")
    assert listed.status_code == 200
    assert "1,000 Odd key pairs" in text(listed.text)
    exported = keeper.get(f"/admin/odd-key-pair/export/csv?{query}")
    assert exported.status_code == 200
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["right"] for r in rows) == sorted(f"r,{n}" for n in range(1000))

    response = keeper.post(
        f"/admin/odd-key-pair/bulk-edit?{query}",
        data={"fields": ["note"], "note": "bulk"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    keeper.get(response.headers["location"])  # the list, with its message
    kdb.expire_all()
    notes = {p.right: p.note for p in kdb.exec(select(OddKeyPair))}
    assert sum(note == "bulk" for note in notes.values()) == 1000
    (entry,) = entries(kdb, "bulk_edit")
    assert len(entry.keys()) == 1000
    reverted = keeper.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True
    )
    assert "1,000 Odd key pairs put back" in text(reverted.text)

    confirm = keeper.get(f"/admin/odd-key-pair/bulk-delete?{query}")
    assert "This deletes 1,000 Odd key pairs" in text(confirm.text)
    response = keeper.post(
        f"/admin/odd-key-pair/bulk-delete?{query}", follow_redirects=False
    )
    assert response.status_code == 302
    kdb.expire_all()
    assert sorted(p.right for p in kdb.exec(select(OddKeyPair))) == sorted(
        f"r,{n}" for n in range(1000, 1100)
    )
    (deleted,) = entries(kdb, "bulk_delete")
    assert sorted(deleted.keys()) == sorted(chosen)


def test_overlong_selections_and_searches_are_refused_saying_the_limit(keeper, keyed):
    add(keyed, OddKeyNote(code="a"))
    many = pks(*["a"] * 10_001)  # a URL of 10,001 distinct keys is too long
    for path in ("/list", "/export/csv", "/bulk-edit", "/bulk-delete"):
        response = keeper.get(f"/admin/odd-key-note{path}?{many}")
        assert response.status_code == 400, path
        assert "Select at most 10,000 rows by key" in text(response.text)
    response = keeper.delete(f"/admin/odd-key-note/delete?{many}")
    assert response.status_code == 400

    for path in ("/list", "/export/csv"):
        response = keeper.get(f"/admin/odd-key-note{path}?search={'x' * 50_000}")
        assert response.status_code == 400
        assert "Search for at most 200 characters" in text(response.text)
    assert keeper.get(f"/admin/odd-key-note/list?search={'x' * 200}").status_code == 200

    response = keeper.get("/admin/odd-key-note/list?pks=50%25")  # `50%`: no escape
    assert response.status_code == 400
    assert "write % and , inside a key as %25 and %2C" in text(response.text)


def test_a_bulk_edit_of_uuid_and_bytes_columns_is_recorded_and_reverted(
    keeper, keyed, kdb
):
    first, second = uuid.uuid4(), uuid.uuid4()
    add(
        keyed,
        KeyedBlob(ref=first, blob=b"\x00\xff", label="a"),
        KeyedBlob(ref=None, blob=None, label="b"),
    )
    response = keeper.post(
        "/admin/keyed-blob/bulk-edit?select=all",
        data={"fields": ["ref"], "ref": str(second)},
        follow_redirects=False,
    )
    assert response.status_code == 302, text(response.text)
    keeper.get(response.headers["location"])
    (entry,) = entries(kdb, "bulk_edit")
    assert entry.change_data()["old"] == {"1": {"ref": str(first)}, "2": {"ref": None}}
    keeper.post(f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True)
    response = keeper.post(
        "/admin/keyed-blob/bulk-edit?select=all",
        data={"fields": ["blob"], "blob": "eno="},  # b"zz" typed as base64,
        follow_redirects=False,
    )
    assert response.status_code == 302, text(response.text)
    keeper.get(response.headers["location"])
    entry = entries(kdb, "bulk_edit")[-1]
    assert entry.change_data()["old"] == {"1": {"blob": "00ff"}, "2": {"blob": None}}
    reverted = keeper.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True
    )
    assert "2 Keyed blobs put back as they were." in text(reverted.text)
    kdb.expire_all()
    assert [
        (b.ref, b.blob) for b in kdb.exec(select(KeyedBlob).order_by(KeyedBlob.id))
    ] == [
        (first, b"\x00\xff"),
        (None, None),
    ]


# The rules underneath, on their own


def test_audit_values_are_json_that_reads_back():
    import enum
    import json
    from datetime import datetime, time

    from admin_app.writing.audit import jsonable

    class Colour(enum.Enum):
        red = "r"

    key = uuid.UUID("12345678-1234-5678-1234-567812345678")
    value = {
        "id": key,
        "price": Decimal("12.50"),
        "day": date(2025, 1, 2),
        "at": datetime(2025, 1, 2, 3, 4, 5),
        "time": time(6, 7),
        "colour": Colour.red,
        "blob": b"\x00\xff",
        "tags": {"b", "a"},
        "nested": [(key, None)],
        key: True,
    }
    assert json.loads(json.dumps(jsonable(value))) == {
        "id": str(key),
        "price": "12.50",
        "day": "2025-01-02",
        "at": "2025-01-02T03:04:05",
        "time": "06:07:00",
        "colour": "r",
        "blob": "00ff",
        "tags": ["a", "b"],
        "nested": [[str(key), None]],
        str(key): True,
    }


@pytest.mark.parametrize(
    ("model", "text", "values"),
    [
        (KeyedUser, "12345678-1234-5678-1234-567812345678", None),
        (OddKeyPair, "a\\;b;c,d", ("a;b", "c,d")),
        (OddKeyPair, "a\\\\;b", ("a\\", "b")),
        (KeyedRate, "2025-01-02;1.50", (date(2025, 1, 2), Decimal("1.50"))),
    ],
)
def test_canonical_identifiers_are_read(model, text, values):
    from admin_app.model.keys import identifier, parse_key

    parsed = parse_key(model, text)
    assert identifier(parsed) == text
    if values is not None:
        assert parsed == values


@pytest.mark.parametrize(
    ("model", "text"),
    [
        (KeyedBlob, "1_2"),
        (KeyedBlob, " 12"),
        (KeyedBlob, "\uff11\uff12"),  # fullwidth digits
        (KeyedBlob, "012"),
        (KeyedBlob, "-0"),
        (KeyedBlob, "9223372036854775808"),
        (KeyedUser, "12345678-1234-5678-1234-56781234567A"),
        (KeyedUser, "12345678123456781234567812345678"),
        (OddKeyPair, "a\\b;c"),  # a backslash escapes only `;` and itself
        (OddKeyPair, "a;b;c"),
        (KeyedRate, "2025-01-02;1.5"),
        (KeyedRate, "2025-01-02;NaN"),
    ],
)
def test_other_spellings_are_not_identifiers(model, text):
    from admin_app.model.keys import BadKey, parse_key

    with pytest.raises(BadKey):
        parse_key(model, text)


def test_selections_escape_percent_and_comma_inside_keys():
    from admin_app.model.keys import BadKey, parse_selection, selection_text

    keys = ["a,b", "50%", "%2C", "plain", "x;y"]
    assert selection_text(keys) == "a%2Cb,50%25,%252C,plain,x;y"
    assert parse_selection(selection_text(keys)) == keys
    assert parse_selection("1,,2,") == ["1", "2"]
    with pytest.raises(BadKey):
        parse_selection("50%")
    with pytest.raises(BadKey):
        parse_selection("%41")


def test_statements_too_large_are_told_from_outages(empty_database_url, backend):
    from sqlalchemy import create_engine, literal, or_, text
    from sqlalchemy.exc import OperationalError

    from admin_app.db import make_engine
    from admin_app.db_errors import statement_too_large

    engine = make_engine(empty_database_url)
    if backend == "sqlite":
        too_large = select(literal(1)).where(
            or_(*(literal(n) == n for n in range(1001)))
        )
        down = create_engine("sqlite:////nonexistent/directory/admin.db")
    else:
        too_large = text("SELECT " + ", ".join(["1"] * 1700))  # 1,664 at most
        down = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    with pytest.raises(OperationalError) as refused, engine.connect() as connection:
        connection.execute(too_large)
    assert statement_too_large(refused.value)
    with pytest.raises(OperationalError) as unavailable, down.connect():
        pass
    assert not statement_too_large(unavailable.value)
    engine.dispose()
