"""Every screen size: a phone (390 px), a tablet (768), a laptop (1280) and a
wide screen (1920). No page scrolls sideways; a wide list scrolls in its own
frame with the row's checkbox, actions and first column kept in view; on a
phone the filter panel folds behind a "Filters (n)" button; forms and link
editors stay usable with a thumb. The demo first, then the zoo's models on
SQLite (their scan in both themes, `test_zoo_accessibility`, browses the same
pages on PostgreSQL)."""

import csv
import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func
from sqlmodel import select
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.model.labels import in_message
from models.task import (
    AssignmentRole,
    Task,
    TaskAssignment,
    TaskPriority,
    TaskStatus,
)
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.e2e.conftest import (
    VIEWPORT,
    Site,
    assert_fits,
    log_in,
    logged_in_state,
    screenshot,
)
from tests.live import live_server
from tests.zoo.conftest import ZOO
from tests.zoo.seeds import seed

WIDTHS = (390, 768, 1280, 1920)
HEIGHTS = {390: 844, 768: 1024, 1280: 800, 1920: 1080}
PHONE = {"width": WIDTHS[0], "height": HEIGHTS[WIDTHS[0]]}


def assert_first_column_stays(page: Page) -> None:
    """Scroll the list's frame to its far end: the checkbox, the action icons
    and the first data column are still where they were, uncovered, and the
    last column has come into view inside the frame (not under the panel)."""
    frame = page.locator(".table-responsive").filter(has=page.locator("#select-all"))
    row = frame.locator("tbody tr").first
    frame.evaluate("f => { f.scrollLeft = 0; }")
    # The frame's top at the window's: its header and first row in view.
    frame.evaluate("f => window.scrollBy(0, f.getBoundingClientRect().top)")
    first = [row.locator("td").nth(i) for i in range(3)]
    before = [cell.bounding_box() for cell in first]
    last = frame.locator("thead th").last
    frame.evaluate("f => { f.scrollLeft = f.scrollWidth; }")
    page.wait_for_function(
        "f => f.scrollLeft + f.clientWidth >= f.scrollWidth - 1",
        arg=frame.element_handle(),
    )
    view = frame.bounding_box()
    for cell, box in zip(first, before, strict=True):
        assert cell.bounding_box()["x"] == pytest.approx(box["x"], abs=1)
        assert covers(cell), (page.url, cell.inner_text())
    # The last column ends at the frame's edge, not under the sticky ones
    # or the filter panel.
    edge = last.bounding_box()
    assert edge["x"] + edge["width"] == pytest.approx(view["x"] + view["width"], abs=2)
    assert covers(last, near_right=True), page.url


def covers(element, near_right: bool = False) -> bool:  # type: ignore[no-untyped-def]
    """Whether the element is what the user sees (and taps) at its centre,
    or just inside its right edge."""
    return element.evaluate(
        """(c, nearRight) => { const b = c.getBoundingClientRect();
        const x = nearRight ? b.right - 8 : b.x + b.width / 2;
        const hit = document.elementFromPoint(x, b.y + b.height / 2);
        return hit !== null && (hit === c || c.contains(hit)); }""",
        near_right,
    )


def every_width(page: Page) -> Iterator[int]:
    """The page, opened at a phone's width, widened to each of `WIDTHS` in
    turn (a load a width would cost four page loads for each check). The
    phone's width is the one a page is opened at: a script that fixes a
    width it finds at the start (select2 does) is seen there, where it
    would stick out."""
    for width in WIDTHS:
        if page.viewport_size["width"] != width:
            page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
            # the page's own resize handlers run before the next frame
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => "
                "requestAnimationFrame(r)))"
            )
        yield width


def list_is_wide(page: Page) -> bool:
    frame = page.locator(".table-responsive").filter(has=page.locator("#select-all"))
    return frame.evaluate("f => f.scrollWidth > f.clientWidth")


# What a user may type: one 150-letter word, a paragraph of 1,500 characters.
LONG_TITLE = "T" * 150
LONG_TEXT = "A paragraph that goes on and on, " * 40 + "x" * 200


