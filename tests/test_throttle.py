"""Failed logins are throttled per username and per client address, in the
database, so every worker counts the same failures."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.audit import AuditEntry
from admin_app.auth.models import LoginAttempt
from tests.conftest import PASSWORD, SECRET_KEY, add_staff, login
from tests.pages import text

WRONG = "not the password, sorry"


def fail(client: TestClient, username: str, times: int) -> list[int]:
    return [login(client, username, WRONG).status_code for _ in range(times)]


def test_five_failures_lock_the_username_even_for_the_right_password(
    anonymous, superuser, db
):
    assert fail(anonymous, "admin", 5) == [400] * 5
    locked = login(anonymous, "admin", PASSWORD)
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 15 * 60
    assert "Too many failed logins. Try again in 15 minutes." in text(locked.text)
    assert anonymous.get("/admin/", follow_redirects=False).status_code == 302
    audit = db.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert audit == ["login_failed"] * 5 + ["login_throttled"]


def test_twenty_failures_from_one_address_lock_every_username(app, anonymous, db):
    add_staff(app, "careful", superuser=True)
    for index in range(20):
        assert login(anonymous, f"guess{index}", WRONG).status_code == 400
    assert login(anonymous, "careful", PASSWORD).status_code == 429


def test_a_success_clears_the_usernames_count(anonymous, superuser, db):
    assert fail(anonymous, "admin", 4) == [400] * 4
    assert login(anonymous, "admin", PASSWORD).status_code == 302
    assert fail(anonymous, "admin", 4) == [400] * 4  # counting starts again
    assert login(anonymous, "admin", PASSWORD).status_code == 302


def test_the_lock_ends_when_the_window_passes(app, anonymous, superuser, db):
    fail(anonymous, "admin", 5)
    assert login(anonymous, "admin", PASSWORD).status_code == 429
    db.exec(update(LoginAttempt).values(at=LoginAttempt.at - timedelta(minutes=16)))
    db.commit()
    assert login(anonymous, "admin", PASSWORD).status_code == 302


def test_retries_while_locked_do_not_extend_the_lock(anonymous, superuser, db):
    fail(anonymous, "admin", 5)
    for _ in range(5):
        assert login(anonymous, "admin", WRONG).status_code == 429
    assert len(db.exec(select(LoginAttempt)).all()) == 5


def test_every_worker_sees_the_same_count(app, database_url, superuser):
    second_worker = create_app(database_url, "models", SECRET_KEY)
    try:
        with TestClient(app) as first, TestClient(second_worker) as second:
            assert fail(first, "admin", 3) == [400] * 3
            assert fail(second, "admin", 2) == [400] * 2
            assert login(first, "admin", PASSWORD).status_code == 429
            assert login(second, "admin", PASSWORD).status_code == 429
    finally:
        second_worker.state.engine.dispose()


def test_usernames_are_counted_without_case(anonymous, superuser):
    for name in ("admin", "ADMIN", "Admin", "aDmin", " admin "):
        assert login(anonymous, name, WRONG).status_code == 400
    assert login(anonymous, "admin", PASSWORD).status_code == 429


def test_unknown_usernames_are_audited_too(anonymous, db):
    login(anonymous, "nobody", WRONG)
    entry = db.exec(select(AuditEntry)).one()
    assert (entry.action, entry.username) == ("login_failed", "nobody")
    assert "Failed login for “nobody”" in entry.summary
    with Session(db.get_bind()) as session:
        assert session.exec(select(LoginAttempt.username)).all() == ["nobody"]
