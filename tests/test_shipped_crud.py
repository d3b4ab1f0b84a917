"""A staff user lists, creates, views, edits and deletes rows of every shipped table."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models import (
    AssignmentRole,
    Project,
    Tag,
    Task,
    TaskAssignment,
    TaskPriority,
    TaskStatus,
    TaskTagLink,
    Worker,
)
from tests.pages import list_rows, table, text


def save(client, url, data, **kwargs):
    return client.post(
        url, data={**data, "save": "Save"}, follow_redirects=False, **kwargs
    )


@pytest.fixture
def people(app):
    """A project, a worker, a tag and a task to link new rows to."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        project = Project(name="Apollo")
        worker = Worker(name="Grace Hopper", email="grace@example.com")
        tag = Tag(name="backend", color="#1f77b4")
        session.add_all([project, worker, tag])
        session.flush()
        task = Task(title="Plan launch", project_id=project.id)
        session.add(task)
        session.commit()
        return {"project": project, "worker": worker, "tag": tag, "task": task}


@pytest.mark.parametrize(
    "identity", ["project", "worker", "tag", "task", "task-assignment", "task-tag-link"]
)
def test_every_list_create_and_index_page_opens(client, identity):
    assert client.get(f"/admin/{identity}/list").status_code == 200
    assert client.get(f"/admin/{identity}/create").status_code == 200
    index = client.get("/admin/")
    assert f'href="http://testserver/admin/{identity}/list"' in index.text


def test_project_story(client, db):
    created = save(client, "/admin/project/create", {"name": "Borealis"})
    assert created.status_code == 302
    project = db.exec(select(Project)).one()
    assert (project.name, project.archived) == ("Borealis", False)

    rows = list_rows(client.get("/admin/project/list").text)
    assert [row["Name"] for row in rows] == ["Borealis"]

    edited = save(
        client,
        f"/admin/project/edit/{project.id}",
        {"name": "Borealis II", "description": "Second try", "archived": "y"},
    )
    assert edited.status_code == 302
    db.expire_all()
    assert (project.name, project.description, project.archived) == (
        "Borealis II",
        "Second try",
        True,
    )
    details = text(client.get(f"/admin/project/details/{project.id}").text)
    assert "Borealis II" in details and "Second try" in details

    assert client.delete(f"/admin/project/delete?pks={project.id}").status_code == 200
    db.expire_all()
    assert db.exec(select(Project)).all() == []


def test_worker_story(client, db):
    save(
        client,
        "/admin/worker/create",
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "active": "y",
            "hired_on": "2024-03-01",
        },
    )
    worker = db.exec(select(Worker)).one()
    assert worker.hired_on == date(2024, 3, 1) and worker.active
    save(
        client,
        f"/admin/worker/edit/{worker.id}",
        {"name": "Ada King", "email": "ada@example.com"},
    )
    db.expire_all()
    assert worker.name == "Ada King" and not worker.active
    assert "Ada King" in text(client.get(f"/admin/worker/details/{worker.id}").text)
    client.delete(f"/admin/worker/delete?pks={worker.id}")
    db.expire_all()
    assert db.exec(select(Worker)).all() == []


def test_tag_story(client, db):
    save(client, "/admin/tag/create", {"name": "urgent", "color": "#ff0000"})
    tag = db.exec(select(Tag)).one()
    save(client, f"/admin/tag/edit/{tag.id}", {"name": "urgent", "color": "#00ff00"})
    db.expire_all()
    assert tag.color == "#00ff00"
    client.delete(f"/admin/tag/delete?pks={tag.id}")
    db.expire_all()
    assert db.exec(select(Tag)).all() == []


