"""Bulk edit changes exactly the chosen rows, validated, audited and revertible."""

import re

from sqlmodel import Session, select

from admin_app.writing.audit import AuditEntry
from models import Project, Tag, Task, TaskPriority, TaskStatus, TaskTagLink, Worker
from models.seed import seed_demo
from tests.pages import field_errors, table, text


def bulk(client, query: str, data: dict):
    return client.post(
        f"/admin/task/bulk-edit?{query}", data=data, follow_redirects=False
    )


def snapshot(db) -> dict[int, tuple]:
    db.expire_all()
    return {
        t.id: (t.status, t.priority, t.progress, t.project_id, t.title)
        for t in db.exec(select(Task)).all()
    }


def seeded(app) -> None:
    with Session(app.state.engine) as session:
        seed_demo(session, 120, seed=5)
        session.commit()


def test_checked_rows_change_and_nothing_else(client, db, app):
    seeded(app)
    before = snapshot(db)
    chosen = sorted(before)[:3]
    page = client.get(f"/admin/task/bulk-edit?pks={','.join(map(str, chosen))}")
    assert "This will change 3 Tasks" in text(page.text)
    response = bulk(
        client,
        f"pks={','.join(map(str, chosen))}",
        {
            "fields": ["status", "priority"],
            "status": "blocked",
            "priority": "urgent",
            "progress": "77",
        },  # progress is not ticked: it must not change
    )
    assert response.status_code == 302
    after = snapshot(db)
    for task_id, row in after.items():
        if task_id in chosen:
            assert row[:2] == (TaskStatus.blocked, TaskPriority.urgent)
            assert row[2:] == before[task_id][2:]
        else:
            assert row == before[task_id]
    assert "3 Tasks updated." in text(client.get(response.headers["location"]).text)


def test_select_all_matching_changes_exactly_the_filtered_rows(client, db, app):
    seeded(app)
    before = snapshot(db)
    project = db.exec(select(Project)).first()
    matching = {i for i, row in before.items() if row[0] == TaskStatus.todo}
    response = bulk(
        client,
        "status=todo&select=all",
        {"fields": ["project"], "project": str(project.id)},
    )
    assert response.status_code == 302
    after = snapshot(db)
    assert {
        i for i, row in after.items() if row[3] == project.id and row != before[i]
    } <= matching
    assert all(after[i][3] == project.id for i in matching)
    assert all(after[i] == before[i] for i in set(before) - matching)

    (entry,) = db.exec(select(AuditEntry).where(AuditEntry.action == "bulk_edit")).all()
    assert sorted(map(int, entry.keys())) == sorted(matching)
    old = entry.change_data()["old"]
    assert {int(k): v["project_id"] for k, v in old.items()} == {
        i: before[i][3] for i in matching
    }


def test_an_invalid_value_changes_nothing(client, db, app):
    seeded(app)
    before = snapshot(db)
    response = bulk(
        client,
        "select=all",
        {"fields": ["progress", "status"], "progress": "150", "status": "done"},
    )
    assert response.status_code == 400
    assert "Input should be less than or equal to 100" in field_errors(response.text)
    assert snapshot(db) == before
    assert db.exec(select(AuditEntry)).all() == []


def test_a_zero_foreign_key_clears_it(client, db, app):
    seeded(app)
    response = bulk(
        client,
        "select=all&project_id__isnull=false",
        {"fields": ["project"], "project": "0"},
    )
    assert response.status_code == 302
    assert all(row[3] is None for row in snapshot(db).values())


def test_links_are_added_and_removed_in_bulk(client, db, app):
    seeded(app)
    tag = Tag(name="launch")
    db.add(tag)
    db.commit()
    ids = sorted(snapshot(db))[:10]
    query = f"pks={','.join(map(str, ids))}"
    assert bulk(client, query, {"add__tags": str(tag.id)}).status_code == 302
    linked = set(
        db.exec(select(TaskTagLink.task_id).where(TaskTagLink.tag_id == tag.id)).all()
    )
    assert linked == set(ids)
    assert (
        bulk(client, query, {"add__tags": str(tag.id)}).status_code == 302
    )  # no duplicates
    assert (
        bulk(
            client, f"pks={ids[0]},{ids[1]}", {"remove__tags": str(tag.id)}
        ).status_code
        == 302
    )
    db.expire_all()
    linked = set(
        db.exec(select(TaskTagLink.task_id).where(TaskTagLink.tag_id == tag.id)).all()
    )
    assert linked == set(ids[2:])


def test_rows_must_be_chosen_and_a_field_ticked(client, db, app):
    seeded(app)
    assert client.get("/admin/task/bulk-edit").status_code == 400
    response = bulk(client, "select=all", {"status": "done"})
    assert response.status_code == 400
    assert "Tick at least one field" in text(response.text)
    response = bulk(client, "select=all", {"fields": ["id"], "id": "5"})
    assert response.status_code == 400