@pytest.fixture(scope="module")
def audited(site: Site) -> Site:
    """Two bulk edits, so the audit log has entries to show; the second gives
    task 2 a title of one long word and a long description."""
    with TestClient(site.app) as client:
        assert login(client, "admin").status_code == 302
        response = client.post(
            "/admin/task/bulk-edit?pks=1,2,3",
            data={"fields": "priority", "priority": "high"},
            follow_redirects=False,
        )
        assert response.status_code == 302
        response = client.post(
            "/admin/task/bulk-edit?pks=2",
            data={
                "fields": ["title", "description"],
                "title": LONG_TITLE,
                "description": LONG_TEXT,
            },
            follow_redirects=False,
        )
        assert response.status_code == 302
    return site


@pytest.fixture(scope="module")
def signed_in(browser: Browser, audited: Site) -> dict:
    """A logged-in browser's state, shared by the module's many page loads."""
    return logged_in_state(browser, audited.url)


def sized_page(browser: Browser, site: Site, state: dict | None, width: int) -> Page:
    context = browser.new_context(
        base_url=site.url,
        storage_state=state,
        viewport={"width": width, "height": HEIGHTS.get(width, 900)},
        timezone_id="Europe/Berlin",
        locale="en-GB",
    )
    return context.new_page()


@pytest.fixture
def sized(browser: Browser, site: Site, signed_in: dict) -> Iterator:
    """Open a logged-in page at a given width (closed after the test)."""
    pages: list[Page] = []

    def open_at(width: int, signed: bool = True) -> Page:
        page = sized_page(browser, site, signed_in if signed else None, width)
        pages.append(page)
        return page

    yield open_at
    for page in pages:
        page.context.close()


PAGES = {
    "login": "/admin/login",
    "index": "/admin/",
    "filtered list": "/admin/task/list?status=blocked&priority=high&search=a",
    "details": "/admin/task/details/1",
    "create": "/admin/task/create",
    "edit with link editors": "/admin/task/edit/1",
    "bulk edit": "/admin/task/bulk-edit?pks=1,2,3",
    "bulk delete": "/admin/task/bulk-delete?pks=1,2",
    "import": "/admin/task/import",
    "audit log": "/admin/audit-entry/list",
    "audit entry": "/admin/audit-entry/details/1",
    "staff users": "/admin/staff-user/list",
    "new staff user": "/admin/staff-user/create",
    "staff group form": "/admin/staff-group/create",
    "long words: details": "/admin/task/details/2",
    "long words: edit": "/admin/task/edit/2",
    "long words: bulk delete": "/admin/task/bulk-delete?pks=2,3",
    "long words: chip": "/admin/task/list?parent_id=2",
    "long words: list": f"/admin/task/list?search={LONG_TITLE}",
    "long words: audit log": "/admin/audit-entry/list?table=task&key=2",
    "long words: audit entry": "/admin/audit-entry/details/2",
    "not found": "/admin/task/details/999999",
    "bad filter": "/admin/task/list?progress__gte=lots",
}
STATUS = {"not found": 404, "bad filter": 400}


@pytest.mark.parametrize("kind", PAGES)
def test_no_page_scrolls_sideways(sized, kind: str) -> None:
    page = sized(WIDTHS[0], signed=kind != "login")
    response = page.goto(PAGES[kind])
    assert response.status == STATUS.get(kind, 200)
    expect(page.locator("body")).to_be_visible()
    for _width in every_width(page):
        assert_fits(page)
        if kind.endswith("details"):  # a value wraps: its table needs no scrolling
            frame = page.locator(".table-responsive").first
            assert frame.evaluate("f => f.scrollWidth <= f.clientWidth")


@pytest.mark.parametrize("width", (*WIDTHS, 1366, 1400))
def test_a_wide_list_scrolls_in_its_frame(sized, width: int) -> None:
    page = sized(width)
    page.goto("/admin/task/list?status=blocked")
    expect(page.locator("table.sticky-columns")).to_be_visible()
    assert_fits(page)
    if list_is_wide(page):
        assert_first_column_stays(page)
    else:  # every column fits: the last one shows, not under the panel
        assert covers(page.locator("thead th").last)
    if width >= 992:  # the panel sits beside the list, no toggle
        expect(page.locator("#filter-sidebar")).to_be_visible()
        expect(page.locator("#filters-toggle")).to_be_hidden()


