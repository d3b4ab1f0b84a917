"""A save writes only what its user changed; a colleague's change meanwhile survives.

Two staff members edit the same task: one opens the form, the other saves
first. Fields only one of them changed merge; a field both changed is a
conflict shown on the form with both values, and nothing is written until
the user chooses. Tags and inline assignment rows merge the same way.
"""

import json
from datetime import datetime
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from admin_app.writing.audit import AuditEntry
from admin_app.writing.concurrency import VERSION_FIELD, Shown, digest
from models import AssignmentRole, Tag, Task, TaskAssignment, TaskStatus, Worker
from tests.pages import field_errors, form_values, text
from tests.test_links import post_form, row_index


def typed(values, **changes):
    """The form's values with some fields typed over."""
    return [(k, changes.get(k, v)) for k, v in values]


def colleague(app, task_id, **changes):
    """Someone else saves the task first."""
    with Session(app.state.engine) as session:
        task = session.get(Task, task_id)
        for name, value in changes.items():
            setattr(task, name, value)
        session.commit()


def reload(db, task_id) -> Task:
    db.expire_all()
    return db.get(Task, task_id)


@pytest.fixture
def task(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Launch", progress=34, status=TaskStatus.in_progress)
        session.add(task)
        session.commit()
        return task


def edit_url(task) -> str:
    return f"/admin/task/edit/{task.id}"


def test_a_colleagues_change_to_another_field_survives_my_save(client, db, app, task):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40)

    response = post_form(client, edit_url(task), typed(mine, title="Launch v2"))
    assert response.status_code == 302, field_errors(response.text)
    saved = reload(db, task.id)
    assert (saved.title, saved.progress) == ("Launch v2", 40)
    page = text(client.get(response.headers["location"]).text)
    assert "Task “Launch v2” saved (title changed)." in page
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "edit")).one()
    assert entry.change_data() == {"title": ["Launch", "Launch v2"]}


def test_a_field_both_changed_is_a_conflict_until_the_user_chooses(
    client, db, app, task
):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40, status=TaskStatus.blocked)

    refused = post_form(
        client, edit_url(task), typed(mine, title="Launch v2", progress="50")
    )
    assert refused.status_code == 400
    words = text(refused.text)
    assert "Someone else saved this row after you opened the form" in words
    assert "Nothing was saved" in words
    assert "Progress: someone else saved “40”; you entered “50”." in words
    assert "Changed by someone else after you opened the form." in field_errors(
        refused.text
    )
    again = dict(form_values(refused.text))
    assert again["title"] == "Launch v2" and again["progress"] == "50"  # mine kept
    assert again["status"] == "blocked"  # theirs shown where I changed nothing
    assert 'name="admin_keep__progress" value="theirs"' in refused.text
    assert 'name="admin_keep__progress" value="mine"' in refused.text
    saved = reload(db, task.id)
    assert (saved.title, saved.progress, saved.status) == (
        "Launch",
        40,
        TaskStatus.blocked,
    )

    # Saving again without choosing writes nothing: the stale form never wins.
    second = post_form(client, edit_url(task), form_values(refused.text))
    assert second.status_code == 400
    assert "Progress: someone else saved “40”; you entered “50”." in text(second.text)
    assert reload(db, task.id).title == "Launch"

    chosen = [*form_values(second.text), ("admin_keep__progress", "theirs")]
    done = post_form(client, edit_url(task), chosen)
    assert done.status_code == 302, text(done.text)
    saved = reload(db, task.id)
    assert (saved.title, saved.progress, saved.status) == (
        "Launch v2",
        40,
        TaskStatus.blocked,
    )


def test_using_mine_writes_my_value_and_nothing_else_of_the_stale_form(
    client, db, app, task
):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40, title="Renamed by a colleague")
    refused = post_form(client, edit_url(task), typed(mine, progress="50"))
    assert refused.status_code == 400
    assert dict(form_values(refused.text))["title"] == "Renamed by a colleague"
    chosen = [*form_values(refused.text), ("admin_keep__progress", "mine")]
    assert post_form(client, edit_url(task), chosen).status_code == 302
    saved = reload(db, task.id)
    assert (saved.title, saved.progress) == ("Renamed by a colleague", 50)


