"""Every state-changing request needs the session's CSRF token, or gets 403 and
changes nothing."""

import re

import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from admin_app.auth.csrf import CSRFMiddleware, session_token
from models import Project, Task
from models.seed import seed_demo
from tests.conftest import csrf_token_of, login
from tests.pages import text

FORM_PAGES = [
    "/admin/task/create",
    "/admin/task/edit/1",
    "/admin/task/bulk-edit?pks=1,2",
    "/admin/task/bulk-delete?pks=1,2",
    "/admin/logout",
    "/admin/task/action/bulk-edit?pks=1",
]


@pytest.fixture
def tasks(app, db):
    seed_demo(db, 10, seed=3)
    db.commit()
    return db.exec(select(Task).order_by(Task.id)).all()


def without_token(client: TestClient) -> str:
    """Drop the header the logged-in test client sends; return the token."""
    return client.headers.pop("X-CSRF-Token")


def test_every_form_carries_the_token_and_every_page_the_meta_tag(client, tasks):
    token = client.headers["X-CSRF-Token"]
    for url in FORM_PAGES:
        page = client.get(url)
        assert page.status_code == 200, url
        forms = re.findall(r"<form\b[^>]*method=\"POST\"[^>]*>", page.text, re.I)
        assert forms, url
        hidden = f'<input type="hidden" name="csrf_token" value="{token}">'
        assert page.text.count(hidden) >= len(forms), url
        assert csrf_token_of(page.text) == token


def test_the_login_form_carries_a_token_before_anyone_logs_in(anonymous):
    page = anonymous.get("/admin/login")
    token = csrf_token_of(page.text)
    assert f'name="csrf_token" value="{token}"' in page.text


