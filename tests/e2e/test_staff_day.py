"""The trial's day, walked as a staff user walks it, at a laptop's width and a
phone's: filter the task list, reassign tasks in bulk and undo it, export a
month, edit a task's assignments, create a task under a parent, and set up a
colleague who may only look. Each step checks what the user sees, what the
database holds, and that none of the frictions the trial met is back (a
search that reloads on Tab, a page that scrolls sideways, keys instead of
words in the audit log, a revert without a confirmation, pickers that cannot
tell namesakes apart, Ctrl-click for tags, times without their zone, links
that end on a bare 403, empty menus).

One served admin for the module (tests/e2e/conftest.py); each width picks its
own rows, so the two walks never meet in the database."""

import calendar
import re
from collections import Counter
from collections.abc import Iterator
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, or_
from sqlmodel import select

from admin_app.auth.models import GroupGrant, StaffGroup, StaffUser
from admin_app.model.labels import enum_label
from admin_app.writing.audit import AuditEntry
from models import Project, Tag, Task, TaskAssignment, Worker
from models.task import AssignmentRole, TaskStatus
from tests.conftest import PASSWORD, add_staff
from tests.e2e.conftest import (
    ROW_BOX,
    Site,
    assert_fits,
    choose_chips,
    count,
    exported_rows,
    log_in,
    logged_in_state,
)
from tests.live import live_server
from tests.zoo.conftest import TRACKER, serve
from tests.zoo.conftest import Site as ZooSite
from tests.zoo.tracker import TrackerAssignment, TrackerTask, TrackerWorker

SIZES = {
    "desktop": {"width": 1366, "height": 768},
    "phone": {"width": 390, "height": 844},
}
# Each width walks its own rows: a status of its own to filter and reassign.
STATUS = {"desktop": TaskStatus.blocked, "phone": TaskStatus.in_progress}


