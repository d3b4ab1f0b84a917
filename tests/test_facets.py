"""The filter panel counts its choices: "Blocked (12)" says how many rows of the
list choosing it would leave, with the search and every other filter applied.

Each number on the page is compared with a COUNT the test asks the database
for itself.
"""

import importlib
import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import and_, exists, func
from sqlmodel import Session, select

from admin_app.model.fields import field_specs
from admin_app.site.views import AdminView
from models import Project, Tag, Task, TaskAssignment, TaskTagLink, Worker
from models.seed import seed_demo
from tests.conftest import add_staff, login
from tests.pages import text
from tests.test_large_lists import CAP, fill_tracker
from tests.zoo import tracker as zoo_tracker
from tests.zoo.conftest import TRACKER, ZOO, Site, serve
from tests.zoo.facts import identity, tables_of

CHOICE = re.compile(r"^(?P<label>.*?)(?: \((?P<count>[\d,]+\+?)\))?(?: \u00d7)?$")


@pytest.fixture
def tasks(app) -> None:
    with Session(app.state.engine) as session:
        seed_demo(session, 300, seed=11)
        session.commit()


def panel(html: str, parameter: str) -> dict[str, str | None]:
    """A choice filter's choices as the user reads them: label -> count shown."""
    found = re.search(
        rf'<ul [^>]*data-filter="{re.escape(parameter)}">(.*?)</ul>', html, re.S
    )
    assert found, f"no {parameter} filter on the page"
    choices = {}
    for anchor in re.findall(r"<a [^>]*>(.*?)</a>", found.group(1), re.S):
        match = CHOICE.match(text(anchor))
        choices[match["label"]] = match["count"]
    return choices


def options(html: str, parameter: str) -> dict[str, str | None]:
    """A related-row filter's listed rows as the user reads them."""
    found = re.search(
        rf'<select name="{re.escape(parameter)}"[^>]*>(.*?)</select>', html, re.S
    )
    assert found, f"no {parameter} select on the page"
    choices = {}
    for option in re.findall(r'<option value="[^"]+"[^>]*>(.*?)</option>', found[1]):
        match = CHOICE.match(text(option))
        choices[match["label"]] = match["count"]
    return choices


def grouped(db: Session, column, *conditions) -> dict:
    rows = db.exec(
        select(column, func.count()).where(*conditions).group_by(column)
    ).all()
    return dict(rows)


def page(client, query: str) -> str:
    response = client.get(f"/admin/task/list?{query}")
    assert response.status_code == 200, text(response.text)[:300]
    return response.text


STATUS_LABELS = {
    "todo": "To do",
    "in_progress": "In progress",
    "blocked": "Blocked",
    "done": "Done",
}


def status_counts(html: str) -> dict[str, int]:
    shown = panel(html, "status")
    return {label: int(count.replace(",", "")) for label, count in shown.items()}


def expected_status(db: Session, *conditions) -> dict[str, int]:
    found = grouped(db, Task.status, *conditions)
    labels = {value: label for value, label in _status_choices()}
    return {labels[str(s.value)]: found.get(s, 0) for s in found | _all_statuses()}


def _status_choices() -> list[tuple[str, str]]:
    return field_specs(Task)["status"].choice_texts


def _all_statuses() -> dict:
    from models import TaskStatus

    return dict.fromkeys(TaskStatus, 0)


def test_counts_follow_the_other_filters_and_the_search_not_their_own(
    client, db, tasks
):
    html = page(client, "priority=high")
    assert status_counts(html) == expected_status(db, Task.priority == "high")
    assert "Blocked (" in text(html)
    # Choosing a status leaves the status counts as they were: each still
    # says what choosing it instead would leave.
    assert status_counts(page(client, "priority=high&status=done")) == (
        expected_status(db, Task.priority == "high")
    )
    searched = page(client, "search=csv&priority=high")
    csv = func.lower(Task.title).contains("csv") | func.lower(
        func.coalesce(Task.description, "")
    ).contains("csv")
    assert status_counts(searched) == expected_status(db, Task.priority == "high", csv)
    # The priority filter counts with the status applied, not its own value.
    shown = panel(page(client, "priority=high&status=done"), "priority")
    expected = grouped(db, Task.priority, Task.status == "done")
    assert sum(int(c) for c in shown.values()) == sum(expected.values())


