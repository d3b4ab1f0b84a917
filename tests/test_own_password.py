"""Any staff user changes their own password (`/admin/password`), as in
Django's admin: the current password first, the new one twice; this session
goes on, the user's other sessions end; wrong current passwords count as
failed logins do; the audit log names the change, never a value."""

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.auth.models import StaffUser
from admin_app.writing.audit import AuditEntry
from tests.conftest import PASSWORD, add_staff, csrf_token_of, login
from tests.pages import field_errors, text

pytestmark = pytest.mark.postgres

NEW = "a brand new passphrase"


def change(client: TestClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/admin/password",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
        },
        follow_redirects=False,
    )


def stored_hash(app) -> str:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        user = session.exec(select(StaffUser).where(StaffUser.username == "clerk"))
        return user.one().password_hash


def entries(app) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


def test_a_clerk_changes_their_password_and_stays_logged_in(app):
    add_staff(app, "clerk")
    with TestClient(app) as client, TestClient(app) as laptop:
        assert login(client, "clerk").status_code == 302
        assert login(laptop, "clerk").status_code == 302
        index = client.get("/admin/")
        assert 'id="change-password"' in index.text
        form = client.get("/admin/password")
        assert form.status_code == 200
        assert form.text.count('type="password"') == 3
        assert "Current password" in text(form.text)

        answer = change(client, PASSWORD, NEW)
        assert answer.status_code == 302
        assert answer.headers["location"].endswith("/admin/")
        page = client.get("/admin/")
        assert page.status_code == 200  # this session goes on
        assert "Your password was changed" in text(page.text)
        # the clerk's other session has ended
        assert laptop.get("/admin/", follow_redirects=False).status_code == 302
    with TestClient(app) as other:
        assert login(other, "clerk").status_code == 400
        assert login(other, "clerk", NEW).status_code == 302
    (entry,) = [e for e in entries(app) if e.action == "edit"]
    assert (entry.table, entry.username) == ("staff-user", "clerk")
    assert entry.summary == (
        "Changed own password: Staff user “clerk”, other sessions ended"
    )
    assert NEW not in entry.changes and "argon2" not in entry.changes


@pytest.mark.parametrize(
    ("current", "new", "again", "box", "message"),
    [
        (
            "not it at all",
            NEW,
            NEW,
            "current_password",
            "This is not your current password.",
        ),
        (
            PASSWORD,
            NEW,
            NEW + "!",
            "new_password_again",
            "The two new passwords differ.",
        ),
        (PASSWORD, "short", "short", "new_password", "at least 12 characters"),
        (PASSWORD, "Clerk", "Clerk", "new_password", "at least 12 characters"),
        (PASSWORD, "", "", "new_password", "Type a new password."),
        ("", NEW, NEW, "current_password", "Type your current password."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    app, current, new, again, box, message
):
    add_staff(app, "clerk")
    before = stored_hash(app)
    with TestClient(app) as client:
        assert login(client, "clerk").status_code == 302
        answer = change(client, current, new, again)
        assert answer.status_code == 400
        errors = field_errors(answer.text)
        assert len(errors) == 1 and message in errors[0]
        assert f'id="{box}-error"' in answer.text  # under its box
        assert client.get("/admin/", follow_redirects=False).status_code == 200
    assert stored_hash(app) == before
    failed = [e for e in entries(app) if e.action == "password_change_failed"]
    assert len(failed) == (1 if message.startswith("This is not") else 0)


def test_the_username_is_not_a_password(app):
    add_staff(app, "a-long-username")
    with TestClient(app) as client:
        assert login(client, "a-long-username").status_code == 302
        answer = change(client, PASSWORD, "A-Long-Username")
        assert answer.status_code == 400
        assert field_errors(answer.text) == ["The password must not be the username."]


def test_wrong_current_passwords_are_throttled_as_logins_are(app):
    add_staff(app, "clerk")
    before = stored_hash(app)
    with TestClient(app) as client:
        assert login(client, "clerk").status_code == 302
        for _ in range(5):
            assert change(client, "a wrong guess", NEW).status_code == 400
        answer = change(client, PASSWORD, NEW)  # the right one, too late
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) > 0
        assert "Too many failed password checks" in text(answer.text)
    assert stored_hash(app) == before
    refused = [e.summary for e in entries(app) if e.action == "login_throttled"]
    assert refused == [
        "Password change refused for “clerk” from testclient: too many failed attempts"
    ]
    with TestClient(app) as other:  # the username is locked for logins too
        assert login(other, "clerk").status_code == 429


def test_the_page_needs_a_login_and_its_post_a_csrf_token(app):
    add_staff(app, "clerk")
    before = stored_hash(app)
    with TestClient(app) as client:
        answer = client.get("/admin/password", follow_redirects=False)
        assert (
            answer.status_code == 302 and "/admin/login" in answer.headers["location"]
        )
        assert login(client, "clerk").status_code == 302
        token = client.headers.pop("X-CSRF-Token")
        assert change(client, PASSWORD, NEW).status_code == 403
        assert csrf_token_of(client.get("/admin/password").text) == token
    assert stored_hash(app) == before
