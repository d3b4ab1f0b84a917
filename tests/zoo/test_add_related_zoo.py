"""Add another on the zoo: the FastAPI template's users (UUID keys, a
password, typed twice) added from an item's form; the tracker's labels from a
task's form; on SQLite and PostgreSQL."""

import pytest
from sqlmodel import Session, select

from tests.test_add_related import add_links, answer_of
from tests.zoo.fullstack import Item, User
from tests.zoo.tracker import TrackerLabel, TrackerTask

pytestmark = pytest.mark.postgres


def test_fullstack_an_items_owner_added_in_a_popup(fullstack_site):
    client = fullstack_site.client
    assert "Add another User" in add_links(client.get("/admin/item/create").text)
    saved = client.post(
        "/admin/user/create?_popup=1",
        data={
            "email": "new.owner@example.com",
            "hashed_password": "s3cret-pass",
            "hashed_password_repeat": "s3cret-pass",
        },
    )
    assert saved.status_code == 200, saved.text
    with fullstack_site.session() as db:
        user = db.exec(select(User).where(User.email == "new.owner@example.com")).one()
    assert answer_of(saved.text) == {
        "key": str(user.id),
        "label": "new.owner@example.com",
        "name": "new.owner@example.com",
    }
    item = client.post(
        "/admin/item/create",
        data={"title": "Owned through the popup", "owner": str(user.id)},
        follow_redirects=False,
    )
    assert item.status_code == 302, item.text
    with Session(fullstack_site.engine) as db:
        row = db.exec(select(Item).where(Item.title == "Owned through the popup")).one()
        assert row.owner_id == user.id


def test_fullstack_a_popup_without_the_password_is_refused(fullstack_site):
    refused = fullstack_site.client.post(
        "/admin/user/create?_popup=1", data={"email": "nopass@example.com"}
    )
    assert refused.status_code == 400
    assert 'class="popup-page"' in refused.text
    with fullstack_site.session() as db:
        assert not db.exec(select(User).where(User.email == "nopass@example.com")).all()


def test_tracker_a_label_added_in_a_popup(tracker_site):
    client = tracker_site.client
    links = add_links(client.get("/admin/tracker-task/create").text)
    assert "Add another Tracker label" in links
    saved = client.post(
        "/admin/tracker-label/create?_popup=1", data={"name": "needs <review>"}
    )
    assert saved.status_code == 200, saved.text
    assert "needs <review>" not in saved.text
    answer = answer_of(saved.text)
    assert answer["label"] == "needs <review>"
    task = client.post(
        "/admin/tracker-task/create",
        data={"title": "Labelled in passing", "labels": [answer["key"]]},
        follow_redirects=False,
    )
    assert task.status_code == 302, task.text
    with tracker_site.session() as db:
        row = db.exec(
            select(TrackerTask).where(TrackerTask.title == "Labelled in passing")
        ).one()
        assert [label.name for label in row.labels] == ["needs <review>"]
        assert db.exec(select(TrackerLabel)).all()
