"""The details pages of other people's models: a guide-style tracker's task
shows its assignments (worker, role, assigned at) and its labels by name."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from tests.pages import form_values, table, text
from tests.test_details_pages import link_table
from tests.zoo import fullstack, tracker
from tests.zoo.story_base import audit_rows

pytestmark = pytest.mark.postgres


def test_a_tracker_tasks_details_show_its_workers_roles_and_labels(tracker_site):
    with tracker_site.session() as session:
        launch = session.exec(
            select(tracker.TrackerTask).where(
                tracker.TrackerTask.title == "Launch the tracker"
            )
        ).one()
        stored = {
            a.worker_id: a.assigned_at
            for a in session.exec(
                select(tracker.TrackerAssignment).where(
                    tracker.TrackerAssignment.task_id == launch.id
                )
            )
        }
    page = tracker_site.client.get(f"/admin/tracker-task/details/{launch.id}")
    assert page.status_code == 200
    headings, rows = link_table(page.text, "assignments")
    assert headings == ["Worker", "Role", "Assigned at"]
    cells = [[cell[0] for cell in row] for row in rows]
    assert [row[:2] for row in cells] == [
        ["Ada Lovelace", "Reviewer"],
        ["Claude Code", "Owner"],
    ]
    assert cells[1][2] == stored["@claude-code"].strftime("%Y-%m-%d %H:%M:%S UTC")
    # A worker keyed by a handle links to its own page.
    worker = tracker_site.client.get(rows[1][0][1])
    assert worker.status_code == 200
    assert {r[0]: r[1] for r in table(worker.text)[1]}["ID"] == "@claude-code"
    _headers, main = table(page.text)
    shown = {row[0]: row[1] for row in main}
    assert shown["Labels"] == "feature"
    assert "Workers" not in shown and "Assignments" not in shown


def test_a_tracker_assignments_aware_time_reads_in_utc(tracker_site):
    """An aware datetime stored from another zone reads in UTC, zone named."""
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 2, 17, 5, 59, 15, tzinfo=berlin)
    # SQLModel maps `datetime` to a column with a time zone from 0.0.50 on;
    # into a column without one, a program stores the moment as naive UTC.
    if not tracker.TrackerAssignment.__table__.c.assigned_at.type.timezone:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    with tracker_site.session() as session:
        task = tracker.TrackerTask(title="Zoned task")
        session.add_all([tracker.TrackerWorker(id="@tz", name="Zoned"), task])
        session.flush()
        session.add(
            tracker.TrackerAssignment(
                task_id=task.id,
                worker_id="@tz",
                assigned_at=moment,
            )
        )
        session.commit()
        task_id = task.id
    page = tracker_site.client.get(f"/admin/tracker-task/details/{task_id}").text
    _headings, rows = link_table(page, "assignments")
    assert [[cell[0] for cell in row] for row in rows] == [
        ["Zoned", "Owner", "2026-02-17 04:59:15 UTC"]
    ]


def test_a_uuid_keyed_item_saves_and_continues_then_goes_back(fullstack_site):
    """The full-stack template's items (UUID keys): Save and continue editing
    stays on the item, and Back to list returns to the filtered list."""
    client = fullstack_site.client
    with fullstack_site.session() as session:
        item = session.exec(select(fullstack.Item)).first()
    query = "search=a"
    url = f"/admin/item/edit/{item.id}?{query}"
    page = client.get(url)
    assert page.status_code == 200
    values = [(k, v) for k, v in form_values(page.text)]
    data: dict[str, list[str]] = {}
    for name, value in [*values, ("save", "Save and continue editing")]:
        data.setdefault(name, []).append("Renamed" if name == "title" else value)
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 302, text(response.text)[:300]
    assert response.headers["location"].endswith(f"/admin/item/edit/{item.id}?{query}")
    with fullstack_site.session() as session:
        assert session.get(fullstack.Item, item.id).title == "Renamed"
    again = client.get(response.headers["location"]).text
    assert f'href="http://testserver/admin/item/list?{query}"' in again


def test_an_items_owner_change_reads_by_email_in_the_audit_log(fullstack_site):
    """UUID keys recorded as text read back as the owner's label."""
    from tests.test_audit_words import changes_table

    client = fullstack_site.client
    with fullstack_site.session() as session:
        laptop = session.exec(
            select(fullstack.Item).where(fullstack.Item.title == "Laptop")
        ).one()
        dave = session.exec(
            select(fullstack.User).where(fullstack.User.email == "dave@example.org")
        ).one()
        old_owner = session.get(fullstack.User, laptop.owner_id).email
    url = f"/admin/item/edit/{laptop.id}"
    values = form_values(client.get(url).text)
    data: dict[str, list[str]] = {}
    for name, value in [*values, ("save", "Save")]:
        data.setdefault(name, []).append(str(dave.id) if name == "owner" else value)
    response = client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 302, text(response.text)[:300]
    entry = audit_rows(fullstack_site)[-1]
    assert entry["action"] == "edit"
    page = client.get(f"/admin/audit-entry/details/{entry['id']}").text
    assert ["Owner", old_owner, "dave@example.org"] in changes_table(page)
    assert str(dave.id) not in text(page).split("Rows:")[-1].split("Field")[-1]