@pytest.fixture(params=list(SIZES))
def width(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def signed_in(browser: Browser, site: Site) -> dict:
    """The superuser's logged-in browser state, for the steps after the first."""
    return logged_in_state(browser, site.url)


@pytest.fixture
def day(browser: Browser, site: Site, width: str) -> Iterator:
    """Open a page at the walk's width, logged in as the superuser unless
    told otherwise (closed after the step)."""
    opened = []

    def open_page(state: dict | None = None) -> Page:
        context = browser.new_context(
            base_url=site.url,
            storage_state=state,
            viewport=SIZES[width],
            accept_downloads=True,
            timezone_id="Europe/Berlin",
            locale="en-GB",
        )
        opened.append(context)
        return context.new_page()

    yield open_page
    for context in opened:
        context.close()


def filter_panel(page: Page):  # type: ignore[no-untyped-def]
    """The filter panel, opened first on a narrow screen, where it folds
    behind its "Filters (n)" button."""
    panel = page.locator("#filter-sidebar")
    toggle = page.locator("#filters-toggle")
    if toggle.is_visible():
        expect(panel).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(panel).to_be_visible()
    return panel


def shown_keys(page: Page) -> list[int]:
    """The keys of the list's rows, as the selection script reads them."""
    keys = page.locator("tbody tr td:first-child input[type=hidden]")
    return [int(k) for k in keys.evaluate_all("els => els.map(e => e.value)")]


def date_range(url: str) -> tuple[date, date]:
    """The due-date range the drill-down put into the list's address."""
    query = parse_qs(urlsplit(url).query)
    return (
        date.fromisoformat(query["due_date__gte"][0]),
        date.fromisoformat(query["due_date__lte"][0]),
    )


def busiest_month(site: Site, *where) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The (year, month) of due dates with the most tasks matching `where`."""
    with site.session() as db:
        dues = db.scalars(
            select(Task.due_date).where(Task.due_date.is_not(None), *where)
        )
        months = Counter((d.year, d.month) for d in dues)
    return max(sorted(months), key=months.__getitem__)


def drill_to_a_month(page: Page, year: int, month: int) -> list:
    """Year, then month, through the links above the table; the conditions
    the address now holds."""
    drill = page.locator("#date-drill")
    drill.get_by_role("link", name=str(year), exact=True).click()
    expect(page.locator("#date-drill-up")).to_be_visible()
    drill.get_by_role("link", name=f"{calendar.month_name[month]} {year}").click()
    expect(page).to_have_url(re.compile(rf"due_date__gte={year}-{month:02}-01&"))
    first, last = date_range(page.url)
    assert (first.year, first.month) == (last.year, last.month) == (year, month)
    assert last.day == calendar.monthrange(year, month)[1]
    return [Task.due_date >= first, Task.due_date <= last]


def matching(n: int) -> str:
    """The row count above a filtered list."""
    return f"{n} {'Task' if n == 1 else 'Tasks'} matching"


def test_1_filter_search_and_come_back(day, site: Site, width: str) -> None:
    page = day()
    log_in(page)
    page.goto("/admin/task/list")
    expect(page.locator("#row-count")).to_have_text(f"{count(site)} Tasks")
    assert_fits(page)

    # A choice filter, its count read before the click.
    status = STATUS[width]
    panel = filter_panel(page)
    assert_fits(page)
    choice = panel.locator("[data-filter=status]").get_by_role(
        "link", name=enum_label(status)
    )
    expect(choice).to_have_text(
        f"{enum_label(status)} ({count(site, Task.status == status)})"
    )
    choice.click()
    where = [Task.status == status]
    expect(page.locator("#row-count")).to_have_text(matching(count(site, *where)))

    # A related-row filter: each project says how many of these tasks it has.
    with site.session() as db:
        project = db.scalars(select(Project).order_by(Project.name)).first()
    projects = filter_panel(page).locator("form[data-filter=project_id]")
    where.append(Task.project_id == project.id)
    expect(projects.locator(f'option[value="{project.id}"]')).to_have_text(
        f"{project.name} ({count(site, *where)})"
    )
    projects.get_by_label("Project").select_option(value=str(project.id))
    projects.get_by_role("button", name="Apply").click()
    expect(page.locator("#row-count")).to_have_text(matching(count(site, *where)))

    # The date drill-down, combined with both filters.
    where += drill_to_a_month(page, *busiest_month(site, *where))
    expect(page.locator("#row-count")).to_have_text(matching(count(site, *where)))
    chips = page.locator(".filter-chip")
    expect(chips).to_have_count(4)  # status, project, the month's first and last day
    expect(chips.first).to_have_text(f"Status: {enum_label(status)} \u00d7")
    assert_fits(page)

    # Sorted by title; then a search that waits for Enter.
    page.locator("thead").get_by_role("link", name="Title", exact=True).click()
    expect(page).to_have_url(re.compile(r"sortBy=title&sort=asc"))
    term = rows_title_word(page)
    listed = page.url
    page.evaluate("window.__sameDocument = true")
    search = page.get_by_role("textbox", name=re.compile("^Search: Title"))
    search.click()
    search.press_sequentially(term)
    page.keyboard.press("Tab")
    expect(search).not_to_be_focused()
    page.wait_for_timeout(1200)  # SQLAdmin's own script reloaded after 1 s
    assert page.url == listed
    assert page.evaluate("window.__sameDocument === true")  # never reloaded
    expect(search).to_have_value(term)
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"search={term}"))
    pattern = f"%{term}%"
    where.append(or_(Task.title.ilike(pattern), Task.description.ilike(pattern)))
    found = count(site, *where)
    expect(page.locator("#row-count")).to_have_text(matching(found))
    with site.session() as db:
        expected = db.scalars(
            select(Task.id).where(*where).order_by(Task.title, Task.id)
        ).all()
    assert shown_keys(page) == list(expected)
    assert_fits(page)

    # A row's details, then the browser's back button: the same list.
    searched = page.url
    page.locator("tbody tr").first.get_by_role(
        "link", name=re.compile("^View Task")
    ).click()
    expect(page).to_have_url(re.compile(rf"/admin/task/details/{expected[0]}$"))
    assert_fits(page)
    page.go_back()
    expect(page).to_have_url(searched)
    expect(page.locator("#row-count")).to_have_text(matching(found))
    assert shown_keys(page) == list(expected)
    expect(
        page.get_by_role("textbox", name=re.compile("^Search: Title"))
    ).to_have_value(term)


def rows_title_word(page: Page) -> str:
    """A word of the first row's title, to search for."""
    title = page.locator("tbody tr").first.locator("td").nth(3).inner_text()
    return title.split()[0].lower()


def test_2_bulk_reassign_then_undo(
    day, signed_in: dict, site: Site, width: str
) -> None:
    page = day(signed_in)
    status = STATUS[width]
    listing = f"/admin/task/list?status={status.value}&sortBy=id&sort=asc"
    page.goto(listing)
    with site.session() as db:
        shown = db.scalars(
            select(Task).where(Task.status == status).order_by(Task.id).limit(25)
        ).all()
        workers = db.scalars(select(Worker).order_by(Worker.name)).all()
        target = workers[0]
        chosen = [t for t in shown if t.assignee_id != target.id][:2]
        before = {t.id: t.assignee_id for t in chosen}
        names = {w.id: w.name for w in workers}
    for task in chosen:
        row = page.locator("tbody tr").filter(
            has=page.locator(f'input[type=hidden][value="{task.id}"]')
        )
        row.get_by_role("checkbox", name=ROW_BOX).check()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Edit selected").click()
    expect(page.get_by_role("heading", name="Edit 2 Tasks")).to_be_visible()
    assert_fits(page)

    change = page.get_by_label("Change Assignee")
    expect(change).not_to_be_checked()
    # Sorted by name, as the filter panel sorts them, not by key.
    choices = page.get_by_label("Assignee", exact=True).locator("option")
    expect(choices).to_have_text(["", *sorted(names.values())])
    page.get_by_label("Assignee", exact=True).select_option(label=target.name)
    expect(change).to_be_checked()  # by itself: no error, no second round trip
    page.get_by_role("button", name="Apply to 2 rows").click()
    expect(page.get_by_role("status")).to_have_text("2 Tasks updated.")
    # Back on the list the rows were chosen on, the changed rows in it.
    expect(page).to_have_url(re.compile(re.escape(listing) + "$"))
    assert set(before) <= set(shown_keys(page))
    with site.session() as db:
        assert {i: db.get(Task, i).assignee_id for i in before} == dict.fromkeys(
            before, target.id
        )
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "bulk_edit"

    # The audit log in words: the action, the table, the field by its label.
    page.goto("/admin/audit-entry/list")
    line = page.locator("tbody tr").first
    expect(line).to_contain_text("Bulk edit of 2 Tasks: assignee")
    expect(line).not_to_contain_text("assignee id")
    expect(line).not_to_contain_text("bulk_edit")
    line.locator(f"a[href$='/audit-entry/details/{entry.id}']").first.click()
    expect(page.get_by_role("heading", level=3).first).not_to_contain_text("bulk_edit")
    changes = page.locator("table.audit-changes tbody tr")
    expect(changes).to_have_count(2)
    shown_changes = sorted(
        tuple(c.inner_text() for c in row.locator("td").all()[1:])
        for row in changes.all()
    )
    assert shown_changes == sorted(
        ("Assignee", names.get(old, "empty") if old else "empty", target.name)
        for old in before.values()
    )
    expect(page.locator("main, .page-body").first).not_to_contain_text("assignee_id")
    assert_fits(page)

    # The revert asks first, listing what it will put back; asking changes nothing.
    page.get_by_role("button", name="Revert this bulk edit").click()
    expect(page.get_by_role("heading", name="Revert this bulk edit?")).to_be_visible()
    lines = page.locator("#revert-changes tbody tr")
    expect(lines).to_have_count(2)
    for row in lines.all():
        cells = row.locator("td")
        expect(cells.nth(1)).to_have_text("Assignee")
        expect(cells.nth(2)).to_have_text(target.name)
    assert_fits(page)
    with site.session() as db:
        assert {i: db.get(Task, i).assignee_id for i in before} == dict.fromkeys(
            before, target.id
        )
    page.get_by_role("button", name="Revert", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("2 Tasks put back as they were.")
    with site.session() as db:
        assert {i: db.get(Task, i).assignee_id for i in before} == before


def test_3_export_a_month(day, signed_in: dict, site: Site, width: str) -> None:
    page = day(signed_in)
    page.goto("/admin/task/list")
    in_month = drill_to_a_month(page, *busiest_month(site))
    expect(page.locator("#row-count")).to_have_text(matching(count(site, *in_month)))
    assert_fits(page)

    table = exported_rows(page)
    with site.session() as db:
        tasks = db.scalars(select(Task).where(*in_month)).all()
        expected = {
            str(t.id): (
                t.due_date.isoformat(),
                t.project.name if t.project else "",
                t.assignee.name if t.assignee else "",
                t.parent.title if t.parent else "",
            )
            for t in tasks
        }
    assert len(table) == len(expected) > 0
    assert {
        row["id"]: (row["due_date"], row["project"], row["assignee"], row["parent"])
        for row in table
    } == expected


def test_4_edit_links_then_read_them(
    day, signed_in: dict, site: Site, width: str
) -> None:
    page = day(signed_in)
    with site.session() as db:
        workers = {w.id: w.name for w in db.scalars(select(Worker))}
        tagged = select(Task.id).where(Task.tags.any())
        busy = (
            select(TaskAssignment.task_id)
            .where(TaskAssignment.task_id.in_(tagged))
            .group_by(TaskAssignment.task_id)
            .having(func.count() < len(workers))
            .order_by(TaskAssignment.task_id)
        )
        task_id = db.scalars(busy).all()[0 if width == "desktop" else 1]
        task = db.get(Task, task_id)
        title = task.title
        before = {a.worker_id: a.role for a in task.assignments}
        tags = sorted(t.name for t in task.tags)
    kept = min(before)
    new = min(w for w in workers if w not in before)
    new_role = next(r for r in AssignmentRole if r != before[kept])

    page.goto(f"/admin/task/edit/{task_id}")
    assert_fits(page)
    editor = page.locator("table.inline-links")
    editor.get_by_label(f"Role of {workers[kept]}").select_option(new_role.value)
    # A role reads as the lists read it ("Owner"), not as stored ("owner").
    chosen = editor.get_by_label(f"Role of {workers[kept]}").locator("option:checked")
    expect(chosen).to_have_text(enum_label(new_role))
    editor.get_by_label("Add worker").first.select_option(label=workers[new])
    editor.get_by_label("Role of the new worker").first.select_option("reviewer")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"“{title}” saved")
    expected = {**before, kept: new_role, new: AssignmentRole.reviewer}
    with site.session() as db:
        held = db.scalars(
            select(TaskAssignment).where(TaskAssignment.task_id == task_id)
        )
        assert {a.worker_id: a.role for a in held} == expected

    page.goto(f"/admin/task/details/{task_id}")
    expect(page.get_by_role("heading", name=f"Task: {title}")).to_be_visible()
    assert_fits(page)
    table = page.get_by_role("region", name="Assignments").get_by_role("table")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = sorted(
        (row.locator("td").nth(0).inner_text(), row.locator("td").nth(1).inner_text())
        for row in rows.all()
    )
    assert shown == sorted((workers[w], enum_label(r)) for w, r in expected.items())
    expect(table.locator("tbody td:first-child a")).to_have_count(len(expected))
    tags_cell = (
        page.locator("tr", has=page.locator("td", has_text="Tags")).locator("td").nth(1)
    )
    expect(tags_cell.get_by_role("link")).to_have_text(tags)
    assert "(" not in tags_cell.inner_text()


def test_5_create_under_a_parent(day, signed_in: dict, site: Site, width: str) -> None:
    page = day(signed_in)
    with site.session() as db:
        namesakes = (
            select(Task.title)
            .group_by(Task.title)
            .having(func.count() >= 2)
            .order_by(Task.title)
        )
        shared = db.scalars(namesakes).all()[0 if width == "desktop" else 1]
        twins = db.scalars(
            select(Task.id).where(Task.title == shared).order_by(Task.id)
        ).all()
    parent_id = twins[-1]
    title = f"Release notes from the {width}"

    page.goto("/admin/task/create")
    assert_fits(page)
    page.get_by_label("Title").fill(title)
    # Namesakes in the parent picker are told apart by their key.
    field = page.locator(".form-group", has=page.get_by_text("Parent", exact=True))
    field.locator(".select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill(shared)
    options = page.locator(".select2-results__option")
    expect(options).to_have_text([f"{shared} (#{key})" for key in twins])
    options.filter(has_text=f"(#{parent_id})").click()
    expect(field.locator(".select2-selection__rendered")).to_contain_text(
        f"#{parent_id}"
    )
    choose_chips(page, "Tags", ["docs", "feature"])  # chips: no Ctrl-click
    created = page.locator(".form-group", has=page.get_by_label("Created at"))
    expect(created).to_contain_text("In UTC")  # the zone of the typed time, named
    typed = page.get_by_label("Created at").input_value()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", typed), typed
    page.get_by_role("button", name="Save and continue editing").click()

    expect(page.get_by_role("status")).to_contain_text(f"“{title}”")
    with site.session() as db:
        task = db.scalars(select(Task).where(Task.title == title)).one()
        assert task.parent_id == parent_id
        assert sorted(t.name for t in task.tags) == ["docs", "feature"]
        task_id, created_at = task.id, task.created_at
    expect(page).to_have_url(re.compile(rf"/admin/task/edit/{task_id}(\?|$)"))
    expect(page.get_by_label("Title")).to_have_value(title)
    # The chosen parent is in the page itself; select2 shows it as chosen.
    parent = page.locator("select[name=parent]")
    expect(parent.locator("option[selected]")).to_have_attribute(
        "value", str(parent_id)
    )
    expect(field.locator(".select2-selection__rendered")).to_contain_text(shared)
    expect(page.get_by_label("Created at")).to_have_value(
        created_at.strftime("%Y-%m-%d %H:%M:%S")
    )
    expect(
        page.locator(".form-group", has=page.get_by_label("Created at"))
    ).to_contain_text("In UTC")
    assert_fits(page)
    page.goto(f"/admin/task/details/{task_id}")
    created_cell = (
        page.locator("tr", has=page.locator("td", has_text="Created at"))
        .locator("td")
        .nth(1)
    )
    expect(created_cell).to_have_text(created_at.strftime("%Y-%m-%d %H:%M:%S UTC"))
    parent_cell = (
        page.locator("tr", has=page.locator("td", has_text="Parent"))
        .locator("td")
        .nth(1)
    )
    expect(parent_cell.get_by_role("link")).to_have_text(shared)


def test_6_a_view_only_colleague(day, site: Site, width: str) -> None:
    page = day()
    log_in(page)  # a session of its own: logging out ends the shared one
    group, username = f"Readers on the {width}", f"reader-{width}"

    # A group: Export ticked alone on Tasks; saving ticks View, which Export needs.
    page.goto("/admin/staff-group/create")
    assert_fits(page)
    page.get_by_label("Name").fill(group)
    page.locator('input[name=permissions][value="task:export"]').check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("status")).to_contain_text(group)
    expect(page.locator('input[name=permissions][value="task:view"]')).to_be_checked()
    # Then down to View alone.
    page.locator('input[name=permissions][value="task:export"]').uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(group)
    with site.session() as db:
        saved = db.scalars(select(StaffGroup).where(StaffGroup.name == group)).one()
        grants = db.scalars(
            select(GroupGrant).where(GroupGrant.group_id == saved.id)
        ).all()
        assert {(g.identity, g.action) for g in grants} == {("task", "view")}

    # A staff user: the password typed twice, then put in the group.
    page.goto("/admin/staff-user/create")
    assert_fits(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD + " typo")
    choose_chips(page, "Groups", [group])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".invalid-feedback, [role=alert]").first).to_be_visible()
    with site.session() as db:
        assert (
            db.scalars(select(StaffUser).where(StaffUser.username == username)).first()
            is None
        )
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    groups = page.locator(".form-group", has=page.get_by_text("Groups", exact=True))
    if not groups.locator(".select2-selection__choice").count():
        choose_chips(page, "Groups", [group])
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(username)
    with site.session() as db:
        user = db.scalars(select(StaffUser).where(StaffUser.username == username)).one()
        assert [g.name for g in user.groups] == [group]

    # Log out; in as the colleague.
    page.get_by_role("link", name="Logout").click()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    log_in(page, username)
    expect(page.get_by_text("Administration")).to_have_count(0)  # no empty menu
    assert_fits(page)
    page.goto("/admin/task/list")
    expect(page.locator("#row-count")).to_have_text(f"{count(site)} Tasks")
    assert_fits(page)
    table = page.locator("table").first
    expect(table.locator("a[href*='/task/edit/']")).to_have_count(0)
    expect(table.locator("[data-bs-target='#modal-delete']")).to_have_count(0)
    for absent in ("Actions", "Save changes"):
        expect(page.get_by_role("button", name=absent)).to_have_count(0)
    expect(page.get_by_role("checkbox", name=ROW_BOX)).to_have_count(0)
    expect(page.get_by_role("checkbox", name="Select all")).to_have_count(0)
    for absent in ("New Task", "Export CSV", "Import"):
        expect(page.get_by_role("link", name=re.compile(absent))).to_have_count(0)
    expect(page.locator("#edit-all")).to_have_count(0)
    # Projects and workers they may not open: names, not links; a parent task is.
    expect(table.locator("a[href*='/project/'], a[href*='/worker/']")).to_have_count(0)
    with site.session() as db:
        project = db.scalars(select(Project).order_by(Project.name)).first().name
    expect(table.get_by_text(project, exact=True).first).to_be_visible()

    # Every link the colleague is shown opens a page, none a bare 403.
    with site.session() as db:
        child = db.scalars(
            select(Task).where(Task.parent_id.is_not(None), Task.tags.any())
        ).first()
        tag = (
            db.scalars(select(Tag).where(Tag.tasks.any(Task.id == child.id)))
            .first()
            .name
        )
    page.goto(f"/admin/task/details/{child.id}")
    assert_fits(page)
    tags_cell = (
        page.locator("tr", has=page.locator("td", has_text="Tags")).locator("td").nth(1)
    )
    expect(tags_cell).to_contain_text(tag)
    expect(tags_cell.get_by_role("link")).to_have_count(0)
    for absent in ("Edit", "Delete", "History"):
        expect(page.get_by_role("link", name=absent, exact=True)).to_have_count(0)
        expect(page.get_by_role("button", name=absent, exact=True)).to_have_count(0)
    assert_every_link_opens(
        page, ("/admin/", "/admin/task/list", f"/admin/task/details/{child.id}")
    )