def test_task_story_with_relations_shown_by_label(client, db, people):
    response = save(
        client,
        "/admin/task/create",
        {
            "title": "Write the manual",
            "status": "in_progress",
            "priority": "high",
            "progress": "40",
            "due_date": "2026-12-24",
            "project": str(people["project"].id),
            "assignee": str(people["worker"].id),
            "parent": str(people["task"].id),
            "tags": str(people["tag"].id),
        },
    )
    assert response.status_code == 302
    task = db.exec(select(Task).where(Task.title == "Write the manual")).one()
    assert task.status is TaskStatus.in_progress
    assert task.priority is TaskPriority.high
    assert (task.progress, task.due_date) == (40, date(2026, 12, 24))
    assert task.project_id == people["project"].id
    assert task.assignee_id == people["worker"].id
    assert task.parent_id == people["task"].id
    assert [tag.name for tag in task.tags] == ["backend"]

    page = client.get("/admin/task/list")
    row = next(r for r in list_rows(page.text) if r["Title"] == "Write the manual")
    assert row["Project"] == "Apollo"
    assert row["Assignee"] == "Grace Hopper"
    assert row["Parent"] == "Plan launch"
    assert "<models." not in page.text and "object at 0x" not in page.text

    details = client.get(f"/admin/task/details/{task.id}")
    assert "Apollo" in text(details.text) and "backend" in text(details.text)
    edit_form = client.get(f"/admin/task/edit/{task.id}")
    assert "Grace Hopper" in edit_form.text

    save(
        client,
        f"/admin/task/edit/{task.id}",
        {
            "title": "Write the manual",
            "status": "done",
            "priority": "high",
            "progress": "100",
            "project": str(people["project"].id),
        },
    )
    db.expire_all()
    assert (task.status, task.progress, task.assignee_id) == (
        TaskStatus.done,
        100,
        None,
    )

    task_id = task.id
    client.delete(f"/admin/task/delete?pks={task_id}")
    db.expire_all()
    assert db.get(Task, task_id) is None


def test_task_assignment_story_with_a_composite_key(client, db, people):
    task, worker = people["task"], people["worker"]
    response = save(
        client,
        "/admin/task-assignment/create",
        {
            "task": str(task.id),
            "worker": str(worker.id),
            "role": "reviewer",
            "assigned_at": "2026-11-20 09:30:00",
        },
    )
    assert response.status_code == 302
    link = db.exec(select(TaskAssignment)).one()
    assert link.role is AssignmentRole.reviewer
    pk = f"{task.id};{worker.id}"
    rows = list_rows(client.get("/admin/task-assignment/list").text)
    assert (rows[0]["Task"], rows[0]["Worker"]) == ("Plan launch", "Grace Hopper")
    assert "Reviewer" in text(client.get(f"/admin/task-assignment/details/{pk}").text)
    save(
        client,
        f"/admin/task-assignment/edit/{pk}",
        {
            "task": str(task.id),
            "worker": str(worker.id),
            "role": "owner",
            "assigned_at": "2026-11-20 09:30:00",
        },
    )
    db.expire_all()
    assert link.role is AssignmentRole.owner
    client.delete(f"/admin/task-assignment/delete?pks={pk}")
    db.expire_all()
    assert db.exec(select(TaskAssignment)).all() == []


def test_task_tag_link_story(client, db, people):
    task, tag = people["task"], people["tag"]
    save(
        client,
        "/admin/task-tag-link/create",
        {"task_id": str(task.id), "tag_id": str(tag.id)},
    )
    assert db.exec(select(TaskTagLink)).one().tag_id == tag.id
    pk = f"{task.id};{tag.id}"
    assert client.get(f"/admin/task-tag-link/details/{pk}").status_code == 200
    client.delete(f"/admin/task-tag-link/delete?pks={pk}")
    db.expire_all()
    assert db.exec(select(TaskTagLink)).all() == []


def test_index_lists_every_table_with_its_row_count(client, people):
    page = client.get("/admin/")
    _headers, rows = table(page.text)
    assert [(name, count) for name, count, _add in rows] == [
        ("Projects", "1"),
        ("Tags", "1"),
        ("Task assignments", "0"),
        ("Task tag links", "0"),
        ("Tasks", "1"),
        ("Workers", "1"),
        ("Staff users", "1"),
        ("Staff groups", "0"),
        ("Audit log", "0"),
    ]
