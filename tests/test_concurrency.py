"""Saving a form for a row that changed meanwhile is refused, not overwritten."""

from sqlmodel import Session, select

from models import AssignmentRole, Task, TaskAssignment, TaskStatus, Worker
from tests.pages import form_values, text
from tests.test_links import post_form


def open_form(client, url):
    return form_values(client.get(url).text)


def typed(values, **changes):
    return [(k, changes.get(k, v)) for k, v in values]


def test_a_stale_edit_is_refused_with_what_changed(client, db, app):
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
    assert "Status is now “Done”" in words and "Progress is now “100”" in words
    db.expire_all()
    saved = db.get(Task, task.id)
    assert (saved.title, saved.status, saved.progress) == (
        "Launch",
        TaskStatus.done,
        100,
    )

    again = post_form(
        client, url, form_values(response.text)
    )  # a deliberate second save
    assert again.status_code == 302
    db.expire_all()
    assert (db.get(Task, task.id).title, db.get(Task, task.id).progress) == (
        "Launch v2",
        20,
    )


def test_a_change_to_the_link_rows_also_counts(client, db, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task, worker = Task(title="Launch"), Worker(name="Ada", email="ada@example.com")
        session.add_all([task, worker])
        session.commit()
    url = f"/admin/task/edit/{task.id}"
    mine = open_form(client, url)
    with Session(app.state.engine) as other:
        other.add(
            TaskAssignment(
                task_id=task.id, worker_id=worker.id, role=AssignmentRole.owner
            )
        )
        other.commit()
    response = post_form(client, url, typed(mine, title="Renamed"))
    assert response.status_code == 400
    assert "Assignments were changed" in text(response.text)
    db.expire_all()
    assert db.get(Task, task.id).title == "Launch"
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