def test_a_new_change_after_the_conflict_is_a_new_conflict(client, db, app, task):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40)
    refused = post_form(client, edit_url(task), typed(mine, progress="50"))
    colleague(app, task.id, progress=45)  # the colleague saves once more
    chosen = [*form_values(refused.text), ("admin_keep__progress", "mine")]
    again = post_form(client, edit_url(task), chosen)
    assert again.status_code == 400
    assert "someone else saved “45”; you entered “50”" in text(again.text)
    assert reload(db, task.id).progress == 45


def test_both_making_the_same_change_is_no_conflict(client, db, app, task):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40)
    response = post_form(client, edit_url(task), typed(mine, progress="40"))
    assert response.status_code == 302
    assert reload(db, task.id).progress == 40


def tag(app, *names):
    with Session(app.state.engine, expire_on_commit=False) as session:
        tags = [Tag(name=name) for name in names]
        session.add_all(tags)
        session.commit()
        return {t.name: t for t in tags}


def tags_of(db, task_id) -> set[str]:
    return {t.name for t in reload(db, task_id).tags}


def set_tags(app, task_id, names):
    with Session(app.state.engine) as session:
        task = session.get(Task, task_id)
        task.tags = list(session.exec(select(Tag).where(Tag.name.in_(names))))
        session.commit()


def with_tags(values, tags):
    return [(k, v) for k, v in values if k != "tags"] + [
        ("tags", str(t.id)) for t in tags
    ]


def test_tags_merge_a_colleagues_addition_and_my_removal(client, db, app, task):
    tags = tag(app, "red", "green", "blue", "black")
    set_tags(app, task.id, ["red", "green"])
    mine = form_values(client.get(edit_url(task)).text)
    set_tags(app, task.id, ["red", "green", "blue"])  # a colleague adds blue

    # I add black and remove green, having seen red and green.
    response = post_form(
        client, edit_url(task), with_tags(mine, [tags["red"], tags["black"]])
    )
    assert response.status_code == 302, field_errors(response.text)
    assert tags_of(db, task.id) == {"red", "blue", "black"}
    page = text(client.get(response.headers["location"]).text)
    assert "Task “Launch” saved (tags changed)." in page
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "edit")).one()
    assert entry.change_data() == {
        "tags": [["blue", "green", "red"], ["black", "blue", "red"]]
    }


def test_changing_only_the_tags_is_a_change(client, db, app, task):
    tags = tag(app, "red")
    mine = form_values(client.get(edit_url(task)).text)
    response = post_form(client, edit_url(task), with_tags(mine, [tags["red"]]))
    assert response.status_code == 302
    page = text(client.get(response.headers["location"]).text)
    assert "Task “Launch” saved (tags changed)." in page
    assert "No changes" not in page
    assert tags_of(db, task.id) == {"red"}
    # and the unchanged form saved again is no change
    again = post_form(
        client, edit_url(task), form_values(client.get(edit_url(task)).text)
    )
    assert "No changes" in text(client.get(again.headers["location"]).text)
    assert len(db.exec(select(AuditEntry)).all()) == 1


@pytest.fixture
def crew(app, task):
    with Session(app.state.engine, expire_on_commit=False) as session:
        people = {
            name: Worker(name=name, email=f"{name.lower()}@example.com")
            for name in ("Ada", "Bob", "Cy")
        }
        session.add_all(people.values())
        session.flush()
        session.add_all(
            [
                TaskAssignment(
                    task_id=task.id, worker_id=people["Ada"].id, role="owner"
                ),
                TaskAssignment(
                    task_id=task.id, worker_id=people["Bob"].id, role="contributor"
                ),
            ]
        )
        session.commit()
        return people


def roles(db, task_id) -> dict[str, str]:
    db.expire_all()
    rows = db.exec(select(TaskAssignment).where(TaskAssignment.task_id == task_id))
    return {row.worker.name: row.role.value for row in rows}


def set_role(app, task_id, worker_id, role):
    with Session(app.state.engine) as session:
        row = session.get(TaskAssignment, (task_id, worker_id))
        row.role = AssignmentRole(role)
        session.commit()


