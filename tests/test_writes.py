"""Forms go through the model's own validation; mistakes are messages, not crashes."""

import pytest
from sqlmodel import Session, select

from models import Project, Task, TaskAssignment, Worker
from tests.pages import field_errors, text


def save(client, url, data):
    return client.post(url, data={**data, "save": "Save"}, follow_redirects=False)


def assert_no_internals(html: str) -> None:
    page = text(html)
    for leak in ("Traceback", "INSERT INTO", "UPDATE ", "sqlalchemy", "IntegrityError"):
        assert leak not in page


TASK = {"title": "Ship it", "status": "todo", "priority": "normal", "progress": "0"}


def test_a_field_constraint_is_shown_next_to_its_field_and_nothing_is_stored(
    client, db
):
    response = save(client, "/admin/task/create", {**TASK, "progress": "150"})
    assert response.status_code == 400
    assert field_errors(response.text) == ["Input should be less than or equal to 100"]
    assert_no_internals(response.text)
    assert db.exec(select(Task)).all() == []


def test_a_taken_unique_value_is_a_field_error(client, db):
    db.add(Project(name="Apollo"))
    db.commit()
    response = save(client, "/admin/project/create", {"name": "Apollo"})
    assert response.status_code == 400
    assert "Another row already has this name." in field_errors(response.text)
    assert_no_internals(response.text)
    assert len(db.exec(select(Project)).all()) == 1


def test_editing_into_a_taken_unique_value_is_refused(client, db):
    db.add_all(
        [
            Worker(name="A", email="a@example.com"),
            Worker(name="B", email="b@example.com"),
        ]
    )
    db.commit()
    b = db.exec(select(Worker).where(Worker.name == "B")).one()
    response = save(
        client, f"/admin/worker/edit/{b.id}", {"name": "B", "email": "a@example.com"}
    )
    assert response.status_code == 400
    assert "Another row already has this email." in field_errors(response.text)
    db.expire_all()
    assert b.email == "b@example.com"


@pytest.mark.parametrize("none", ["0", "", "__None"])
def test_an_empty_or_zero_foreign_key_is_stored_as_null(client, db, none):
    response = save(
        client, "/admin/task/create", {**TASK, "project": none, "assignee": none}
    )
    assert response.status_code == 302
    task = db.exec(select(Task)).one()
    assert (task.project_id, task.assignee_id, task.parent_id) == (None, None, None)


def test_a_required_relation_left_empty_is_required(client, db):
    db.add(Worker(name="A", email="a@example.com"))
    db.commit()
    response = save(
        client,
        "/admin/task-assignment/create",
        {"task": "0", "worker": "1", "role": "owner"},
    )
    assert response.status_code == 400
    assert field_errors(response.text) == ["This field is required."]  # one only
    assert db.exec(select(TaskAssignment)).all() == []


def test_a_related_row_that_does_not_exist_is_refused(client, db):
    response = save(client, "/admin/task/create", {**TASK, "project": "999"})
    assert response.status_code == 400
    assert field_errors(response.text) in (
        ["Not a valid choice"],  # a plain select knows its choices
        ["Choose a valid option: that row does not exist."],  # a search-as-you-type one
    )
    assert db.exec(select(Task)).all() == []


@pytest.mark.parametrize(
    "url",
    [
        "/admin/task/details/abc",
        "/admin/task/edit/1.5",
        "/admin/task-assignment/details/1",
        "/admin/task-assignment/edit/x;y",
        "/admin/task/details/999",
        "/admin/task/details/100000000000000000000000",
    ],
)
def test_a_malformed_or_unknown_key_is_not_found(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert_no_internals(response.text)


def test_model_validation_runs_for_an_edit_too(client, db):
    with Session(db.get_bind()) as session:
        session.add(Task(title="Keep me", progress=10))
        session.commit()
    task = db.exec(select(Task)).one()
    response = save(client, f"/admin/task/edit/{task.id}", {**TASK, "title": ""})
    assert response.status_code == 400
    db.expire_all()
    assert task.title == "Keep me"
