"""A row's details page shows its link rows and to-many rows as a staff user
reads them: a table of assignments with their role, tags as linked names."""

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from models import Project, Tag, Task, Worker
from tests.conftest import add_staff, login
from tests.pages import table, text
from tests.test_links import team  # noqa: F401  (a fixture)

pytestmark = pytest.mark.postgres


class _Section(HTMLParser):
    """The rows of the table with id `table_id`, each cell as (text, href)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth = table_id, 0
        self.rows: list[list[tuple[str, str | None]]] = []
        self.headings: list[str] = []
        self._cell: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "table" and a.get("id") == self.table_id:
            self.depth = 1
        elif not self.depth:
            return
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._href = [], None
        elif tag == "a":
            self._href = a.get("href")

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "table":
            self.depth = 0
        elif tag in ("td", "th") and self._cell is not None:
            words = " ".join("".join(self._cell).split())
            if tag == "th":
                self.headings.append(words)
            else:
                self.rows[-1].append((words, self._href))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def link_table(html: str, name: str) -> tuple[list[str], list[list[tuple]]]:
    parser = _Section(f"details-{name}")
    parser.feed(html)
    return parser.headings, [row for row in parser.rows if row]


def test_a_tasks_details_show_its_assignments_with_their_role(client, team):  # noqa: F811
    task, ada, bob = team["task"], team["ada"], team["bob"]
    page = client.get(f"/admin/task/details/{task.id}")
    assert page.status_code == 200
    headings, rows = link_table(page.text, "assignments")
    assert headings == ["Worker", "Role", "Assigned at"]
    assert [[cell[0] for cell in row] for row in rows] == [
        ["Ada", "Owner", "2026-11-20 09:30:15 UTC"],
        ["Bob", "Contributor", "2026-11-20 09:30:15 UTC"],
    ]
    assert rows[0][0][1] == f"http://testserver/admin/worker/details/{ada.id}"
    assert rows[1][0][1] == f"http://testserver/admin/worker/details/{bob.id}"
    # The main table is SQLAdmin's, with the link rows no longer in it.
    _headers, main = table(page.text)
    assert "Assignments" not in [row[0] for row in main]


def test_a_task_without_assignments_says_so(client, db):
    task = Task(title="Alone")
    db.add(task)
    db.commit()
    page = text(client.get(f"/admin/task/details/{task.id}").text)
    assert "Assignments None." in page


def test_tags_are_a_list_of_linked_names_not_parenthesised(client, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        bug, docs = Tag(name="bug"), Tag(name="docs")
        task = Task(title="Fix the docs", tags=[bug, docs])
        session.add(task)
        session.commit()
    html = client.get(f"/admin/task/details/{task.id}").text
    _headers, rows = table(html)
    assert dict((row[0], row[1]) for row in rows)["Tags"] == "bug docs"
    assert "(bug)" not in html and "(docs)" not in html
    for tag in (bug, docs):
        assert re.search(
            rf'<a href="[^"]*/admin/tag/details/{tag.id}">\s*{tag.name}\s*</a>', html
        )


def test_a_user_who_may_not_see_workers_sees_no_assignments(app, team):  # noqa: F811
    add_staff(app, "clerk", grants={"task": ["view"]})
    with TestClient(app) as clerk:
        assert login(clerk, "clerk").status_code == 302
        response = clerk.get(f"/admin/task/details/{team['task'].id}")
    assert response.status_code == 200
    page = response.text
    assert "Launch" in text(page)
    assert link_table(page, "assignments") == ([], [])
    assert "Ada" not in text(page)


def test_related_names_are_plain_text_for_a_user_who_may_not_open_them(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        ada = Worker(name="Ada", email="ada@example.com")
        apollo = Project(name="Apollo")
        task = Task(
            title="Launch", assignee=ada, project=apollo, tags=[Tag(name="bug")]
        )
        session.add(task)
        session.commit()
    add_staff(app, "clerk", grants={"task": ["view"], "worker": ["view"]})
    with TestClient(app) as clerk:
        assert login(clerk, "clerk").status_code == 302
        listing = clerk.get("/admin/task/list").text
        details = clerk.get(f"/admin/task/details/{task.id}").text
    assert "Launch" in text(listing) and "Launch" in text(details)
    for page in (listing, details):
        assert "Apollo" in text(page) and "/admin/project/details/" not in page
        assert f"/admin/worker/details/{ada.id}" in page  # workers they may open
    assert "bug" in text(details) and "/admin/tag/details/" not in details
