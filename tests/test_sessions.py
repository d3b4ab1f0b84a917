"""Sessions: replaced on login, ended by logout everywhere, scoped cookies,
timeouts, a safe `next`, and allowed hosts."""

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.auth import backend
from admin_app.auth.next_url import safe_next
from tests.conftest import PASSWORD, SECRET_KEY, add_staff, csrf_token_of, login


def cookie_of(client: TestClient) -> str:
    return client.cookies["admin_session"]


def test_login_replaces_the_session(anonymous, superuser):
    anonymous.get("/admin/login")
    before = cookie_of(anonymous)
    assert login(anonymous, "admin").status_code == 302
    assert cookie_of(anonymous) != before


def test_a_cookie_copied_before_logout_is_dead_after_it(app, client):
    copied = cookie_of(client)
    client.post("/admin/logout")
    with TestClient(app, cookies={"admin_session": copied}) as thief:
        response = thief.get("/admin/task/list", follow_redirects=False)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["location"]


def test_the_cookie_is_http_only_lax_and_scoped_to_the_admin(anonymous, superuser):
    cookie = login(anonymous, "admin").headers["set-cookie"].lower()
    assert cookie.startswith("admin_session=")
    assert "path=/admin" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie
    assert "max-age=43200" in cookie  # the absolute lifetime, 12 hours


def test_the_cookie_is_secure_when_https_only(database_url, monkeypatch):
    monkeypatch.setenv("ADMIN_HTTPS_ONLY", "true")
    app = create_app(database_url, "models", SECRET_KEY)
    with TestClient(app, base_url="https://testserver") as client:
        assert "secure" in client.get("/admin/login").headers["set-cookie"].lower()
    app.state.engine.dispose()


def test_a_host_applications_session_is_left_alone(app, superuser):
    async def remember(request: Request) -> PlainTextResponse:
        request.session.setdefault("cart", "3 apples")
        return PlainTextResponse(request.session["cart"])

    host = Starlette(
        routes=[Route("/shop", remember), Mount("/", app=app)],
        middleware=[Middleware(SessionMiddleware, secret_key="host-key")],
    )
    with TestClient(host) as browser:
        assert browser.get("/shop").text == "3 apples"
        host_cookie = browser.cookies["session"]
        assert login(browser, "admin").status_code == 302
        assert browser.get("/admin/task/list").status_code == 200
        # The cookie's data, before its timestamped signature: Starlette before
        # 1.0 re-signs a non-empty session on every response.
        assert browser.cookies["session"].split(".")[0] == host_cookie.split(".")[0]
        assert browser.get("/shop").text == "3 apples"


@pytest.fixture
def clock(monkeypatch):
    """The session clock, moved by hand."""
    now = {"t": 2_000_000_000}
    monkeypatch.setattr(backend, "_now", lambda: now["t"])
    return now


def test_an_idle_session_ends_after_an_hour(client, clock):
    clock["t"] += 50 * 60
    assert client.get("/admin/").status_code == 200  # activity resets the idle clock
    clock["t"] += 50 * 60
    assert client.get("/admin/").status_code == 200
    clock["t"] += 61 * 60
    response = client.get("/admin/", follow_redirects=False)
    assert response.status_code == 302


def test_a_session_ends_twelve_hours_after_login_however_busy(client, clock):
    for _ in range(24):
        clock["t"] += 30 * 60
        assert client.get("/admin/").status_code == 200
    clock["t"] += 60
    assert client.get("/admin/", follow_redirects=False).status_code == 302


def test_the_timeouts_are_configurable(database_url, monkeypatch, clock):
    monkeypatch.setenv("ADMIN_SESSION_IDLE_TIMEOUT", "300")
    app = create_app(database_url, "models", SECRET_KEY)
    add_staff(app, "quick", superuser=True)
    with TestClient(app) as client:
        assert login(client, "quick").status_code == 302
        clock["t"] += 301
        assert client.get("/admin/", follow_redirects=False).status_code == 302
    app.state.engine.dispose()


def test_after_login_the_user_lands_on_the_page_they_asked_for(anonymous, superuser):
    asked = anonymous.get("/admin/task/list?status=done&page=1", follow_redirects=False)
    login_url = asked.headers["location"]
    token = csrf_token_of(anonymous.get(login_url).text)
    response = anonymous.post(
        "/admin/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/task/list?status=done&page=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/admin/",
        "//evil.example/admin/",
        "/\\evil.example",
        "/admin/../evil",
        "/admin/%2e%2e/evil",
        "/elsewhere",
        "/admin\r\nLocation: https://evil.example",
        "javascript:alert(1)",
    ],
)
def test_next_never_leaves_the_admin(anonymous, superuser, target):
    assert safe_next(target) is None
    token = csrf_token_of(anonymous.get("/admin/login", params={"next": target}).text)
    response = anonymous.post(
        "/admin/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.headers["location"] == "http://testserver/admin/"


def test_a_forged_host_header_gets_400_and_no_redirect(anonymous, superuser):
    for url in ("/admin/", "/admin/login", "/"):
        response = anonymous.get(
            url, headers={"Host": "evil.example"}, follow_redirects=False
        )
        assert response.status_code == 400
        assert "location" not in response.headers


def test_allowed_hosts_are_configurable(database_url, monkeypatch):
    monkeypatch.setenv("ADMIN_ALLOWED_HOSTS", "admin.example.com")
    app = create_app(database_url, "models", SECRET_KEY)
    with TestClient(app, base_url="http://admin.example.com") as client:
        assert client.get("/admin/login").status_code == 200
    with TestClient(app) as client:
        assert client.get("/admin/login").status_code == 400
    app.state.engine.dispose()
