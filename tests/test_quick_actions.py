"""Quick actions staff expect: Save and continue editing, Save and add
another, Back to the filtered list, and a History link per row."""

import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from models import Task
from tests.conftest import add_staff, login
from tests.pages import form_values
from tests.test_links import post_form

pytestmark = pytest.mark.postgres

LIST_QUERY = "status=blocked&sortBy=title"


def back_link(html: str) -> str:
    found = re.search(r'<a id="back-to-list"[^>]*href="([^"]*)"', html)
    assert found, "no Back to list link"
    return found.group(1).replace("&amp;", "&")


def save_as(client, url: str, button: str, changes: dict[str, str]):
    values = [(k, changes.get(k, v)) for k, v in form_values(client.get(url).text)]
    data: dict[str, list[str]] = {}
    for name, value in [*values, ("save", button)]:
        data.setdefault(name, []).append(value)
    return client.post(url, data=data, follow_redirects=False)


def test_save_and_continue_editing_stays_on_the_row_and_keeps_the_list(client, db):
    task = Task(title="Draft", status="blocked")
    db.add(task)
    db.commit()
    url = f"/admin/task/edit/{task.id}?{LIST_QUERY}"
    page = client.get(url).text
    assert back_link(page) == f"http://testserver/admin/task/list?{LIST_QUERY}"
    response = save_as(client, url, "Save and continue editing", {"title": "Final"})
    assert response.status_code == 302
    assert response.headers["location"] == (
        f"http://testserver/admin/task/edit/{task.id}?{LIST_QUERY}"
    )
    db.expire_all()
    assert db.get(Task, task.id).title == "Final"
    again = client.get(response.headers["location"]).text
    assert back_link(again) == f"http://testserver/admin/task/list?{LIST_QUERY}"


def test_save_and_add_another_creates_then_opens_an_empty_form(client, db):
    response = post_form(
        client, "/admin/task/create", [("title", "First"), ("status", "todo")]
    )
    assert response.status_code == 302  # the plain Save still works
    data = {"title": ["Second"], "status": ["todo"], "save": ["Save and add another"]}
    response = client.post("/admin/task/create", data=data, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "http://testserver/admin/task/create"
    assert [t.title for t in db.exec(select(Task).order_by(Task.id))] == [
        "First",
        "Second",
    ]
    form = dict(form_values(client.get(response.headers["location"]).text))
    assert form.get("title", "") == ""
    # From an edit opened on a filtered list, the next form keeps the list.
    second = db.exec(select(Task).where(Task.title == "Second")).one()
    url = f"/admin/task/edit/{second.id}?{LIST_QUERY}"
    response = save_as(client, url, "Save and add another", {"title": "Second!"})
    assert response.headers["location"] == (
        f"http://testserver/admin/task/create?{LIST_QUERY}"
    )


def test_details_lead_back_to_the_list_they_were_opened_from(client, db):
    task = Task(title="Open me")
    db.add(task)
    db.commit()
    details = f"/admin/task/details/{task.id}"
    came_from = f"http://testserver/admin/task/list?{LIST_QUERY}"
    page = client.get(details, headers={"Referer": came_from}).text
    assert back_link(page) == came_from
    # Another site's page, or another table's list, is no way back.
    for other in (
        f"http://evil.example/admin/task/list?{LIST_QUERY}",
        "http://testserver/admin/project/list?name=x",
        "javascript:alert(1)",
    ):
        page = client.get(details, headers={"Referer": other}).text
        assert back_link(page) == "http://testserver/admin/task/list"


def test_the_list_offers_a_history_link_per_row_only_to_who_may_read_it(app, client):
    page = client.get("/admin/task/list").text
    marker = re.search(r'<span id="row-history"[^>]*>', page)
    assert marker and 'data-table="task"' in marker.group(0)
    assert 'data-url="http://testserver/admin/audit-entry/list"' in marker.group(0)
    add_staff(app, "viewer", grants={"task": ["view"]})
    with TestClient(app) as viewer:
        assert login(viewer, "viewer").status_code == 302
        page = viewer.get("/admin/task/list")
    assert page.status_code == 200 and 'id="row-history"' not in page.text
