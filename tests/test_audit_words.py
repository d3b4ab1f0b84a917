"""The audit log reads like a staff user's: actions, tables and fields in
words, related rows by label, and a revert that first shows what it changes."""

import re

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.writing.audit import AuditEntry
from models import Task, TaskStatus, Worker
from tests.conftest import add_staff, login
from tests.pages import list_rows, text
from tests.test_links import submit

pytestmark = pytest.mark.postgres


@pytest.fixture
def crew(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        ada = Worker(name="Ada Allen", email="ada@example.com")
        ben = Worker(name="Ben Ortiz", email="ben@example.com")
        session.add_all([ada, ben])
        session.flush()
        tasks = [
            Task(title="Write the notes", assignee_id=ada.id),
            Task(title="Ship it", assignee_id=ada.id),
            Task(title="Untouched", assignee_id=ben.id),
        ]
        session.add_all(tasks)
        session.commit()
        return {"ada": ada, "ben": ben, "tasks": tasks}


def entries(db, action: str) -> list[AuditEntry]:
    db.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.action == action)
    return db.exec(stmt.order_by(AuditEntry.id)).all()


def changes_table(html: str) -> list[list[str]]:
    """The rows of the entry's changes table, as cell texts."""
    found = re.search(
        r'<table class="table table-sm audit-changes">(.*?)</table>', html, re.S
    )
    assert found, "no changes table"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    return [
        [
            " ".join(text(c).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in rows
    ]


def test_an_edit_reads_assignee_from_one_name_to_another(client, db, crew):
    task = crew["tasks"][0]
    response = submit(
        client,
        f"/admin/task/edit/{task.id}",
        {"assignee": str(crew["ben"].id), "status": "blocked"},
    )
    assert response.status_code == 302
    (entry,) = entries(db, "edit")
    assert entry.change_data()["assignee_id"] == [crew["ada"].id, crew["ben"].id]

    shown = list_rows(client.get("/admin/audit-entry/list").text)
    assert [(r["Action"], r["Table"]) for r in shown] == [("Changed", "Task")]

    page = client.get(f"/admin/audit-entry/details/{entry.id}").text
    lines = changes_table(page)
    assert lines[0] == ["Field", "Before", "After"]
    assert sorted(lines[1:]) == [
        ["Assignee", "Ada Allen", "Ben Ortiz"],
        ["Status", "Todo", "Blocked"],
    ]
    assert "assignee_id" not in text(page) and "bulk_edit" not in text(page)


def test_a_bulk_edit_reads_row_by_row_and_its_revert_asks_first(client, db, crew):
    ada, ben = crew["ada"], crew["ben"]
    first, second, untouched = crew["tasks"]
    response = client.post(
        f"/admin/task/bulk-edit?pks={first.id},{second.id}",
        data={"fields": ["assignee"], "assignee": str(ben.id)},
        follow_redirects=False,
    )
    assert response.status_code == 302
    (entry,) = entries(db, "bulk_edit")

    shown = list_rows(client.get("/admin/audit-entry/list").text)
    assert [(r["Action"], r["Table"]) for r in shown] == [("Bulk edit", "Task")]
    page = client.get(f"/admin/audit-entry/details/{entry.id}").text
    assert sorted(changes_table(page)[1:]) == [
        ["Ship it", "Assignee", "Ada Allen", "Ben Ortiz"],
        ["Write the notes", "Assignee", "Ada Allen", "Ben Ortiz"],
    ]

    # The button opens a confirmation; nothing changes until it is confirmed.
    confirm = client.get(f"/admin/audit-entry/revert/{entry.id}")
    assert confirm.status_code == 200
    assert "Revert this bulk edit?" in text(confirm.text)
    assert sorted(changes_table(confirm.text)[1:]) == [
        ["Ship it", "Assignee", "Ben Ortiz", "Ada Allen"],
        ["Write the notes", "Assignee", "Ben Ortiz", "Ada Allen"],
    ]
    db.expire_all()
    assert {db.get(Task, t.id).assignee_id for t in (first, second)} == {ben.id}
    assert entries(db, "revert") == []

    done = client.post(f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True)
    assert "2 Tasks put back as they were." in text(done.text)
    db.expire_all()
    assert [db.get(Task, t.id).assignee_id for t in (first, second, untouched)] == [
        ada.id,
        ada.id,
        ben.id,
    ]
    shown = list_rows(client.get("/admin/audit-entry/list").text)
    assert shown[0]["Action"] == "Revert"


def test_a_revert_of_what_cannot_be_reverted_is_a_readable_refusal(client, db, crew):
    submit(client, f"/admin/task/edit/{crew['tasks'][0].id}", {"title": "Renamed"})
    (entry,) = entries(db, "edit")
    refused = client.get(f"/admin/audit-entry/revert/{entry.id}")
    assert refused.status_code == 400
    assert (
        "Only a bulk edit, an import or a list edit can be reverted, "
        "not this entry (changed)." in text(refused.text)
    )
    assert "Traceback" not in refused.text and "SELECT" not in refused.text
    assert client.get("/admin/audit-entry/revert/987654").status_code == 404
    assert client.get(f"/admin/audit-entry/revert/{2**70}").status_code in (404, 400)
    assert entries(db, "revert") == []


def test_an_entry_about_a_deleted_worker_names_it_by_key(client, db, crew):
    task = crew["tasks"][2]
    submit(client, f"/admin/task/edit/{task.id}", {"assignee": str(crew["ada"].id)})
    client.delete(f"/admin/worker/delete?pks={crew['ben'].id}")
    (entry,) = entries(db, "edit")
    page = client.get(f"/admin/audit-entry/details/{entry.id}").text
    assert ["Assignee", f"#{crew['ben'].id} (deleted)", "Ada Allen"] in changes_table(
        page
    )


def test_the_revert_page_shows_only_to_those_who_may_see_the_table(
    app, client, db, crew
):
    first = crew["tasks"][0]
    client.post(
        f"/admin/task/bulk-edit?pks={first.id}",
        data={"fields": ["status"], "status": "done"},
    )
    (entry,) = entries(db, "bulk_edit")
    add_staff(app, "auditor", grants={"audit-entry": ["view"], "project": ["view"]})
    with TestClient(app) as auditor:
        assert login(auditor, "auditor").status_code == 302
        # The audit log is theirs to read, but not this entry about tasks.
        assert auditor.get("/admin/audit-entry/list").status_code == 200
        assert auditor.get(f"/admin/audit-entry/revert/{entry.id}").status_code == 404
        refused = auditor.post(f"/admin/audit-entry/revert/{entry.id}")
        assert refused.status_code in (403, 404)
    db.expire_all()
    assert db.get(Task, first.id).status is TaskStatus.done


def test_the_revert_page_needs_the_grants_of_the_revert(app, client, db, crew):
    first = crew["tasks"][0]
    client.post(
        f"/admin/task/bulk-edit?pks={first.id}",
        data={"fields": ["status"], "status": "done"},
    )
    (entry,) = entries(db, "bulk_edit")
    add_staff(app, "reader", grants={"audit-entry": ["view"], "task": ["view"]})
    with TestClient(app) as reader:
        assert login(reader, "reader").status_code == 302
        assert reader.get(f"/admin/audit-entry/details/{entry.id}").status_code == 200
        assert reader.get(f"/admin/audit-entry/revert/{entry.id}").status_code == 403
        assert reader.post(f"/admin/audit-entry/revert/{entry.id}").status_code == 403
    db.expire_all()
    assert db.get(Task, first.id).status is TaskStatus.done
