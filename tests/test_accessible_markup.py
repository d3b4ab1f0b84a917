"""The markup the accessibility features stand on, as the server sends it (the
browser suite scans and walks the pages themselves): the skip link first, the
menu as a list, the theme set from the <head>, and the names of a list's rows,
which a hostile label cannot break out of."""

import json
import re
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from models import Project, Task

pytestmark = pytest.mark.postgres

FOCUSABLE = ("a", "button", "input", "select", "textarea")


class _Order(HTMLParser):
    """The page's focusable elements in document order, and the <head>'s
    scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.focusable: list[dict] = []
        self.head_scripts: list[str] = []
        self.menu_roles: list[str | None] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif tag == "script" and self._in_head and a.get("src"):
            self.head_scripts.append(a["src"])
        elif tag in FOCUSABLE and a.get("type") != "hidden":
            self.focusable.append({"tag": tag, **a})
        if "navbar-nav" in (a.get("class") or "").split():
            self.menu_roles.append(a.get("role"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._in_head = False


def order(html: str) -> _Order:
    parser = _Order()
    parser.feed(html)
    return parser


@pytest.fixture
def project(db: Session) -> Project:
    project = Project(name="Apollo")
    db.add(project)
    db.commit()
    return project


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/task/list", "/admin/task/create", "/admin/project/list"]
)
def test_the_skip_link_comes_first_and_the_menu_is_a_list(
    client: TestClient, project: Project, path: str
) -> None:
    page = client.get(path)
    assert page.status_code == 200
    found = order(page.text)
    first = found.focusable[0]
    assert (first["tag"], first.get("href")) == ("a", "#main-content")
    assert 'id="main-content"' in page.text
    # One main landmark, holding the page's content.
    assert page.text.count('role="main"') == 1 and "<main" not in page.text
    assert page.text.index('role="main"') < page.text.index("row-cards")
    assert found.menu_roles and set(found.menu_roles) == {"list"}
    assert any(src.endswith("/theme.js") for src in found.head_scripts)
    assert client.get(found.head_scripts[0]).status_code == 200


def test_row_names_name_each_listed_row_and_stay_data(
    client: TestClient, db: Session, project: Project
) -> None:
    hostile = '</script><script>alert("x")</script> & “quotes”'
    db.add(Task(title=hostile, project_id=project.id))
    db.add(Task(title="Write the release notes", project_id=project.id))
    db.commit()
    tasks = {str(t.id): t.title for t in db.exec(select(Task))}

    page = client.get("/admin/task/list")
    assert page.status_code == 200
    island = re.search(
        r'<script type="application/json" id="row-names">(.*?)</script>',
        page.text,
        re.S,
    )
    assert island is not None
    assert "</script" not in island.group(1).lower()  # the label cannot end it
    names = json.loads(island.group(1))
    assert names["model"] == "Task"
    assert dict(names["rows"]) == tasks
    assert '<script>alert("x")' not in page.text


class _Boxes(HTMLParser):
    """Each checkbox's name, value and the text of the <label> around it:
    the name a screen reader reads out for the box."""

    def __init__(self) -> None:
        super().__init__()
        self.boxes: list[dict] = []
        self._label: list[str] | None = None
        self._inside: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "label":
            self._label, self._inside = [], []
        elif tag == "input" and a.get("type") == "checkbox":
            box = {"name": a.get("name"), "value": a.get("value"), "text": ""}
            self.boxes.append(box)
            if self._label is not None:
                self._inside.append(box)

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label is not None:
            for box in self._inside:
                box["text"] = " ".join("".join(self._label).split())
            self._label = None


def test_each_permission_box_names_its_table_and_action(client: TestClient) -> None:
    page = client.get("/admin/staff-group/create")
    assert page.status_code == 200
    parser = _Boxes()
    parser.feed(page.text)
    boxes = {b["value"]: b for b in parser.boxes if b["name"] == "permissions"}
    assert boxes["task:view"]["text"] == "View Tasks"
    assert boxes["task:bulk_edit"]["text"] == "Bulk edit Tasks"
    assert boxes["project:export"]["text"] == "Export Projects"
    assert boxes["staff-user:view"]["text"] == "View Staff users"
    names = [b["text"] for b in boxes.values()]
    assert len(names) == len(set(names)) > 20  # no two boxes sound alike
