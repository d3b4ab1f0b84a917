"""Logged-in staff traffic for Locust: list, filter, search, details, edit,
export and bulk edit of the shipped `task` table.

Run headless by tests/test_load.py and bench/load.py against a served admin:

    LOAD_USERS=staff1,staff2 LOAD_PASSWORD=... LOAD_TASKS=2000 \\
        locust -f tests/load/locustfile.py --headless -u 2 -r 2 -t 10s --host URL

Each simulated user logs in as its own staff user and edits only its own
tasks (ids congruent to its number), so no edit is refused as a conflict
with another user's: every refusal or failure is an error of the admin.
"""

import itertools
import os
import random
import re
import sys
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.pages import form_values

USERS = os.environ.get("LOAD_USERS", "admin").split(",")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
TASKS = int(os.environ.get("LOAD_TASKS", "1000"))
_numbers = itertools.count()
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(0.05, 0.2)  # bounds each user's request rate

    def on_start(self) -> None:
        self.number = next(_numbers) % len(USERS)
        page = self.client.get("/admin/login", name="login form")
        self.client.post(
            "/admin/login",
            data={
                "username": USERS[self.number],
                "password": PASSWORD,
                "csrf_token": self._token(page.text),
            },
            name="log in",
        )
        self.token = self._token(self.client.get("/admin/", name="index").text)
        # One request of every kind first, so a short run on a busy machine
        # still sends each of them; the weighted mix follows.
        first = (self.list_page, self.filtered, self.search, self.details)
        for kind in (*first, self.edit, self.export, self.bulk_edit):
            kind()

    @staticmethod
    def _token(html: str) -> str:
        found = _CSRF.search(html)
        return found.group(1) if found else ""

    def _own_tasks(self, count: int) -> list[int]:
        """Task ids only this user edits."""
        mine = range(self.number + 1, TASKS + 1, len(USERS))
        return random.sample(mine, min(count, len(mine)))

    @task(5)
    def list_page(self) -> None:
        page = random.randint(1, max(1, TASKS // 10))
        self.client.get(f"/admin/task/list?page={page}", name="list")

    @task(3)
    def filtered(self) -> None:
        self.client.get(
            "/admin/task/list?status=blocked&sortBy=due_date", name="filter"
        )

    @task(2)
    def search(self) -> None:
        self.client.get(
            f"/admin/task/list?search=Task {random.randint(1, 99)}", name="search"
        )

    @task(2)
    def details(self) -> None:
        key = random.randint(1, TASKS)
        self.client.get(f"/admin/task/details/{key}", name="details")

    @task(2)
    def edit(self) -> None:
        (key,) = self._own_tasks(1)
        form = self.client.get(f"/admin/task/edit/{key}", name="edit form")
        shown = [(n, v) for n, v in form_values(form.text) if n != "save"]
        values = [(n, v) for n, v in shown if n != "progress"]
        others = [p for p in range(101) if ("progress", str(p)) not in shown]
        values += [("progress", str(random.choice(others))), ("save", "Save")]
        self._submit(f"/admin/task/edit/{key}", values, "edit save")

    @task(1)
    def export(self) -> None:
        with self.client.get(
            "/admin/task/export/csv?status=blocked&search=Task 1",
            name="export",
            catch_response=True,
        ) as response:
            if not response.headers.get("content-type", "").startswith("text/csv"):
                response.failure("the export is not a CSV file")

    @task(1)
    def bulk_edit(self) -> None:
        keys = ",".join(map(str, self._own_tasks(5)))
        values = {
            "fields": "progress",
            "progress": str(random.randint(0, 100)),
            "csrf_token": self.token,
        }
        self._submit(f"/admin/task/bulk-edit?pks={keys}", values, "bulk edit")

    def _submit(self, path: str, data: object, name: str) -> None:
        """POST a form; anything but the redirect after a save is a failure.
        With LOAD_SAVES set, each save is written to that file when sent and
        when acknowledged (Locust's own counts can leave out requests that
        ended as the run stopped)."""
        _note_save("sent", name)
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"{name} answered {response.status_code}")
            else:
                _note_save("acknowledged", name)


def _note_save(event: str, name: str) -> None:
    saves = os.environ.get("LOAD_SAVES")
    if saves:
        with open(saves, "a", encoding="utf-8") as file:
            file.write(f"{event}\t{name}\n")