@pytest.mark.parametrize("width", (390, 768))
def test_filters_fold_behind_a_button(sized, site: Site, width: int) -> None:
    page = sized(width)
    page.goto("/admin/task/list?status=blocked")
    panel = page.locator("#filter-sidebar")
    toggle = page.get_by_role("button", name="Filters (1)")
    expect(panel).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    assert_fits(page)
    screenshot(page, "list-phone" if width == 390 else "list-tablet")

    toggle.click()
    expect(panel).to_be_visible()
    expect(panel).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert_fits(page)
    panel.locator("[data-filter=priority]").get_by_role("link", name="High").click()

    with site.session() as db:
        matching = db.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.status == TaskStatus.blocked)
            .where(Task.priority == TaskPriority.high)
        )
    expect(page.locator("#row-count")).to_have_text(f"{matching} Tasks matching")
    expect(page.locator(".filter-chip")).to_have_count(2)
    expect(page.get_by_role("button", name="Filters (2)")).to_be_visible()
    expect(panel).to_be_hidden()  # the new page starts folded again
    # From the keyboard as a button: Space opens, Enter closes.
    toggle = page.get_by_role("button", name="Filters (2)")
    toggle.focus()
    page.keyboard.press("Space")
    expect(panel).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.focus()
    page.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_filters_open_without_javascript(browser: Browser, site: Site, signed_in):  # type: ignore[no-untyped-def]
    context = browser.new_context(
        base_url=site.url,
        storage_state=signed_in,
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
    )
    page = context.new_page()
    page.goto("/admin/task/list")
    expect(page.locator("#filter-sidebar")).to_be_hidden()
    page.get_by_role("button", name="Filters").click()
    expect(page.locator("#filter-sidebar")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    context.close()


def thumb_sized(controls) -> None:  # type: ignore[no-untyped-def]
    """Each visible control is at least 24 x 24 px and overlaps no other."""
    boxes = [b for b in (c.bounding_box() for c in controls.all()) if b and b["width"]]
    assert boxes
    for box in boxes:
        assert box["width"] >= 24 and box["height"] >= 24, box
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = (
                a["x"] + a["width"] <= b["x"]
                or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"]
                or b["y"] + b["height"] <= a["y"]
            )
            assert apart, (a, b)


def test_phone_form_and_link_editor_by_thumb(sized, site: Site) -> None:
    with site.session() as db:
        link = db.scalars(
            select(TaskAssignment).order_by(TaskAssignment.task_id)
        ).first()
        worker, title = link.worker.name, link.task.title
        new_role = next(r for r in AssignmentRole if r != link.role)
    page = sized(390)
    page.goto(f"/admin/task/edit/{link.task_id}")
    assert_fits(page)
    # Labels stand above their inputs, which take the width.
    label = page.locator("label[for=title]").bounding_box()
    field = page.locator("#title").bounding_box()
    assert label["y"] + label["height"] <= field["y"] + 1
    assert field["width"] > 0.7 * 390

    editor = page.locator("table.inline-links").first
    thumb_sized(
        editor.locator("input:not([type=hidden]), select:visible, .select2-container")
    )
    editor.get_by_label(f"Role of {worker}").select_option(new_role.value)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"“{title}” saved")
    with site.session() as db:
        saved = db.get(TaskAssignment, (link.task_id, link.worker_id))
        assert saved.role == new_role

    page.goto("/admin/task/bulk-edit?pks=4,5")
    assert_fits(page)
    thumb_sized(page.locator("input[name=fields]"))
    page.get_by_label("Progress", exact=True).fill("7")
    expect(page.get_by_label("Change Progress")).to_be_checked()
    page.get_by_role("button", name="Apply to 2 rows").click()
    expect(page.get_by_role("status")).to_have_text("2 Tasks updated.")
    with site.session() as db:
        assert db.scalars(select(Task.progress).where(Task.id.in_([4, 5]))).all() == [
            7,
            7,
        ]


