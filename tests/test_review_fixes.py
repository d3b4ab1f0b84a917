"""Holes a security review found, each shut and kept shut."""

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.auth.models import StaffUser
from models import Task, Worker
from models.seed import seed_demo
from tests.conftest import PASSWORD, add_staff, csrf_token_of, login
from tests.pages import field_errors, text


@pytest.fixture
def many_workers(app):
    """More workers than a form lists: they are searched as you type."""
    with Session(app.state.engine) as session:
        seed_demo(session, 20, seed=4)
        session.add_all(
            Worker(name=f"Secret agent {n}", email=f"agent{n}@example.com")
            for n in range(150)
        )
        session.commit()


def signed_in(app, name: str, grants: dict[str, list[str]]) -> TestClient:
    add_staff(app, name, grants=grants)
    client = TestClient(app).__enter__()
    assert login(client, name).status_code == 302
    return client


def test_searching_another_table_needs_view_permission_on_it(app, many_workers):
    from admin_app import create_app  # a fresh site sees that workers are many

    site = create_app(str(app.state.engine.url.render_as_string(False)), "models",
                      app.state.settings.secret_key)  # fmt: skip
    try:
        blind = signed_in(site, "blind", {"task": ["view", "create", "edit"]})
        for url in (
            "/admin/task/filter-options?name=assignee_id&term=Secret",
            "/admin/task/ajax/lookup?name=assignee&term=Secret",
        ):
            response = blind.get(url)
            assert response.status_code == 403, url
            assert "Secret agent" not in response.text
        seeing = signed_in(
            site, "seeing", {"task": ["view", "create", "edit"], "worker": ["view"]}
        )
        for url in (
            "/admin/task/filter-options?name=assignee_id&term=Secret",
            "/admin/task/ajax/lookup?name=assignee&term=Secret",
        ):
            response = seeing.get(url)
            assert response.status_code == 200, url
            assert "Secret agent" in response.text
    finally:
        site.state.engine.dispose()


def test_staff_names_are_unique_ignoring_case(client, superuser, db):
    response = client.post(
        "/admin/staff-user/create",
        data={
            "username": "ADMIN",
            "password_hash": "another long passphrase",
            "password_repeat": "another long passphrase",
        },
    )
    assert response.status_code == 400
    assert "A staff user with this name exists (case is ignored)." in field_errors(
        response.text
    )
    assert db.exec(select(StaffUser.username)).all() == ["admin"]


def test_a_nul_character_is_a_clear_400_on_every_backend(client, anonymous, backend):
    for url in (
        "/admin/task/list",
        "/admin/task/export/csv",
        "/admin/audit-entry/list",
    ):
        response = client.get(url, params={"search": "a\x00b"})
        assert response.status_code == 400, url
        assert "NUL character" in text(response.text)
    lookup = client.get("/admin/task/filter-options?name=project_id&term=a%00b")
    assert lookup.status_code == (400 if backend == "postgresql" else 200)
    token = csrf_token_of(anonymous.get("/admin/login").text)
    refused = anonymous.post(
        "/admin/login",
        data={"username": "ad\x00min", "password": PASSWORD, "csrf_token": token},
    )
    assert refused.status_code == 400
    assert "Invalid credentials" in text(refused.text)


def test_reactivating_a_user_does_not_revive_an_old_cookie(app, client, db):
    add_staff(app, "temp", superuser=True)
    with TestClient(app) as temp:
        assert login(temp, "temp").status_code == 302
        copied = temp.cookies["admin_session"]
    user = db.exec(select(StaffUser).where(StaffUser.username == "temp")).one()
    for active in ("", "y"):  # deactivate, then activate again, in the admin
        data = {"username": "temp", "is_superuser": "y"}
        if active:
            data["is_active"] = active
        response = client.post(
            f"/admin/staff-user/edit/{user.id}", data=data, follow_redirects=False
        )
        assert response.status_code == 302, field_errors(response.text)
    db.expire_all()
    assert db.get(StaffUser, user.id).is_active is True
    with TestClient(app, cookies={"admin_session": copied}) as thief:
        assert thief.get("/admin/", follow_redirects=False).status_code == 302


def test_staff_cannot_be_deactivated_in_bulk(client, superuser):
    page = client.get(f"/admin/staff-user/bulk-edit?pks={superuser.id}")
    assert page.status_code == 200
    assert 'value="is_active"' not in page.text
    refused = client.post(
        f"/admin/staff-user/bulk-edit?pks={superuser.id}",
        data={"fields": "is_active", "is_active": ""},
    )
    assert refused.status_code == 400
    assert "'is_active' cannot be changed in bulk." in text(refused.text)


def test_odd_keys_are_404s_not_500s(client, db):
    seed_demo(db, 3, seed=1)
    db.commit()
    task_id = db.exec(select(Task.id)).first()
    for response in (
        client.post("/admin/audit-entry/revert/99999999999999999999999"),
        client.get(f"/admin/task/{task_id}/title/download/"),
        client.get(f"/admin/task/{task_id}/title/preview/"),
        client.get("/admin/task/424242/title/download/"),
    ):
        assert response.status_code == 404, response.request.url