def test_a_choice_no_row_has_says_zero(client, db, tasks):
    chosen = db.exec(select(Task.id).where(Task.status == "blocked").limit(3)).all()
    query = "pks=" + ",".join(str(pk) for pk in chosen)
    expected = expected_status(db, Task.id.in_(chosen))
    assert expected["Blocked"] == 3 and expected["Done"] == 0
    html = page(client, query)
    assert status_counts(html) == expected
    assert "Done (0)" in text(html)  # every choice shown, zero or not


def test_empty_and_not_empty_and_yes_and_no(client, db, tasks):
    html = page(client, "status=todo")
    shown = panel(html, "due_date__isnull")
    empty = db.exec(
        select(func.count()).where(Task.status == "todo", Task.due_date.is_(None))
    ).one()
    filled = db.exec(
        select(func.count()).where(Task.status == "todo", Task.due_date.is_not(None))
    ).one()
    assert shown == {"Empty": str(empty), "Not empty": f"{filled:,}"}

    workers = client.get("/admin/worker/list")
    assert workers.status_code == 200
    active = grouped(db, Worker.active)
    assert panel(workers.text, "active") == {
        "Yes": str(active.get(True, 0)),
        "No": str(active.get(False, 0)),
    }


def test_related_rows_count_their_tasks(client, db, tasks):
    html = page(client, "status=blocked")
    by_project = grouped(db, Task.project_id, Task.status == "blocked")
    projects = {p.name: p.id for p in db.exec(select(Project)).all()}
    shown = options(html, "project_id")
    assert shown == {
        name: f"{by_project.get(key, 0):,}" for name, key in projects.items()
    }
    links = db.exec(
        select(TaskTagLink.tag_id, func.count())
        .join(Task, Task.id == TaskTagLink.task_id)
        .where(Task.status == "blocked")
        .group_by(TaskTagLink.tag_id)
    ).all()
    tags = {t.name: t.id for t in db.exec(select(Tag)).all()}
    assert options(html, "tags") == {
        name: str(dict(links).get(key, 0)) for name, key in tags.items()
    }


def test_hidden_with_the_parameter_and_kept_by_the_filter_links(client, db, tasks):
    html = page(client, "_facets=0&priority=low")
    assert 'class="facet-count' not in html
    assert set(panel(html, "status").values()) == {None}
    assert "Show counts" in text(html)
    # Every choice link keeps the user's choice.
    choices = re.search(r'<ul [^>]*data-filter="status">(.*?)</ul>', html, re.S)[1]
    assert all("_facets=0" in href for href in re.findall(r'href="([^"]+)"', choices))
    shown = page(client, "_facets=1&priority=low")
    assert "Hide counts" in text(shown)
    assert status_counts(shown) == expected_status(db, Task.priority == "low")


def test_the_export_and_the_bulk_edit_ignore_the_parameter(client, tasks):
    plain = client.get("/admin/task/export/csv?priority=low")
    assert plain.status_code == 200
    hidden = client.get(plain.request.url.copy_add_param("_facets", "0"))
    assert hidden.status_code == 200
    assert hidden.text == plain.text
    form = client.get("/admin/task/bulk-edit?priority=low&select=all")
    hidden_form = client.get("/admin/task/bulk-edit?priority=low&select=all&_facets=0")
    assert hidden_form.status_code == form.status_code == 200
    count = re.search(r"\d[\d,]* Tasks?", text(form.text))
    assert count and count.group(0) in text(hidden_form.text)


