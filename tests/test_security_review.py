"""The security review's findings, each answered and tested over HTTP: HEAD
requests that wrote, anonymous bodies, multiplied query parameters, forged
forwarded headers, counts and related rows beyond a user's grants, messages
from the URL, and the smaller ones (server header, database file mode,
cross-site exports)."""

import stat

import httpx2 as httpx
import pytest
import uvicorn
from click.testing import CliRunner
from sqlmodel import Session, func, select
from starlette.testclient import TestClient

from admin_app.auth.models import LoginAttempt, StaffUser
from admin_app.cli import main, uvicorn_options
from admin_app.settings import ImproperlyConfigured
from admin_app.writing.audit import AuditEntry
from models import Project, Tag, Task, Worker
from models.seed import seed_demo
from tests.aio import run_coroutine
from tests.conftest import PASSWORD, add_staff, csrf_token_of, login
from tests.live import live_server
from tests.pages import list_rows, text
from tests.test_csrf import without_token
from tests.test_links import submit

EVIL = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}


@pytest.fixture
def project(db) -> Project:
    project = Project(name="Apollo")
    db.add(project)
    db.commit()
    db.refresh(project)
    return project


@pytest.fixture
def tasks(app):
    with Session(app.state.engine) as session:
        seed_demo(session, 30, seed=15)
        session.commit()


def staff_client(app, name: str, grants: dict[str, list[str]]) -> TestClient:
    add_staff(app, name, grants=grants)
    client = TestClient(app)
    client.__enter__()
    assert login(client, name).status_code == 302
    return client


# 1. A HEAD, OPTIONS or TRACE never reaches a handler that writes or logs in.


def test_a_head_with_an_edit_form_and_no_token_changes_nothing(client, db, project):
    without_token(client)
    response = client.request(
        "HEAD",
        f"/admin/project/edit/{project.id}",
        data={"name": "Renamed by HEAD"},
        headers=EVIL,
    )
    assert response.content == b""
    db.expire_all()
    assert db.get(Project, project.id).name == "Apollo"
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "edit")).all() == []


def test_a_head_create_of_a_superuser_creates_nobody(client, db):
    without_token(client)
    client.request(
        "HEAD",
        "/admin/staff-user/create",
        data={
            "username": "intruder",
            "new_password": "a long enough secret",
            "is_active": "y",
            "is_superuser": "y",
        },
        headers=EVIL,
    )
    users = db.exec(select(StaffUser.username)).all()
    assert users == ["admin"]


def test_head_bulk_edit_bulk_delete_and_logout_change_nothing(client, db, tasks):
    without_token(client)
    before = db.exec(select(Task.id, Task.progress).order_by(Task.id)).all()
    keys = ",".join(str(task_id) for task_id, _ in before[:3])
    client.request(
        "HEAD",
        f"/admin/task/bulk-edit?pks={keys}",
        data={"fields": "progress", "progress": "99"},
    )
    client.request("HEAD", f"/admin/task/bulk-delete?pks={keys}")
    client.request("HEAD", f"/admin/task/action/bulk-delete?pks={keys}")
    client.request("HEAD", "/admin/logout")
    db.expire_all()
    assert db.exec(select(Task.id, Task.progress).order_by(Task.id)).all() == before
    assert client.get("/admin/", follow_redirects=False).status_code == 200


