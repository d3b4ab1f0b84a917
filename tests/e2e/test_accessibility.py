"""Every page type scanned by axe-core in both themes: no serious or critical
violation (contrast, names, labels, lists), as a screen-reader or keyboard
user and the WCAG 2.2 AA contrast rule meet them.

The dark theme is the one a browser set to dark gets by default (the theme
follows the system setting until the user picks one)."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from admin_app.auth.models import StaffUser
from models.project import Project
from models.task import Task, TaskAssignment, TaskStatus
from tests.conftest import add_staff
from tests.e2e.axe_scan import assert_accessible
from tests.e2e.conftest import Site, log_in


@pytest.fixture(params=["light", "dark"])
def theme(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args: dict, theme: str) -> dict:
    return {**browser_context_args, "color_scheme": theme}


def a_busy_task(site: Site) -> Task:
    """A task with two or more assignments: its edit form has link rows."""
    with site.session() as db:
        busy = (
            select(TaskAssignment.task_id)
            .group_by(TaskAssignment.task_id)
            .having(func.count() >= 2)
        )
        return db.scalars(
            select(Task).where(Task.id.in_(busy)).order_by(Task.id)
        ).first()


def first_keys(site: Site, n: int = 3) -> str:
    with site.session() as db:
        keys = db.scalars(select(Task.id).order_by(Task.id).limit(n)).all()
    return ",".join(map(str, keys))


def filtered_list(page: Page, site: Site) -> None:
    with site.session() as db:
        project = db.scalars(select(Project).order_by(Project.name)).first()
    status = TaskStatus.blocked.value
    page.goto(f"/admin/task/list?status={status}&project_id={project.id}")
    expect(page.locator(".filter-chip")).to_have_count(2)


def import_preview(page: Page, site: Site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with site.session() as db:
        task = db.scalars(select(Task).order_by(Task.id)).first()
    changed = tmp_path / "tasks.csv"
    changed.write_text(
        f"id,title,progress\n{task.id},{task.title} (renamed),{task.progress}\n"
        "nope,A row with a bad key,200\n",
        encoding="utf-8",
    )
    page.goto("/admin/task/import")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(changed))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-counts")).to_be_visible()


def audit_log(page: Page, site: Site) -> None:
    """The audit log after an edit made in the browser."""
    task = a_busy_task(site)
    page.goto(f"/admin/task/edit/{task.id}")
    page.get_by_label("Progress").fill(str((task.progress + 1) % 100))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_be_visible()
    page.goto("/admin/audit-entry/list")
    expect(page.locator("tbody tr").first).to_be_visible()


def audit_entry(page: Page, site: Site) -> None:
    """One entry of the audit log, with its rows and its Revert button."""
    audit_log(page, site)
    entry = page.locator("tbody tr").first
    entry.locator("a[href*='/audit-entry/details/']").first.click()
    expect(page).to_have_url(re.compile(r"/audit-entry/details/"))


def own_password(page: Page, site: Site) -> None:
    """The password change refused (the new boxes differ: no attempt is
    counted), its message under the box."""
    page.goto("/admin/")
    page.get_by_role("link", name="Change password").click()
    page.get_by_label("Current password").fill("whatever it is")
    page.get_by_label("New password", exact=True).fill("a new long passphrase")
    page.get_by_label("New password again").fill("another long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("#new_password_again-error")).to_be_visible()


def staff_user_form(page: Page, site: Site) -> None:
    with site.session() as db:
        user = db.scalars(select(StaffUser).order_by(StaffUser.id)).first()
    page.goto(f"/admin/staff-user/edit/{user.id}")


def forbidden(page: Page, site: Site) -> None:
    """A 403: a view-only colleague opens the create form."""
    name = "viewer"
    with site.session() as db:
        known = db.scalars(select(StaffUser).where(StaffUser.username == name)).first()
    if known is None:
        add_staff(site.app, name, grants={"task": ["view"]})
    page.context.clear_cookies()
    log_in(page, name)
    response = page.goto("/admin/task/create")
    assert response is not None and response.status == 403


PAGES: dict[str, Callable[..., None]] = {
    "index": lambda page, site: page.goto("/admin/"),
    "list": lambda page, site: page.goto("/admin/task/list"),
    "filtered list with chips": filtered_list,
    "details": lambda page, site: page.goto(
        f"/admin/task/details/{a_busy_task(site).id}"
    ),
    "create": lambda page, site: page.goto("/admin/task/create"),
    "edit with link editors": lambda page, site: page.goto(
        f"/admin/task/edit/{a_busy_task(site).id}"
    ),
    "bulk edit": lambda page, site: page.goto(
        f"/admin/task/bulk-edit?pks={first_keys(site)}"
    ),
    "bulk delete": lambda page, site: page.goto(
        f"/admin/task/bulk-delete?pks={first_keys(site)}"
    ),
    "import": lambda page, site: page.goto("/admin/task/import"),
    "audit log": audit_log,
    "audit entry": audit_entry,
    "staff users": lambda page, site: page.goto("/admin/staff-user/list"),
    "new staff user": lambda page, site: page.goto("/admin/staff-user/create"),
    "staff user form": staff_user_form,
    "own password": own_password,
    "staff groups": lambda page, site: page.goto("/admin/staff-group/list"),
    "staff group form": lambda page, site: page.goto("/admin/staff-group/create"),
    "not found": lambda page, site: page.goto("/admin/no-such-table/list"),
    "forbidden": forbidden,
}


def test_login_page(page: Page, theme: str) -> None:
    page.goto("/admin/login")
    assert_accessible(page)
    # A failed login's message, too.
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("name", PAGES)
def test_page(admin_page: Page, site: Site, theme: str, name: str) -> None:
    PAGES[name](admin_page, site)
    assert_accessible(admin_page)


def test_import_preview(admin_page: Page, site: Site, theme: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_preview(admin_page, site, tmp_path)
    assert_accessible(admin_page)


def test_delete_dialog(admin_page: Page, site: Site, theme: str) -> None:
    page = admin_page
    page.goto("/admin/task/list")
    page.locator("a[data-bs-target='#modal-delete'][data-pk]").first.click()
    expect(page.locator("#modal-delete")).to_be_visible()
    assert_accessible(page)


def test_icon_links_name_their_row(admin_page: Page, site: Site, theme: str) -> None:
    page = admin_page
    with site.session() as db:
        task = db.scalars(select(Task).order_by(Task.id.desc())).first()
    page.goto("/admin/task/list?sortBy=id&sort=desc")
    row = page.locator("tbody tr", has=page.locator(f'input[value="{task.id}"]'))
    named = f"Task \u201c{task.title}\u201d"
    view = row.get_by_role("link", name=f"View {named}", exact=True)
    expect(view).to_have_attribute("href", re.compile(rf"/task/details/{task.id}$"))
    edit = row.get_by_role("link", name=f"Edit {named}", exact=True)
    expect(edit).to_have_attribute("href", re.compile(rf"/task/edit/{task.id}\?"))
    delete = row.get_by_role("link", name=f"Delete {named}", exact=True)
    expect(delete).to_have_attribute("data-pk", str(task.id))


def test_row_boxes_name_their_row(admin_page: Page, site: Site, theme: str) -> None:
    page = admin_page
    with site.session() as db:
        task = db.scalars(select(Task).order_by(Task.id.desc())).first()
    page.goto("/admin/task/list?sortBy=id&sort=desc")
    row = page.locator("tbody tr", has=page.locator(f'input[value="{task.id}"]'))
    box = row.get_by_role("checkbox", name=f"Select Task \u201c{task.title}\u201d")
    expect(box).to_have_count(1)
    box.check()
    expect(box).to_be_checked()
    everything = page.get_by_role("checkbox", name="Select all rows on this page")
    expect(everything).to_have_count(1)
    expect(page.get_by_role("checkbox", name="Select item")).to_have_count(0)


def test_a_refused_form_says_so_in_an_alert(
    admin_page: Page, site: Site, theme: str
) -> None:
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_label("Title").fill("Too far along")
    page.get_by_label("Progress").fill("150")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the errors below.")
    progress = page.locator(".form-group", has=page.get_by_label("Progress"))
    expect(progress.locator(".invalid-feedback")).to_contain_text("100")
    # A screen reader on the field hears that it is wrong, and why.
    field = page.get_by_label("Progress")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("100"))
    expect(page.get_by_label("Title")).not_to_have_attribute("aria-invalid", "true")
    with site.session() as db:
        assert db.scalars(select(Task).where(Task.title == "Too far along")).all() == []
    assert_accessible(page)


def test_a_refused_bulk_edit_ties_the_error_to_its_field(
    admin_page: Page, site: Site, theme: str
) -> None:
    page = admin_page
    page.goto(f"/admin/task/bulk-edit?pks={first_keys(site)}")
    field = page.get_by_label("Progress", exact=True)
    field.fill("150")
    page.locator("#apply-bulk").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_description(re.compile("100"))
    with site.session() as db:
        assert db.scalars(select(Task).where(Task.progress == 150)).all() == []