# The zoo: other people's models on SQLite and PostgreSQL.


@pytest.fixture(params=ZOO)
def zoo_url(request: pytest.FixtureRequest, empty_database_url: str) -> Iterator:
    """A zoo module served untouched and seeded, with a superuser."""
    module = request.param
    app = create_app(migrated(empty_database_url, (module,)), module, SECRET_KEY)
    seed(app.state.engine, module)
    add_staff(app, "admin", superuser=True)
    try:
        with live_server(app) as url:
            yield url, app
    finally:
        app.state.engine.dispose()


OWN_TABLES = {"staff-user", "staff-group", "audit-entry"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_zoo_pages_fit_every_width(browser: Browser, zoo_url) -> None:  # type: ignore[no-untyped-def]
    url, app = zoo_url
    context = browser.new_context(base_url=url, viewport=VIEWPORT)
    page = context.new_page()
    log_in(page)
    identities = [
        v.identity
        for v in app.state.admin.views
        if getattr(v, "identity", None) and v.identity not in OWN_TABLES
    ]
    assert identities
    for identity in identities:
        page.set_viewport_size(PHONE)
        page.goto(f"/admin/{identity}/list")
        filled = page.locator("tbody tr").count() > 0
        for _width in every_width(page):
            assert_fits(page)
            if filled and list_is_wide(page):
                expect(page.locator("table.sticky-columns")).to_be_visible()
                assert_first_column_stays(page)
        rows = page.locator("tbody tr a[href*='/details/']")
        pages = [f"/admin/{identity}/create"]
        if rows.count():
            details = rows.first.get_attribute("href")
            pages += [details, details.replace("/details/", "/edit/")]
        for path in pages:
            page.set_viewport_size(PHONE)
            assert page.goto(path).status == 200, path
            for _width in every_width(page):
                assert_fits(page)
    context.close()


@pytest.fixture(scope="module")
def changed_csv(audited: Site, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An export of tasks 6 and 7, one given a long title, the other a
    progress the model refuses: a preview with a change and an error."""
    with TestClient(audited.app) as client:
        assert login(client, "admin").status_code == 302
        exported = client.get("/admin/task/export/csv?pks=6,7").text
    rows = list(csv.DictReader(io.StringIO(exported)))
    rows[0]["title"] = LONG_TITLE
    rows[1]["progress"] = "500"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("import") / "tasks.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("width", WIDTHS)
def test_import_preview_fits(sized, changed_csv: str, width: int) -> None:
    page = sized(width)
    page.goto("/admin/task/import")
    page.get_by_label("File (CSV or XLSX").set_input_files(changed_csv)
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-counts")).to_contain_text("1 changed")
    expect(page.locator("#import-changes tbody tr")).to_have_count(1)
    assert_fits(page)


@pytest.mark.parametrize("width", (390, 1280))
def test_a_message_naming_a_long_title_fits(sized, width: int) -> None:
    page = sized(width)
    page.goto("/admin/task/edit/2")
    # A value of its own per width: an unchanged save says "No changes".
    page.get_by_label("Progress").fill(str(width // 100))
    page.get_by_role("button", name="Save", exact=True).click()
    shown = in_message(LONG_TITLE)  # cut short: the message travels in a cookie
    expect(page.get_by_role("status")).to_contain_text(f"“{shown}” saved")
    assert_fits(page)
    page.goto("/admin/task/list?parent_id=2")
    thumb_sized(page.locator(".filter-chip > a"))


@pytest.mark.parametrize("width", (390, 768, 1280))
def test_form_labels_stand_above_their_fields_below_lg(sized, width: int) -> None:
    page = sized(width)
    page.goto("/admin/task/edit/1")
    for name in ("title", "description", "progress"):
        label = page.locator(f"label[for={name}]").bounding_box()
        field = page.locator(f"#{name}").bounding_box()
        above = label["y"] + label["height"] <= field["y"] + 1
        assert above == (width < 992), name
        if above:  # one line: the label is not squeezed into a narrow column
            assert label["height"] < 2 * 24, name
    assert_fits(page)