def test_a_view_can_turn_them_off(client, tasks, monkeypatch):
    monkeypatch.setattr(AdminView, "show_facets", False)
    html = page(client, "priority=high")
    assert 'class="facet-count' not in html
    assert "Hide counts" not in text(html) and "Show counts" not in text(html)


@pytest.mark.parametrize(
    "query", ["_facets=2", "_facets=yes", "_facets=%3Cscript%3E", "_facets=-1"]
)
def test_hostile_parameters_are_a_400(client, tasks, query):
    response = client.get(f"/admin/task/list?{query}")
    assert response.status_code == 400
    assert "_facets" in text(response.text)


def test_a_related_filter_the_user_may_not_use_is_not_counted(app, db, tasks):
    add_staff(app, "clerk", grants={"task": ["view"], "tag": ["view"]})
    from starlette.testclient import TestClient

    with TestClient(app) as clerk:
        assert login(clerk, "clerk").status_code == 302
        html = page(clerk, "status=done")
    assert '<select name="project_id"' not in html
    assert "tags" in html and options(html, "tags")
    assert status_counts(html) == expected_status(db)


@pytest.fixture
def big_tracker(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Site]:
    monkeypatch.setattr(AdminView, "count_cap", CAP)
    monkeypatch.setattr(AdminView, "estimate_above", CAP)
    for site in serve(empty_database_url, TRACKER):
        fill_tracker(site)
        yield site


def test_counts_on_a_large_table_are_capped(big_tracker):
    site = big_tracker
    task = zoo_tracker.TrackerTask
    labels = dict(field_specs(task)["status"].choice_texts)
    with site.session() as db:
        statuses = {labels[k]: n for k, n in grouped(db, task.status).items()}
        dated = db.exec(select(func.count()).where(task.due_on.is_not(None))).one()
    assert sum(statuses.values()) > CAP and dated > CAP
    shown = panel(site.client.get("/admin/tracker-task/list").text, "status")
    # At most CAP + 1 rows were read: each count is a lower bound ("12+"),
    # and a status not among them shows no number rather than a wrong one.
    numbers = {k: int(v[:-1]) for k, v in shown.items() if v}
    assert all(v is None or v.endswith("+") for v in shown.values())
    assert numbers and all(n <= statuses[k] for k, n in numbers.items())
    assert sum(numbers.values()) <= CAP + 1
    # Every dated task is "not empty": more than the cap reads "50+".
    capped = site.client.get("/admin/tracker-task/list?due_on__gte=2000-01-01").text
    assert panel(capped, "due_on__isnull")["Not empty"] == f"{CAP}+"
    # A narrow list is under the cap: exact again.
    narrow = site.client.get("/admin/tracker-task/list?priority__lte=1").text
    with site.session() as db:
        few = grouped(db, task.status, task.priority <= 1)
    assert sum(few.values()) <= CAP
    assert {k: int(v) for k, v in panel(narrow, "status").items()} == {
        label: few.get(value, 0) for value, label in labels.items()
    }
    # Asking for the exact count counts exactly.
    exact = site.client.get("/admin/tracker-task/list?count=exact").text
    assert {k: int(v) for k, v in panel(exact, "status").items()} == {
        label: statuses.get(label, 0) for label in labels.values()
    }


def test_the_projects_own_filters_count_their_choices(client, db, tasks):
    overdue = and_(Task.due_date < date.today(), Task.status != "done")
    not_overdue = ~overdue | Task.due_date.is_(None)
    todo = Task.status == "todo"
    html = page(client, "status=todo&overdue=no")
    count = lambda *where: db.exec(select(func.count()).where(*where)).one()  # noqa: E731
    assert panel(html, "overdue") == {
        "Overdue": f"{count(todo, overdue):,}",
        "Not overdue": f"{count(todo, not_overdue):,}",
    }
    nobody = and_(
        Task.assignee_id.is_(None), ~exists().where(TaskAssignment.task_id == Task.id)
    )
    assert panel(html, "unassigned") == {
        "Nobody assigned": f"{count(todo, nobody, not_overdue):,}"
    }
    projects = client.get("/admin/project/list").text
    open_ones = db.exec(
        select(func.count(func.distinct(Task.project_id))).where(Task.status != "done")
    ).one()
    total = db.exec(select(func.count()).select_from(Project)).one()
    assert panel(projects, "open_tasks") == {
        "Has open tasks": str(open_ones),
        "No open tasks": str(total - open_ones),
    }