def test_login_without_the_token_is_refused_and_opens_no_session(anonymous, superuser):
    response = anonymous.post(
        "/admin/login",
        data={"username": "admin", "password": "correct horse battery staple"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "did not come from this site" in text(response.text)
    assert anonymous.get("/admin/", follow_redirects=False).status_code == 302


def test_a_create_or_edit_without_the_token_changes_nothing(client, db, tasks):
    without_token(client)
    response = client.post("/admin/project/create", data={"name": "Forged"})
    assert response.status_code == 403
    assert "Forged" not in db.exec(select(Project.name)).all()
    task_id, title = tasks[0].id, tasks[0].title
    edit = client.post(f"/admin/task/edit/{task_id}", data={"title": "Forged"})
    assert edit.status_code == 403
    db.expire_all()
    assert db.get(Task, task_id).title == title


def test_a_wrong_token_is_refused(client, db):
    client.headers["X-CSRF-Token"] = "not-the-token"
    response = client.post("/admin/project/create", data={"name": "Forged"})
    assert response.status_code == 403
    assert db.exec(select(Project)).all() == []


def test_the_token_is_bound_to_its_session(app, client, db, superuser):
    with TestClient(app) as other:
        other_token = csrf_token_of(other.get("/admin/login").text)
    client.headers["X-CSRF-Token"] = other_token
    assert client.post("/admin/project/create", data={"name": "X"}).status_code == 403
    assert db.exec(select(Project)).all() == []


def test_the_token_works_as_a_form_field_urlencoded_and_multipart(client, db):
    token = without_token(client)
    urlencoded = client.post(
        "/admin/project/create",
        data={"name": "Plain form", "csrf_token": token},
        follow_redirects=False,
    )
    assert urlencoded.status_code == 302
    multipart = client.post(
        "/admin/project/create",
        data={"name": "Multipart form", "csrf_token": token},
        files={"unused": ("empty.txt", b"", "text/plain")},
        follow_redirects=False,
    )
    assert multipart.status_code == 302
    names = {p.name for p in db.exec(select(Project)).all()}
    assert names == {"Plain form", "Multipart form"}


def test_the_token_changes_when_the_user_logs_in(anonymous, superuser):
    before = csrf_token_of(anonymous.get("/admin/login").text)
    assert login(anonymous, "admin").status_code == 302
    after = anonymous.headers["X-CSRF-Token"]
    assert after != before
    anonymous.headers["X-CSRF-Token"] = before
    assert (
        anonymous.post("/admin/project/create", data={"name": "X"}).status_code == 403
    )


def test_a_delete_needs_the_header(client, db, tasks):
    token, task_id = without_token(client), tasks[0].id
    refused = client.delete(f"/admin/task/delete?pks={task_id}")
    assert refused.status_code == 403
    db.expire_all()
    assert db.get(Task, task_id) is not None
    done = client.delete(
        f"/admin/task/delete?pks={task_id}", headers={"X-CSRF-Token": token}
    )
    assert done.status_code == 200
    db.expire_all()
    assert db.get(Task, task_id) is None


def test_bulk_edit_bulk_delete_and_revert_need_the_token(client, db, tasks):
    without_token(client)
    progress = [t.progress for t in tasks]
    keys = f"{tasks[0].id},{tasks[1].id}"
    edit = client.post(
        f"/admin/task/bulk-edit?pks={keys}",
        data={"fields": "progress", "progress": "55"},
    )
    delete = client.post(f"/admin/task/bulk-delete?pks={keys}")
    revert = client.post("/admin/audit-entry/revert/1")
    assert (edit.status_code, delete.status_code, revert.status_code) == (403,) * 3
    db.expire_all()
    assert [
        t.progress for t in db.exec(select(Task).order_by(Task.id)).all()
    ] == progress


def test_actions_change_nothing_on_get_and_need_the_token_on_post(client, tasks):
    url = f"/admin/task/action/bulk-delete?pks={tasks[0].id}"
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Delete selected…: 1 Task chosen." in text(confirm.text)
    token = without_token(client)
    assert client.post(url).status_code == 403
    done = client.post(url, data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 302
    assert "/admin/task/bulk-delete?pks=" in done.headers["location"]


def test_logout_is_post_only_and_needs_the_token(client):
    assert client.get("/admin/logout").status_code == 200  # a page with the button
    assert client.get("/admin/").status_code == 200  # still logged in
    token = without_token(client)
    assert client.post("/admin/logout").status_code == 403
    assert client.get("/admin/").status_code == 200
    client.post("/admin/logout", data={"csrf_token": token})
    assert client.get("/admin/", follow_redirects=False).status_code == 302


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
    ],
)
def test_cross_site_requests_are_refused_even_with_the_token(client, db, headers):
    response = client.post("/admin/project/create", data={"name": "X"}, headers=headers)
    assert response.status_code == 403
    assert db.exec(select(Project)).all() == []


def test_same_origin_requests_pass(client, db):
    response = client.post(
        "/admin/project/create",
        data={"name": "Mine"},
        headers={"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert [p.name for p in db.exec(select(Project)).all()] == ["Mine"]


def test_an_unreadable_form_is_a_400_not_a_500(client, db):
    without_token(client)
    response = client.post(
        "/admin/project/create",
        content=b"--xyz\r\nContent-Disposition: form-data; name=\r\n\r\nbroken",
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert response.status_code in (400, 403)
    assert "Traceback" not in response.text
    too_many = "&".join(f"f{i}=1" for i in range(10_001))
    response = client.post(
        "/admin/project/create",
        content=too_many.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert db.exec(select(Project)).all() == []


def test_a_huge_form_is_refused_before_the_endpoint_runs():
    ran = []

    async def endpoint(request: Request) -> PlainTextResponse:
        if request.method == "GET":  # a page: the session gets its token
            return PlainTextResponse(session_token(request.session))
        ran.append(True)
        return PlainTextResponse("ran")

    app = Starlette(
        routes=[Route("/", endpoint, methods=["GET", "POST"])],
        middleware=[
            Middleware(SessionMiddleware, secret_key="k"),
            Middleware(CSRFMiddleware, max_form_bytes=1000),
        ],
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    with TestClient(app) as client:
        no_session = client.post("/", content=b"csrf_token=x", headers=form)
        assert no_session.status_code == 403  # refused before the body is read
        token = client.get("/").text
        huge = client.post(
            "/",
            content=f"csrf_token={token}&name=".encode() + b"x" * 2000,
            headers=form,
        )
        assert huge.status_code == 413
        assert "<title>Request Entity Too Large</title>" in huge.text
        fine = client.post("/", content=f"csrf_token={token}".encode(), headers=form)
        assert fine.text == "ran"
    assert ran == [True]
