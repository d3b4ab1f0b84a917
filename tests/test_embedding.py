"""The admin mounted in a FastAPI application, as a project embeds it.

The host has its own routes, its own lifespan and its own `SessionMiddleware`;
the admin is `host.mount(prefix, create_app(...))`. A staff user works through
the mounted admin; every link, form and redirect stays under the mount point,
and the host's session and routes are as they were.
"""

import base64
import csv
import io
import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI, Request
from itsdangerous import TimestampSigner
from sqlmodel import Session, select
from starlette.applications import Starlette
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.testclient import TestClient

from admin_app.model.labels import LIST_LIMIT
from models import Project, Worker
from tests.conftest import PASSWORD, csrf_token_of
from tests.pages import form_values, list_rows

HOST_SECRET = "the host application's own key"
PREFIXES = ["/admin", "/backoffice"]


def make_host(admin: Starlette, prefix: str) -> FastAPI:
    """A FastAPI app with routes, a lifespan and a session of its own."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict]:
        events.append("started")
        yield {"greeting": "hello from the host"}
        events.append("stopped")

    host = FastAPI(lifespan=lifespan)
    host.add_middleware(SessionMiddleware, secret_key=HOST_SECRET)
    host.state.events = events

    @host.get("/shop")
    async def shop(request: Request) -> dict:
        request.session.setdefault("cart", ["tea", "biscuits"])
        return {"cart": request.session["cart"]}

    @host.get("/greeting")
    async def greeting(request: Request) -> dict:
        return {"greeting": request.state.greeting}

    host.mount(prefix, admin)
    return host


@pytest.fixture(params=PREFIXES)
def prefix(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def host(app: Starlette, prefix: str, superuser) -> FastAPI:  # type: ignore[no-untyped-def]
    return make_host(app, prefix)


@pytest.fixture
def browser(host: FastAPI) -> Iterator[TestClient]:
    with TestClient(host) as browser:
        yield browser


def log_in(browser: TestClient, prefix: str, next_path: str | None = None):  # type: ignore[no-untyped-def]
    login_url = f"{prefix}/login" + (f"?next={next_path}" if next_path else "")
    page = browser.get(login_url)
    assert page.status_code == 200
    response = browser.post(
        f"{prefix}/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": csrf_token_of(page.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text
    return response


def local_urls(html: str) -> list[str]:
    """Paths of every link, script, stylesheet, form and script URL on a page
    that point at this site."""
    found = re.findall(r'\b(?:href|src|action|data-url)="([^"#][^"]*)"', html)
    urls = [url.removeprefix("http://testserver") for url in found]
    return [url for url in urls if url.startswith("/")]


def assert_under(prefix: str, html: str) -> None:
    urls = local_urls(html)
    assert urls, "the page links nowhere"
    outside = [url for url in urls if not url.startswith(prefix + "/")]
    assert outside == [], f"links outside {prefix}: {outside}"
    assert f"{prefix}/admin/" not in html  # not served twice over


def host_session(browser: TestClient) -> dict:
    """What the host's own session cookie holds, read as the host reads it."""
    signed = browser.cookies["session"].encode()
    data = TimestampSigner(HOST_SECRET).unsign(signed)
    return json.loads(base64.b64decode(data))


