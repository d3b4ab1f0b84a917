"""A staff user's import in the browser: export the list, change a cell in the
file, upload it, read the preview, confirm, and see the change and its
message; then the same file again previews as nothing to import."""

import csv
import io
import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from models.project import Project
from models.task import Task
from tests.e2e.conftest import Site, screenshot


def _exported_tasks(page: Page) -> list[dict[str, str]]:
    """The task list's rows as its Export CSV button downloads them."""
    page.goto("/admin/task/list?sortBy=id")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    with open(download_info.value.path(), encoding="utf-8") as file:
        return list(csv.DictReader(io.StringIO(file.read())))


def _written(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_export_change_a_cell_import_and_confirm(
    admin_page: Page, site: Site, tmp_path
) -> None:
    page = admin_page
    rows = _exported_tasks(page)
    first = rows[0]
    old = first["progress"]
    first["progress"] = "42" if old != "42" else "43"
    edited = tmp_path / "tasks.csv"
    edited.write_text(_written(rows), encoding="utf-8")

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    counts = page.locator("#import-counts")
    expect(counts).to_contain_text("0 new, 1 changed")
    change = page.locator("#import-changes tbody tr")
    expect(change.locator("td")).to_have_text(
        ["2", first["title"], "Progress", old, first["progress"]]
    )
    details = re.compile(f"/task/details/{first['id']}$")
    row_link = change.get_by_role("link", name=first["title"])
    expect(row_link).to_have_attribute("href", details)
    screenshot(page, "import-preview")
    with site.session() as db:
        assert str(db.get(Task, int(first["id"])).progress) == old  # not yet

    page.get_by_role("button", name="Import: 1 Task changed, 0 added").click()
    expect(page.locator(".alert-success, .alert").first).to_contain_text(
        "1 Task changed, 0 added."
    )
    with site.session() as db:
        task = db.exec(select(Task).where(Task.id == int(first["id"]))).one()
        assert str(task.progress) == first["progress"]

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-nothing")).to_be_visible()


def test_a_row_typed_with_its_projects_name_previews_and_is_added(
    admin_page: Page, site: Site, tmp_path
) -> None:
    """A new row typed in the spreadsheet names its project as a person
    does, by the name in the export's `project` column (its `project_id`
    left empty): the preview shows the row's values, that project among
    them, and the row is added to it."""
    page = admin_page
    with site.session() as db:
        project = db.exec(select(Project).order_by(Project.id)).first()
    typed = tmp_path / "typed.csv"
    typed.write_text(
        f"id,title,project_id,project\n,Typed in the spreadsheet,,{project.name}\n",
        encoding="utf-8",
    )
    page.goto("/admin/task/import")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(typed))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-counts")).to_contain_text("1 new, 0 changed")
    added = page.locator("#import-added tbody tr")
    expect(added.nth(0).locator("td")).to_have_text(
        ["2", "Title", "Typed in the spreadsheet"]
    )
    expect(added.nth(1).locator("td")).to_have_text(
        ["", "Project", f"{project.name} ({project.id})"]
    )
    page.get_by_role("button", name="Import: 0 Tasks changed, 1 added").click()
    expect(page.locator(".alert").first).to_contain_text("1 added.")
    with site.session() as db:
        task = db.exec(select(Task).where(Task.title == "Typed in the spreadsheet"))
        assert task.one().project_id == project.id


def preview_retitled(page: Page, tmp_path, task_id: int) -> None:  # type: ignore[no-untyped-def]
    """Upload a file that gives the task a new title, and preview it."""
    edited = tmp_path / "retitle.csv"
    edited.write_text(f"id,title\n{task_id},Imported title\n", encoding="utf-8")
    page.goto("/admin/task/import")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()


def test_the_import_is_in_the_audit_log_and_reverts(
    admin_page: Page, site: Site, tmp_path
) -> None:
    page = admin_page
    with site.session() as db:
        task = db.exec(select(Task).order_by(Task.id.desc())).first()
        old_title = task.title
    preview_retitled(page, tmp_path, task.id)
    page.get_by_role("button", name="Import: 1 Task changed, 0 added").click()
    expect(page.locator(".alert").first).to_contain_text("1 Task changed")

    with site.session() as db:
        assert db.get(Task, task.id).title == "Imported title"
    page.goto("/admin/audit-entry/list")
    entry = page.locator("tbody tr", has_text="import").first
    entry.locator("a[href*='/audit-entry/details/']").first.click()
    revert = page.get_by_role("button", name="Revert this import")
    expect(revert).to_be_visible()
    revert.click()
    # The revert first shows what it changes, and asks.
    expect(page.locator("#revert-changes")).to_contain_text("Imported title")
    page.get_by_role("button", name="Revert", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("put back as they were")
    with site.session() as db:
        assert db.get(Task, task.id).title == old_title
    expect(page.get_by_role("button", name="Revert this import")).to_have_count(0)


def test_a_large_file_is_checked_with_its_progress_shown(
    admin_page: Page, site: Site, tmp_path
) -> None:
    """The form asks for the progress lines and shows the preview the last
    line holds; its confirmation carries the form's CSRF token, asks for its
    own progress lines, and ends on the list with its message."""
    page = admin_page
    rows = 1_200  # three batches of new tasks
    edited = tmp_path / "many.csv"
    lines = ["title,progress"] + [f"Imported task {n},{n % 101}" for n in range(rows)]
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    page.goto("/admin/task/import")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))

    def checking(request) -> bool:
        return request.method == "POST" and "/task/import" in request.url

    with page.expect_request(checking) as asked:
        page.get_by_role("button", name="Preview").click()
    # the lines themselves: tests/test_import_batches.py (the page that read
    # them is replaced by the preview, so the browser keeps no body to read)
    assert asked.value.headers["accept"] == "application/x-ndjson"
    expect(page.locator("#import-counts")).to_contain_text(f"{rows:,} new, 0 changed")

    def confirming(request) -> bool:
        return request.method == "POST" and "/task/import/confirm" in request.url

    with page.expect_request(confirming) as confirmed:
        page.get_by_role(
            "button", name=f"Import: 0 Tasks changed, {rows:,} added"
        ).click()
    assert confirmed.value.headers["accept"] == "application/x-ndjson"
    expect(page.locator(".alert").first).to_contain_text(f"{rows:,} added.")
    expect(page).to_have_url(re.compile(r"/admin/task/list$"))
    with site.session() as db:
        found = db.exec(select(Task).where(Task.title == "Imported task 1199")).one()
        assert found.progress == 1199 % 101


