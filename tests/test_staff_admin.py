"""Superusers manage staff accounts in the admin; hashes never show."""

from sqlmodel import select
from starlette.testclient import TestClient

from admin_app.auth.models import StaffUser
from admin_app.writing.audit import AuditEntry
from tests.conftest import login
from tests.pages import field_errors, text


def create_staff(client, **fields):
    data = {
        "username": "clerk",
        "password_hash": "a long enough secret",
        "password_repeat": "a long enough secret",
        "is_active": "y",
    }
    return client.post(
        "/admin/staff-user/create",
        data={**data, **fields, "save": "Save"},
        follow_redirects=False,
    )


def test_a_new_staff_user_gets_a_hashed_password_that_logs_in(client, db, app):
    assert create_staff(client).status_code == 302
    user = db.exec(select(StaffUser).where(StaffUser.username == "clerk")).one()
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in user.password_hash
    assert not user.is_superuser

    for page in (
        client.get("/admin/staff-user/list"),
        client.get(f"/admin/staff-user/details/{user.id}"),
        client.get(f"/admin/staff-user/edit/{user.id}"),
    ):
        assert page.status_code == 200
        assert "$argon2" not in page.text and "Password hash" not in text(page.text)

    with TestClient(app) as other:
        assert login(other, "clerk", "a long enough secret").status_code == 302


def test_a_weak_password_is_refused_and_nothing_saved(client, db):
    response = create_staff(client, password_hash="short", password_repeat="short")
    assert response.status_code == 400
    assert "The password must have at least 12 characters." in field_errors(
        response.text
    )
    assert (
        db.exec(select(StaffUser).where(StaffUser.username == "clerk")).first() is None
    )


def test_a_username_with_a_null_character_is_refused_and_nothing_saved(client, db):
    response = create_staff(client, username="cl\0erk")
    assert response.status_code == 400
    assert field_errors(response.text) == ["Null characters are not allowed."]
    assert db.exec(select(StaffUser).where(StaffUser.username != "admin")).all() == []


def test_a_new_staff_user_needs_a_password(client, db):
    response = create_staff(client, password_hash="", password_repeat="")
    assert response.status_code == 400
    assert field_errors(response.text) == ["A new staff user needs a password."]


def test_editing_without_a_password_keeps_it_and_a_new_one_replaces_it(client, db, app):
    create_staff(client)
    user = db.exec(select(StaffUser).where(StaffUser.username == "clerk")).one()
    old_hash = user.password_hash
    client.post(
        f"/admin/staff-user/edit/{user.id}",
        data={
            "username": "clerk",
            "is_active": "y",
            "password_hash": "",
            "save": "Save",
        },
    )
    db.expire_all()
    assert user.password_hash == old_hash
    client.post(
        f"/admin/staff-user/edit/{user.id}",
        data={
            "username": "clerk",
            "is_active": "y",
            "password_hash": "another long secret",
            "password_repeat": "another long secret",
            "save": "Save",
        },
    )
    db.expire_all()
    assert user.password_hash != old_hash
    # the change is in the audit trail, the password by name alone
    entry = db.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.summary == "Changed Staff user “clerk”: sessions ended, password"
    assert user.password_hash not in entry.changes and "secret" not in entry.changes
    with TestClient(app) as other:
        assert login(other, "clerk", "a long enough secret").status_code == 400
        assert login(other, "clerk", "another long secret").status_code == 302


def test_the_password_is_asked_twice_and_must_match(client, db):
    form = client.get("/admin/staff-user/create").text
    assert form.count('type="password"') == 2
    assert "Password again" in text(form)
    assert "keep the current" not in text(form)  # a new user has none
    response = create_staff(client, password_repeat="a long enough secreT")
    assert response.status_code == 400
    assert field_errors(response.text) == ["The two passwords differ."]
    assert (
        db.exec(select(StaffUser).where(StaffUser.username == "clerk")).first() is None
    )


def test_an_edit_keeps_the_password_when_both_boxes_are_empty(client, db):
    create_staff(client)
    user = db.exec(select(StaffUser).where(StaffUser.username == "clerk")).one()
    form = client.get(f"/admin/staff-user/edit/{user.id}").text
    assert "Leave both boxes empty to keep the current password." in text(form)
    response = client.post(
        f"/admin/staff-user/edit/{user.id}",
        data={
            "username": "clerk",
            "is_active": "y",
            "password_hash": "",
            "password_repeat": "a typo only here",
            "save": "Save",
        },
    )
    assert response.status_code == 400
    assert field_errors(response.text) == ["The two passwords differ."]