# The zoo's task tracker (string statuses and roles, workers keyed by their
# handle, an assignment link with a role, labels, subtasks), untouched, on
# SQLite and PostgreSQL: the steps that apply to it.


@pytest.fixture
def tracker(empty_database_url: str) -> Iterator[tuple[str, ZooSite]]:
    """The tracker served and seeded (superuser `keeper`), with a colleague
    who may only view its tasks."""
    for zoo in serve(empty_database_url, TRACKER):
        add_staff(zoo.app, "looker", grants={"tracker-task": ["view"]})
        with live_server(zoo.app) as url:
            yield url, zoo


@pytest.mark.postgres
def test_the_day_on_the_zoo_tracker(browser: Browser, tracker, width: str) -> None:
    url, zoo = tracker
    context = browser.new_context(
        base_url=url, viewport=SIZES[width], accept_downloads=True
    )
    page = context.new_page()
    try:
        log_in(page, "keeper")
        tracker_filter_and_export(page, zoo)
        tracker_bulk_edit_and_undo(page, zoo, width)
        tracker_edit_links(page, zoo)
        tracker_create_under_a_parent(page, zoo)
        page.get_by_role("link", name="Logout").click()
        log_in(page, "looker")
        tracker_view_only(page, zoo)
    finally:
        context.close()


