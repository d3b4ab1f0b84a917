"""Stories on one task: create it, edit its assignments inline, a stale save."""

from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from models.project import Project
from models.task import AssignmentRole, Task, TaskAssignment
from models.worker import Worker
from tests.e2e.conftest import (
    Site,
    assert_drawn_as_dropdown,
    choose_chips,
    choose_searched,
    screenshot,
)


def test_create_a_task_with_a_parent_and_tags(admin_page: Page, site: Site) -> None:
    page = admin_page
    with site.session() as db:
        titles = select(Task.title).group_by(Task.title).having(func.count() == 1)
        parent = db.scalars(select(Task).where(Task.title.in_(titles))).first()
        project = db.scalars(select(Project)).first()
    page.goto("/admin/task/list")
    page.get_by_role("link", name="New Task").click()
    page.get_by_label("Title").fill("Write the release notes")
    # A dropdown shows its arrow (SQLAdmin draws a form's selects as text boxes).
    for name in ("Status", "Project"):
        assert_drawn_as_dropdown(page.get_by_label(name))
    page.get_by_label("Status").select_option("in_progress")
    page.get_by_label("Progress").fill("150")
    page.get_by_label("Project").select_option(label=project.name)
    choose_searched(page, "Parent", parent.title, parent.title)
    choose_chips(page, "Tags", ["docs", "feature"])
    page.get_by_role("button", name="Save", exact=True).click()

    # The model refuses a progress above 100: said next to the field, nothing saved.
    progress = page.locator(".form-group", has=page.get_by_label("Progress"))
    expect(progress.locator(".invalid-feedback")).to_contain_text("100")
    with site.session() as db:
        assert (
            db.scalars(
                select(Task).where(Task.title == "Write the release notes")
            ).first()
            is None
        )

    page.get_by_label("Progress").fill("40")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Task “Write the release notes” added."
    )
    with site.session() as db:
        task = db.scalars(
            select(Task).where(Task.title == "Write the release notes")
        ).one()
        assert (task.status, task.progress) == ("in_progress", 40)
        assert (task.parent_id, task.project_id) == (parent.id, project.id)
        assert sorted(t.name for t in task.tags) == ["docs", "feature"]


def test_a_searched_parent_is_kept_then_cleared(admin_page: Page, site: Site) -> None:
    """The parent select (a large table, searched as you type) shows the
    chosen parent; a save that leaves it keeps it, its clear button clears it."""
    page = admin_page
    with site.session() as db:
        task = db.scalars(
            select(Task).where(Task.parent_id.is_not(None)).order_by(Task.id)
        ).first()
        parent_id, parent_title = task.parent_id, task.parent.title
    page.goto(f"/admin/task/edit/{task.id}")
    field = page.locator(".form-group", has=page.get_by_text("Parent", exact=True))
    shown = field.locator(".select2-selection__rendered")
    expect(shown).to_contain_text(parent_title)
    page.get_by_label("Title").fill("Kept under its parent")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("status")).to_contain_text("title changed")
    with site.session() as db:
        assert db.get(Task, task.id).parent_id == parent_id

    expect(shown).to_contain_text(parent_title)
    field.locator(".select2-selection__clear").click()
    page.keyboard.press("Escape")  # select2 opens its search as it clears
    expect(shown).not_to_contain_text(parent_title)
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("status")).to_contain_text("parent changed")
    with site.session() as db:
        assert db.get(Task, task.id).parent_id is None


def test_edit_assignments_inline(admin_page: Page, site: Site) -> None:
    page = admin_page
    with site.session() as db:
        busy = (
            select(TaskAssignment.task_id)
            .group_by(TaskAssignment.task_id)
            .having(func.count() >= 2)
        )
        task = db.scalars(
            select(Task).where(Task.id.in_(busy)).order_by(Task.id)
        ).first()
        rows = db.scalars(
            select(TaskAssignment)
            .where(TaskAssignment.task_id == task.id)
            .order_by(TaskAssignment.worker_id)
        ).all()
        assigned = {r.worker_id for r in rows}
        workers = {w.id: w.name for w in db.scalars(select(Worker))}
        before = {r.worker_id: r.role for r in rows}
    kept = rows[0].worker_id
    new = next(w for w in sorted(workers) if w not in assigned)

    page.goto(f"/admin/task/edit/{task.id}")
    editor = page.locator("table.inline-links")
    new_role = "reviewer" if before[kept] != "reviewer" else "owner"
    editor.get_by_label(f"Role of {workers[kept]}").select_option(new_role)
    editor.get_by_label("Add worker").first.select_option(label=workers[new])
    editor.get_by_label("Role of the new worker").first.select_option("owner")
    removed = rows[1].worker_id
    editor.get_by_label(f"Remove {workers[removed]}").check()
    screenshot(page, "inline-links", page.locator(".form-group", has=editor))
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.get_by_role("status")).to_contain_text(f"“{task.title}” saved")
    expect(editor.get_by_label(f"Role of {workers[new]}")).to_have_value("owner")
    expect(editor.get_by_label(f"Role of {workers[kept]}")).to_have_value(new_role)
    expect(editor.get_by_label(f"Role of {workers[removed]}")).to_have_count(0)
    with site.session() as db:
        after = {
            r.worker_id: r.role
            for r in db.scalars(
                select(TaskAssignment).where(TaskAssignment.task_id == task.id)
            )
        }
    expected = {**before, kept: AssignmentRole(new_role), new: AssignmentRole.owner}
    del expected[removed]
    assert after == expected


def test_a_stale_save_keeps_a_colleagues_change_and_asks_about_a_shared_one(
    admin_page: Page, site: Site, new_page
) -> None:  # type: ignore[no-untyped-def]
    mine = admin_page
    with site.session() as db:
        task = db.get(Task, 7)
        title, progress = task.title, task.progress
    mine.goto(f"/admin/task/edit/{task.id}")
    theirs = new_page()
    theirs.goto(f"/admin/task/edit/{task.id}")
    theirs.get_by_label("Title").fill("Renamed by a colleague")
    theirs.get_by_label("Progress").fill(str((progress + 20) % 100))
    theirs.get_by_role("button", name="Save", exact=True).click()
    expect(theirs.get_by_role("status")).to_contain_text(
        "saved (title, progress changed)"
    )

    # I change the progress too, on the form I opened before their save.
    mine_progress = (progress + 10) % 100
    mine.get_by_label("Progress").fill(str(mine_progress))
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.get_by_role("alert")).to_contain_text(
        "Someone else saved this row after you opened the form"
    )
    conflict = mine.get_by_role("group", name="Choose the value of Progress")
    expect(conflict).to_contain_text(
        f"someone else saved “{(progress + 20) % 100}”; you entered “{mine_progress}”"
    )
    # The field I did not change shows their title; nothing is saved yet.
    expect(mine.get_by_label("Title")).to_have_value("Renamed by a colleague")
    with site.session() as db:
        assert db.get(Task, 7).progress == (progress + 20) % 100

    # Saving again without choosing is refused again: a stale form never wins.
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.get_by_role("alert")).to_contain_text("Nothing was saved")
    conflict = mine.get_by_role("group", name="Choose the value of Progress")
    conflict.get_by_label(f"Use mine (“{mine_progress}”)").check()
    mine.get_by_role("button", name="Save", exact=True).click()
    expect(mine.get_by_role("status")).to_contain_text("saved (progress changed)")
    with site.session() as db:
        task = db.get(Task, 7)
        assert (task.title, task.progress) == ("Renamed by a colleague", mine_progress)
    assert title != task.title