def test_the_admin_answers_at_the_mount_point(browser, prefix, app):
    first = browser.get(f"{prefix}/", follow_redirects=False)
    assert first.status_code == 302
    assert first.headers["location"].startswith(f"http://testserver{prefix}/login")
    assert f"next={prefix}/" in first.headers["location"]

    login_page = browser.get(f"{prefix}/login")
    assert login_page.status_code == 200
    assert_under(prefix, login_page.text)
    assert f'action="http://testserver{prefix}/login"' in login_page.text

    logged_in = log_in(browser, prefix)
    assert logged_in.headers["location"] == f"http://testserver{prefix}/"
    cookie = logged_in.headers["set-cookie"].lower()
    assert cookie.startswith("admin_session=")
    assert f"path={prefix};" in cookie

    index = browser.get(f"{prefix}/")
    assert index.status_code == 200
    assert f'href="http://testserver{prefix}/task/list"' in index.text
    assert_under(prefix, index.text)
    # On a large table, filters and inline link editors search as you type,
    # from URLs of their own.
    with Session(app.state.engine) as session:
        session.add_all(
            Worker(name=f"Worker {n}", email=f"worker{n}@example.com")
            for n in range(LIST_LIMIT + 1)
        )
        session.commit()
    task_list = browser.get(f"{prefix}/task/list").text
    assert f'data-url="http://testserver{prefix}/task/filter-options"' in task_list
    assert_under(prefix, task_list)
    task_form = browser.get(f"{prefix}/task/create").text
    assert f'data-url="{prefix}/task/link-options"' in task_form
    assert_under(prefix, task_form)
    found = browser.get(f"{prefix}/task/link-options?name=assignments&term=Worker 7")
    assert found.status_code == 200
    assert "Worker 7" in [result["text"] for result in found.json()["results"]]


def test_a_staff_story_through_the_mounted_admin(browser, prefix, app):
    log_in(browser, prefix)
    token = csrf_token_of(browser.get(f"{prefix}/").text)

    create_page = browser.get(f"{prefix}/project/create")
    assert create_page.status_code == 200
    assert_under(prefix, create_page.text)
    created = browser.post(
        f"{prefix}/project/create",
        data={"name": "Borealis", "csrf_token": token, "save": "Save"},
        follow_redirects=False,
    )
    assert created.status_code == 302, created.text
    assert created.headers["location"].startswith(f"http://testserver{prefix}/")
    with Session(app.state.engine) as session:
        project = session.exec(select(Project)).one()

    listing = browser.get(f"{prefix}/project/list")
    assert [row["Name"] for row in list_rows(listing.text)] == ["Borealis"]
    assert_under(prefix, listing.text)

    edit_url = f"{prefix}/project/edit/{project.id}"
    edit_page = browser.get(edit_url)
    assert_under(prefix, edit_page.text)
    typed: dict[str, list[str]] = {"name": ["Borealis II"], "save": ["Save"]}
    for name, value in form_values(edit_page.text):
        if name != "name":
            typed.setdefault(name, []).append(value)
    edited = browser.post(edit_url, data=typed, follow_redirects=False)
    assert edited.status_code == 302, edited.text
    assert edited.headers["location"].startswith(f"http://testserver{prefix}/")
    with Session(app.state.engine) as session:
        assert session.get(Project, project.id).name == "Borealis II"

    details = browser.get(f"{prefix}/project/details/{project.id}")
    assert "Borealis II" in details.text
    assert_under(prefix, details.text)

    export = browser.get(f"{prefix}/project/export/csv")
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [row["name"] for row in rows] == ["Borealis II"]

    deleted = browser.delete(
        f"{prefix}/project/delete?pks={project.id}",
        headers={"X-CSRF-Token": token},
    )
    assert deleted.status_code == 200
    assert deleted.text.startswith(f"http://testserver{prefix}/project/list")

    confirm = browser.get(f"{prefix}/logout")
    assert f'action="http://testserver{prefix}/logout"' in confirm.text
    out = browser.post(
        f"{prefix}/logout", data={"csrf_token": token}, follow_redirects=False
    )
    assert out.status_code == 302
    assert out.headers["location"] == f"http://testserver{prefix}/login"
    assert f"path={prefix};" in out.headers["set-cookie"].lower()
    after = browser.get(f"{prefix}/project/list", follow_redirects=False)
    assert after.status_code == 302