def tracker_count(zoo: ZooSite, *where) -> int:  # type: ignore[no-untyped-def]
    with zoo.session() as db:
        return db.scalar(select(func.count()).select_from(TrackerTask).where(*where))


def tracker_filter_and_export(page: Page, zoo: ZooSite) -> None:
    page.goto("/admin/tracker-task/list")
    assert_fits(page)
    # A related-row filter with its counts: tasks per worker.
    with zoo.session() as db:
        claude = db.get(TrackerWorker, "@claude-code")
    mine = TrackerTask.workers.any(TrackerWorker.id == claude.id)
    workers = filter_panel(page).locator("form[data-filter=workers]")
    expect(workers.get_by_role("option", name=re.compile("^Claude Code"))).to_have_text(
        f"Claude Code ({tracker_count(zoo, mine)})"
    )
    workers.get_by_label("Workers").select_option(value=claude.id)
    workers.get_by_role("button", name="Apply").click()
    expect(page.locator("#row-count")).to_have_text(
        re.compile(rf"^{tracker_count(zoo, mine)} Tracker tasks? matching$")
    )
    # Then a status, its count following the worker filter.
    with zoo.session() as db:
        status = db.scalars(select(TrackerTask.status).where(mine)).first()
    both = tracker_count(zoo, mine, TrackerTask.status == status)
    choice = (
        filter_panel(page)
        .locator("[data-filter=status]")
        .get_by_role("link", name=status.capitalize())
    )
    expect(choice).to_have_text(f"{status.capitalize()} ({both})")
    choice.click()
    expect(page.locator("#row-count")).to_have_text(
        re.compile(rf"^{both} Tracker tasks? matching$")
    )
    assert_fits(page)

    # A month of due dates, exported.
    page.goto("/admin/tracker-task/list")
    with zoo.session() as db:
        due = db.scalars(
            select(TrackerTask.due_on).where(TrackerTask.due_on.is_not(None))
        ).first()
    drill = page.locator("#date-drill")
    drill.get_by_role("link", name=str(due.year), exact=True).click()
    drill.get_by_role(
        "link", name=f"{calendar.month_name[due.month]} {due.year}"
    ).click()
    month_start = f"due_on__gte={due.year}-{due.month:02}-01&"
    expect(page).to_have_url(re.compile(month_start))
    first, last = date_range(page.url.replace("due_on__", "due_date__"))
    in_month = [TrackerTask.due_on >= first, TrackerTask.due_on <= last]
    expect(page.locator("#row-count")).to_have_text(
        re.compile(rf"^{tracker_count(zoo, *in_month)} Tracker tasks? matching$")
    )
    table = exported_rows(page)
    with zoo.session() as db:
        tasks = db.scalars(select(TrackerTask).where(*in_month)).all()
        expected = {
            str(t.id): (
                t.title,
                t.due_on.isoformat(),
                t.parent.title if t.parent else "",
            )
            for t in tasks
        }
    assert {r["id"]: (r["title"], r["due_on"], r["parent"]) for r in table} == expected


