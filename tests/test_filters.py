"""Filters narrow lists to exactly the rows the database holds for them."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from models import Project, Tag, Task, TaskAssignment, TaskStatus, Worker
from models.seed import seed_demo
from tests.pages import list_rows, text


@pytest.fixture
def tracker(app):
    with Session(app.state.engine) as session:
        seed_demo(session, 300, seed=11)
        session.commit()
    with Session(app.state.engine) as session:
        tasks = session.exec(select(Task)).all()
        for task in tasks:  # load the links while the session is open
            _ = (task.tags, task.assignments)
        return {
            "tasks": tasks,
            "projects": session.exec(select(Project)).all(),
            "workers": session.exec(select(Worker)).all(),
            "tags": session.exec(select(Tag)).all(),
            "assignments": session.exec(select(TaskAssignment)).all(),
        }


def listed(client, identity: str, query: str, key: str = "ID") -> list[str]:
    """Every row the list shows for `query`, across all its pages, in order."""
    found: list[str] = []
    page = 1
    while True:
        response = client.get(
            f"/admin/{identity}/list?{query}&pageSize=100&page={page}",
            follow_redirects=False,
        )
        if response.status_code == 302:  # past the last page
            return found
        assert response.status_code == 200, text(response.text)[:300]
        rows = list_rows(response.text)
        found += [row[key] for row in rows]
        if len(rows) < 100:
            return found
        page += 1


def ids(rows) -> list[str]:
    return sorted(str(row.id) for row in rows)


def assert_filter(client, identity, query, expected_rows):
    assert sorted(listed(client, identity, query)) == ids(expected_rows)
    assert ids(expected_rows), f"{query} matches no row: the test would prove nothing"


TODAY = date.today()


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("status=done", lambda t: t.status is TaskStatus.done),
        ("priority=urgent", lambda t: t.priority == "urgent"),
        ("progress__gte=50&progress__lte=80", lambda t: 50 <= t.progress <= 80),
        ("progress=100", lambda t: t.progress == 100),
        (
            f"due_date__gte={TODAY}&due_date__lte={TODAY + timedelta(days=30)}",
            lambda t: t.due_date and TODAY <= t.due_date <= TODAY + timedelta(days=30),
        ),
        ("due_date__isnull=true", lambda t: t.due_date is None),
        ("due_date__isnull=false", lambda t: t.due_date is not None),
        ("assignee_id__isnull=true", lambda t: t.assignee_id is None),
        ("parent_id__isnull=false", lambda t: t.parent_id is not None),
        (
            "status=blocked&priority=high",
            lambda t: t.status == "blocked" and t.priority == "high",
        ),
        (
            "search=csv",
            lambda t: (
                "csv" in t.title.lower() or "csv" in (t.description or "").lower()
            ),
        ),
        (
            "search=CSV&status=todo",
            lambda t: "csv" in t.title.lower() and t.status == "todo",
        ),
        (
            "overdue=yes",
            # today as the filter reads it, not as the module was collected
            # (a run crossing midnight counted one more day overdue)
            lambda t: (
                t.due_date is not None
                and t.due_date < date.today()
                and t.status != "done"
            ),
        ),
        (
            "unassigned=yes",
            lambda t: t.assignee_id is None and not t.assignments,
        ),
    ],
)
def test_task_filters_match_the_database(client, tracker, query, predicate):
    assert_filter(client, "task", query, [t for t in tracker["tasks"] if predicate(t)])


def test_a_datetime_range(client, tracker):
    middle = sorted(t.created_at for t in tracker["tasks"])[150]
    start = middle.replace(microsecond=0).isoformat()
    expected = [
        t for t in tracker["tasks"] if t.created_at >= middle.replace(microsecond=0)
    ]
    assert_filter(client, "task", f"created_at__gte={start}", expected)


def test_a_foreign_key_and_a_many_to_many_relationship(client, tracker):
    project = tracker["projects"][0]
    assert_filter(
        client,
        "task",
        f"project_id={project.id}",
        [t for t in tracker["tasks"] if t.project_id == project.id],
    )
    tag = tracker["tags"][0]
    assert_filter(
        client,
        "task",
        f"tags={tag.id}",
        [t for t in tracker["tasks"] if tag.id in {x.id for x in t.tags}],
    )
    worker = tracker["workers"][0]
    expected = [a for a in tracker["assignments"] if a.worker_id == worker.id]
    shown = listed(client, "task-assignment", f"worker_id={worker.id}", key="Task")
    assert len(shown) == len(expected) > 0


def test_boolean_filter_and_the_custom_project_filter(client, tracker):
    assert_filter(
        client,
        "worker",
        "active=false",
        [w for w in tracker["workers"] if not w.active],
    )
    open_projects = {t.project_id for t in tracker["tasks"] if t.status != "done"}
    assert_filter(
        client,
        "project",
        "open_tasks=yes",
        [p for p in tracker["projects"] if p.id in open_projects],
    )


def test_sorting_and_paging_keep_the_filter(client, tracker):
    shown = listed(client, "task", "status=in_progress&sortBy=progress&sort=desc")
    expected = sorted(
        (t for t in tracker["tasks"] if t.status == "in_progress"),
        key=lambda t: (-t.progress, -t.id),
    )
    assert shown == [str(t.id) for t in expected]


def test_active_filters_show_as_chips_that_remove_themselves(client, tracker):
    project = tracker["projects"][0]
    page = client.get(
        f"/admin/task/list?status=done&project_id={project.id}&search=plan"
    )
    expected = [
        t
        for t in tracker["tasks"]
        if t.status == "done"
        and t.project_id == project.id
        and "plan" in t.title.lower()
    ]
    words = text(page.text)
    assert f"{len(expected)} Task" in words
    assert "Status: Done" in words
    assert f"Project: {project.name}" in words
    assert (
        'href="http://testserver/admin/task/list?project_id=' in page.text
    )  # the status chip's remove link
    assert "Clear all filters" in words
    cleared = (
        page.text.split('id="clear-filters"')[0].rsplit('href="', 1)[1].split('"')[0]
    )
    assert cleared == "http://testserver/admin/task/list?search=plan"


def test_the_filter_panel_offers_every_kind(client, tracker):
    page = client.get("/admin/task/list")
    for marker in (
        'data-filter="status"',  # one of
        'data-filter="progress"',  # range
        'data-filter="due_date"',
        'data-filter="due_date__isnull"',  # empty / not empty
        'data-filter="project_id"',  # related row, small table: a select of labels
        'data-filter="parent_id"',  # related row, large table: searched as you type
        'data-filter="tags"',  # many-to-many
        'data-filter="overdue"',  # custom
    ):
        assert marker in page.text, marker
    assert tracker["projects"][0].name in page.text
    assert 'data-role="select2-ajax"' in page.text


def test_a_large_related_table_is_searched_not_listed(client, tracker):
    wanted = tracker["tasks"][5]
    response = client.get(
        "/admin/task/filter-options", params={"name": "parent_id", "term": wanted.title}
    )
    assert response.status_code == 200
    results = response.json()["results"]
    # Tasks of the same title are told apart by their key.
    namesakes = [t for t in tracker["tasks"] if t.title == wanted.title]
    shown = wanted.title if len(namesakes) == 1 else f"{wanted.title} (#{wanted.id})"
    assert {"id": str(wanted.id), "text": shown} in results
    assert all(wanted.title.lower() in r["text"].lower() for r in results)
    assert client.get("/admin/task/filter-options?name=nope&term=x").status_code == 400


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("assignee_id=abc", "Assignee: 'abc' names no assignee."),
        ("due_date__gte=yesterday-ish", "Due date: 'yesterday-ish' is not a date like"),
        (
            "status=bogus",
            "Status: 'bogus' is not one of todo, in_progress, blocked, done.",
        ),
        ("page=99999999999999", "page must be a whole number from 1 to 1,000,000"),
        ("page=0", "page must be a whole number"),
        ("pageSize=-5", "pageSize must be a whole number from 1 to 100"),
        ("sort=sideways", "sort must be asc or desc, not 'sideways'."),
        ("sortBy=password", "The list cannot be sorted by 'password'."),
        ("progress__lte=lots", "Progress: 'lots' is not a whole number."),
        (
            "created_at__gte=2026-13-45T99:00",
            "Created at: '2026-13-45T99:00' is not a date",
        ),
        ("project_id=1.5", "Project: '1.5' names no project."),
        ("tags=abc", "Tags: 'abc' names no tags."),
        ("overdue=maybe", "Overdue: 'maybe' is not one of yes, no."),
        ("due_date__isnull=perhaps", "'perhaps' is not true or false."),
        ("pks=abc", "pks: 'abc' names no Task."),
        ("page=²", "page must be a whole number"),
        ("progress__gte=100000000000000000000000", "Progress: '1000"),
        ("pks=100000000000000000000000", "names no Task."),
    ],
)
def test_a_malformed_value_is_a_readable_400(client, tracker, query, message):
    response = client.get(f"/admin/task/list?{query}")
    assert response.status_code == 400
    words = text(response.text)
    assert message in words
    assert "Traceback" not in words and "SELECT" not in words
    assert "Start over without the parameters" in words


def test_unknown_parameters_are_ignored(client, tracker):
    response = client.get("/admin/task/list?colour=blue&pageSize=100")
    assert response.status_code == 200
    assert len(list_rows(response.text)) == 100


def test_a_page_past_the_end_goes_to_the_last_page(client, tracker):
    response = client.get(
        "/admin/task/list?status=done&page=500", follow_redirects=False
    )
    assert response.status_code == 302
    assert "page=" in response.headers["location"]


def test_search_takes_wildcards_literally(client, db):
    db.add_all([Task(title="100% done"), Task(title="1000 done")])
    db.commit()
    assert listed(client, "task", "search=100%25", key="Title") == ["100% done"]
    assert listed(client, "task", "search=_", key="Title") == []
