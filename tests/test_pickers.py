"""Pickers a staff user can choose from: sorted by label everywhere, and two
rows with the same label told apart by their key."""

import pytest
from sqlmodel import Session

from admin_app.site.views import AdminView
from models import Task, Worker
from tests.zoo.browser import filter_panel, form_fields

pytestmark = pytest.mark.postgres


def options(html: str, name: str) -> list[tuple[str, str]]:
    field = next(f for f in form_fields(html) if f.name == name)
    return [
        (v, label) for v, label, _chosen in field.options if v not in ("", "__None")
    ]


@pytest.fixture
def namesakes(app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        zed = Worker(name="Zed", email="zed@example.com")
        ada1 = Worker(name="Ada", email="ada1@example.com")
        bea = Worker(name="Bea", email="bea@example.com")
        ada2 = Worker(name="Ada", email="ada2@example.com")
        session.add_all([zed, ada1, bea, ada2])
        session.flush()
        plans = [Task(title="Plan search index") for _ in range(3)]
        session.add_all([*plans, Task(title="Other", assignee_id=zed.id)])
        session.commit()
        return {"ada1": ada1, "ada2": ada2, "bea": bea, "zed": zed, "plans": plans}


def test_the_form_select_sorts_by_label_and_tells_namesakes_apart(client, namesakes):
    a1, a2 = namesakes["ada1"].id, namesakes["ada2"].id
    form = client.get("/admin/task/create").text
    assert options(form, "assignee") == [
        (str(a1), f"Ada (#{a1})"),
        (str(a2), f"Ada (#{a2})"),
        (str(namesakes["bea"].id), "Bea"),
        (str(namesakes["zed"].id), "Zed"),
    ]
    # The link editor's rows choose workers the same way.
    html = client.get(f"/admin/task/edit/{namesakes['plans'][0].id}").text
    labels = [label for _v, label in options(html, "assignments-0-other")]
    assert labels == [f"Ada (#{a1})", f"Ada (#{a2})", "Bea", "Zed"]


def test_the_filter_select_names_namesakes_the_same_way(client, namesakes):
    panel = filter_panel(client.get("/admin/task/list").text)
    assignee = next(f for f in panel if f.parameter == "assignee_id")
    texts = [
        " ".join(label.split())
        for field in assignee.fields
        for _value, label, _chosen in field.options
    ] + [" ".join(link.split()) for link in assignee.links]
    assert any(f"(#{namesakes['ada1'].id})" in t for t in texts), texts


def test_searching_a_large_table_tells_namesakes_apart(client, namesakes, monkeypatch):
    monkeypatch.setattr(AdminView, "small_table_rows", 2)
    found = client.get("/admin/task/ajax/lookup?name=parent&term=Plan").json()
    ids = sorted(p.id for p in namesakes["plans"])
    assert sorted(r["text"] for r in found["results"]) == [
        f"Plan search index (#{i})" for i in ids
    ]
    alone = client.get("/admin/task/ajax/lookup?name=parent&term=Other").json()
    assert [r["text"] for r in alone["results"]] == ["Other"]
    bad = client.get("/admin/task/ajax/lookup?name=parent&term=")
    assert bad.status_code == 400
