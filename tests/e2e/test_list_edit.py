"""Story: change cells on the task list and save them at once; a row a
colleague changed meanwhile saves nothing until looked at again."""

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlmodel import select

from admin_app.writing.audit import AuditEntry
from models.task import Task, TaskPriority, TaskStatus
from tests.e2e.conftest import Site, screenshot

LIST = "/admin/task/list?sortBy=id&sort=asc"


def other_status(status: TaskStatus) -> str:
    return "blocked" if status is not TaskStatus.blocked else "done"


def task(site: Site, task_id: int) -> Task:
    with site.session() as db:
        return db.get(Task, task_id)


def test_two_cells_changed_on_the_list_are_saved(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto(LIST)
    first, second = task(site, 1), task(site, 2)
    status = other_status(first.status)
    page.get_by_label("Status of Task 1", exact=True).select_option(status)
    page.get_by_label("Priority of Task 2", exact=True).select_option("urgent")
    screenshot(page, "list-editing")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_role("status")).to_contain_text(
        "2 Tasks saved." if second.priority != "urgent" else "1 Task saved."
    )
    expect(page).to_have_url(re.compile(r"/admin/task/list\?sortBy=id&sort=asc$"))
    expect(page.get_by_label("Status of Task 1", exact=True)).to_have_value(status)
    expect(page.get_by_label("Priority of Task 2", exact=True)).to_have_value("urgent")
    assert task(site, 1).status == status
    assert task(site, 1).priority == first.priority
    assert task(site, 2).priority is TaskPriority.urgent
    with site.session() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "list_edit")
        ).first()
    assert entry is not None and "1" in entry.keys()  # noqa: SIM118 - row keys


def test_a_row_a_colleague_changed_meanwhile_is_not_saved(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    page.goto(LIST)
    before = task(site, 3)
    # A colleague sets a due date on task 3 while the list is open.
    with site.session() as db:
        row = db.get(Task, 3)
        row.due_date = date(2031, 5, 6)
        db.add(row)
        db.commit()

    mine = other_status(before.status)
    page.get_by_label("Status of Task 3", exact=True).select_option(mine)
    page.get_by_role("button", name="Save changes").click()

    alert = page.locator("#list-edit-errors")
    expect(alert).to_contain_text("Nothing was saved")
    expect(alert).to_contain_text("Someone else changed this row")
    expect(alert).to_contain_text("due date")
    # Their date shows in the row now, and the typed status is still there.
    expect(page.get_by_label("Due date of Task 3", exact=True)).to_have_value(
        "2031-05-06"
    )
    expect(page.get_by_label("Status of Task 3", exact=True)).to_have_value(mine)
    assert task(site, 3).status == before.status

    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("1 Task saved.")
    saved = task(site, 3)
    assert (saved.status, saved.due_date) == (mine, date(2031, 5, 6))