@pytest.mark.parametrize("module", ZOO)
def test_every_zoo_list_counts_its_filters(empty_database_url, module):
    """Other people's models (enums, JSON, UUID keys, composite keys, link
    tables): every list page answers with its counts, the row count it
    takes from them is the table's, and each choice filter's counts add up
    to the rows listed."""
    from sqlalchemy import event

    for site in serve(empty_database_url, module):
        counted = 0
        for model in tables_of(importlib.import_module(module)):
            statements: list[str] = []

            def note(_conn, _cursor, statement, *_args, seen=statements):  # type: ignore[no-untyped-def]
                seen.append(statement)

            event.listen(site.engine, "before_cursor_execute", note)
            try:
                response = site.client.get(f"/admin/{identity(model)}/list")
            finally:
                event.remove(site.engine, "before_cursor_execute", note)
            assert response.status_code == 200, (model, text(response.text)[:300])
            # the filters not in use (all of them here) share one query; a
            # many-to-many filter's counts (a row per link) join its links
            shared = [s for s in statements if "AS facet_0" in s and "JOIN" not in s]
            assert len(shared) <= 1, (model, len(shared))
            counted += len(shared)
            listed = re.search(r'id="row-count">([\d,]+) ', response.text)
            # the list's count is what the shared query grouped: the table's
            with site.session() as session:
                rows = session.scalar(select(func.count()).select_from(model))
            assert listed and int(listed[1].replace(",", "")) == rows, model
            for parameter in re.findall(
                r'<ul [^>]*data-filter="([^"]+)"', response.text
            ):
                shown = panel(response.text, parameter).values()
                if listed and parameter.endswith("__isnull"):
                    total = sum(int(c.replace(",", "")) for c in shown if c)
                    assert total == int(listed[1].replace(",", "")), parameter
        assert counted  # some list of the module counts its filters


ROW_KEY = re.compile(r'<input type="hidden" value="([^"]*)">')


@pytest.mark.parametrize("module", ZOO)
def test_every_zoo_lists_narrowed_pages_show_the_rows_the_exact_path_shows(
    empty_database_url, module, monkeypatch
):
    """A filtered page of every zoo table (UUID, text, composite and numbered
    keys), its count capped at 3 rows and 2 rows a page: on PostgreSQL the
    filter counts read the list's first rows in its order and name the
    page's rows, loaded by key; pages 1 and 2 show the rows, in the order,
    that the exact count's path (which reads each page on its own) shows."""
    from html import unescape

    from sqlalchemy import event

    monkeypatch.setattr(AdminView, "count_cap", 3)
    for site in serve(empty_database_url, module):
        by_key = compared = 0
        for model in tables_of(importlib.import_module(module)):
            lists = f"/admin/{identity(model)}/list"
            html = site.client.get(lists).text
            for parameter in re.findall(r'<ul [^>]*data-filter="([^"]+)"', html):
                found = re.search(
                    rf'<ul [^>]*data-filter="{re.escape(parameter)}">(.*?)</ul>',
                    html,
                    re.S,
                )
                links = re.findall(r'<a [^>]*href="([^"]+)"', found.group(1))
                chosen = [unescape(link) for link in links if parameter in link]
                if not chosen:
                    continue
                query = chosen[0].split("?", 1)[1]
                for page in (1, 2):
                    url = f"{lists}?{query}&pageSize=2&page={page}"
                    statements: list[str] = []

                    def note(_c, _cur, statement, *_a, seen=statements):  # type: ignore[no-untyped-def]
                        seen.append(statement)

                    event.listen(site.engine, "before_cursor_execute", note)
                    try:
                        shown = site.client.get(url)
                    finally:
                        event.remove(site.engine, "before_cursor_execute", note)
                    assert shown.status_code == 200, (url, text(shown.text)[:300])
                    exact = site.client.get(f"{url}&count=exact").text
                    keys = ROW_KEY.findall(shown.text)
                    assert keys == ROW_KEY.findall(exact), url
                    by_key += any("page_key_0" in s for s in statements)
                    compared += bool(keys)
        assert compared  # some filtered page of the module shows rows
        if site.engine.dialect.name == "postgresql":
            assert by_key  # and its pages were read by the filter counts' keys
        else:
            assert not by_key


