"""Failed logins are throttled per username and per client address, in the
database, so every worker counts the same failures."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx2 as httpx
from sqlalchemy import update
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.auth.models import LoginAttempt
from admin_app.auth.throttle import _address_key
from admin_app.writing.audit import AuditEntry
from tests.conftest import PASSWORD, SECRET_KEY, add_staff, csrf_token_of, login
from tests.live import live_server
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


def test_attempts_sent_in_parallel_are_counted_before_passwords_are_checked(
    app, superuser, db
):
    def attempt(base: str) -> int:
        with httpx.Client(base_url=base) as browser:
            token = csrf_token_of(browser.get("/admin/login").text)
            return browser.post(
                "/admin/login",
                data={"username": "admin", "password": WRONG, "csrf_token": token},
            ).status_code

    with live_server(app) as base, ThreadPoolExecutor(max_workers=15) as pool:
        answers = list(pool.map(attempt, [base] * 30))
    assert sorted(set(answers)) == [400, 429]
    assert answers.count(400) <= 5  # passwords checked: never more than the limit
    assert len(db.exec(select(LoginAttempt)).all()) == answers.count(400)
    audit = db.exec(select(AuditEntry.action)).all()
    assert audit.count("login_failed") == answers.count(400)
    assert audit.count("login_throttled") == answers.count(429)


def test_ipv6_clients_are_counted_per_network():
    assert _address_key("2001:db8:1:2::1") == _address_key("2001:db8:1:2:ffff::9")
    assert _address_key("2001:db8:1:2::1") != _address_key("2001:db8:1:3::1")
    assert _address_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert _address_key("testclient") == "testclient"