def test_link_rows_merge_row_by_row(client, db, app, task, crew):
    page = client.get(edit_url(task)).text
    mine, ada = form_values(page), row_index(page, "Ada")
    set_role(app, task.id, crew["Bob"].id, "reviewer")  # a colleague's change
    with Session(app.state.engine) as session:  # and an assignment they add
        session.add(TaskAssignment(task_id=task.id, worker_id=crew["Cy"].id))
        session.commit()

    changed = typed(mine, **{f"assignments-{ada}-role": "reviewer"})
    response = post_form(client, edit_url(task), changed)
    assert response.status_code == 302, text(response.text)
    assert roles(db, task.id) == {
        "Ada": "reviewer",
        "Bob": "reviewer",
        "Cy": "contributor",
    }
    page = text(client.get(response.headers["location"]).text)
    assert "Task “Launch” saved (assignments changed)." in page


def test_a_link_row_both_changed_is_a_conflict(client, db, app, task, crew):
    page = client.get(edit_url(task)).text
    mine, ada = form_values(page), row_index(page, "Ada")
    set_role(app, task.id, crew["Ada"].id, "contributor")
    refused = post_form(
        client, edit_url(task), typed(mine, **{f"assignments-{ada}-role": "reviewer"})
    )
    assert refused.status_code == 400
    words = text(refused.text)
    assert (
        "Ada: someone else saved “Role: Contributor”; you entered “Role: Reviewer”."
        in words
    )
    assert roles(db, task.id)["Ada"] == "contributor"
    choice = f"admin_keep__assignments-{crew['Ada'].id}"
    assert f'name="{choice}" value="mine"' in refused.text
    shown = form_values(refused.text)
    again = row_index(refused.text, "Ada")
    assert dict(shown)[f"assignments-{again}-role"] == "reviewer"  # mine kept
    done = post_form(client, edit_url(task), [*shown, (choice, "mine")])
    assert done.status_code == 302, text(done.text)
    assert roles(db, task.id) == {"Ada": "reviewer", "Bob": "contributor"}


def test_removing_a_row_a_colleague_changed_is_a_conflict(client, db, app, task, crew):
    page = client.get(edit_url(task)).text
    mine, bob = form_values(page), row_index(page, "Bob")
    set_role(app, task.id, crew["Bob"].id, "reviewer")
    refused = post_form(
        client, edit_url(task), [*mine, (f"assignments-{bob}-remove", "y")]
    )
    assert refused.status_code == 400
    assert "Bob: someone else saved" in text(refused.text)
    assert "you entered “removed”" in text(refused.text)
    assert roles(db, task.id)["Bob"] == "reviewer"
    choice = f"admin_keep__assignments-{crew['Bob'].id}"
    done = post_form(
        client, edit_url(task), [*form_values(refused.text), (choice, "theirs")]
    )
    assert done.status_code == 302
    assert roles(db, task.id) == {"Ada": "owner", "Bob": "reviewer"}


def test_a_damaged_token_saves_nothing(client, db, task):
    mine = form_values(client.get(edit_url(task)).text)
    for token in ("not-a-token", "eyJ2IjogMn0="):
        response = post_form(
            client, edit_url(task), typed(mine, title="X", **{VERSION_FIELD: token})
        )
        assert response.status_code == 400
        assert "version token is damaged" in text(response.text)
    assert reload(db, task.id).title == "Launch"


def test_a_token_of_another_row_saves_nothing(client, db, app, task):
    with Session(app.state.engine, expire_on_commit=False) as session:
        other = Task(title="Other")
        session.add(other)
        session.commit()
    token = dict(form_values(client.get(edit_url(other)).text))[VERSION_FIELD]
    mine = form_values(client.get(edit_url(task)).text)
    response = post_form(
        client, edit_url(task), typed(mine, title="X", **{VERSION_FIELD: token})
    )
    assert response.status_code == 400
    assert reload(db, task.id).title == "Launch"


