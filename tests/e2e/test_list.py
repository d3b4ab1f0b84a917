"""Stories on the task list: filter with the panel, sort, page, export."""

import calendar
import csv
import io
import re
from datetime import date

import openpyxl
from playwright.sync_api import Page, expect
from sqlalchemy import func
from sqlmodel import select

from admin_app.writing.audit import AuditEntry
from models.project import Project
from models.task import Task, TaskStatus
from tests.conftest import add_staff
from tests.e2e.conftest import Site, count, log_in, rows, screenshot


def test_filter_with_the_panel_and_see_the_chips(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/")
    page.get_by_role("link", name="Tasks").first.click()
    expect(page.locator("#row-count")).to_have_text("300 Tasks")

    panel = page.locator("#filter-sidebar")
    panel.locator("[data-filter=status]").get_by_role("link", name="Blocked").click()
    blocked = count(site, Task.status == TaskStatus.blocked)
    expect(page.locator("#row-count")).to_have_text(f"{blocked} Tasks matching")
    expect(page.locator(".filter-chip")).to_have_text(["Status: Blocked \u00d7"])

    with site.session() as db:
        project = db.scalars(select(Project).order_by(Project.name)).first()
    projects = panel.locator("form[data-filter=project_id]")
    both = count(site, Task.status == TaskStatus.blocked, Task.project_id == project.id)
    # Each project says how many blocked tasks it has.
    expect(projects.locator(f'option[value="{project.id}"]')).to_have_text(
        f"{project.name} ({both})"
    )
    projects.get_by_label("Project").select_option(value=str(project.id))
    projects.get_by_role("button", name="Apply").click()
    expect(page.locator("#row-count")).to_have_text(f"{both} Tasks matching")
    expect(page.locator(".filter-chip")).to_have_text(
        ["Status: Blocked \u00d7", f"Project: {project.name} \u00d7"]
    )
    assert {(r["Status"], r["Project"]) for r in rows(page)} == {
        ("Blocked", project.name)
    }
    screenshot(page, "filtered-list")

    page.get_by_role("link", name="Remove filter Status: Blocked").click()
    in_project = count(site, Task.project_id == project.id)
    expect(page.locator("#row-count")).to_have_text(f"{in_project} Tasks matching")
    page.get_by_role("link", name="Clear all filters").click()
    expect(page.locator("#row-count")).to_have_text("300 Tasks")
    expect(page.locator(".filter-chip")).to_have_count(0)


def test_sort_and_page(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/task/list")
    header = page.locator("thead")
    header.get_by_role("link", name="Progress", exact=True).click()
    expect(page).to_have_url(re.compile(r"sortBy=progress&sort=asc"))
    with site.session() as db:
        lowest = db.scalar(select(func.min(Task.progress)))
        highest = db.scalar(select(func.max(Task.progress)))
    assert rows(page)[0]["Progress"] == str(lowest)
    header.get_by_role("link", name="Progress").click()
    expect(page).to_have_url(re.compile(r"sort=desc"))
    assert rows(page)[0]["Progress"] == str(highest)

    header.get_by_role("link", name="ID", exact=True).click()
    header.get_by_role("link", name="ID").click()  # again: descending
    expect(page).to_have_url(re.compile(r"sortBy=id&sort=desc"))
    page.locator(".pagination").get_by_role("link", name="2", exact=True).click()
    expect(page.get_by_text("Showing 26 to 50 of 300 items")).to_be_visible()
    with site.session() as db:
        expected = db.scalars(
            select(Task.id).order_by(Task.id.desc()).offset(25).limit(25)
        ).all()
    assert [int(r["ID"]) for r in rows(page)] == expected
    expect(page.locator("#row-count")).to_have_text("300 Tasks")


def test_export_the_filtered_list(admin_page: Page, site: Site) -> None:
    page = admin_page
    page.goto("/admin/task/list")
    page.locator("[data-filter=status]").get_by_role("link", name="Done").click()
    done = count(site, Task.status == TaskStatus.done)
    expect(page.locator("#row-count")).to_have_text(f"{done} Tasks matching")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    assert re.fullmatch(r"task-\d{8}-\d{6}\.csv", download.suggested_filename)
    expect(page.get_by_role("status")).to_contain_text(f"Exporting {done:,} Tasks")
    with open(download.path(), encoding="utf-8") as file:
        table = list(csv.DictReader(io.StringIO(file.read())))
    assert len(table) == done
    assert {row["status"] for row in table} == {"done"}
    with site.session() as db:
        ids = db.scalars(
            select(Task.id).where(Task.status == TaskStatus.done).order_by(Task.id)
        ).all()
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "export")
        ).one()
    assert sorted(int(row["id"]) for row in table) == list(ids)
    assert entry.summary == f"Exported {done:,} Tasks"
    assert entry.username == "admin"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export XLSX").click()
    download = download_info.value
    assert re.fullmatch(r"task-\d{8}-\d{6}\.xlsx", download.suggested_filename)
    expect(page.get_by_role("status")).to_contain_text(
        f"Exporting {done:,} Tasks to XLSX"
    )
    with open(download.path(), "rb") as file:
        sheet = openpyxl.load_workbook(file).active
    header = [cell.value for cell in sheet[1]]
    assert sorted(
        row[header.index("id")] for row in sheet.iter_rows(2, values_only=True)
    ) == list(ids)