def tracker_bulk_edit_and_undo(page: Page, zoo: ZooSite, width: str) -> None:
    """Tasks moved under another parent in bulk, then put back."""
    with zoo.session() as db:
        tasks = db.scalars(select(TrackerTask).order_by(TrackerTask.id)).all()
        target = next(t for t in tasks if t.title == "Set up CI")
        chosen = [t for t in tasks if t.parent_id != target.id and t.id != target.id]
        chosen = chosen[:2] if width == "desktop" else chosen[-2:]
        before = {t.id: t.parent_id for t in chosen}
        titles = {t.id: t.title for t in tasks}
    page.goto("/admin/tracker-task/list?sortBy=id&sort=asc")
    for task_id in before:
        page.locator("tbody tr").filter(
            has=page.locator(f'input[type=hidden][value="{task_id}"]')
        ).get_by_role("checkbox", name=ROW_BOX).check()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Edit selected").click()
    expect(page.get_by_role("heading", name="Edit 2 Tracker tasks")).to_be_visible()
    assert_fits(page)
    change = page.get_by_label("Change Parent")
    expect(change).not_to_be_checked()
    page.get_by_label("Parent", exact=True).select_option(label=target.title)
    expect(change).to_be_checked()
    page.get_by_role("button", name="Apply to 2 rows").click()
    expect(page.get_by_role("status")).to_have_text("2 Tracker tasks updated.")
    assert set(before) <= set(shown_keys(page))
    with zoo.session() as db:
        assert {i: db.get(TrackerTask, i).parent_id for i in before} == dict.fromkeys(
            before, target.id
        )
        entry = db.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()

    page.goto(f"/admin/audit-entry/details/{entry.id}")
    expect(page.locator("main, .page-body").first).to_contain_text(
        "Bulk edit of 2 Tracker tasks: parent"
    )
    changes = page.locator("table.audit-changes tbody tr")
    shown = sorted(
        tuple(c.inner_text() for c in row.locator("td").all()) for row in changes.all()
    )
    assert shown == sorted(
        (titles[i], "Parent", titles[old] if old else "empty", target.title)
        for i, old in before.items()
    )
    page.get_by_role("button", name="Revert this bulk edit").click()
    expect(page.locator("#revert-changes tbody tr")).to_have_count(2)
    assert_fits(page)
    page.get_by_role("button", name="Revert", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("put back as they were")
    with zoo.session() as db:
        assert {i: db.get(TrackerTask, i).parent_id for i in before} == before


def tracker_edit_links(page: Page, zoo: ZooSite) -> None:
    """A role changed and a worker added on the task's form, read back on its
    details page."""
    with zoo.session() as db:
        task = db.scalars(
            select(TrackerTask).where(TrackerTask.assignments.any())
        ).first()
        before = {a.worker_id: a.role for a in task.assignments}
        workers = {w.id: w.name for w in db.scalars(select(TrackerWorker))}
        labels = sorted(label.name for label in task.labels)
    kept = min(before)
    new = min(w for w in workers if w not in before)
    role = next(r for r in ("owner", "reviewer", "helper") if r != before[kept])
    page.goto(f"/admin/tracker-task/edit/{task.id}")
    assert_fits(page)
    editor = page.locator("table.inline-links")
    editor.get_by_label(f"Role of {workers[kept]}").select_option(role)
    chosen = editor.get_by_label(f"Role of {workers[kept]}").locator("option:checked")
    expect(chosen).to_have_text(role.capitalize())
    editor.get_by_label("Add worker").first.select_option(label=workers[new])
    editor.get_by_label("Role of the new worker").first.select_option("helper")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"“{task.title}” saved")
    expected = {**before, kept: role, new: "helper"}
    with zoo.session() as db:
        held = db.scalars(
            select(TrackerAssignment).where(TrackerAssignment.task_id == task.id)
        )
        assert {a.worker_id: a.role for a in held} == expected

    page.goto(f"/admin/tracker-task/details/{task.id}")
    assert_fits(page)
    rows = page.get_by_role("region", name="Assignments").locator("tbody tr")
    expect(rows).to_have_count(len(expected))
    shown = sorted(
        (r.locator("td").nth(0).inner_text(), r.locator("td").nth(1).inner_text())
        for r in rows.all()
    )
    assert shown == sorted((workers[w], r.capitalize()) for w, r in expected.items())
    labels_cell = (
        page.locator("tr", has=page.locator("td", has_text="Labels"))
        .locator("td")
        .nth(1)
    )
    expect(labels_cell.get_by_role("link")).to_have_text(labels)


