"""New rows whose file gives their key (a worker's handle), on SQLite and
PostgreSQL: they are written in batches like rows without a key; a key named
twice among them is refused as the same row, within a batch and across
batches; and the confirmation adds them under their own keys, audited, and
reverted by deleting them. Rows found by a unique column the user picks (a
label's name, a user's email) likewise."""

import csv
import importlib
import io
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from admin_app.importing.columns import unique_keys
from admin_app.importing.run import BATCH_ROWS
from tests.zoo import facts
from tests.zoo.conftest import LOADING, SOCIAL, TRACKER, ZOO
from tests.zoo.fullstack import User
from tests.zoo.story_base import audit_rows, entry_changes
from tests.zoo.test_calc_roundtrip import LACKED
from tests.zoo.test_import_roundtrip import csv_bytes
from tests.zoo.tracker import TrackerWorker

JSON = {"Accept": "application/json"}
HEADER = ["id", "name", "kind"]


def _workers(count: int) -> list[dict[str, str]]:
    return [
        {"id": f"@new-{n}", "name": f"New {n}", "kind": "agent"} for n in range(count)
    ]


def _preview(site, rows: list[dict[str, str]]) -> dict:  # type: ignore[no-untyped-def]
    answer = site.client.post(
        "/admin/tracker-worker/import",
        files={"file": ("t.csv", csv_bytes(HEADER, rows))},
        headers=JSON,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _count(site) -> int:  # type: ignore[no-untyped-def]
    with site.session() as session:
        return session.exec(select(func.count()).select_from(TrackerWorker)).one()


def test_a_new_rows_key_named_twice_is_refused_as_the_same_row(tracker_site):
    site = tracker_site
    before = _count(site)
    rows = _workers(4)
    rows.append({**rows[1], "name": "Someone else"})  # the same batch
    found = _preview(site, rows)
    assert found["errors"] == [
        {"row": 6, "column": "", "message": "This row is the same row as row 3."}
    ]
    assert found["token"] is None
    rows = _workers(BATCH_ROWS + 10)
    rows.append({**rows[3], "name": "Someone else"})  # a later batch
    found = _preview(site, rows)
    assert found["errors"] == [
        {
            "row": BATCH_ROWS + 12,
            "column": "",
            "message": "This row is the same row as row 5.",
        }
    ]
    assert _count(site) == before


def test_new_rows_with_their_keys_are_added_audited_and_reverted(tracker_site):
    site = tracker_site
    before = _count(site)
    rows = _workers(BATCH_ROWS + 10)
    found = _preview(site, rows)
    assert (found["new"], found["changed"], found["errors"]) == (len(rows), 0, [])
    confirmed = site.client.post(
        "/admin/tracker-worker/import/confirm",
        data={"token": found["token"]},
        headers=JSON,
    )
    assert confirmed.json() == {"added": len(rows), "changed": 0}
    with site.session() as session:
        stored = {w.id: (w.name, w.kind) for w in session.exec(select(TrackerWorker))}
    assert all(stored[r["id"]] == (r["name"], "agent") for r in rows)
    entry = [e for e in audit_rows(site) if e["action"] == "import"][-1]
    added = entry_changes(entry)["added"]
    assert added["@new-7"] == {"id": "@new-7", "name": "New 7", "kind": "agent"}
    assert len(added) == len(rows)
    site.client.post(f"/admin/audit-entry/revert/{entry['id']}")
    assert _count(site) == before


def test_labels_found_by_their_unique_name(tracker_site):
    """`key=name`: a name the batch's one query found no label for is a new
    label's, and one named twice among new rows is refused as the same row."""
    site = tracker_site
    data = csv_bytes(
        ["name"],
        [{"name": "bug"}, {"name": "docs"}, {"name": "ops"}, {"name": "ops"}],
    )
    answer = site.client.post(
        "/admin/tracker-label/import",
        files={"file": ("t.csv", data)},
        data={"key": "name"},
        headers=JSON,
    )
    found = answer.json()
    assert found["errors"] == [
        {"row": 5, "column": "", "message": "This row is the same row as row 4."}
    ]
    assert (found["new"], found["unchanged"]) == (2, 1)


def test_users_found_by_their_email(fullstack_site):
    """`key=email` on a table whose key is a UUID the file does not hold."""
    site = fullstack_site
    header = ["email", "full_name"]
    rows = [
        {"email": "alice@example.com", "full_name": "Alice Found By Email"},
        {"email": "bob@example.com", "full_name": "Bob Found By Email"},
    ]
    answer = site.client.post(
        "/admin/user/import",
        files={"file": ("u.csv", csv_bytes(header, rows))},
        data={"key": "email"},
        headers=JSON,
    )
    found = answer.json()
    assert (found["errors"], found["changed"], found["new"]) == ([], 2, 0)
    # the page names each changed row by its label, linked, not by its UUID
    page = site.client.post(
        "/admin/user/import",
        files={"file": ("u.csv", csv_bytes(header, rows))},
        data={"key": "email"},
    ).text
    with site.session() as session:
        ids = dict(session.exec(select(User.email, User.id)).all())
    changes = page[page.index('id="import-changes"') :]
    alice = ids["alice@example.com"]
    link = (
        f'<a href="http://testserver/admin/user/details/{alice}">alice@example.com</a>'
    )
    assert link in changes and "<th>User</th>" in changes
    assert str(alice) not in changes.replace(link, "")
    done = site.client.post(
        "/admin/user/import/confirm", data={"token": found["token"]}, headers=JSON
    )
    assert done.status_code == 200, done.text
    with site.session() as session:
        names = dict(session.exec(select(User.email, User.full_name)).all())
    assert names["alice@example.com"] == "Alice Found By Email"
    assert names["bob@example.com"] == "Bob Found By Email"


def _text_keys(model: type, view) -> list[str]:  # type: ignore[no-untyped-def]
    """The unique columns of plain text (not the primary key, a foreign key,
    an email or URL) the import may find rows by, long enough for `LACKED`."""
    columns = facts.columns_by_attr(model)
    return [
        name
        for name in unique_keys(model, view.field_specs)
        if facts.takes_any_text(model, columns[name])
    ]


def _text_keyed_tables(site) -> Iterator[tuple[type, str, str]]:  # type: ignore[no-untyped-def]
    """(model, table, name) of each table of the site's zoo module with a
    unique text column (`_text_keys`) to find rows by."""
    views = {v.identity: v for v in site.app.state.admin.views}
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        names = _text_keys(model, views[table])
        if names:
            yield model, table, names[0]


def _keys_find_every_row(site, model: type, name: str, keys: list, **form: str) -> None:  # type: ignore[no-untyped-def]
    """A file of the column `name` alone, `keys` as a spreadsheet wrote them
    (`form`: how it is read), finds every row by it: "0 changed", nothing
    written."""
    table = facts.identity(model)
    with site.session() as session:
        before = facts.snapshot(session, model)
    data = csv_bytes([name], keys)
    if form.get("encoding"):
        data = data.decode().encode(form["encoding"], "replace")
    found = _preview_keyed(site, table, name, data, **form)
    assert (found["errors"], found["new"]) == ([], 0), (table, found)
    assert found["unchanged"] == len(keys) > 0, table
    with site.session() as session:
        assert facts.snapshot(session, model) == before, table


def _exported_keys(site, table: str, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    exported = site.client.get(f"/admin/{table}/export/csv").text
    return [row[name] for row in csv.DictReader(io.StringIO(exported))]


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_key_a_code_page_wrote_with_question_marks_finds_its_row(site):
    """Unique names with characters Windows-1252 has no byte for, in a file
    saved in it (`?` in their place), find their rows by `key=<column>` on
    every table with such a column: the file is "0 changed" (its rows were
    once previewed as new ones, named with `?`), and it writes nothing."""
    checked = []
    for model, table, name in _text_keyed_tables(site):
        column = facts.columns_by_attr(model)[name]
        with site.session() as session:
            session.execute(update(column.table).values({column: column + LACKED}))
            session.commit()
        keys = _exported_keys(site, table, name)
        assert all(key.endswith(LACKED) for key in keys), table
        _keys_find_every_row(
            site, model, name, [{name: k} for k in keys], encoding="cp1252"
        )
        checked.append(table)
    if site.module in (TRACKER, SOCIAL, LOADING):  # the modules with such keys
        assert checked


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_key_of_digits_a_spreadsheet_dropped_zeros_from_finds_its_row(site):
    """Unique names of digits with leading zeros (`00001`), which a
    spreadsheet opening the CSV export saves as numbers (`1`), find their
    rows by `key=<column>` on every table with such a column: the file is
    "0 changed" and writes nothing (each row was once previewed as a new
    one, named `1`: a second row for each). A key standing for two rows is
    refused naming both, and a key in E-notation (more digits than a number
    keeps, `1.23457E+19`) is refused, not previewed as a new row's key."""
    checked = []
    for model, table, name in _text_keyed_tables(site):
        with site.session() as session:
            for n, row in enumerate(facts.rows(session, model), start=1):
                setattr(row, name, f"{n:05d}")
            session.commit()
        keys = [{name: str(int(k))} for k in _exported_keys(site, table, name)]
        _keys_find_every_row(site, model, name, keys)
        with site.session() as session:
            row = facts.rows(session, model)[1]
            setattr(row, name, "0001")  # `1` stands for `00001` and `0001`
            session.commit()
        found = _preview_keyed(site, table, name, csv_bytes([name], keys[:1]))
        assert found["errors"] == [
            {
                "row": 2,
                "column": name,
                "message": "Rows with the keys '00001' and '0001' have a key '1' "
                "may stand for (leading zeros, which a spreadsheet drops): write "
                "the key with its zeros, or save the file as XLSX.",
            }
        ], table
        long_key = [{name: "1.23457E+19"}]  # 12345678901234567890, as shown
        found = _preview_keyed(site, table, name, csv_bytes([name], long_key))
        assert [e["message"] for e in found["errors"]] == [
            "'1.23457E+19' is a key of digits a spreadsheet read as a number and "
            "wrote in E-notation, its last digits lost: format the column as "
            "text there and type the keys again, or save the export as XLSX, "
            "which keeps them."
        ], table
        checked.append(table)
    if site.module in (TRACKER, SOCIAL, LOADING):  # the modules with such keys
        assert checked


def _preview_keyed(site, table: str, key: str, data: bytes, **form: str) -> dict:  # type: ignore[no-untyped-def]
    """The preview (JSON) of `data` on `table`, rows found by `key`."""
    answer = site.client.post(
        f"/admin/{table}/import",
        files={"file": ("t.csv", data)},
        data={"key": key, **form},
        headers=JSON,
    )
    assert answer.status_code == 200, (table, answer.text[:300])
    return answer.json()
