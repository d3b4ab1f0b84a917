"""Deny by default: staff see and do only what their groups grant, on every route."""

import re

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.auth.models import GroupGrant, StaffGroup, StaffUser
from admin_app.writing.audit import AuditEntry
from models import Project, Tag, Task, TaskTagLink
from models.seed import seed_demo
from tests.conftest import add_staff, login
from tests.pages import field_errors, text
from tests.test_links import links, submit, team  # noqa: F401 (a fixture)


@pytest.fixture
def rows(app):
    with Session(app.state.engine) as session:
        seed_demo(session, 30, seed=11)
        session.commit()
        return [t.id for t in session.exec(select(Task).order_by(Task.id)).all()]


def staff(app, name: str, grants: dict[str, list[str]]) -> TestClient:
    add_staff(app, name, grants=grants)
    client = TestClient(app)
    client.__enter__()
    assert login(client, name).status_code == 302
    return client


@pytest.fixture
def viewer(app, rows):
    client = staff(app, "viewer", {"task": ["view"]})
    yield client
    client.__exit__(None, None, None)


def test_staff_without_grants_see_no_table_and_open_none(app, rows):
    client = staff(app, "nobody", {})
    index = client.get("/admin/")
    assert "You have no access to any table yet" in text(index.text)
    for url in (
        "/admin/task/list",
        f"/admin/task/details/{rows[0]}",
        "/admin/task/create",
        "/admin/task/export/csv",
        "/admin/audit-entry/list",
        "/admin/staff-user/list",
    ):
        assert client.get(url).status_code == 403, url