def test_a_bulk_edit_is_reverted_from_its_audit_entry(client, db, app):
    seeded(app)
    before = snapshot(db)
    bulk(client, "priority=low&select=all", {"fields": ["status"], "status": "done"})
    entry = db.exec(select(AuditEntry)).one()
    details = client.get(f"/admin/audit-entry/details/{entry.id}").text
    assert "Revert this bulk edit" in details
    response = client.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True
    )
    assert "put back as they were" in text(response.text)
    assert snapshot(db) == before
    again = client.post(f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True)
    assert "reverted already" in text(again.text)


def test_a_revert_is_refused_when_rows_changed_since(client, db, app):
    seeded(app)
    done = bulk(
        client, "priority=low&select=all", {"fields": ["status"], "status": "done"}
    )
    client.get(done.headers["location"])  # the list, with its message
    entry = db.exec(select(AuditEntry)).one()
    one = db.get(Task, int(entry.keys()[0]))
    one.status = TaskStatus.blocked
    db.commit()
    after_change = snapshot(db)
    response = client.post(
        f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True
    )
    assert "1 Task changed or went away since this bulk edit" in text(response.text)
    assert snapshot(db) == after_change


def test_links_follow_the_rows_chosen_before_the_change(client, db, app):
    seeded(app)
    tag = Tag(name="closing")
    db.add(tag)
    db.commit()
    todo = {i for i, row in snapshot(db).items() if row[0] == TaskStatus.todo}
    response = bulk(
        client,
        "status=todo&select=all",
        {"fields": ["status"], "status": "done", "add__tags": str(tag.id)},
    )
    assert response.status_code == 302
    db.expire_all()
    linked = set(
        db.exec(select(TaskTagLink.task_id).where(TaskTagLink.tag_id == tag.id))
    )
    assert linked == todo and todo


def test_actions_menu_opens_the_bulk_forms_for_the_ticked_rows(client, app):
    seeded(app)
    for action, route in (("bulk-edit", "bulk-edit"), ("bulk-delete", "bulk-delete")):
        response = client.post(
            f"/admin/task/action/{action}?pks=1,2", follow_redirects=False
        )
        assert response.status_code == 302
        assert response.headers["location"].endswith(f"/admin/task/{route}?pks=1,2")


def test_the_entry_keeps_each_rows_old_values_and_a_revert_puts_flags_back(
    client, db, app
):
    projects = [Project(name=f"P{n}", archived=n == 0) for n in range(3)]
    db.add_all(projects)
    db.commit()
    ids = [p.id for p in projects]
    response = client.post(
        "/admin/project/bulk-edit?select=all",
        data={"fields": ["archived"], "archived": "y"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    entry = db.exec(select(AuditEntry)).one()
    assert sorted(entry.keys()) == sorted(str(i) for i in ids)
    assert entry.summary == "Bulk edit of 3 Projects: archived"
    data = entry.change_data()
    assert data["new"] == {"archived": True}
    assert data["old"] == {str(i): {"archived": i == ids[0]} for i in ids}
    details = client.get(f"/admin/audit-entry/details/{entry.id}")
    assert details.status_code == 200 and "Revert this bulk edit" in details.text
    client.post(f"/admin/audit-entry/revert/{entry.id}", follow_redirects=True)
    db.expire_all()
    assert [db.get(Project, i).archived for i in ids] == [True, False, False]


def test_a_bulk_edit_that_matches_nothing_writes_no_entry(client, db, app):
    seeded(app)
    response = bulk(
        client,
        "search=no-such-task&select=all",
        {"fields": ["status"], "status": "done"},
    )
    assert response.status_code == 302
    assert db.exec(select(AuditEntry)).all() == []


def test_the_audit_log_names_a_reassignment_in_words(client, db, app):
    seeded(app)
    tasks = db.exec(select(Task).order_by(Task.id).limit(2)).all()
    worker = db.exec(select(Worker).order_by(Worker.id)).first()
    chosen = ",".join(str(t.id) for t in tasks)
    response = bulk(
        client,
        f"pks={chosen}",
        {"fields": ["assignee", "priority"], "assignee": worker.id, "priority": "low"},
    )
    assert response.status_code == 302
    entry = db.exec(select(AuditEntry)).one()
    # The fields by the labels their pages show, not their key columns.
    assert entry.summary == "Bulk edit of 2 Tasks: assignee, priority"
    listed = text(client.get("/admin/audit-entry/list").text)
    assert "Bulk edit of 2 Tasks: assignee, priority" in listed
    assert "assignee id" not in listed
    details = client.get(f"/admin/audit-entry/details/{entry.id}").text
    assert f"Audit entry: #{entry.id} Bulk edit of 2 Tasks: assignee" in text(details)
    assert "bulk_edit" not in text(details)
    changes = re.search(r'<table class="[^"]*audit-changes.*?</table>', details, re.S)
    headers, rows = table(changes.group(0))
    assert headers == ["Row", "Field", "Before", "After"]
    assigned = [row for row in rows if row[1] == "Assignee"]
    assert sorted(row[0] for row in assigned) == sorted(t.title for t in tasks)
    assert {row[3] for row in assigned} == {worker.name}