def test_a_confirmation_refused_in_the_browser_shows_why_on_the_import_page(
    admin_page: Page, site: Site, tmp_path
) -> None:
    page = admin_page
    with site.session() as db:
        task = db.exec(select(Task).order_by(Task.id)).first()
        task_id = task.id
    preview_retitled(page, tmp_path, task_id)
    expect(page.locator("#import-counts")).to_contain_text("0 new, 1 changed")
    with site.session() as db:  # someone else changes the row meanwhile
        task = db.get(Task, task_id)
        task.title = "Changed by someone else"
        db.add(task)
        db.commit()
    page.get_by_role("button", name="Import: 1 Task changed, 0 added").click()
    expect(page.locator("#import-refused")).to_contain_text(
        "Nothing was imported: Row 2 of the file changed in the database"
    )
    expect(page).to_have_url(re.compile(r"/admin/task/import$"))
    expect(page.get_by_label("File (CSV or XLSX")).to_be_visible()
    with site.session() as db:
        assert db.get(Task, task_id).title == "Changed by someone else"


def test_a_file_in_windows_1252_is_refused_as_utf8_and_read_as_chosen(
    admin_page: Page, site: Site, tmp_path
) -> None:
    """A spreadsheet's plain "CSV" on Windows (`;`, Windows-1252): refused as
    UTF-8, the page says to choose its encoding; chosen, the preview says how
    it read the file, and the text is saved as typed."""
    page = admin_page
    rows = _exported_tasks(page)
    first = rows[0]
    first["title"] = "Grüße für 5 €"
    edited = tmp_path / "tasks.csv"
    edited.write_bytes(_written(rows, ";").encode("cp1252", "replace"))

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-refused")).to_contain_text(
        "The file is not UTF-8 text"
    )
    encoding = page.get_by_label("Encoding of a CSV file")
    encoding.select_option(label="Windows-1252 (Western Europe and the Americas)")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-counts")).to_contain_text("0 new, 1 changed")
    expect(page.locator("#import-read-as")).to_contain_text(
        "The file was read as Windows-1252 text"
    )
    expect(page.locator("#import-changes tbody tr td").nth(4)).to_have_text(
        "Grüße für 5 €"
    )
    page.get_by_role("button", name="Import: 1 Task changed, 0 added").click()
    expect(page.locator(".alert-success, .alert").first).to_contain_text(
        "1 Task changed, 0 added."
    )
    with site.session() as db:
        assert db.get(Task, int(first["id"])).title == "Grüße für 5 €"


def test_a_date_written_month_first_is_refused_then_read_as_chosen(
    admin_page: Page, site: Site, tmp_path
) -> None:
    """A due date typed as a spreadsheet in the United States shows it
    (`12/24/2026`): the preview refuses the row naming the choice; chosen
    below the preview ("Month first"), the file uploaded again is read so,
    and the date is saved."""
    page = admin_page
    rows = _exported_tasks(page)
    first = rows[0]
    first["due_date"] = "12/24/2026"
    edited = tmp_path / "tasks.csv"
    edited.write_text(_written(rows), encoding="utf-8")

    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-errors tbody tr td")).to_have_text(
        [
            "2",
            "due_date",
            "'12/24/2026' has its year last, and its day or its month first: say "
            "which under “Dates with the year last” on the upload form "
            "(dates=day or dates=month).",
        ]
    )
    page.get_by_label("Dates with the year last").select_option("month")
    page.get_by_label("File (CSV or XLSX").set_input_files(str(edited))
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-read-as")).to_have_text(
        "Its dates with the year last were read with the month first "
        "(03/04/2026 is March 4, 2026)."
    )
    expect(page.locator("#import-changes tbody tr td").nth(4)).to_have_text(
        "2026-12-24"
    )
    expect(page.get_by_label("Dates with the year last")).to_have_value("month")
    page.get_by_role("button", name="Import: 1 Task changed, 0 added").click()
    expect(page.locator(".alert-success, .alert").first).to_contain_text(
        "1 Task changed, 0 added."
    )
    with site.session() as db:
        assert str(db.get(Task, int(first["id"])).due_date) == "2026-12-24"