def test_a_viewer_sees_the_table_but_changes_nothing(app, db, viewer, rows):
    index = text(viewer.get("/admin/").text)
    assert "Tasks" in index and "Projects" not in index and "Audit log" not in index
    listing = viewer.get("/admin/task/list")
    assert listing.status_code == 200
    assert 'id="export-csv"' not in listing.text  # no Export button
    assert 'id="edit-all"' not in listing.text
    assert "+ New Task" not in listing.text
    assert viewer.get(f"/admin/task/details/{rows[0]}").status_code == 200
    before = db.exec(select(Task.id, Task.title, Task.progress)).all()
    attempts = [
        viewer.get("/admin/task/create"),
        viewer.post("/admin/task/create", data={"title": "Forged"}),
        viewer.get(f"/admin/task/edit/{rows[0]}"),
        viewer.post(f"/admin/task/edit/{rows[0]}", data={"title": "Changed"}),
        viewer.delete(f"/admin/task/delete?pks={rows[0]}"),
        viewer.get("/admin/task/export/csv"),
        viewer.get(f"/admin/task/bulk-edit?pks={rows[0]}"),
        viewer.post(
            f"/admin/task/bulk-edit?pks={rows[0]}",
            data={"fields": "progress", "progress": "1"},
        ),
        viewer.post(f"/admin/task/bulk-delete?pks={rows[0]}"),
        viewer.post(f"/admin/task/action/bulk-edit?pks={rows[0]}"),
        viewer.get("/admin/project/list"),
        viewer.get("/admin/audit-entry/list"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    db.expire_all()
    assert db.exec(select(Task.id, Task.title, Task.progress)).all() == before


def test_export_needs_its_own_grant(app, rows):
    client = staff(app, "exporter", {"task": ["view", "export"]})
    assert 'id="export-csv"' in client.get("/admin/task/list").text
    export = client.get("/admin/task/export/csv")
    assert export.status_code == 200
    assert len(export.text.strip().splitlines()) == len(rows) + 1


def test_bulk_edit_needs_edit_and_bulk_edit(app, db, rows):
    editor = staff(app, "editor", {"task": ["view", "edit"]})
    assert editor.get(f"/admin/task/edit/{rows[0]}").status_code == 200
    assert editor.get(f"/admin/task/bulk-edit?pks={rows[0]}").status_code == 403
    bulk = staff(app, "bulk", {"task": ["view", "edit", "bulk_edit"]})
    response = bulk.post(
        f"/admin/task/bulk-edit?pks={rows[0]},{rows[1]}",
        data={"fields": "progress", "progress": "42"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    db.expire_all()
    assert [db.get(Task, k).progress for k in rows[:2]] == [42, 42]
    only_bulk = staff(app, "only-bulk", {"task": ["view", "bulk_edit"]})
    assert only_bulk.get(f"/admin/task/bulk-edit?pks={rows[0]}").status_code == 403


def test_deleting_needs_the_delete_grant(app, db, rows):
    client = staff(app, "deleter", {"task": ["view", "delete"]})
    response = client.post(
        f"/admin/task/bulk-delete?pks={rows[-1]}", follow_redirects=False
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Task, rows[-1]) is None


def test_link_editors_need_view_permission_on_the_other_side(app, db, team):  # noqa: F811
    task_id = team["task"].id
    url = f"/admin/task/edit/{task_id}"
    blind = staff(app, "blind", {"task": ["view", "edit"]})
    page = blind.get(url)
    assert page.status_code == 200
    assert "assignments-" not in page.text  # no inline editor for workers
    assert 'name="tags"' not in page.text
    before = links(db, task_id)
    forged = blind.post(
        url,
        data={
            "title": "Launch",
            "status": "todo",
            "priority": "normal",
            "progress": "0",
            "assignments-0-other": str(team["cy"].id),
            "assignments-0-role": "owner",
            "assignments-1-other": str(team["ada"].id),
            "assignments-1-remove": "y",
        },
        follow_redirects=False,
    )
    assert forged.status_code == 302, field_errors(forged.text)
    assert links(db, task_id) == before
    assert (
        blind.get("/admin/task/link-options?name=assignments&term=C").status_code == 403
    )

    seeing = staff(app, "seeing", {"task": ["view", "edit"], "worker": ["view"]})
    page = seeing.get(url).text
    blank = max(
        int(k.split("-")[1])
        for k in re.findall(r'name="(assignments-\d+-other)"', page)
    )
    response = submit(
        seeing,
        url,
        {
            f"assignments-{blank}-other": str(team["cy"].id),
            f"assignments-{blank}-role": "owner",
        },
    )
    assert response.status_code == 302, field_errors(response.text)
    assert team["cy"].id in links(db, task_id)


def test_bulk_links_need_view_permission_on_the_other_side(app, db, rows):
    tag = db.exec(select(Tag)).first()
    client = staff(app, "tagger", {"task": ["view", "edit", "bulk_edit"]})
    page = client.get(f"/admin/task/bulk-edit?pks={rows[0]}")
    assert "add__tags" not in page.text
    response = client.post(
        f"/admin/task/bulk-edit?pks={rows[0]}", data={"add__tags": str(tag.id)}
    )
    assert response.status_code == 400
    assert "You may not change tags links." in text(response.text)
    db.expire_all()
    linked = db.exec(select(TaskTagLink).where(TaskTagLink.task_id == rows[0])).all()
    assert tag.id not in {link.tag_id for link in linked}


def test_the_audit_log_shows_only_tables_the_user_may_view(app, client, db, rows):
    project = db.exec(select(Project)).first()
    client.post(
        f"/admin/project/edit/{project.id}",
        data={"name": "Renamed project"},
    )
    client.post(
        f"/admin/task/bulk-edit?pks={rows[0]}",
        data={"fields": "progress", "progress": "5"},
    )
    auditor = staff(app, "auditor", {"task": ["view"], "audit-entry": ["view"]})
    listing = text(auditor.get("/admin/audit-entry/list").text)
    assert "Bulk edit" in listing or "bulk_edit" in listing
    assert "Renamed project" not in listing
    project_entry = db.exec(
        select(AuditEntry).where(AuditEntry.table == "project")
    ).first()
    assert project_entry is not None
    hidden = auditor.get(f"/admin/audit-entry/details/{project_entry.id}")
    assert hidden.status_code == 404
    index = text(auditor.get("/admin/").text)
    assert "Renamed project" not in index


def test_staff_pages_change_only_by_superusers(app, db):
    add_staff(app, "victim")
    client = staff(app, "climber", {"staff-user": ["view", "edit", "create"]})
    assert client.get("/admin/staff-user/list").status_code == 200
    me = db.exec(select(StaffUser).where(StaffUser.username == "climber")).one()
    response = client.post(
        f"/admin/staff-user/edit/{me.id}",
        data={"username": "climber", "is_active": "y", "is_superuser": "y"},
    )
    assert response.status_code == 403
    assert client.get("/admin/staff-group/create").status_code == 403
    db.expire_all()
    assert db.get(StaffUser, me.id).is_superuser is False


def test_a_superuser_grants_through_the_group_matrix(app, client, db, rows):
    add_staff(app, "clerk")
    clerk_id = db.exec(select(StaffUser.id).where(StaffUser.username == "clerk")).one()
    form = client.get("/admin/staff-group/create")
    assert 'value="task:export"' in form.text
    assert 'value="staff-user:view"' in form.text
    assert 'value="staff-user:edit"' not in form.text  # never grantable
    response = client.post(
        "/admin/staff-group/create",
        data={
            "name": "Exporters",
            "members": [str(clerk_id)],
            "permissions": ["task:view", "task:export"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 302, field_errors(response.text)
    group = db.exec(select(StaffGroup).where(StaffGroup.name == "Exporters")).one()
    grants = db.exec(select(GroupGrant).where(GroupGrant.group_id == group.id)).all()
    assert {(g.identity, g.action) for g in grants} == {
        ("task", "view"),
        ("task", "export"),
    }
    with TestClient(app) as clerk:
        assert login(clerk, "clerk").status_code == 302
        assert clerk.get("/admin/task/export/csv").status_code == 200
        assert clerk.get("/admin/worker/list").status_code == 403
    entry = db.exec(select(AuditEntry).where(AuditEntry.table == "staff-group")).one()
    assert "task:export" in entry.changes


def test_a_grant_saved_without_what_it_needs_gets_it(app, client, db, rows):
    add_staff(app, "editor")
    editor_id = db.exec(
        select(StaffUser.id).where(StaffUser.username == "editor")
    ).one()
    response = client.post(
        "/admin/staff-group/create",
        data={
            "name": "Bulk editors",
            "members": [str(editor_id)],
            "permissions": ["task:bulk_edit", "project:export"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 302, field_errors(response.text)
    group = db.exec(select(StaffGroup).where(StaffGroup.name == "Bulk editors")).one()
    form = client.get(f"/admin/staff-group/edit/{group.id}").text
    for ticked in ("task:view", "task:edit", "task:bulk_edit", "project:view"):
        assert re.search(rf'value="{ticked}"[^>]*checked', form), ticked
    with TestClient(app) as browser:
        assert login(browser, "editor").status_code == 302
        assert browser.get("/admin/task/bulk-edit?select=all").status_code == 200
        assert browser.get("/admin/project/export/csv").status_code == 200
        assert browser.get("/admin/project/create").status_code == 403


def test_a_forged_grant_is_refused_and_nothing_saved(client, db):
    response = client.post(
        "/admin/staff-group/create",
        data={"name": "Sneaky", "permissions": ["*:*"]},
    )
    assert response.status_code == 400
    assert db.exec(select(StaffGroup)).all() == []


def test_removing_a_grant_takes_effect_on_the_next_request(app, db, viewer):
    assert viewer.get("/admin/task/list").status_code == 200
    for grant in db.exec(select(GroupGrant)).all():
        db.delete(grant)
    db.commit()
    assert viewer.get("/admin/task/list").status_code == 403


def test_the_dashboard_offers_only_what_the_user_may_do(app, rows):
    client = staff(app, "dash", {"task": ["view", "export"], "project": ["view"]})
    html = client.get("/admin/").text
    assert 'href="http://testserver/admin/task/export/csv"' in html
    assert "/admin/project/export/csv" not in html
    assert "/admin/task/create" not in html


def test_the_history_link_shows_only_to_staff_who_may_open_the_audit_log(app, rows):
    task = f"/admin/task/details/{rows[0]}"
    viewer = staff(app, "reader", {"task": ["view"]})
    assert 'id="history-link"' not in viewer.get(task).text  # it would be a 403
    assert viewer.get("/admin/audit-entry/list").status_code == 403
    auditor = staff(app, "auditor", {"task": ["view"], "audit-entry": ["view"]})
    page = auditor.get(task).text
    assert 'id="history-link"' in page
    assert auditor.get("/admin/audit-entry/list").status_code == 200


def test_a_menu_category_shows_only_with_a_page_the_user_may_open(app, rows):
    reader = staff(app, "plain reader", {"task": ["view"]})
    assert "Administration" not in text(reader.get("/admin/task/list").text)
    auditor = staff(app, "log reader", {"task": ["view"], "audit-entry": ["view"]})
    menu = text(auditor.get("/admin/task/list").text)
    assert "Administration" in menu and "Audit log" in menu


ACTIONS_BUTTON = re.compile(r'<button[^>]*id="dropdownMenuButton"[^>]*>')


def test_a_viewer_is_offered_no_actions_on_ticked_rows(app, client, viewer, rows):
    """The list marks an Actions menu with nothing in it as disabled, with
    no menu: admin.css hides it, and the row checkboxes that feed it, on
    that mark. Staff who may bulk edit get the menu and its items."""
    own = viewer.get("/admin/task/list").text
    assert "disabled" in ACTIONS_BUTTON.search(own).group(0)
    assert 'aria-labelledby="dropdownMenuButton"' not in own
    assert "Edit selected" not in text(own)
    full = client.get("/admin/task/list").text
    assert "disabled" not in ACTIONS_BUTTON.search(full).group(0)
    assert "Edit selected" in text(full)
    # The rule the browser story (tests/e2e/test_staff_day.py) sees at work.
    href = re.search(r'href="([^"]*/admin\.css[^"]*)"', own).group(1)
    assert "#dropdownMenuButton:disabled" in client.get(href).text
