"""A new row's form filled in from its address (`/create?team=3&name=Ann`),
as Django's add form is: each value read by its field as if typed, a secret
or a password never, the other fields at their defaults; an edit form is
not changed by its address."""

import pytest
from sqlalchemy import select

from tests.pages import field_errors, form_values, post_form
from tests.zoo import tracker

pytestmark = pytest.mark.postgres


def test_a_users_form_takes_its_fields_but_never_its_password(fullstack_site):
    form = form_values(
        fullstack_site.client.get(
            "/admin/user/create",
            params={
                "email": "ann@example.com",
                "full_name": "Ann Example",
                "hashed_password": "typed in an address",
                "is_superuser": "true",
                "no_such_field": "x",
            },
        ).text
    )
    assert ("email", "ann@example.com") in form
    assert ("full_name", "Ann Example") in form
    assert ("is_superuser", "true") in form  # ticked
    assert ("is_active", "y") in form  # its default, not emptied
    assert ("hashed_password", "") in form
    assert "no_such_field" not in dict(form)


def test_a_tasks_form_takes_its_labels_date_and_parent(tracker_site):
    with tracker_site.session() as session:
        labels = {
            label.name: str(label.id)
            for label in session.scalars(select(tracker.TrackerLabel))
        }
        parent = session.scalars(
            select(tracker.TrackerTask).where(
                tracker.TrackerTask.title == "Launch the tracker"
            )
        ).one()
    url = (
        f"/admin/tracker-task/create?title=Follow+up&labels={labels['bug']}"
        f"&labels={labels['spare']}&due_on=2026-12-24&priority=3&parent={parent.id}"
    )
    form = form_values(tracker_site.client.get(url).text)
    assert ("title", "Follow up") in form
    assert [v for n, v in form if n == "labels"] == [labels["bug"], labels["spare"]]
    assert ("due_on", "2026-12-24") in form
    assert ("priority", "3") in form
    assert ("parent", str(parent.id)) in form
    assert ("status", "todo") in form  # its default
    assert post_form(tracker_site.client, url, form).status_code == 302
    with tracker_site.session() as session:
        saved = session.scalars(
            select(tracker.TrackerTask).where(tracker.TrackerTask.title == "Follow up")
        ).one()
        assert (saved.parent_id, str(saved.due_on), saved.priority) == (
            parent.id,
            "2026-12-24",
            3,
        )
        assert sorted(label.name for label in saved.labels) == ["bug", "spare"]


def test_a_value_the_field_cannot_read_is_refused_on_save(tracker_site):
    url = "/admin/tracker-task/create?title=Someday&due_on=soon"
    page = tracker_site.client.get(url)
    form = form_values(page.text)
    assert ("due_on", "soon") in form  # in its box, as given
    answer = post_form(tracker_site.client, url, form)
    assert answer.status_code == 400
    assert field_errors(answer.text)
    with tracker_site.session() as session:
        assert not session.scalars(
            select(tracker.TrackerTask).where(tracker.TrackerTask.title == "Someday")
        ).all()


def test_an_edit_form_is_not_changed_by_its_address(tracker_site):
    with tracker_site.session() as session:
        task = session.scalars(select(tracker.TrackerTask).limit(1)).one()
    form = form_values(
        tracker_site.client.get(
            f"/admin/tracker-task/edit/{task.id}", params={"title": "Other"}
        ).text
    )
    assert ("title", task.title) in form


def test_a_box_ticked_by_default_is_cleared_by_false(fullstack_site):
    form = form_values(
        fullstack_site.client.get("/admin/user/create?is_active=false").text
    )
    assert "is_active" not in dict(form)
