"""Every change leaves an audit entry written in the same transaction."""

import json

from sqlmodel import Session, select

from admin_app.auth.models import StaffUser
from admin_app.writing.audit import AuditEntry
from models import Project, Task
from tests.pages import list_rows, text
from tests.test_links import submit


def entries(db) -> list[AuditEntry]:
    db.expire_all()
    return db.exec(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_create_edit_and_delete_are_recorded_with_old_and_new_values(client, db):
    client.post("/admin/project/create", data={"name": "Apollo", "save": "Save"})
    project_id = db.exec(select(Project)).one().id
    submit(
        client,
        f"/admin/project/edit/{project_id}",
        {"name": "Apollo 11", "archived": "y"},
    )
    client.delete(f"/admin/project/delete?pks={project_id}")

    created, edited, deleted = entries(db)
    assert (created.action, created.table, created.username) == (
        "create",
        "project",
        "admin",
    )
    assert created.keys() == [str(project_id)]
    assert created.change_data()["name"] == [None, "Apollo"]
    assert edited.change_data() == {
        "name": ["Apollo", "Apollo 11"],
        "archived": [False, True],
    }
    assert edited.summary == "Changed Project “Apollo 11”: name, archived"
    assert deleted.action == "delete"
    assert deleted.change_data()["name"] == ["Apollo 11", None]


def test_an_unchanged_save_or_a_refused_one_writes_no_entry(client, db):
    db.add(Project(name="Apollo"))
    db.commit()
    project = db.exec(select(Project)).one()
    assert submit(client, f"/admin/project/edit/{project.id}", {}).status_code == 302
    refused = client.post("/admin/task/create", data={"title": "", "save": "Save"})
    assert refused.status_code == 400
    assert entries(db) == []


def test_the_entry_rolls_back_with_a_refused_change(client, db):
    db.add_all([Project(name="A"), Project(name="B")])
    db.commit()
    b = db.exec(select(Project).where(Project.name == "B")).one()
    response = submit(client, f"/admin/project/edit/{b.id}", {"name": "A"})
    assert response.status_code == 400
    assert entries(db) == []


def test_password_hashes_never_reach_the_audit_log(client, db):
    client.post(
        "/admin/staff-user/create",
        data={
            "username": "clerk",
            "password_hash": "a long enough secret",
            "password_repeat": "a long enough secret",
            "save": "Save",
        },
    )
    (entry,) = entries(db)
    assert "password_hash" not in entry.change_data()
    assert "argon2" not in entry.changes


def test_the_audit_log_is_a_read_only_filtered_view_linked_from_details(client, db):
    client.post("/admin/project/create", data={"name": "Apollo", "save": "Save"})
    client.post("/admin/task/create", data={"title": "Plan", "save": "Save"})
    project = db.exec(select(Project)).one()

    page = client.get("/admin/audit-entry/list?table=project")
    assert [row["Summary"] for row in list_rows(page.text)] == [
        "Added Project “Apollo”"
    ]
    assert "+ New" not in text(page.text)
    assert client.get("/admin/audit-entry/create").status_code == 403

    details = client.get(f"/admin/project/details/{project.id}").text
    history = details.split('id="history-link"')[1].split('href="')[1].split('"')[0]
    shown = list_rows(client.get(history.replace("&amp;", "&")).text)
    assert [row["Action"] for row in shown] == ["Added"]

    entry = entries(db)[0]
    entry_page = text(client.get(f"/admin/audit-entry/details/{entry.id}").text)
    assert "Apollo" in entry_page and "Before" in entry_page

    index = text(client.get("/admin/").text)
    assert "Recent changes" in index and "Added Task “Plan”" in index

    assert client.get("/admin/audit-entry/list?action=bogus").status_code == 400


def test_link_rows_are_part_of_the_recorded_change(client, db, app):
    from models import Worker

    with Session(app.state.engine, expire_on_commit=False) as session:
        task, worker = Task(title="Launch"), Worker(name="Ada", email="ada@example.com")
        session.add_all([task, worker])
        session.commit()
    from tests.pages import form_values
    from tests.test_links import post_form

    url = f"/admin/task/edit/{task.id}"
    values = [
        (k, v)
        for k, v in form_values(client.get(url).text)
        if k != "assignments-0-other"
    ]
    post_form(client, url, [*values, ("assignments-0-other", str(worker.id))])
    (entry,) = entries(db)
    old, new = entry.change_data()["assignments"]
    assert old == [] and new[0]["other"] == str(worker.id)
    assert json.loads(entry.changes)  # plain JSON, readable anywhere
    assert db.exec(select(StaffUser)).first() is not None