def test_no_export_button_without_the_export_grant(page: Page, site: Site) -> None:
    add_staff(site.app, "viewer", grants={"task": ["view"]})
    log_in(page, "viewer")
    page.get_by_role("link", name="Tasks").first.click()
    expect(page.locator("#row-count")).to_have_text("300 Tasks")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    expect(page.get_by_role("link", name="Export XLSX")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("New Task"))).to_have_count(0)
    response = page.request.get("/admin/task/export/csv")
    assert response.status == 403
    with site.session() as db:
        assert (
            db.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "export", AuditEntry.username == "viewer")
            )
            == 0
        )


def test_search_waits_for_enter_and_slash_finds_the_box(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    page.goto("/admin/")
    page.get_by_role("link", name="Tasks").first.click()
    expect(page.locator("#row-count")).to_have_text("300 Tasks")
    listed = page.url
    page.locator("body").press("/")  # from anywhere but a field
    search = page.get_by_role("textbox", name=re.compile("^Search: Title"))
    expect(search).to_be_focused()
    search.press_sequentially("plan")
    for _ in range(3):
        page.keyboard.press("Tab")  # on to the filters, as a keyboard user goes
    page.wait_for_timeout(1500)  # SQLAdmin's own script reloaded after 1 s
    assert page.url == listed
    expect(search).not_to_be_focused()

    search.press("Enter")
    expect(page).to_have_url(re.compile(r"search=plan"))
    with site.session() as db:
        titles = db.scalars(select(Task.title)).all()
    matching = sum("plan" in title.lower() for title in titles)
    assert 0 < matching < 300
    expect(page.locator("#row-count")).to_have_text(f"{matching} Tasks matching")


def test_counts_in_the_panel_and_drill_down_by_date(
    admin_page: Page, site: Site
) -> None:
    page = admin_page
    page.goto("/admin/task/list")
    statuses = page.locator("#filter-sidebar [data-filter=status]")
    blocked = count(site, Task.status == TaskStatus.blocked)
    expect(statuses.get_by_role("link", name="Blocked")).to_have_text(
        f"Blocked ({blocked})"
    )
    with site.session() as db:
        dues = [d for d in db.scalars(select(Task.due_date)) if d is not None]
    year = max({d.year for d in dues}, key=[d.year for d in dues].count)
    in_year = [d for d in dues if d.year == year]
    month = max({d.month for d in in_year}, key=[d.month for d in in_year].count)
    in_month = [d for d in in_year if d.month == month]
    drill = page.locator("#date-drill")
    drill.get_by_role("link", name=str(year), exact=True).click()
    expect(page.locator("#row-count")).to_have_text(f"{len(in_year)} Tasks matching")
    month_name = calendar.month_name[month]
    drill.get_by_role("link", name=f"{month_name} {year}").click()
    expect(page.locator("#row-count")).to_have_text(f"{len(in_month)} Tasks matching")
    expect(drill.get_by_role("link", name=str(year), exact=False)).to_be_visible()
    # The panel's counts follow the narrowed list.
    in_month_blocked = count(
        site,
        Task.status == TaskStatus.blocked,
        Task.due_date >= date(year, month, 1),
        Task.due_date <= date(year, month, calendar.monthrange(year, month)[1]),
    )
    expect(statuses.get_by_role("link", name="Blocked")).to_have_text(
        f"Blocked ({in_month_blocked})"
    )
    screenshot(page, "date-drill-down")
    page.get_by_role("link", name="Hide counts").click()
    expect(statuses.get_by_role("link", name="Blocked")).to_have_text("Blocked")
    expect(page.locator("#row-count")).to_have_text(f"{len(in_month)} Tasks matching")
