"""A task's details page in the browser: its assignments with their role and
its tags by name; then a bulk edit read in the audit log and reverted only
after its confirmation shows what it will change."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from admin_app.model.labels import enum_label
from admin_app.writing.audit import AuditEntry
from models import Project, Task, TaskAssignment, TaskTagLink, Worker
from tests.e2e.conftest import Site, screenshot


def test_a_tasks_details_show_assignments_and_tags(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    with site.session() as db:
        task_id = db.scalar(
            select(TaskAssignment.task_id)
            .join(TaskTagLink, TaskTagLink.task_id == TaskAssignment.task_id)
            .group_by(TaskAssignment.task_id)
            .order_by(func.count().desc(), TaskAssignment.task_id)
            .limit(1)
        )
        task = db.get(Task, task_id)
        expected = sorted(
            (
                db.get(Worker, a.worker_id).name,
                enum_label(a.role),
            )
            for a in task.assignments
        )
        tags = sorted(t.name for t in task.tags)
        title = task.title
    page.goto("/admin/task/list?sortBy=id")
    page.goto(f"/admin/task/details/{task_id}")
    expect(page.get_by_role("heading", name=f"Task: {title}")).to_be_visible()

    section = page.get_by_role("region", name="Assignments")
    table = section.get_by_role("table")
    expect(table.locator("thead th")).to_have_text(["Worker", "Role", "Assigned at"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = sorted(
        (row.locator("td").nth(0).inner_text(), row.locator("td").nth(1).inner_text())
        for row in rows.all()
    )
    assert shown == expected
    for row in rows.all():
        assert row.locator("td").nth(2).inner_text().endswith(" UTC")

    tags_cell = (
        page.locator("tr", has=page.locator("td", has_text="Tags")).locator("td").nth(1)
    )
    expect(tags_cell.get_by_role("link")).to_have_text(tags)
    assert "(" not in tags_cell.inner_text()

    # A worker's name leads to the worker.
    first_worker = rows.first.get_by_role("link")
    name = first_worker.inner_text()
    first_worker.click()
    expect(page.get_by_role("heading", name=f"Worker: {name}")).to_be_visible()


def test_a_bulk_edit_reads_in_words_and_its_revert_asks_first(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    with site.session() as db:
        ids = db.scalars(select(Task.id).order_by(Task.id).limit(2)).all()
        before = {i: db.get(Task, i).progress for i in ids}
    page.goto(f"/admin/task/bulk-edit?pks={ids[0]},{ids[1]}")
    page.get_by_label("Progress", exact=True).fill("37")
    page.get_by_role("button", name="Apply to 2 rows").click()
    expect(page.get_by_role("status")).to_have_text("2 Tasks updated.")

    page.goto("/admin/audit-entry/list")
    entry = page.locator("tbody tr").first
    expect(entry).to_contain_text("Bulk edit")
    expect(entry).to_contain_text("Task")
    expect(entry).not_to_contain_text("bulk_edit")
    entry.locator("a[href*='/audit-entry/details/']").first.click()
    changes = page.locator("table.audit-changes")
    expect(changes.locator("thead th")).to_have_text(
        ["Row", "Field", "Before", "After"]
    )
    expect(changes.locator("tbody tr")).to_have_count(2)
    expect(changes.locator("tbody tr").first.locator("td").nth(1)).to_have_text(
        "Progress"
    )

    page.get_by_role("button", name="Revert this bulk edit").click()
    expect(page.get_by_role("heading", name="Revert this bulk edit?")).to_be_visible()
    lines = page.locator("#revert-changes tbody tr")
    expect(lines).to_have_count(2)
    for line in lines.all():
        cells = line.locator("td")
        assert cells.nth(1).inner_text() == "Progress"
        assert cells.nth(2).inner_text() == "37"
    with site.session() as db:  # asking changed nothing
        assert {i: db.get(Task, i).progress for i in ids} == dict.fromkeys(ids, 37)
        assert db.scalar(select(func.count()).where(AuditEntry.action == "revert")) == 0
    page.get_by_role("button", name="Revert", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("2 Tasks put back as they were.")
    with site.session() as db:
        assert {i: db.get(Task, i).progress for i in ids} == before


def test_from_a_filtered_list_to_a_rows_history_and_back(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    query = "status=blocked&sortBy=id&sort=asc"
    page.goto(f"/admin/task/list?{query}")
    row = page.locator("tbody tr").first
    key = row.locator('td:first-child input[type="hidden"]').get_attribute("value")

    # The row's History icon opens the audit log on that row.
    row.get_by_role("link", name=f"History of row {key}").click()
    expect(page).to_have_url(
        re.compile(rf"/admin/audit-entry/list\?table=task&key={key}$")
    )
    expect(page.locator(".filter-chip")).to_contain_text(
        ["Table: Tasks", f"Row: {key}"]
    )

    # Details, then Back to list: the same filtered, sorted list.
    page.goto(f"/admin/task/list?{query}")
    page.locator("tbody tr").first.locator("a[href*='/task/details/']").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/task/details/{key}$"))
    page.get_by_role("link", name="Back to list").click()
    expect(page).to_have_url(re.compile(rf"/admin/task/list\?{re.escape(query)}$"))

    # Edit, Save and continue editing, then Back to list: the same list too.
    page.locator("tbody tr").first.locator("a[href*='/task/edit/']").first.click()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page).to_have_url(
        re.compile(rf"/admin/task/edit/{key}\?{re.escape(query)}$")
    )
    page.get_by_role("link", name="Back to list").click()
    expect(page).to_have_url(re.compile(rf"/admin/task/list\?{re.escape(query)}$"))


def test_a_projects_tasks_and_a_task_added_from_its_page(
    admin_page: Page, site: Site
) -> None:
    """The project's page names its tasks and counts them; *Add Task* opens
    the task form with the project chosen, and the saved task is the
    project's first one named on its page (the task list's order)."""
    page = admin_page
    with site.session() as db:
        project = db.exec(select(Project).order_by(Project.id)).first()
        count = db.scalar(
            select(func.count()).select_from(Task).where(Task.project_id == project.id)
        )
    page.goto(f"/admin/project/details/{project.id}")
    tasks = page.get_by_role("region", name=re.compile(r"^Tasks"))
    expect(tasks.get_by_role("heading")).to_have_text(f"Tasks {count:,}")
    expect(tasks.get_by_role("listitem")).to_have_count(min(count, 10))

    tasks.get_by_role("link", name="Add Task").click()
    chosen = page.get_by_label("Project", exact=True)
    expect(chosen.locator("option:checked")).to_have_text(project.name)
    page.get_by_label("Title").fill("Added from its project")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/task/list"))
    with site.session() as db:
        task = db.exec(select(Task).where(Task.title == "Added from its project")).one()
        assert task.project_id == project.id

    page.goto(f"/admin/project/details/{project.id}")
    expect(tasks.get_by_role("heading")).to_have_text(f"Tasks {count + 1:,}")
    expect(tasks.get_by_role("listitem").first).to_have_text("Added from its project")
    screenshot(page, "project-tasks", tasks)
    tasks.get_by_role("link", name=re.compile(r"in the list of tasks$")).click()
    expect(page.get_by_text(f"Project: {project.name}")).to_be_visible()
