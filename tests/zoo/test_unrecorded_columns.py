"""A column whose values the audit trail never records (a view's
`audit_hidden`, a secret) changes like any other on every write path: the
edit form, the list, a bulk edit and an import save it, say so and write an
audit entry naming it, without its values; a revert, which cannot know its
old values, is refused saying why. Each once left the change unsaid: the
form and the list said "No changes" and wrote no entry (a password changed
without a trace), a bulk edit recorded the values, and an import previewed
the row as unchanged and dropped the change. On the full-stack template's
users, SQLite and PostgreSQL."""

import csv
import io
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.testclient import TestClient

from admin_app.writing.audit import AuditEntry
from tests.conftest import serving, superuser_browser
from tests.pages import form_values, post_form, text
from tests.test_list_editing import changed, list_form, save
from tests.zoo import fullstack
from tests.zoo.seeds import seed
from tests.zoo.test_import_roundtrip import csv_bytes, import_preview

MODELS = "tests.unrecorded_zoo"
JSON = {"Accept": "application/json"}
NOT_RECORDED = "changed (its values are not recorded)"
REFUSED = (
    "changed full name, whose values the audit trail never records: their old "
    "values are not known, so it cannot be reverted."
)


@pytest.fixture
def private_site(empty_database_url: str) -> Iterator[Starlette]:
    for app in serving(empty_database_url, MODELS):
        seed(app.state.engine, fullstack.__name__)
        yield app


@pytest.fixture
def keeper(private_site: Starlette) -> Iterator[TestClient]:
    yield from superuser_browser(private_site)


def users(private_site: Starlette) -> dict[str, fullstack.User]:
    with Session(private_site.state.engine) as session:
        return {u.email: u for u in session.exec(select(fullstack.User))}


def entries(private_site: Starlette) -> list[AuditEntry]:
    with Session(private_site.state.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def message_after(client: TestClient, response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, text(response.text)[:300]
    return text(client.get(response.headers["location"]).text)


def refused_revert(client: TestClient, entry: AuditEntry) -> str:
    """The message a revert of `entry` ends with (it must be refused)."""
    page = text(client.get(f"/admin/audit-entry/details/{entry.id}").text)
    assert "Full name" in page and NOT_RECORDED in page
    asked = client.get(f"/admin/audit-entry/revert/{entry.id}").text
    assert REFUSED in text(asked) and 'id="confirm-revert"' not in asked
    reverted = client.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=False
    )
    return message_after(client, reverted)


def test_the_edit_form_saves_names_and_audits_a_change_it_never_records(
    keeper, private_site
):
    alice = users(private_site)["alice@example.com"]
    url = f"/admin/user/edit/{alice.id}"
    shown = form_values(keeper.get(url).text)
    typed = [(n, "Alice Private" if n == "full_name" else v) for n, v in shown]
    assert "saved (full name changed)" in message_after(
        keeper, post_form(keeper, url, typed)
    )
    assert users(private_site)["alice@example.com"].full_name == "Alice Private"
    (entry,) = entries(private_site)
    assert entry.summary == "Changed User “alice@example.com”: full name"
    assert entry.change_data() == {}  # named, its values never recorded
    # a new password (a secret by its name): saved and audited, never shown
    typed = [
        (n, "a new secret 2026" if n.startswith("hashed_password") else v)
        for n, v in shown
    ]
    said = message_after(keeper, post_form(keeper, url, typed))
    assert "No changes" not in said and "password changed" in said
    after = users(private_site)["alice@example.com"]
    assert after.hashed_password != alice.hashed_password
    assert "a new secret 2026" not in after.hashed_password  # its hash
    assert after.full_name == "Alice Private"  # left as the form showed it: kept
    entry = entries(private_site)[-1]
    assert "password" in entry.summary and "secret" not in entry.changes
    assert "Alice" not in entry.changes


def test_a_bulk_edit_names_a_column_it_never_records_and_is_not_reverted(
    keeper, private_site
):
    before = users(private_site)
    chosen = [before["alice@example.com"], before["dave@example.org"]]
    url = f"/admin/user/bulk-edit?pks={','.join(str(u.id) for u in chosen)}"
    done = keeper.post(
        url,
        data={"fields": "full_name", "full_name": "Anonymous"},
        follow_redirects=False,
    )
    assert done.status_code == 302, text(done.text)[:300]
    after = users(private_site)
    assert [after[u.email].full_name for u in chosen] == ["Anonymous", "Anonymous"]
    (entry,) = entries(private_site)
    assert entry.summary == "Bulk edit of 2 Users: full name"
    assert entry.change_data()["unrecorded"] == ["full_name"]
    assert not {"Anonymous", "Alice Admin", "Dave Without Items"} & {
        word for word in entry.changes.replace('"', " ").split()
    }
    assert "Alice" not in entry.changes and "Anonymous" not in entry.changes
    assert REFUSED in refused_revert(keeper, entry)
    assert users(private_site)["alice@example.com"].full_name == "Anonymous"


def test_a_list_edit_saves_a_column_it_never_records_and_is_not_reverted(
    keeper, private_site
):
    url = "/admin/user/list?sortBy=email&sort=asc"
    values = list_form(keeper.get(url).text)
    first = dict(values)["row-0-pk"]
    response = save(keeper, url, changed(values, row_0_full_name="Listed Name"))
    assert "1 User saved" in message_after(keeper, response)
    (user,) = [u for u in users(private_site).values() if str(u.id) == first]
    assert user.full_name == "Listed Name"
    (entry,) = entries(private_site)
    assert entry.summary == "List edit of 1 User: full name"
    assert entry.change_data()["unrecorded"] == ["full_name"]
    assert "Listed Name" not in entry.changes and "Alice" not in entry.changes
    assert REFUSED in refused_revert(keeper, entry)


def test_an_import_changes_a_column_it_never_records_and_is_not_reverted(
    keeper, private_site
):
    exported = keeper.get("/admin/user/export/csv?sortBy=email&sort=asc").text
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["full_name"] for r in rows[:2]] == ["Alice Admin", ""]
    rows[0]["full_name"] = "Alice Private"  # alone: was previewed as unchanged
    rows[1]["full_name"], rows[1]["is_active"] = "Bob Private", "true"
    data = csv_bytes(list(rows[0]), rows)
    found = import_preview(keeper, "user", data)
    assert (found["errors"], found["changed"]) == ([], 2)
    assert [(r["changes"], r.get("unrecorded")) for r in found["rows"]] == [
        ({}, ["full_name"]),
        ({"is_active": [False, True]}, ["full_name"]),
    ]
    page = keeper.post("/admin/user/import", files={"file": ("u.csv", data)}).text
    assert "<td>Full name</td><td>not shown</td><td>changed, not shown</td>" in page
    assert "Private" not in page and "Alice Admin" not in page
    # the name changed since the preview: its confirmation is refused
    with Session(private_site.state.engine) as session:
        alice = session.exec(
            select(fullstack.User).where(fullstack.User.email == "alice@example.com")
        ).one()
        alice.full_name = "Someone Else"
        session.commit()
    confirm = "/admin/user/import/confirm"
    stale = keeper.post(confirm, data={"token": found["token"]}, headers=JSON)
    assert "Nothing was imported: Row 2 of the file changed" in stale.text
    assert users(private_site)["bob@example.com"].full_name is None
    token = import_preview(keeper, "user", data)["token"]
    confirmed = keeper.post(confirm, data={"token": token})
    assert confirmed.status_code == 200, text(confirmed.text)[:300]
    after = users(private_site)
    assert after["alice@example.com"].full_name == "Alice Private"
    assert (after["bob@example.com"].full_name, after["bob@example.com"].is_active) == (
        "Bob Private",
        True,
    )
    (entry,) = [e for e in entries(private_site) if e.action == "import"]
    data_ = entry.change_data()
    assert data_["unrecorded"] == ["full_name"]
    assert list(data_["new"].values()) == [{}, {"is_active": True}]
    assert "Private" not in entry.changes and "Alice" not in entry.changes
    assert REFUSED in refused_revert(keeper, entry)
    assert users(private_site)["bob@example.com"].is_active is True


