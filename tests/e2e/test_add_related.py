"""Add another: a project or a tag created from the task form in a dialog,
chosen in its select, and saved with the task; by keyboard too; the dialog
scanned by axe-core in both themes."""

import re

import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect
from sqlmodel import select

from models.project import Project
from models.task import Task
from tests.e2e.axe_scan import assert_accessible
from tests.e2e.conftest import VIEWPORT, Site, log_in


def field(page: Page, label: str):  # type: ignore[no-untyped-def]
    return page.locator(".form-group", has=page.get_by_text(label, exact=True))


def dialog_form(page: Page) -> FrameLocator:
    return page.frame_locator("#add-related-dialog iframe")


def test_add_a_project_from_the_task_form(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_role("link", name="Add another Project").click()
    dialog = page.get_by_role("dialog", name="Add another Project")
    expect(dialog).to_be_visible()
    popup = dialog_form(page)
    # The popup is the create page alone: no menu, one Save.
    expect(popup.get_by_role("heading", name="New Project")).to_be_visible()
    expect(popup.locator("#navbar-menu")).to_have_count(0)
    expect(popup.get_by_role("button", name="Save and add another")).to_have_count(0)

    # Its own validation shows inside the dialog: a name already taken.
    with site.session() as db:
        taken = db.exec(select(Project)).first().name
    popup.get_by_label("Name").fill(taken)
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(popup.locator(".invalid-feedback").first).to_be_visible()
    expect(dialog).to_be_visible()
    expect(popup.get_by_label("Name")).to_be_focused()

    name = 'Apollo "moon" </script><b>launch</b>'
    popup.get_by_label("Name").fill(name)
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(dialog).to_be_hidden()
    chosen = page.get_by_label("Project", exact=True)
    expect(chosen.locator("option:checked")).to_have_text(name)
    expect(chosen).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("added and chosen")

    page.get_by_label("Title").fill("Plan the launch")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/task/list"))
    with site.session() as db:
        project = db.exec(select_project(name)).one()
        task = db.exec(select(Task).where(Task.title == "Plan the launch")).one()
        assert task.project_id == project.id
    # The popup's own message does not turn up on the opener's next page.
    expect(page.get_by_role("status")).not_to_contain_text("Apollo")


def select_project(name: str):  # type: ignore[no-untyped-def]
    return select(Project).where(Project.name == name)


def test_add_a_tag_as_a_chip(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_role("link", name="Add another Tag").click()
    popup = dialog_form(page)
    popup.get_by_label("Name").fill("urgent-popup")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    chips = field(page, "Tags").locator(".select2-selection__choice")
    expect(chips).to_have_count(1)
    expect(chips).to_contain_text("urgent-popup")
    page.get_by_label("Title").fill("Tagged from the popup")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/task/list"))
    with site.session() as db:
        task = db.exec(select(Task).where(Task.title == "Tagged from the popup")).one()
        assert [t.name for t in task.tags] == ["urgent-popup"]


def test_add_a_parent_to_a_search_as_you_type_select(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_role("link", name="Add another Task").click()
    popup = dialog_form(page)
    popup.get_by_label("Title").fill("A parent made in passing")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    shown = field(page, "Parent").locator(".select2-selection__rendered")
    expect(shown).to_contain_text("A parent made in passing")


def test_by_keyboard_and_escape_changes_nothing(admin_page: Page, site: Site) -> None:
    page = admin_page
    with site.session() as db:
        before = len(db.exec(select(Project)).all())
    page.goto("/admin/task/create")
    link = page.get_by_role("link", name="Add another Project")
    link.focus()
    page.keyboard.press("Enter")
    popup = dialog_form(page)
    expect(popup.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Typed by keyboard")
    page.keyboard.press("Escape")
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    expect(page.get_by_label("Project", exact=True)).to_be_focused()
    expect(page.get_by_label("Project", exact=True)).to_have_value("__None")

    # The popup's own Cancel closes it too.
    link.click()
    expect(popup.get_by_label("Name")).to_be_focused()  # loaded
    popup.get_by_role("link", name="Cancel").click()
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    expect(page.get_by_label("Project", exact=True)).to_have_value("__None")

    # Again, and saved with Enter: chosen, focus back on the select.
    link.focus()
    page.keyboard.press("Enter")
    expect(popup.get_by_label("Name")).to_be_focused()
    page.keyboard.type("Typed by keyboard")
    page.keyboard.press("Enter")
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    chosen = page.get_by_label("Project", exact=True)
    expect(chosen).to_be_focused()
    expect(chosen.locator("option:checked")).to_have_text("Typed by keyboard")
    with site.session() as db:
        assert len(db.exec(select_project("Typed by keyboard")).all()) == 1
        assert len(db.exec(select(Project)).all()) == before + 1


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_dialog_passes_the_scan(browser: Browser, site: Site, theme: str) -> None:
    context = browser.new_context(
        base_url=site.url, viewport=VIEWPORT, color_scheme=theme
    )
    try:
        page = context.new_page()
        log_in(page)
        page.goto("/admin/task/create")
        page.get_by_role("link", name="Add another Project").click()
        expect(dialog_form(page).get_by_label("Name")).to_be_focused()
        assert_accessible(page)
        page.goto("/admin/project/create?_popup=1")  # the framed page itself
        assert_accessible(page)
    finally:
        context.close()


def test_add_a_worker_to_a_link_editor(admin_page: Page, site: Site) -> None:
    """The assignments' editor: the "+" below its rows adds a worker and
    chooses it in the first row still to be chosen."""
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_role("link", name="Add another Worker to Assignments").click()
    popup = dialog_form(page)
    popup.get_by_label("Name").fill("Grace from the popup")
    popup.get_by_label("Email").fill("grace.popup@example.com")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    new_row = page.get_by_role("combobox", name="Add worker").first
    expect(new_row.locator("option:checked")).to_have_text("Grace from the popup")
    expect(new_row).to_be_focused()
    page.get_by_label("Title").fill("Assigned from the popup")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/task/list"))
    with site.session() as db:
        task = db.exec(
            select(Task).where(Task.title == "Assigned from the popup")
        ).one()
        assert [a.worker.name for a in task.assignments] == ["Grace from the popup"]


def test_only_the_dialogs_own_page_is_heard(admin_page: Page, site: Site) -> None:
    """A message that does not come from the framed popup page (here the
    opener's own window) changes nothing and leaves the dialog open."""
    page = admin_page
    page.goto("/admin/task/create")
    page.get_by_role("link", name="Add another Project").click()
    expect(dialog_form(page).get_by_label("Name")).to_be_focused()
    # Resolves once the page's own listener (admin.js's, added first) ran.
    page.evaluate(
        """() => new Promise((done) => {
          window.addEventListener("message", () => setTimeout(done, 0), {once: true});
          window.postMessage({type: "admin-add-related", action: "added",
            key: "999", label: "forged", name: "forged"}, "*");
        })"""
    )
    expect(page.locator("#add-related-dialog")).to_be_visible()
    project = page.get_by_label("Project", exact=True)
    expect(project.locator("option", has_text="forged")).to_have_count(0)
    expect(project).to_have_value("__None")
