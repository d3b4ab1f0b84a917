"""Staff log in and out; wrong credentials and ended sessions are refused."""

from sqlmodel import Session, select

from admin_app.auth.accounts import set_password
from admin_app.auth.models import StaffUser
from tests.conftest import PASSWORD, add_staff, login
from tests.pages import text


def test_login_page_asks_for_username_and_password(anonymous):
    page = anonymous.get("/admin/login")
    assert page.status_code == 200
    assert 'name="username"' in page.text
    assert 'name="password"' in page.text


def test_pages_need_a_login(anonymous, superuser):
    response = anonymous.get("/admin/task/list?page=2", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"].endswith(
        "/admin/login?next=/admin/task/list%3Fpage%3D2"
    )


def test_wrong_password_is_refused_without_a_session(anonymous, superuser):
    response = login(anonymous, "admin", "not the password at all")
    assert response.status_code == 400
    assert "Invalid credentials" in text(response.text)
    assert anonymous.get("/admin/", follow_redirects=False).status_code == 302


def test_unknown_user_is_refused(anonymous, superuser):
    assert login(anonymous, "nobody", PASSWORD).status_code == 400


def test_a_name_with_a_null_character_is_refused_like_any_unknown_name(
    anonymous, superuser, db
):
    """PostgreSQL's text cannot hold a null character: the attempt is
    refused as any unknown name is, not with a server error."""
    for username in ("ad\0min", "\0"):
        response = login(anonymous, username)
        assert response.status_code == 400
        assert "Invalid credentials" in text(response.text)
    assert anonymous.get("/admin/", follow_redirects=False).status_code == 302


def test_login_sets_a_scoped_http_only_cookie_and_records_the_time(
    anonymous, superuser, db
):
    response = login(anonymous, "admin")
    assert response.status_code == 302
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("admin_session=")
    assert "path=/admin" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert anonymous.get("/admin/").status_code == 200
    user = db.exec(select(StaffUser).where(StaffUser.username == "admin")).one()
    assert user.last_login is not None


def test_inactive_user_cannot_log_in(app, anonymous):
    add_staff(app, "former", superuser=True)
    with Session(app.state.engine) as session:
        user = session.exec(
            select(StaffUser).where(StaffUser.username == "former")
        ).one()
        user.is_active = False
        session.commit()
    assert login(anonymous, "former").status_code == 400


def _change(app, username, change):
    with Session(app.state.engine) as session:
        user = session.exec(
            select(StaffUser).where(StaffUser.username == username)
        ).one()
        change(user)
        session.commit()


def test_deactivated_user_is_logged_out_on_the_next_request(app, client):
    assert client.get("/admin/").status_code == 200
    _change(app, "admin", lambda user: setattr(user, "is_active", False))
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302
    assert "/admin/login?next=" in response.headers["location"]


def test_password_change_logs_out_other_sessions(app, client):
    _change(app, "admin", lambda user: set_password(user, "a brand new passphrase"))
    assert client.get("/admin/", follow_redirects=False).status_code == 302
    assert login(client, "admin", "a brand new passphrase").status_code == 302
    assert client.get("/admin/").status_code == 200


def test_logout_ends_the_session(client):
    client.post("/admin/logout")
    assert client.get("/admin/", follow_redirects=False).status_code == 302


def test_staff_without_grants_see_no_tables(app, anonymous):
    add_staff(app, "clerk")
    assert login(anonymous, "clerk").status_code == 302
    index = anonymous.get("/admin/")
    assert "You have no access to any table yet" in text(index.text)
    assert anonymous.get("/admin/task/list").status_code == 403
