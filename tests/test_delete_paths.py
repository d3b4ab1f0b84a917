"""Every delete path runs the same check: what goes with the row, what blocks it.

The trash icon (`DELETE /{identity}/delete?pks=`), the details page's delete
(the same request from its button) and the bulk-delete page refuse alike when
other rows block the deletion, and show and record alike what is deleted or
emptied with the row.
"""

import pytest
from sqlmodel import Session, select

from admin_app.model.labels import label_for
from admin_app.writing.audit import AuditEntry
from models import AssignmentRole, Task, TaskAssignment, Worker
from tests.pages import text
from tests.write_models import (
    WrCrew,
    WrCrewJob,
    WrJob,
    WrKey,
    WrMember,
    WrNote,
    WrOwner,
    WrOwnerValue,
    WrSquad,
    WrSquadMember,
    WrThing,
    WrValue,
)


def trash(client, identity, *keys) -> str:
    """The trash icon (or the details page's delete), confirmed: the text of the
    page the browser then goes to (the answer names it)."""
    response = client.delete(f"/admin/{identity}/delete?pks={','.join(map(str, keys))}")
    assert response.status_code == 200
    return text(client.get(response.text).text)


def preview(client, identity, *keys) -> dict:
    """What the delete confirmation shows before anything is deleted."""
    response = client.get(
        f"/admin/{identity}/bulk-delete?pks={','.join(map(str, keys))}",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    return response.json()


def entries(session, action):
    return session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()


@pytest.fixture
def ada(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        worker = Worker(name="Ada", email="ada@example.com")
        tasks = [Task(title="Launch"), Task(title="Land")]
        session.add_all([worker, *tasks])
        session.flush()
        session.add_all(
            [
                TaskAssignment(
                    task_id=tasks[0].id, worker_id=worker.id, role=AssignmentRole.owner
                ),
                TaskAssignment(
                    task_id=tasks[1].id,
                    worker_id=worker.id,
                    role=AssignmentRole.reviewer,
                ),
            ]
        )
        tasks[1].assignee_id = worker.id
        session.commit()
        return worker


def test_the_trash_icon_says_and_records_what_goes_with_a_worker(client, db, ada):
    found = preview(client, "worker", ada.id)
    sentences = [e["sentence"] for e in found["effects"]]
    assert not found["blocked"]
    assert "2 task assignments will be deleted with it." in sentences
    assert "1 task will have its assignee emptied." in sentences

    trash(client, "worker", ada.id)
    db.expire_all()
    assert db.get(Worker, ada.id) is None
    assert db.exec(select(TaskAssignment)).all() == []
    assert db.exec(select(Task).where(Task.title == "Land")).one().assignee_id is None
    (entry,) = entries(db, "delete")
    changes = entry.change_data()
    assert changes["name"] == ["Ada", None]
    deleted = changes["Task assignments deleted with it"][0]
    assert sorted(row["role"] for row in deleted) == ["owner", "reviewer"]
    assert changes["Tasks: assignee emptied"][0] == [
        {
            "key": str(db.exec(select(Task.id).where(Task.title == "Land")).one()),
            "assignee_id": ada.id,
        }
    ]


def test_the_bulk_delete_page_shows_and_records_the_same(client, db, ada):
    page = text(client.get(f"/admin/worker/bulk-delete?pks={ada.id}").text)
    assert "2 task assignments will be deleted with it." in page
    response = client.post(
        f"/admin/worker/bulk-delete?pks={ada.id}", follow_redirects=False
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.exec(select(TaskAssignment)).all() == []
    (entry,) = entries(db, "delete")
    assert len(entry.change_data()["Task assignments deleted with it"][0]) == 2


@pytest.fixture
def owners(shapes):
    """Two owners: the first has a thing, a key and a value."""
    with Session(shapes.state.engine, expire_on_commit=False) as session:
        first = WrOwner(email="a@example.com")
        second = WrOwner(email="b@example.com")
        value = WrValue(name="Kindness")
        session.add_all([first, second, value])
        session.flush()
        session.add_all(
            [
                WrThing(title="Pen", owner_id=first.id),
                WrKey(code="K1", owner_id=first.id),
                WrOwnerValue(owner_id=first.id, value_id=value.id),
            ]
        )
        session.commit()
        return first, second


def count(shapes, model) -> int:
    with Session(shapes.state.engine) as session:
        return len(session.exec(select(model)).all())


def test_what_goes_with_an_owner_is_deleted_emptied_and_recorded(
    keeper, shapes, owners
):
    first, _ = owners
    sentences = [
        e["sentence"] for e in preview(keeper, "wr-owner", first.id)["effects"]
    ]
    assert sorted(sentences) == [
        "1 wr key will have its owner emptied.",
        "1 wr owner value will be deleted with it.",
        "1 wr thing will be deleted with it.",
    ]
    trash(keeper, "wr-owner", first.id)
    assert count(shapes, WrOwner) == 1
    assert (count(shapes, WrThing), count(shapes, WrOwnerValue)) == (0, 0)
    with Session(shapes.state.engine) as session:
        assert session.exec(select(WrKey)).one().owner_id is None
        (entry,) = entries(session, "delete")
    changes = entry.change_data()
    assert changes["Wr things deleted with it"][0][0]["title"] == "Pen"
    assert changes["Wr owner values deleted with it"][0] == [
        {"owner_id": first.id, "value_id": 1}
    ]
    assert changes["Wr keys: owner emptied"][0][0]["owner_id"] == first.id


def test_a_required_key_without_a_relationship_blocks_every_delete_path(
    keeper, shapes, owners
):
    first, second = owners
    with Session(shapes.state.engine) as session:
        session.add(WrNote(text="Call back", owner_id=first.id))
        session.commit()
    blocked = "1 wr note refers to them, so they cannot be deleted."
    found = preview(keeper, "wr-owner", first.id, second.id)
    assert found["blocked"]
    assert blocked in [e["sentence"] for e in found["effects"]]

    # the trash icon (and the Actions menu's delete): refused, nothing deleted
    answer = trash(keeper, "wr-owner", first.id, second.id)
    assert f"Nothing was deleted: {blocked}" in answer
    # the details page's delete sends the same request
    details = keeper.get(f"/admin/wr-owner/details/{first.id}").text
    assert f"/admin/wr-owner/delete?pks={first.id}" in details
    answer = trash(keeper, "wr-owner", first.id)
    assert "1 wr note refers to it, so it cannot be deleted." in answer
    # the bulk-delete page
    page = keeper.get(f"/admin/wr-owner/bulk-delete?pks={first.id},{second.id}")
    assert blocked in text(page.text)
    assert 'id="confirm-delete" disabled' in page.text
    refused = keeper.post(f"/admin/wr-owner/bulk-delete?pks={first.id},{second.id}")
    assert refused.status_code == 400
    assert blocked in text(refused.text)

    assert count(shapes, WrOwner) == 2
    assert (count(shapes, WrThing), count(shapes, WrKey)) == (1, 1)
    with Session(shapes.state.engine) as session:
        assert entries(session, "delete") == entries(session, "bulk_delete") == []


def test_link_rows_declared_both_ways_without_cascade_block(keeper, shapes):
    """`link_model=` relationships and the link's own relationships, without
    `cascade_delete`: the ORM would have to empty the link's key, so its rows
    block the deletion on every path, as the bulk-delete page always said."""
    with Session(shapes.state.engine, expire_on_commit=False) as session:
        crew, job = WrCrew(id="@claude-code", name="Claude"), WrJob(title="Write")
        session.add_all([crew, job])
        session.flush()
        session.add(WrCrewJob(job_id=job.id, crew_id=crew.id, role="owner"))
        session.commit()
    sentence = "1 wr crew job refers to it, so it cannot be deleted."
    assert sentence in [
        e["sentence"] for e in preview(keeper, "wr-crew", crew.id)["effects"]
    ]
    assert f"Nothing was deleted: {sentence}" in trash(keeper, "wr-crew", crew.id)
    assert f"Nothing was deleted: {sentence}" in trash(keeper, "wr-job", job.id)
    with Session(shapes.state.engine) as session:
        assert session.exec(select(WrCrewJob)).one().role == "owner"
        assert session.get(WrCrew, "@claude-code") is not None


def test_link_rows_with_data_reached_through_link_model_only_block(keeper, shapes):
    """The ORM would delete a many-to-many's link rows with the squad; rows
    with data of their own (`is_training`) are data, so they block."""
    with Session(shapes.state.engine, expire_on_commit=False) as session:
        squad = WrSquad(name="Preventers", members=[WrMember(name="Rusty")])
        session.add(squad)
        session.commit()
    sentence = "1 wr squad member refers to it, so it cannot be deleted."
    found = preview(keeper, "wr-squad", squad.id)
    assert found["blocked"] and sentence in [e["sentence"] for e in found["effects"]]
    assert f"Nothing was deleted: {sentence}" in trash(keeper, "wr-squad", squad.id)
    assert (count(shapes, WrSquad), count(shapes, WrSquadMember)) == (1, 1)


def test_a_row_nothing_refers_to_is_deleted_by_every_path(keeper, shapes, owners):
    _, second = owners
    assert preview(keeper, "wr-owner", second.id) == {
        "count": 1,
        "blocked": False,
        "question": f"This will permanently delete Wr owner “{label_for(second)}”?",
        "effects": [],
    }
    trash(keeper, "wr-owner", second.id)
    assert count(shapes, WrOwner) == 1