def test_a_head_login_does_not_log_in(anonymous, superuser, db):
    token = csrf_token_of(anonymous.get("/admin/login").text)
    anonymous.request(
        "HEAD",
        "/admin/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert anonymous.get("/admin/", follow_redirects=False).status_code == 302
    assert db.exec(select(LoginAttempt)).all() == []


def test_a_head_on_an_export_tells_the_count_and_logs_no_export(client, db, tasks):
    head = client.head("/admin/task/export/csv?status=todo")
    assert head.status_code == 200
    assert head.content == b""
    todo = db.exec(select(func.count()).where(Task.status == "todo")).one()
    assert int(head.headers["x-row-count"]) == todo > 0
    exports = select(AuditEntry).where(AuditEntry.action == "export")
    assert db.exec(exports).all() == []
    client.get("/admin/task/export/csv?status=todo")
    assert len(db.exec(exports).all()) == 1


def test_a_head_on_a_page_answers_like_the_get_without_a_body(client, tasks):
    page = client.get("/admin/task/list")
    head = client.head("/admin/task/list")
    assert head.status_code == page.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == page.headers["content-type"]
    assert int(head.headers["content-length"]) > 1000
    assert head.headers["x-frame-options"] == "DENY"
    assert client.head("/admin/task/list?status=nonsense").status_code == 400


def test_a_head_on_an_export_ends_after_the_headers(client, tasks):
    head = client.head("/admin/task/export/csv")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/csv")
    assert head.headers["content-disposition"].startswith("attachment")


def test_a_head_through_a_real_server_answers_headers_only(app, superuser):
    with live_server(app) as base, httpx.Client(base_url=base) as browser:
        assert browser.head("/admin/login").status_code == 200
        token = csrf_token_of(browser.get("/admin/login").text)
        browser.request(
            "HEAD",
            "/admin/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        )
        assert browser.get("/admin/", follow_redirects=False).status_code == 302
        browser.post(
            "/admin/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        )
        export = browser.head("/admin/task/export/csv")
        assert export.status_code == 200 and export.content == b""
        assert export.headers["content-type"].startswith("text/csv")


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
def test_options_and_trace_are_refused(client, db, method):
    response = client.request(
        method, "/admin/project/create", data={"name": "By " + method}
    )
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]
    assert db.exec(select(Project)).all() == []


# 2. Before login, no body bigger than a login form is read.

MEGABYTE = 1024 * 1024


def test_an_anonymous_megabyte_is_refused_and_login_still_works(anonymous, superuser):
    token = csrf_token_of(anonymous.get("/admin/login").text)
    big = f"csrf_token={token}&username=admin&password=x&pad=".encode()
    response = anonymous.post(
        "/admin/login",
        content=big + b"x" * MEGABYTE,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413
    assert "too large" in text(response.text)
    multipart = anonymous.post(
        "/admin/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
        files={"file": ("big.bin", b"x" * MEGABYTE, "application/octet-stream")},
    )
    assert multipart.status_code == 413
    assert login(anonymous, "admin").status_code == 302


def _post_in_chunks(app, cookies: str, chunks: list[bytes]) -> tuple[int, int]:
    """POST `chunks` to the login route without a Content-Length, straight
    through ASGI; return the status and how many chunks the server read."""
    read = 0
    body = iter(chunks)

    async def receive():
        nonlocal read
        chunk = next(body, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    status = []

    async def send(message):
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/admin/login",
        "raw_path": b"/admin/login",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"cookie", cookies.encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    run_coroutine(app(scope, receive, send))
    return status[0], read


def test_an_anonymous_body_is_read_no_further_than_the_cap(app, anonymous):
    token = csrf_token_of(anonymous.get("/admin/login").text)
    cookies = "; ".join(f"{k}={v}" for k, v in anonymous.cookies.items())
    chunk = 4096
    chunks = [f"csrf_token={token}&pad=".encode()] + [b"x" * chunk] * 256  # 1 MB
    status, read = _post_in_chunks(app, cookies, chunks)
    assert status == 413
    assert read * chunk <= 20 * 1024  # the cap and one chunk, not the megabyte


def test_a_logged_in_user_may_still_send_a_large_form(client, db):
    description = "x" * 1900
    response = client.post(
        "/admin/project/create",
        data={"name": "Big", "description": description, "pad": "y" * 100_000},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert db.exec(select(Project.description)).one() == description


# 3. Query parameters are carried over only when the list understands them.


def test_thousands_of_query_parameters_get_a_short_400(client, tasks):
    junk = "&".join(f"p{i}=1" for i in range(5000))
    response = client.get(f"/admin/task/list?{junk}")
    assert response.status_code == 400
    assert "at most 200 query parameters" in text(response.text)
    assert len(response.content) < 50_000
    assert client.get(f"/admin/task/export/csv?{junk}").status_code == 400


def test_unknown_parameters_are_not_repeated_by_the_filter_forms(client, tasks):
    plain = client.get("/admin/task/list?status=todo")
    junk = "&".join(f"junk{i}=1" for i in range(150))
    page = client.get(f"/admin/task/list?status=todo&{junk}")
    assert page.status_code == 200
    assert 'name="junk0"' not in page.text
    assert "junk0=1" not in page.text.split('id="filter-sidebar"', 1)[1]
    assert 'name="status" value="todo"' in page.text  # known ones are kept
    assert len(page.content) < 2 * len(plain.content)


# 4. Forwarded headers count only from proxies the operator names.


def test_serve_trusts_no_forwarded_headers_unless_told(monkeypatch):
    monkeypatch.delenv("ADMIN_TRUSTED_PROXIES", raising=False)
    config = uvicorn.Config("admin_app.app:create_app", **uvicorn_options())
    assert config.proxy_headers is False
    assert config.server_header is False
    monkeypatch.setenv("ADMIN_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.5")
    config = uvicorn.Config("admin_app.app:create_app", **uvicorn_options())
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == ["10.0.0.0/8", "192.168.1.5"]
    monkeypatch.setenv("ADMIN_TRUSTED_PROXIES", "the proxy")
    with pytest.raises(ImproperlyConfigured, match="ADMIN_TRUSTED_PROXIES"):
        uvicorn_options()


def _fail_login_via(base: str, forwarded_for: str, username: str = "nobody") -> int:
    with httpx.Client(base_url=base) as browser:
        token = csrf_token_of(browser.get("/admin/login").text)
        return browser.post(
            "/admin/login",
            data={"username": username, "password": "wrong", "csrf_token": token},
            headers={"X-Forwarded-For": forwarded_for},
        ).status_code


def test_a_forged_forwarded_for_does_not_change_the_address_counted(
    app, db, monkeypatch
):
    monkeypatch.delenv("ADMIN_TRUSTED_PROXIES", raising=False)
    with live_server(app, **uvicorn_options()) as base:
        answers = [
            _fail_login_via(base, f"203.0.113.{i}", f"guess{i}") for i in range(21)
        ]
        served = httpx.get(f"{base}/admin/login")
    assert answers[:20] == [400] * 20 and answers[20] == 429  # one address
    assert set(db.exec(select(LoginAttempt.address)).all()) == {"127.0.0.1"}
    summaries = db.exec(select(AuditEntry.summary)).all()
    assert not any("203.0.113" in summary for summary in summaries)
    assert "server" not in served.headers


def test_a_named_proxy_passes_on_the_clients_address(app, db, monkeypatch):
    monkeypatch.setenv("ADMIN_TRUSTED_PROXIES", "127.0.0.1")
    with live_server(app, **uvicorn_options()) as base:
        assert _fail_login_via(base, "203.0.113.7") == 400
    assert db.exec(select(LoginAttempt.address)).all() == ["203.0.113.7"]


# 5. The index counts only what the user may see.


def test_the_index_counts_only_the_audit_entries_the_user_may_see(
    app, client, db, tasks
):
    for name in ("One", "Two", "Three"):
        client.post("/admin/project/create", data={"name": name})
    client.get("/admin/task/export/csv")
    everything = db.scalar(select(func.count()).select_from(AuditEntry))
    auditor = staff_client(app, "auditor", {"task": ["view"], "audit-entry": ["view"]})
    try:
        listing = auditor.get("/admin/audit-entry/list?pageSize=100")
        visible = len(list_rows(listing.text))
        index = auditor.get("/admin/").text
        shown = index.split('data-identity="audit-entry">', 1)[1].split("<", 1)[0]
    finally:
        auditor.__exit__(None, None, None)
    assert visible < everything
    assert int(shown.replace(",", "")) == visible


# 6. Choosing or filtering by rows of another table needs view on that table.


@pytest.fixture
def planner(app, tasks):
    client = staff_client(app, "planner", {"task": ["view", "edit", "bulk_edit"]})
    yield client
    client.__exit__(None, None, None)


def _assigned_task(db) -> Task:
    return db.exec(
        select(Task)
        .where(Task.assignee_id.is_not(None), Task.project_id.is_not(None))
        .order_by(Task.id)
    ).first()


def test_the_filter_panel_offers_no_rows_of_tables_the_user_may_not_view(planner, db):
    workers = db.exec(select(Worker.name)).all()
    projects = db.exec(select(Project.name)).all()
    tags = db.exec(select(Tag.name)).all()
    page = planner.get("/admin/task/list")
    assert page.status_code == 200
    panel = page.text.split('id="filter-sidebar"', 1)[1]
    for name in [*workers, *projects, *tags]:
        assert name not in panel
    for parameter in ("assignee_id", "project_id", "tags"):
        assert f'data-filter="{parameter}"' not in page.text
    assert 'data-filter="status"' in page.text  # the task's own filters stay
    assert 'data-filter="parent_id"' in page.text  # tasks: the user may view them

    task = _assigned_task(db)
    by_worker = planner.get(f"/admin/task/list?assignee_id={task.assignee_id}")
    assert by_worker.status_code == 200
    assert 'class="badge bg-blue-lt filter-chip"' not in by_worker.text  # no chip
    assert 'id="row-count">30 Tasks<' in by_worker.text
    refused = planner.get("/admin/task/filter-options?name=assignee_id&term=a")
    assert refused.status_code == 403


def test_the_task_form_leaves_out_selects_of_tables_the_user_may_not_view(planner, db):
    task = _assigned_task(db)
    worker, project = task.assignee_id, task.project_id
    other = db.exec(select(Worker.id).where(Worker.id != worker)).first()
    form = planner.get(f"/admin/task/edit/{task.id}")
    assert form.status_code == 200
    for name in ("assignee", "project", "tags", "assignments"):
        assert f'name="{name}"' not in form.text
    assert 'name="parent"' in form.text
    for name in db.exec(select(Worker.name)).all():
        assert name not in form.text
    changes = {"title": "Renamed by the planner", "assignee": str(other)}
    saved = submit(planner, f"/admin/task/edit/{task.id}", changes)
    assert saved.status_code == 302
    db.expire_all()
    task = db.get(Task, task.id)
    assert task.title == "Renamed by the planner"
    assert (task.assignee_id, task.project_id) == (worker, project)
    # the list and details pages still show the related rows' labels
    assignee = db.get(Worker, worker).name
    assert assignee in planner.get(f"/admin/task/details/{task.id}").text


def test_bulk_edit_offers_no_selects_of_tables_the_user_may_not_view(planner, db):
    task = _assigned_task(db)
    url = f"/admin/task/bulk-edit?pks={task.id}"
    form = planner.get(url)
    assert form.status_code == 200
    assert 'value="assignee"' not in form.text and 'name="assignee"' not in form.text
    other = db.exec(select(Worker.id).where(Worker.id != task.assignee_id)).first()
    refused = planner.post(url, data={"fields": "assignee", "assignee": str(other)})
    assert refused.status_code == 400
    db.expire_all()
    assert db.get(Task, task.id).assignee_id == task.assignee_id


def test_a_user_who_may_view_workers_keeps_their_filter_and_select(app, db, tasks):
    client = staff_client(app, "lead", {"task": ["view", "edit"], "worker": ["view"]})
    try:
        task = _assigned_task(db)
        page = client.get("/admin/task/list")
        assert 'data-filter="assignee_id"' in page.text
        assert 'data-filter="project_id"' not in page.text
        form = client.get(f"/admin/task/edit/{task.id}").text
        assert 'name="assignee"' in form and 'name="project"' not in form
    finally:
        client.__exit__(None, None, None)


# 8. Messages come from the server, never from the URL.


def test_error_text_in_the_url_is_not_shown(client, project):
    sentence = "Session expired. Re-enter your password at evil.example"
    page = client.get("/admin/project/list", params={"error": sentence})
    assert page.status_code == 200
    assert "evil.example" not in text(page.text)
    assert 'role="alert"' not in page.text
    export = page.text.split('id="export-csv"', 1)[1].split(">", 1)[0]
    assert "error" not in export  # links of the list's own do not carry it


def test_a_refused_delete_says_why_on_the_next_page(librarian, library):
    from tests.other_models import Author, Book, Contribution

    with Session(library.state.engine, expire_on_commit=False) as session:
        author = Author(first_name="Ursula", last_name="Le Guin")
        book = Book(title="Earthsea", isbn="1", author=author)
        session.add_all([author, book])
        session.flush()
        session.add(Contribution(book_id=book.id, author_id=author.id, role="author"))
        session.commit()
    answer = librarian.delete(f"/admin/author/delete?pks={author.id}").text
    assert "error" not in answer and answer.endswith("/admin/author/list")
    assert "Nothing was deleted" in text(librarian.get(answer).text)


# 11. No server header, a private database file, no cross-site exports.


def test_migrate_creates_the_sqlite_file_for_its_owner_only(tmp_path, monkeypatch):
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["migrate"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for file in tmp_path.iterdir():
        if file.name.startswith("fresh.db"):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file.name


def test_an_existing_sqlite_file_keeps_its_mode(tmp_path, monkeypatch):
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    path.chmod(0o640)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    assert CliRunner().invoke(main, ["migrate"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_cross_site_export_is_refused_and_not_audited(client, db, tasks, site):
    response = client.get("/admin/task/export/csv", headers={"Sec-Fetch-Site": site})
    assert response.status_code == 403
    assert "from this site" in text(response.text)
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "export")).all() == []


@pytest.mark.parametrize("site", ["same-origin", "none", None])
def test_exports_from_the_admin_or_the_address_bar_still_work(client, db, tasks, site):
    headers = {"Sec-Fetch-Site": site} if site else {}
    response = client.get("/admin/task/export/csv", headers=headers)
    assert response.status_code == 200
    assert len(response.text.splitlines()) == 31
    assert (
        len(db.exec(select(AuditEntry).where(AuditEntry.action == "export")).all()) == 1
    )
