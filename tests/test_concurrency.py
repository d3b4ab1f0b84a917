"""Saving a form for a row that changed meanwhile never overwrites the change."""

from sqlmodel import Session, select

from models import AssignmentRole, Task, TaskAssignment, TaskStatus, Worker
from tests.pages import form_values, text
from tests.test_links import post_form


def open_form(client, url):
    return form_values(client.get(url).text)


def typed(values, **changes):
    return [(k, changes.get(k, v)) for k, v in values]


def test_a_stale_edit_keeps_their_changes_and_asks_about_shared_ones(client, db, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Launch", progress=10)
        session.add(task)
        session.commit()
    url = f"/admin/task/edit/{task.id}"
    mine = open_form(client, url)

    with Session(app.state.engine) as other:  # a colleague saves first
        theirs = other.get(Task, task.id)
        theirs.status, theirs.progress = TaskStatus.done, 100
        other.commit()

    response = post_form(client, url, typed(mine, title="Launch v2", progress="20"))
    assert response.status_code == 400
    words = text(response.text)
    assert "Someone else saved this row after you opened the form" in words
    assert "Progress: someone else saved “100”; you entered “20”." in words
    assert dict(form_values(response.text))["status"] == "done"  # theirs, shown
    db.expire_all()
    saved = db.get(Task, task.id)
    assert (saved.title, saved.status, saved.progress) == (
        "Launch",
        TaskStatus.done,
        100,
    )

    # A second click on the form as it came back writes nothing of the stale form.
    again = post_form(client, url, form_values(response.text))
    assert again.status_code == 400
    db.expire_all()
    assert db.get(Task, task.id).title == "Launch"

    chosen = [*form_values(again.text), ("admin_keep__progress", "mine")]
    assert post_form(client, url, chosen).status_code == 302
    db.expire_all()
    saved = db.get(Task, task.id)
    assert (saved.title, saved.status, saved.progress) == (
        "Launch v2",
        TaskStatus.done,
        20,
    )


def test_link_rows_are_part_of_the_rows_version(client, db, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task, worker = Task(title="Launch"), Worker(name="Ada", email="ada@example.com")
        session.add_all([task, worker])
        session.commit()
    url = f"/admin/task/edit/{task.id}"
    mine = open_form(client, url)
    with Session(app.state.engine) as other:  # a colleague assigns Ada as owner
        other.add(
            TaskAssignment(
                task_id=task.id, worker_id=worker.id, role=AssignmentRole.owner
            )
        )
        other.commit()
    # I rename the task: their assignment stays.
    assert post_form(client, url, typed(mine, title="Renamed")).status_code == 302
    db.expire_all()
    assert db.get(Task, task.id).title == "Renamed"
    assert db.exec(select(TaskAssignment)).one().role is AssignmentRole.owner

    # I assign Ada as reviewer on the form opened before their change: a conflict.
    stale = typed(
        mine,
        **{"assignments-0-other": str(worker.id), "assignments-0-role": "reviewer"},
    )
    response = post_form(client, url, stale)
    assert response.status_code == 400
    assert "Ada: someone else saved" in text(response.text)
    db.expire_all()
    assert db.exec(select(TaskAssignment)).one().role is AssignmentRole.owner


def test_an_edit_nobody_else_touched_goes_through(client, db, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Launch")
        session.add(task)
        session.commit()
    url = f"/admin/task/edit/{task.id}"
    assert (
        post_form(client, url, typed(open_form(client, url), title="Go")).status_code
        == 302
    )
    db.expire_all()
    assert db.get(Task, task.id).title == "Go"
