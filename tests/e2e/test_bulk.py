"""Stories on many tasks at once: bulk edit of ticked rows, then of all matching."""

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from admin_app.writing.audit import AuditEntry
from models.task import Task, TaskPriority, TaskStatus
from tests.e2e.conftest import ROW_BOX, Site, screenshot


def test_bulk_edit_ticked_rows_then_all_matching(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/task/list?sortBy=id&sort=asc")
    for row in page.locator("tbody tr").all()[:3]:
        row.get_by_role("checkbox", name=ROW_BOX).check()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Edit selected").click()

    expect(page.get_by_role("heading", name="Edit 3 Tasks")).to_be_visible()
    expect(page.get_by_label("Change Priority")).not_to_be_checked()
    page.get_by_label("Priority", exact=True).select_option("urgent")
    expect(page.get_by_label("Change Priority")).to_be_checked()  # by itself
    page.get_by_role("button", name="Apply to 3 rows").click()
    expect(page.get_by_role("status")).to_have_text("3 Tasks updated.")
    # Back on the list the rows were chosen on, sorted as it was.
    expect(page).to_have_url(re.compile(r"/admin/task/list\?sortBy=id&sort=asc$"))
    with site.session() as db:
        assert (
            db.scalars(select(Task.priority).where(Task.id <= 3)).all()
            == [TaskPriority.urgent] * 3
        )

    # Now every blocked task, on every page.
    page.locator("[data-filter=status]").get_by_role("link", name="Blocked").click()
    with site.session() as db:
        blocked = db.scalar(
            select(func.count()).where(Task.status == TaskStatus.blocked)
        )
    assert blocked > 25  # more than one page
    page.get_by_role("link", name=f"Edit all {blocked} matching").click()
    expect(page.get_by_role("heading", name=f"Edit {blocked} Tasks")).to_be_visible()
    page.get_by_label("Priority", exact=True).select_option("low")
    screenshot(page, "bulk-edit")
    page.get_by_label("Progress", exact=True).fill("101")
    page.get_by_role("button", name=f"Apply to {blocked} rows").click()
    # A refused value: said next to its field, nothing written.
    expect(page.locator(".invalid-feedback")).to_contain_text("100")
    with site.session() as db:
        assert (
            db.scalar(
                select(func.count()).where(
                    Task.priority == TaskPriority.low, Task.status == TaskStatus.blocked
                )
            )
            != blocked
        )
    page.get_by_label("Progress", exact=True).fill("50")
    page.get_by_role("button", name=f"Apply to {blocked} rows").click()

    expect(page.get_by_role("status")).to_have_text(f"{blocked} Tasks updated.")
    expect(page.locator("#row-count")).to_have_text(f"{blocked} Tasks matching")

    with site.session() as db:
        values = db.execute(
            select(Task.priority, Task.progress).where(
                Task.status == TaskStatus.blocked
            )
        ).all()
        entry = db.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "bulk_edit")
            .order_by(AuditEntry.id.desc())
        ).first()
    assert set(values) == {(TaskPriority.low, 50)}
    assert len(entry.keys()) == blocked

    # Changing the field the list is filtered on: the list comes back without
    # that filter, so the rows just changed are still in it.
    page.get_by_role("link", name=f"Edit all {blocked} matching").click()
    page.get_by_label("Status", exact=True).select_option("done")
    page.get_by_role("button", name=f"Apply to {blocked} rows").click()
    expect(page.get_by_role("status")).to_have_text(f"{blocked} Tasks updated.")
    expect(page.locator(".filter-chip")).to_have_count(0)
    expect(page.locator("#row-count")).to_have_text("300 Tasks")
    with site.session() as db:
        done = select(func.count()).where(Task.status == TaskStatus.blocked)
        assert db.scalar(done) == 0
