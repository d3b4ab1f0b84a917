"""A confirmation writes what its preview decided, on every table of every zoo
module, on SQLite and PostgreSQL: no row is validated again, and a row that
someone changed, deleted or took a unique value from since the preview
refuses the whole import, naming the row, with nothing written."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import delete, select

from admin_app.model.fields import Kind
from admin_app.writing.writes import RowWriter
from tests.zoo import facts
from tests.zoo.conftest import ZOO
from tests.zoo.story_base import audit_rows
from tests.zoo.test_import_roundtrip import Changeable, changeable_tables, csv_bytes
from tests.zoo.tracker import TrackerLabel

JSON = {"Accept": "application/json"}
REFUSED = "Nothing was imported: Row 2 of the file changed in the database since"


def _previewed(site, table: str, data: bytes) -> dict:  # type: ignore[no-untyped-def]
    answer = site.client.post(
        f"/admin/{table}/import", files={"file": ("t.csv", data)}, headers=JSON
    )
    assert answer.status_code == 200, (table, answer.text)
    preview = answer.json()
    assert preview["errors"] == [] and preview["token"], (table, preview)
    return preview


def _confirmed(site, table: str, preview: dict):  # type: ignore[no-untyped-def]
    return site.client.post(
        f"/admin/{table}/import/confirm",
        data={"token": preview["token"]},
        headers=JSON,
    )


def _other_value(found: Changeable, old: str) -> str:
    """A cell of the changeable column made to differ."""
    if found.kind is Kind.BOOL:
        return "false" if old == "true" else "true"
    return "Imported" if old != "Imported" else "Imported again"


def _first_row_changed(found: Changeable) -> tuple[bytes, str]:
    """The export with its first row's changeable cell changed; the new text."""
    first, *rest = found.rows
    new = _other_value(found, first[found.name])
    return csv_bytes(found.header, [{**first, found.name: new}, *rest]), new


def _assert_holds(site, found: Changeable, key: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """The row of `key` holds `text` in the changeable column."""
    with site.session() as session:
        row = facts.by_identifier(session, found.model)[key]
        held = getattr(row, found.name)
        assert (str(held).lower() if found.kind is Kind.BOOL else held) == text


def _imports(site) -> int:  # type: ignore[no-untyped-def]
    return sum(entry["action"] == "import" for entry in audit_rows(site))


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_confirmation_decides_no_row_again(site, monkeypatch):
    """The preview validated the rows; its confirmation writes that decision."""
    decided: list[int] = []
    original = RowWriter._decide

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        decided.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RowWriter, "_decide", counted)
    confirmed_tables = []
    for found in changeable_tables(site):
        data, new = _first_row_changed(found)
        preview = _previewed(site, found.table, data)
        assert decided, found.table  # the preview decides each row
        decided.clear()
        answer = _confirmed(site, found.table, preview)
        assert answer.json() == {"added": 0, "changed": 1}, found.table
        assert decided == [], found.table
        _assert_holds(site, found, preview["rows"][0]["key"], new)
        confirmed_tables.append(found.table)
    assert confirmed_tables


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_row_changed_since_the_preview_refuses_the_import(site):
    imports = _imports(site)
    changed = []
    for found in changeable_tables(site):
        data, new = _first_row_changed(found)
        preview = _previewed(site, found.table, data)
        key = preview["rows"][0]["key"]
        with site.session() as session:  # someone else edits the same row
            row = facts.by_identifier(session, found.model)[key]
            theirs = "Edited meanwhile" if found.kind is Kind.TEXT else new == "true"
            setattr(row, found.name, theirs)
            session.add(row)
            session.commit()
        refused = _confirmed(site, found.table, preview)
        assert refused.status_code == 409, (found.table, refused.text)
        assert refused.json()["error"].startswith(REFUSED), found.table
        with site.session() as session:
            row = facts.by_identifier(session, found.model)[key]
            assert getattr(row, found.name) == theirs, found.table
        changed.append(found.table)
    assert changed
    assert _imports(site) == imports


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_row_deleted_since_the_preview_refuses_the_import(site):
    """Every row of the file changed; one that no other row needs is deleted
    before the confirmation, which is refused naming it."""
    imports = _imports(site)
    deleted = []
    for found in changeable_tables(site):
        rows = [
            {**row, found.name: _other_value(found, row[found.name])}
            for row in found.rows
        ]
        data = csv_bytes(found.header, rows)
        preview = _previewed(site, found.table, data)
        with site.session() as session:
            count = len(facts.rows(session, found.model))
        number = _delete_one(site, found.model, preview["rows"])
        if number is None:
            continue  # other rows need every row of this table
        refused = _confirmed(site, found.table, preview)
        assert refused.status_code == 409, (found.table, refused.text)
        assert refused.json()["error"].startswith(
            f"Nothing was imported: Row {number} of the file changed"
        ), (found.table, refused.json())
        with site.session() as session:
            assert len(facts.rows(session, found.model)) == count - 1, found.table
        deleted.append(found.table)
    assert deleted
    assert _imports(site) == imports


