"""Add another beside a related select: the "+" shows only to staff who may
create rows of the related table; a create in popup mode (`_popup=1`) goes
through the same write path and answers the new row's key and label instead
of redirecting; its refusals show in the popup form; anything else in
`_popup` is ignored."""

import json
import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from admin_app.writing.audit import AuditEntry
from models import Project, Tag, Task
from tests.conftest import add_staff, login

pytestmark = pytest.mark.postgres

HOSTILE = "Apollo \"moon\" 'x' </script><script>alert(1)</script><b>&amp;"


def add_links(html: str) -> dict[str, str]:
    """The "+" links of a form page: accessible name -> the page it opens."""
    return {
        name: href
        for href, name in re.findall(
            r'<a class="add-related[^"]*" href="([^"]+)"[^>]*>.*?'
            r'<span class="visually-hidden">([^<]+)</span></a>',
            html,
        )
    }


def answer_of(html: str) -> dict[str, str]:
    """The popup's answer to its opener: the data the page hands over."""
    found = re.search(
        r'<script type="application/json" id="popup-answer">(.*?)</script>',
        html,
        re.S,
    )
    assert found, "the page holds no popup answer"
    return json.loads(found.group(1))


def staff_client(app, name: str, grants: dict[str, list[str]]) -> TestClient:
    add_staff(app, name, grants=grants)
    client = TestClient(app)
    assert login(client, name).status_code == 302
    return client


def test_the_plus_shows_beside_each_related_select_of_a_superuser(client):
    for page in ("/admin/task/create", "/admin/task/edit/1"):
        if page.endswith("/1"):
            created = client.post("/admin/task/create", data={"title": "A task"})
            assert created.status_code == 200
        html = client.get(page).text
        links = add_links(html)
        assert set(links) == {
            "Add another Project",
            "Add another Worker",
            "Add another Task",
            "Add another Tag",
            "Add another Worker to Assignments",  # the link editor's new rows
        }, page
        assert links["Add another Project"] == "http://testserver/admin/project/create"
        popup = "http://testserver/admin/project/create?_popup=1"
        assert f'data-add-related="{popup}"' in html
        assert 'data-for="project"' in html and 'target="_blank"' in html


def test_the_plus_needs_create_permission_on_the_related_table(app):
    task = ["view", "create", "edit"]
    viewer = staff_client(app, "viewer", {"task": task, "project": ["view"]})
    links = add_links(viewer.get("/admin/task/create").text)
    assert "Add another Project" not in links
    assert "Add another Tag" not in links  # no tag grant: no tag field at all
    assert "Add another Task" in links  # may create tasks
    creator = staff_client(
        app, "creator", {"task": task, "project": ["view", "create"], "tag": ["view"]}
    )
    links = add_links(creator.get("/admin/task/create").text)
    assert "Add another Project" in links
    assert "Add another Tag" not in links  # tags to choose, none to add
    # The popup page itself keeps the table's create grant.
    refused = viewer.get("/admin/project/create?_popup=1")
    assert refused.status_code == 403


def test_a_popup_create_writes_the_row_and_answers_its_key_and_label(client, db):
    page = client.get("/admin/project/create?_popup=1")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in page.headers["content-security-policy"]
    assert 'id="navbar-menu"' not in page.text  # no navigation in the dialog
    assert "Save and add another" not in page.text
    assert 'formaction="http://testserver/admin/project/create?_popup=1"' in page.text

    saved = client.post(
        "/admin/project/create?_popup=1",
        data={"name": HOSTILE, "description": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 200  # an answer, not a redirect
    assert saved.headers["x-frame-options"] == "SAMEORIGIN"
    project = db.exec(select(Project).where(Project.name == HOSTILE)).one()
    assert answer_of(saved.text) == {
        "key": str(project.id),
        "label": HOSTILE,
        "name": HOSTILE,
    }
    # Nothing the user typed reaches the page unescaped.
    assert "<script>alert(1)" not in saved.text
    assert "</script><b>" not in saved.text
    assert "Apollo &#34;moon&#34;" in saved.text  # the message, in words
    entry = db.exec(
        select(AuditEntry).where(
            AuditEntry.table == "project", AuditEntry.action == "create"
        )
    ).one()
    assert entry.keys() == [str(project.id)]
    # The popup's message was shown there: the opener's next page has none.
    assert HOSTILE not in client.get("/admin/task/list").text


def test_a_namesake_is_answered_with_its_key(client, db):
    client.post("/admin/task/create", data={"title": "Plan search index"})
    saved = client.post(
        "/admin/task/create?_popup=1", data={"title": "Plan search index"}
    )
    new = db.exec(select(Task).order_by(Task.id.desc())).first()
    answer = answer_of(saved.text)
    assert answer["key"] == str(new.id)
    assert answer["label"] == f"Plan search index (#{new.id})"
    assert answer["name"] == "Plan search index"


def test_a_refused_popup_save_shows_the_popup_form_again(client, db):
    client.post("/admin/project/create", data={"name": "Apollo"})
    refused = client.post(
        "/admin/project/create?_popup=1",
        data={"name": "Apollo"},
        follow_redirects=False,
    )
    assert refused.status_code == 400
    assert 'class="popup-page"' in refused.text
    assert 'id="navbar-menu"' not in refused.text
    assert "invalid-feedback" in refused.text
    popup = "http://testserver/admin/project/create?_popup=1"
    assert f'formaction="{popup}"' in refused.text
    assert 'id="popup-answer"' not in refused.text
    assert len(db.exec(select(Project).where(Project.name == "Apollo")).all()) == 1


@pytest.mark.parametrize("value", ["0", "2", "true", "<script>", "1 "])
def test_any_other_popup_value_is_ignored(client, db, value):
    page = client.get("/admin/project/create", params={"_popup": value})
    assert page.headers["x-frame-options"] == "DENY"
    assert 'id="navbar-menu"' in page.text
    assert 'class="popup-page"' not in page.text
    saved = client.post(
        "/admin/project/create",
        params={"_popup": value},
        data={"name": f"Project {value}"},
        follow_redirects=False,
    )
    assert saved.status_code == 302  # the ordinary redirect
    assert db.exec(select(Project).where(Project.name == f"Project {value}")).one()


def test_a_popup_save_needs_the_csrf_token(client, db):
    client.headers.pop("X-CSRF-Token")
    refused = client.post("/admin/tag/create?_popup=1", data={"name": "forged"})
    assert refused.status_code == 403
    assert db.exec(select(Tag).where(Tag.name == "forged")).first() is None


def test_list_rows_and_bulk_edits_offer_no_plus(client):
    client.post("/admin/task/create", data={"title": "A task"})
    assert add_links(client.get("/admin/task/list").text) == {}
    assert add_links(client.get("/admin/task/bulk-edit?pks=1").text) == {}