def test_the_hosts_routes_lifespan_and_session_are_left_alone(browser, host, prefix):
    assert host.state.events == ["started"]
    assert browser.get("/greeting").json() == {"greeting": "hello from the host"}
    assert browser.get("/shop").json() == {"cart": ["tea", "biscuits"]}
    before = host_session(browser)

    log_in(browser, prefix)
    assert browser.get(f"{prefix}/task/list").status_code == 200
    token = csrf_token_of(browser.get(f"{prefix}/").text)
    browser.post(
        f"{prefix}/project/create",
        data={"name": "Apollo", "csrf_token": token, "save": "Save"},
    )

    assert host_session(browser) == before == {"cart": ["tea", "biscuits"]}
    cookie_paths = {cookie.name: cookie.path for cookie in browser.cookies.jar}
    assert cookie_paths == {"session": "/", "admin_session": prefix}
    assert browser.get("/shop").json() == {"cart": ["tea", "biscuits"]}
    assert browser.get("/greeting").json() == {"greeting": "hello from the host"}
    assert browser.get("/docs").status_code == 200  # FastAPI's own pages


def test_login_returns_to_the_page_asked_for_under_the_mount_point(browser, prefix):
    asked = browser.get(f"{prefix}/task/list?search=plan", follow_redirects=False)
    assert asked.status_code == 302
    next_path = f"{prefix}/task/list?search=plan"
    logged_in = log_in(browser, prefix, next_path=next_path.replace("?", "%3F"))
    assert logged_in.headers["location"] == next_path


def test_static_files_csrf_and_icon_under_the_mount_point(browser, prefix):
    page = browser.get(f"{prefix}/login").text
    for url in local_urls(page):
        if "/static" in url:  # SQLAdmin's statics and the admin's own static
            response = browser.get(url)
            assert response.status_code == 200, url
            assert response.headers.get("cache-control") != "no-store", url
    assert browser.get(f"{prefix}/login").headers["cache-control"] == "no-store"

    token = csrf_token_of(page)
    refused = browser.post(
        f"{prefix}/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "http://evil.example"},
    )
    assert refused.status_code == 403
    same_site = browser.post(
        f"{prefix}/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert same_site.status_code == 302


def test_the_admin_in_a_mount_inside_a_mount(app, superuser):
    """`/internal/admin`: the admin is where the host put it, however deep."""
    inner = Starlette(routes=[Mount("/admin", app=app)])
    host = FastAPI()
    host.mount("/internal", inner)
    with TestClient(host) as browser:
        logged_in = log_in(browser, "/internal/admin")
        assert logged_in.headers["location"] == "http://testserver/internal/admin/"
        page = browser.get("/internal/admin/task/list")
        assert page.status_code == 200
        assert_under("/internal/admin", page.text)


def test_on_its_own_the_admin_is_still_at_slash_admin(anonymous):
    assert anonymous.get("/", follow_redirects=False).headers["location"] == "/admin/"
    page = anonymous.get("/admin/login")
    assert_under("/admin", page.text)
    assert anonymous.get("/admin/statics/css/main.css").status_code == 200
    assert anonymous.get("/login").status_code == 404


def test_only_the_admin_in_a_process_of_its_own_sets_objects_aside_from_gc(app, prefix):
    """Served on its own, the admin's startup freezes what it has made
    (`gc.freeze`), once a process; mounted, the host's collector is left as
    it was."""
    import gc

    from admin_app import create_app
    from tests.conftest import SECRET_KEY

    gc.unfreeze()  # whatever an earlier test's app set aside
    with TestClient(make_host(app, prefix)) as browser:
        assert browser.get("/shop").status_code == 200
        assert gc.get_freeze_count() == 0
    with TestClient(app):
        frozen = gc.get_freeze_count()
        assert frozen > 10_000
    second = create_app(app.state.engine.url, "models", SECRET_KEY)
    try:
        with TestClient(second):
            assert gc.get_freeze_count() <= frozen  # nothing more set aside
    finally:
        second.state.engine.dispose()