def test_every_shipped_list_answers_with_its_counts(client, tasks):
    index = client.get("/admin/").text
    lists = set(re.findall(r'href="[^"]*/admin/([a-z-]+)/list"', index))
    assert {"task", "project", "staff-user", "audit-entry"} <= lists
    for identity_ in sorted(lists):
        response = client.get(f"/admin/{identity_}/list")
        assert response.status_code == 200, (identity_, text(response.text)[:300])


def test_the_filters_not_in_use_are_counted_by_one_scan_of_the_list(
    app, client, db, tasks
):
    """A searched list of millions of rows pays for its search once for all
    the filters not in use (one query), plus one for each filter in use and
    each many-to-many filter (a row per link); the counts are as before."""
    from sqlalchemy import event

    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = app.state.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        html = page(client, "search=csv&priority=high")
    finally:
        event.remove(engine, "before_cursor_execute", note)
    facet_queries = [s for s in statements if "AS facet_0" in s]
    # the filters not in use, the priority filter in use, the tags (links)
    assert len(facet_queries) == 3
    csv = func.lower(Task.title).contains("csv") | func.lower(
        func.coalesce(Task.description, "")
    ).contains("csv")
    assert status_counts(html) == expected_status(db, Task.priority == "high", csv)
    shown = panel(html, "priority")
    expected = grouped(db, Task.priority, csv)
    assert sum(int(c) for c in shown.values()) == sum(expected.values())


def test_a_filtered_lists_count_is_read_by_its_filter_counts_query(
    app, client, db, tasks
):
    """The filters not in use group the list's own rows (at most the cap and
    one), so how many they grouped is the list's count: the page does not
    read its search and filters once more to count them, exact or capped."""
    from sqlalchemy import event

    statements: list[str] = []

    def note(_conn, _cursor, statement, parameters, *_args):  # type: ignore[no-untyped-def]
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if any("csv" in str(value) for value in values or ()):
            statements.append(statement)  # one that searches

    csv = func.lower(Task.title).contains("csv") | func.lower(
        func.coalesce(Task.description, "")
    ).contains("csv")
    expected = db.scalar(select(func.count()).where(csv, Task.priority == "high"))
    assert expected
    engine = app.state.engine
    for extra in ("", "&count=exact"):
        statements.clear()
        event.listen(engine, "before_cursor_execute", note)
        try:
            html = page(client, f"search=csv&priority=high{extra}")
        finally:
            event.remove(engine, "before_cursor_execute", note)
        assert re.search(rf'id="row-count">{expected} Tasks? matching<', html)
        # the three filter counts' queries, the page's rows and the date
        # drill-down's groups: no count of its own; on PostgreSQL the list's
        # own counts read its rows in its order and name the page's rows,
        # which are then read by key (a capped count reads them as well)
        assert len([s for s in statements if "AS facet_0" in s]) == 3
        assert not [s for s in statements if s.startswith("SELECT count(*)")]
        by_key = db.get_bind().dialect.name == "postgresql" and not extra
        assert len(statements) == (4 if by_key else 5), statements