def test_a_change_made_meanwhile_to_a_column_never_recorded_is_kept(
    keeper, private_site
):
    """Someone else's change to the name since the edit form or the list was
    shown is kept, as a change to any column is (it was overwritten with the
    name as shown): the form's save that left the name as shown keeps it,
    and one that changed it too is a conflict; the list's save of the row
    is refused, showing the conflict."""
    alice = users(private_site)["alice@example.com"]
    url = f"/admin/user/edit/{alice.id}"
    list_url = "/admin/user/list?sortBy=email&sort=asc"
    shown = form_values(keeper.get(url).text)

    def rename(name: str) -> None:
        with Session(private_site.state.engine) as session:
            session.get(fullstack.User, alice.id).full_name = name
            session.commit()

    rename("Their Name")
    typed = [(n, "alice@example.net" if n == "email" else v) for n, v in shown]
    assert "saved (email changed)" in message_after(
        keeper, post_form(keeper, url, typed)
    )
    after = users(private_site)["alice@example.net"]
    assert after.full_name == "Their Name"
    listed = list_form(keeper.get(list_url).text)
    assert dict(listed)["row-0-pk"] == str(alice.id)
    rename("Their Name Again")
    unticked = [(n, v) for n, v in listed if n != "row-0-is_active"]
    refused = save(keeper, list_url, unticked)
    assert refused.status_code == 409
    assert "Changed meanwhile to Their Name Again" in text(refused.text)
    assert "Changed meanwhile to alice" not in text(refused.text)
    after = users(private_site)["alice@example.net"]
    assert (after.full_name, after.is_active) == ("Their Name Again", True)

    shown = form_values(keeper.get(url).text)
    rename("Theirs Once More")
    typed = [(n, "Mine" if n == "full_name" else v) for n, v in shown]
    refused = post_form(keeper, url, typed)
    assert refused.status_code == 400
    assert "Theirs Once More" in text(refused.text)  # the conflict, shown
    assert users(private_site)["alice@example.net"].full_name == "Theirs Once More"


def test_a_new_rows_value_never_recorded_is_imported_and_named_not_shown(
    keeper, private_site
):
    """An imported new item's description (kept out of the trail by the
    view) is written; the preview names it, its value not shown, and the
    entry records the row without it."""
    alice = users(private_site)["alice@example.com"]
    data = f"title,description,owner_id\nTablet,A private note,{alice.id}\n".encode()
    found = import_preview(keeper, "item", data)
    assert (found["errors"], found["new"]) == ([], 1)
    (added,) = found["added"]
    assert added["unrecorded"] == ["description"]
    assert "description" not in added["values"] and "A private note" not in str(found)
    page = keeper.post("/admin/item/import", files={"file": ("i.csv", data)}).text
    assert "<td>Description</td><td>not shown</td>" in page
    assert "A private note" not in page
    token = found["token"]
    confirmed = keeper.post("/admin/item/import/confirm", data={"token": token})
    assert confirmed.status_code == 200, text(confirmed.text)[:300]
    with Session(private_site.state.engine) as session:
        tablet = session.exec(
            select(fullstack.Item).where(fullstack.Item.title == "Tablet")
        ).one()
        assert tablet.description == "A private note"
    (entry,) = [e for e in entries(private_site) if e.action == "import"]
    assert "A private note" not in entry.changes and "Tablet" in entry.changes