def tracker_create_under_a_parent(page: Page, zoo: ZooSite) -> None:
    with zoo.session() as db:
        parent = db.scalars(
            select(TrackerTask).where(TrackerTask.title == "Launch the tracker")
        ).one()
    page.goto("/admin/tracker-task/create")
    assert_fits(page)
    page.get_by_label("Title").fill("Announce the launch")
    page.get_by_label("Parent", exact=True).select_option(label=parent.title)
    choose_chips(page, "Labels", ["bug", "spare"])
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_role("status")).to_contain_text("“Announce the launch”")
    with zoo.session() as db:
        task = db.scalars(
            select(TrackerTask).where(TrackerTask.title == "Announce the launch")
        ).one()
        assert task.parent_id == parent.id
        assert sorted(label.name for label in task.labels) == ["bug", "spare"]
    expect(page).to_have_url(re.compile(rf"/admin/tracker-task/edit/{task.id}(\?|$)"))
    expect(page.get_by_label("Title")).to_have_value("Announce the launch")


def tracker_view_only(page: Page, zoo: ZooSite) -> None:
    """The colleague who may only view tasks: no edit or bulk controls,
    workers and labels as names, no menu left empty, no link to a 403."""
    expect(page.get_by_text("Administration")).to_have_count(0)
    page.goto("/admin/tracker-task/list")
    assert_fits(page)
    table = page.locator("table").first
    expect(table.locator("a[href*='/edit/']")).to_have_count(0)
    expect(page.get_by_role("button", name="Actions")).to_have_count(0)
    expect(page.get_by_role("checkbox", name=ROW_BOX)).to_have_count(0)
    with zoo.session() as db:
        task = db.scalars(
            select(TrackerTask).where(
                TrackerTask.assignments.any(), TrackerTask.labels.any()
            )
        ).first()
    page.goto(f"/admin/tracker-task/details/{task.id}")
    assert_fits(page)
    # Assignments name workers, a table they may not open: left out, as
    # for the demo's (tests/test_details_pages.py).
    expect(page.get_by_role("region", name="Assignments")).to_have_count(0)
    labels_cell = (
        page.locator("tr", has=page.locator("td", has_text="Labels"))
        .locator("td")
        .nth(1)
    )
    expect(labels_cell.get_by_role("link")).to_have_count(0)
    assert_every_link_opens(page, ("/admin/", "/admin/tracker-task/list", page.url))


def assert_every_link_opens(page: Page, addresses: tuple[str, ...]) -> None:
    """No same-site link on these pages ends on a bare 403 (or any error)."""
    links = set()
    for address in addresses:
        page.goto(address)
        links |= set(
            page.locator("a[href]").evaluate_all(
                "els => els.map(a => a.href).filter(h => h.startsWith(location.origin))"
            )
        )
    opened = {
        link: page.request.get(link).status
        for link in sorted(links)
        if "#" not in link and not link.endswith("/logout")
    }
    assert opened and all(status == 200 for status in opened.values()), opened