def test_a_forged_token_writes_nothing_the_user_did_not_submit(client, db, app, task):
    """A well-formed token claiming other shown values: the server writes only
    values the user submitted, never one read from the token."""
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40)
    shown = Shown.decode(dict(mine)[VERSION_FIELD], "task", str(task.id))
    shown.columns = {name: digest("forged") for name in shown.columns}
    forged = typed(mine, title="Mine", **{VERSION_FIELD: shown.encode()})
    response = post_form(client, edit_url(task), forged)
    submitted = dict(forged)
    saved = reload(db, task.id)
    assert response.status_code in (302, 400)
    for name, now in (("title", saved.title), ("progress", str(saved.progress))):
        assert now in (submitted[name], {"title": "Launch", "progress": "40"}[name])


def test_the_audit_entry_of_a_merged_save_has_only_my_change(client, db, app, task):
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, progress=40)
    post_form(client, edit_url(task), typed(mine, title="Launch v2"))
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "edit")).one()
    assert json.loads(entry.changes) == {"title": ["Launch", "Launch v2"]}
    assert entry.summary == "Changed Task “Launch v2”: title"


def test_a_relation_both_changed_is_shown_by_label(client, db, app, task):
    from models import Project

    with Session(app.state.engine, expire_on_commit=False) as session:
        projects = {n: Project(name=n) for n in ("Apollo", "Borealis", "Cobalt")}
        session.add_all(projects.values())
        session.flush()
        session.get(Task, task.id).project_id = projects["Apollo"].id
        session.add(Tag(name="red"))
        session.commit()
    mine = form_values(client.get(edit_url(task)).text)
    colleague(app, task.id, project_id=projects["Borealis"].id)
    set_tags(app, task.id, ["red"])  # and a tag they add

    refused = post_form(
        client, edit_url(task), typed(mine, project=str(projects["Cobalt"].id))
    )
    assert refused.status_code == 400
    words = text(refused.text)
    assert "Project: someone else saved “Borealis”; you entered “Cobalt”." in words
    shown = form_values(refused.text)
    red = db.exec(select(Tag).where(Tag.name == "red")).one()
    assert ("tags", str(red.id)) in shown  # their tag, on the form I get back
    done = post_form(client, edit_url(task), [*shown, ("admin_keep__project", "mine")])
    assert done.status_code == 302, text(done.text)
    saved = reload(db, task.id)
    assert saved.project_id == projects["Cobalt"].id
    assert tags_of(db, task.id) == {"red"}


def test_a_row_they_removed_and_i_changed_comes_back_only_if_i_say_so(
    client, db, app, task, crew
):
    page = client.get(edit_url(task)).text
    mine, bob = form_values(page), row_index(page, "Bob")
    with Session(app.state.engine) as session:  # a colleague removes Bob
        session.delete(session.get(TaskAssignment, (task.id, crew["Bob"].id)))
        session.commit()
    changed = typed(mine, **{f"assignments-{bob}-role": "reviewer"})
    refused = post_form(client, edit_url(task), changed)
    assert refused.status_code == 400
    assert "Bob: someone else saved “not linked”; you entered “Role: Reviewer" in (
        text(refused.text)
    )
    assert roles(db, task.id) == {"Ada": "owner"}
    choice = f"admin_keep__assignments-{crew['Bob'].id}"
    done = post_form(
        client, edit_url(task), [*form_values(refused.text), (choice, "mine")]
    )
    assert done.status_code == 302, text(done.text)
    assert roles(db, task.id) == {"Ada": "owner", "Bob": "reviewer"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Plan", "Plan"),
        ("Plan", "Plans"),
        ("line\r\nbreak", "line\nbreak"),
        ("line\r\nbreak", "line\rbreak"),
        (1, 1),
        (1, 2),
        (True, 1),
        (1, 1.0),
        (float("nan"), float("nan")),
        (TaskStatus.todo, "todo"),
        (None, ""),
        (Decimal("1.0"), Decimal("1.00")),
        (datetime(2026, 1, 1, 9, 0, 0, 5), datetime(2026, 1, 1, 9)),
    ],
)
def test_same_is_equal_digests_made_only_when_needed(a, b) -> None:
    """`same` answers plain text and numbers without making digests, and
    always as the digests would (what the edit form compares)."""
    from admin_app.writing.concurrency import same

    assert same(a, b) == (digest(a) == digest(b))
    assert same(b, a) == same(a, b)
