"""Many-to-many links are edited from both sides; link rows keep their own data."""

import re
from datetime import datetime

import pytest
from sqlalchemy import inspect
from sqlmodel import Session, select

from models import (
    AssignmentRole,
    Project,
    Tag,
    Task,
    TaskAssignment,
    TaskTagLink,
    Worker,
)
from models.seed import seed_demo
from tests.pages import field_errors, form_values, post_form, text

PRECISE = datetime(2026, 11, 20, 9, 30, 15, 123456)  # microseconds a form never shows


@pytest.fixture
def team(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        ada = Worker(name="Ada", email="ada@example.com")
        bob = Worker(name="Bob", email="bob@example.com")
        cy = Worker(name="Cy", email="cy@example.com")
        task = Task(title="Launch")
        session.add_all([ada, bob, cy, task])
        session.flush()
        session.add_all(
            [
                TaskAssignment(
                    task_id=task.id,
                    worker_id=ada.id,
                    role=AssignmentRole.owner,
                    assigned_at=PRECISE,
                ),
                TaskAssignment(
                    task_id=task.id,
                    worker_id=bob.id,
                    role=AssignmentRole.contributor,
                    assigned_at=PRECISE,
                ),
            ]
        )
        session.commit()
        return {"ada": ada, "bob": bob, "cy": cy, "task": task}


def links(db, task_id):
    db.expire_all()
    rows = db.exec(
        select(TaskAssignment).where(TaskAssignment.task_id == task_id)
    ).all()
    return {row.worker_id: (row.role, row.assigned_at) for row in rows}


def submit(client, url, changes: dict[str, str], drop: tuple[str, ...] = ()):
    """Submit the form at `url` as shown, with `changes` typed in."""
    values = [(k, v) for k, v in form_values(client.get(url).text) if k not in drop]
    values = [(k, changes.pop(k) if k in changes else v) for k, v in values]
    return post_form(client, url, [*values, *changes.items()])


def row_index(html: str, label: str) -> int:
    values = dict(form_values(html))
    for key, value in values.items():
        if key.endswith("-label") and value == label:
            return int(key.split("-")[1])
    raise AssertionError(f"no row for {label}")


def test_the_task_form_shows_its_assignments_with_their_roles(client, team):
    page = client.get(f"/admin/task/edit/{team['task'].id}")
    words = text(page.text)
    assert "Assignments" in words and "Ada" in words and "Bob" in words
    values = dict(form_values(page.text))
    ada = row_index(page.text, "Ada")
    assert values[f"assignments-{ada}-role"] == "owner"
    # Choices read as lists show them: "Owner", not the stored "owner".
    select = re.search(
        rf'<select[^>]*name="assignments-{ada}-role".*?</select>', page.text, re.S
    )
    assert select is not None
    assert re.search(r'<option selected value="owner">Owner</option>', select[0])
    assert values[f"assignments-{ada}-assigned_at"] == "2026-11-20 09:30:15"
    assert sum(1 for k in values if k.endswith("-other")) == 2 + 3  # and 3 empty rows


def test_add_change_and_remove_links_from_the_task_form(client, db, team):
    url = f"/admin/task/edit/{team['task'].id}"
    page = client.get(url).text
    ada, bob = row_index(page, "Ada"), row_index(page, "Bob")
    blank = max(
        int(k.split("-")[1]) for k, _ in form_values(page) if k.endswith("-other")
    )
    response = submit(
        client,
        url,
        {
            f"assignments-{ada}-role": "reviewer",
            f"assignments-{bob}-remove": "y",
            f"assignments-{blank}-other": str(team["cy"].id),
            f"assignments-{blank}-role": "owner",
        },
    )
    assert response.status_code == 302, field_errors(response.text)
    saved = links(db, team["task"].id)
    assert set(saved) == {team["ada"].id, team["cy"].id}
    assert saved[team["ada"].id] == (
        AssignmentRole.reviewer,
        PRECISE,
    )  # time kept exactly
    assert saved[team["cy"].id][0] is AssignmentRole.owner
    assert saved[team["cy"].id][1] is not None  # the model's default, not a NULL


def test_links_are_edited_from_the_workers_side_too(client, db, team):
    url = f"/admin/worker/edit/{team['cy'].id}"
    page = client.get(url).text
    assert "Assignments" in text(page)
    response = submit(client, url, {"assignments-0-other": str(team["task"].id)})
    assert response.status_code == 302, field_errors(response.text)
    assert links(db, team["task"].id)[team["cy"].id][0] is AssignmentRole.contributor


def test_a_new_task_is_created_with_its_assignments(client, db, team):
    response = submit(
        client,
        "/admin/task/create",
        {
            "title": "Fresh",
            "assignments-0-other": str(team["bob"].id),
            "assignments-0-role": "owner",
        },
    )
    assert response.status_code == 302, field_errors(response.text)
    task = db.exec(select(Task).where(Task.title == "Fresh")).one()
    assert links(db, task.id) == {
        team["bob"].id: (AssignmentRole.owner, pytest.approx)
    } or (links(db, task.id)[team["bob"].id][0] is AssignmentRole.owner)


def test_an_invalid_link_value_changes_nothing(client, db, team):
    url = f"/admin/task/edit/{team['task'].id}"
    page = client.get(url).text
    ada = row_index(page, "Ada")
    before = links(db, team["task"].id)
    response = submit(
        client, url, {"title": "Renamed", f"assignments-{ada}-role": "emperor"}
    )
    assert response.status_code == 400
    assert "Not a valid choice" in text(response.text)
    assert links(db, team["task"].id) == before
    db.expire_all()
    assert db.get(Task, team["task"].id).title == "Launch"


def test_linking_the_same_worker_twice_is_refused(client, db, team):
    url = f"/admin/task/edit/{team['task'].id}"
    response = submit(
        client,
        url,
        {
            "assignments-2-other": str(team["cy"].id),
            "assignments-3-other": str(team["cy"].id),
        },
    )
    assert response.status_code == 400
    assert "listed twice" in text(response.text)
    assert team["cy"].id not in links(db, team["task"].id)


def test_a_plain_link_table_is_a_multi_select_saved_as_a_diff(client, db, team):
    with Session(db.get_bind(), expire_on_commit=False) as session:
        tags = [Tag(name=n) for n in ("red", "green", "blue")]
        session.add_all(tags)
        session.flush()
        session.add_all(
            [TaskTagLink(task_id=team["task"].id, tag_id=t.id) for t in tags[:2]]
        )
        session.commit()
    url = f"/admin/task/edit/{team['task'].id}"
    values = [(k, v) for k, v in form_values(client.get(url).text) if k != "tags"]
    values += [("tags", str(tags[1].id)), ("tags", str(tags[2].id))]
    assert post_form(client, url, values).status_code == 302
    db.expire_all()
    linked = db.exec(
        select(TaskTagLink.tag_id).where(TaskTagLink.task_id == team["task"].id)
    )
    assert sorted(linked.all()) == sorted([tags[1].id, tags[2].id])
    # and from the tag's side
    tag_form = client.get(f"/admin/tag/edit/{tags[0].id}")
    assert 'name="tasks"' in tag_form.text


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every shipped table, column by column."""
    with Session(engine) as session:
        return {
            model.__name__: sorted(
                (
                    tuple(getattr(row, c.key) for c in inspect(model).column_attrs)
                    for row in session.exec(select(model)).all()
                ),
                key=repr,
            )
            for model in (Project, Worker, Tag, Task, TaskAssignment, TaskTagLink)
        }


@pytest.mark.parametrize(
    ("identity", "model"),
    [
        ("project", Project),
        ("worker", Worker),
        ("tag", Tag),
        ("task", Task),
        ("task-assignment", TaskAssignment),
        ("task-tag-link", TaskTagLink),
    ],
)
def test_saving_an_edit_form_unchanged_changes_nothing(client, app, identity, model):
    with Session(app.state.engine) as session:
        seed_demo(session, 60, seed=3)
        session.commit()
        rows = session.exec(select(model).limit(5)).all()
        keys = [
            ";".join(str(v) for v in inspect(model).primary_key_from_instance(r))
            for r in rows
        ]
    before = snapshot(app.state.engine)
    for key in keys:
        response = submit(client, f"/admin/{identity}/edit/{key}", {})
        assert response.status_code == 302, field_errors(response.text)
    assert snapshot(app.state.engine) == before


def test_change_and_remove_links_from_the_workers_side(client, db, team):
    url = f"/admin/worker/edit/{team['ada'].id}"
    page = client.get(url).text
    row = row_index(page, "Launch")
    response = submit(client, url, {f"assignments-{row}-role": "reviewer"})
    assert response.status_code == 302, field_errors(response.text)
    assert links(db, team["task"].id)[team["ada"].id] == (
        AssignmentRole.reviewer,
        PRECISE,
    )
    response = submit(client, url, {f"assignments-{row}-remove": "y"})
    assert response.status_code == 302, field_errors(response.text)
    assert team["ada"].id not in links(db, team["task"].id)
    assert team["bob"].id in links(db, team["task"].id)  # the other link is untouched