def _delete_one(site, model: type, previewed: list[dict]) -> int | None:  # type: ignore[no-untyped-def]
    """Delete the first previewed row that no other row needs; its number."""
    table = model.__table__
    for shown in previewed:
        with site.session() as session:
            row = facts.by_identifier(session, model)[shown["key"]]
            where = [c == getattr(row, facts.attr(c)) for c in facts.primary_key(model)]
            try:
                session.execute(delete(table).where(*where))
                session.commit()
            except IntegrityError:
                continue
            return shown["row"]
    return None


def test_a_unique_value_taken_since_the_preview_refuses_a_changed_row(
    fullstack_site,
):
    from tests.zoo.fullstack import User

    site = fullstack_site
    text = site.client.get("/admin/user/export/csv?sortBy=email").text
    rows = csv_rows(text)
    assert len(rows) >= 2
    rows[0]["email"] = "taken.meanwhile@example.com"
    preview = _previewed(site, "user", csv_bytes(list(rows[0]), rows))
    assert (preview["new"], preview["changed"]) == (0, 1)
    with site.session() as session:
        other = session.exec(select(User).where(User.email == rows[1]["email"])).one()
        other.email = "taken.meanwhile@example.com"
        session.add(other)
        session.commit()
    refused = _confirmed(site, "user", preview)
    assert refused.status_code == 409
    assert refused.json()["error"].startswith(REFUSED)
    with site.session() as session:
        owners = session.exec(
            select(User.id).where(User.email == "taken.meanwhile@example.com")
        ).all()
        assert owners == [other.id]
    assert _imports(site) == 0


def test_a_unique_value_taken_since_the_preview_refuses_a_new_row(tracker_site):
    site = tracker_site
    data = b"id,name\n,Kept\n,Taken meanwhile\n"
    preview = _previewed(site, "tracker-label", data)
    assert (preview["new"], preview["changed"]) == (2, 0)
    with site.session() as session:
        session.add(TrackerLabel(name="Taken meanwhile"))
        session.commit()
    refused = _confirmed(site, "tracker-label", preview)
    assert refused.status_code == 409
    assert refused.json()["error"].startswith(
        "Nothing was imported: Row 3 of the file changed in the database since"
    )
    with site.session() as session:
        names = session.exec(select(TrackerLabel.name)).all()
        assert names.count("Taken meanwhile") == 1 and "Kept" not in names
    assert _imports(site) == 0


def csv_rows(text: str) -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("fillers", [0, 1, "batch"])
def test_a_row_linked_to_a_row_the_file_adds_is_linked_to_it_when_confirmed(
    tracker_site, fillers
):
    """A task that names, by its title, a parent task the same file adds
    (the row before it, a few rows before, or in an earlier batch) sees it,
    as a row-by-row import would, and is linked to that new task as the
    confirmation adds it, whatever key the database gives it then: not to
    the key it had in the preview (another task added meanwhile took it on
    SQLite; PostgreSQL never gives a sequence's number twice)."""
    from admin_app.importing.run import BATCH_ROWS
    from tests.zoo.tracker import TrackerTask

    site = tracker_site
    with site.session() as session:
        child = session.exec(select(TrackerTask).order_by(TrackerTask.id)).first()
        child_id = child.id
    header = ["id", "title", "parent"]
    rows = [{"id": "", "title": "Alpha", "parent": ""}]
    count = BATCH_ROWS if fillers == "batch" else fillers  # the same batch, or not
    rows += [{"id": "", "title": f"Filler {n}", "parent": ""} for n in range(count)]
    rows.append({"id": str(child_id), "title": child.title, "parent": "Alpha"})
    preview = _previewed(site, "tracker-task", csv_bytes(header, rows))
    assert (preview["new"], preview["changed"]) == (count + 1, 1)
    with site.session() as session:  # someone adds a task meanwhile
        session.add(TrackerTask(title="Added meanwhile"))
        session.commit()
    answer = _confirmed(site, "tracker-task", preview)
    assert answer.json() == {"added": count + 1, "changed": 1}
    with site.session() as session:
        child = session.get(TrackerTask, child_id)
        assert child.parent is not None and child.parent.title == "Alpha"


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_a_confirmation_with_its_progress_ends_on_the_list_on_every_table(site):
    """The preview page's script asks for the rows' progress lines; the last
    says where to go, and there the list says what the import did."""
    import json

    confirmed = []
    for found in changeable_tables(site):
        data, new = _first_row_changed(found)
        preview = _previewed(site, found.table, data)
        answer = site.client.post(
            f"/admin/{found.table}/import/confirm",
            data={"token": preview["token"]},
            headers={"Accept": "application/x-ndjson"},
        )
        *progress, last = [json.loads(line) for line in answer.text.splitlines()]
        assert progress == [{"rows": 1}], found.table
        assert last["status"] == 303, (found.table, last)
        assert f"/admin/{found.table}/import/done?entry=" in last["location"]
        listed = site.client.get(last["location"])
        assert str(listed.url).endswith(f"/admin/{found.table}/list"), found.table
        assert "changed, 0 added." in listed.text, found.table
        _assert_holds(site, found, preview["rows"][0]["key"], new)
        confirmed.append(found.table)
    assert confirmed
