"""The trash icon's confirmation says what goes with the row before deleting it."""

from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from models.task import TaskAssignment
from models.worker import Worker
from tests.e2e.conftest import Site


def test_the_trash_icon_confirms_with_what_goes_with_the_row(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    with site.session() as db:
        worker_id, links = db.exec(
            select(TaskAssignment.worker_id, func.count())
            .group_by(TaskAssignment.worker_id)
            .order_by(func.count().desc())
        ).first()
    page.goto(f"/admin/worker/details/{worker_id}")
    page.locator('a[data-bs-target="#modal-delete"]').click()
    dialog = page.locator("#modal-delete")
    rows = "task assignment" if links == 1 else "task assignments"
    expect(dialog).to_contain_text(f"{links} {rows} will be deleted with it.")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("1 Worker deleted.")
    with site.session() as db:
        assert db.get(Worker, worker_id) is None
        assert (
            db.exec(
                select(TaskAssignment).where(TaskAssignment.worker_id == worker_id)
            ).all()
            == []
        )
