"""`admin-app serve --workers 2`: every piece of state holds across workers.

A real server with two uvicorn worker processes, on a SQLite file and on
PostgreSQL. With several workers each log line names its worker's process id;
the test reads the server's output to learn which worker served each request.
It keeps one keep-alive connection to each worker (a connection stays with
the worker that accepted it), so it can send the login to one worker and the
next requests to the other: the session cookie, the CSRF token, the flash
message and the failed-login count all have to hold across them.
"""

import itertools
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.cookiejar import CookieJar

import httpx2 as httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from admin_app.auth.models import LoginAttempt
from admin_app.db import make_engine
from models import Project
from tests.conftest import csrf_token_of
from tests.test_cli import _read_until_running, _serve

DISCOVERY_CONNECTIONS = 200  # new connections tried until both workers answered
LOG_WAIT_SECONDS = 30  # a bound for a log line to arrive, not a measure
STARTUP_SECONDS = 120
_probes = itertools.count()


class ServerLog:
    """The server's output, read as it comes, by a thread of its own."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,))
        self._thread.daemon = True
        self._thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.append(line)

    def wait_for(self, text: str, times: int) -> None:
        """Until `text` has been logged `times` times (each worker says it)."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if sum(text in line for line in list(self.lines)) >= times:
                return
            time.sleep(0.05)
        raise AssertionError(f"the workers did not start:\n{''.join(self.lines)}")

    def worker_of(self, probe: str) -> int:
        """The process id of the worker that logged the request with `probe`."""
        pattern = re.compile(rf"\[pid (\d+)\].*[?&]probe={probe}[& ]")
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while time.monotonic() < deadline:
            for line in list(self.lines):
                found = pattern.search(line)
                if found:
                    return int(found.group(1))
            time.sleep(0.02)
        raise AssertionError(f"no log line for probe {probe}:\n{''.join(self.lines)}")


class Browser:
    """One browser's cookies, sent over one keep-alive connection per worker."""

    def __init__(self, base: str, log: ServerLog) -> None:
        self.base = base
        self.log = log
        self.cookies = CookieJar()
        self.connections: dict[int, httpx.Client] = {}

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base,
            cookies=self.cookies,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=60,
        )

    def connect_to_every_worker(self, workers: int) -> None:
        """New connections until each worker holds one of them."""
        for _ in range(DISCOVERY_CONNECTIONS):
            if len(self.connections) == workers:
                return
            client = self._client()
            response, pid = self._send(client, "GET", "/login")
            assert response.status_code == 200
            if pid in self.connections:
                client.close()
            else:
                self.connections[pid] = client
        assert len(self.connections) == workers, "the workers did not share the load"

    def _send(self, client: httpx.Client, method: str, url: str, **kwargs):
        probe = str(next(_probes))
        separator = "&" if "?" in url else "?"
        response = client.request(method, f"{url}{separator}probe={probe}", **kwargs)
        return response, self.log.worker_of(probe)

    def on(self, pid: int, method: str, url: str, **kwargs) -> httpx.Response:
        """Send the request to worker `pid` (over its kept-alive connection)."""
        response, served_by = self._send(self.connections[pid], method, url, **kwargs)
        assert served_by == pid, "the kept-alive connection moved to another worker"
        return response

    def close(self) -> None:
        for client in self.connections.values():
            client.close()


@pytest.fixture
def two_workers(tmp_path, empty_database_url) -> Iterator[tuple[str, str, ServerLog]]:
    """`admin-app serve --workers 2` on the test database: its address, the
    first superuser's password, and its log."""
    process, port = _serve(tmp_path, empty_database_url, "--workers", "2")
    try:
        output = _read_until_running(process)
        password = re.search(r"shown only this once:\s+(\S+)", output).group(1)
        log = ServerLog(process)
        log.wait_for("Application startup complete", 2)
        yield f"http://127.0.0.1:{port}/admin", password, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def test_sessions_csrf_messages_and_login_limits_hold_across_workers(
    two_workers, empty_database_url
):
    base, password, log = two_workers
    browser = Browser(base, log)
    try:
        browser.connect_to_every_worker(2)
        first, second = sorted(browser.connections)
        # Log in on the first worker, with the token the second one gave.
        token = csrf_token_of(browser.on(second, "GET", "/login").text)
        logged_in = browser.on(
            first,
            "POST",
            "/login",
            data={"username": "admin", "password": password, "csrf_token": token},
        )
        assert logged_in.status_code == 302
        # The second worker knows the session, and shows the login's message.
        index = browser.on(second, "GET", "/")
        assert index.status_code == 200
        assert "Logged in as admin." in index.text
        token = csrf_token_of(index.text)
        # A form token from one worker is good on the other, and the message
        # of a save on one worker is shown by the other.
        for n, (shown_by, saved_by) in enumerate(
            [(first, second), (second, first), (first, first), (second, second)]
        ):
            form = browser.on(shown_by, "GET", "/project/create")
            assert form.status_code == 200
            saved = browser.on(
                saved_by,
                "POST",
                "/project/create",
                data={"name": f"Project {n}", "csrf_token": csrf_token_of(form.text)},
            )
            assert saved.status_code == 302, saved.text
            listed = browser.on(shown_by, "GET", "/project/list")
            assert f"Project “Project {n}” added." in listed.text
            assert f"Project {n}" in listed.text
        # A token that is not the session's is refused by both.
        for pid in (first, second):
            forged = browser.on(
                pid,
                "POST",
                "/project/create",
                data={"name": "Forged", "csrf_token": token + "x"},
            )
            assert forged.status_code == 403
        # Logging out on one worker ends the session on the other.
        out = browser.on(first, "POST", "/logout", data={"csrf_token": token})
        assert out.status_code == 302
        after = browser.on(second, "GET", "/project/list")
        assert after.status_code == 302 and "/login" in after.headers["location"]
    finally:
        browser.close()
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        names = set(session.scalars(select(Project.name)))
    engine.dispose()
    assert names == {f"Project {n}" for n in range(4)}

    # Another browser (the same server: starting one takes a while).
    browser = Browser(base, log)
    try:
        browser.connect_to_every_worker(2)
        first, second = sorted(browser.connections)
        token = csrf_token_of(browser.on(first, "GET", "/login").text)
        wrong = {"username": "admin", "password": "wrong" * 3, "csrf_token": token}
        # Five failures, taking turns between the workers...
        for pid in (first, second, first, second, first):
            assert browser.on(pid, "POST", "/login", data=wrong).status_code == 400
        # ...lock the username on both, the right password included.
        right = {**wrong, "password": password}
        for pid in (second, first):
            refused = browser.on(pid, "POST", "/login", data=right)
            assert refused.status_code == 429
            assert int(refused.headers["retry-after"]) > 0
    finally:
        browser.close()
    # The count lives in the database, which every worker reads.
    engine = make_engine(empty_database_url)
    with Session(engine) as session:
        attempts = session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(func.lower(LoginAttempt.username) == "admin")
        )
    engine.dispose()
    assert attempts == 5
