"""A staff user's day without a mouse: log in, filter the task list, open a
task, change an assignment's role in the edit form's link editor, save and log
out, with Tab, Shift+Tab, Enter and the arrow keys only.

Every stop of the focus shows a ring (a computed outline or box-shadow), each
press moves the focus on (no trap), and the filters after the table are
reached by tabbing (SQLAdmin's search once reloaded the page on every key)."""

import re
from dataclasses import dataclass

from playwright.sync_api import Page, expect
from sqlmodel import select

from models.task import Task, TaskAssignment
from models.worker import Worker
from tests.conftest import PASSWORD
from tests.e2e.conftest import Site

FOCUSED = """() => {
  const e = document.activeElement || document.body;
  const seen = (window.__focusSeen = window.__focusSeen || {map: new WeakMap(), n: 0});
  if (!seen.map.has(e)) seen.map.set(e, ++seen.n);
  const style = getComputedStyle(e);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const name = e.getAttribute("aria-label") || e.innerText || e.value || "";
  return {
    key: seen.map.get(e),
    tag: e.tagName,
    type: e.type || "",
    name: name.trim().replace(/\\s+/g, " "),
    ring: outline || style.boxShadow !== "none",
    inSidebar: Boolean(e.closest("aside")),
    ringColour: style.outlineColor,
    background: getComputedStyle(e.closest("aside") || document.body).backgroundColor,
  };
}"""


@dataclass
class Focus:
    key: int
    tag: str
    type: str
    name: str
    ring: bool
    inSidebar: bool  # camelCase: as the script names them
    ringColour: str
    background: str  # of the sidebar or the page around it


def focused(page: Page) -> Focus:
    """Where the focus is, once the page that Enter opened has its body: before
    that the document has no active element to describe."""
    page.wait_for_load_state("domcontentloaded")
    return Focus(**page.evaluate(FOCUSED))


# Tab walks through the day, month and year of these inputs before leaving.
SEGMENTED = ("date", "datetime-local", "time", "month", "week")


def press(page: Page, key: str) -> Focus:
    """Press a key that moves the focus; it must move (or walk through a date
    input's parts, which `tab_to`'s limit bounds), and show where it is."""
    before = focused(page)
    page.keyboard.press(key)
    now = focused(page)
    if now.type not in SEGMENTED:
        assert now.key != before.key, f"{key} left the focus on {before} (a trap)"
    if now.tag != "BODY":
        assert now.ring, f"{now.tag} “{now.name}” has the focus and no visible ring"
    return now


def contrast(one: str, other: str) -> float:
    """WCAG's contrast ratio of two computed `rgb(...)` colours."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
        linear = [
            c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
            for c in channels
        ]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def tab_to(
    page: Page, name: str, *, backwards: bool = False, limit: int = 400
) -> Focus:
    """Tab (or Shift+Tab) until the element named `name` has the focus (a
    filter's choice may carry its count: "Blocked (12)")."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        now = press(page, key)
        if now.name == name or now.name.startswith(f"{name} ("):
            return now
    raise AssertionError(f"{limit} presses of {key} never reached “{name}”")


def test_a_day_with_the_keyboard_only(page: Page, site: Site) -> None:
    page.goto("/admin/login")
    # The username field has the caret already.
    page.keyboard.type("admin")
    press(page, "Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/admin/")

    # The skip link comes first and lands after the menu.
    assert press(page, "Tab").name == "Skip to content"
    page.keyboard.press("Enter")
    assert not press(page, "Tab").inSidebar

    # The menu, with a ring that stands out on the dark sidebar too (3:1).
    menu = tab_to(page, "Tasks", backwards=True)
    assert menu.inSidebar and contrast(menu.ringColour, menu.background) >= 3
    page.keyboard.press("Enter")
    expect(page.locator("#row-count")).to_contain_text("Tasks")

    # Past the search box, the rows and the pages to the filter panel.
    tab_to(page, "Blocked")
    page.keyboard.press("Enter")
    expect(page.locator(".filter-chip")).to_have_text(["Status: Blocked \u00d7"])

    keys = page.locator("tbody tr td:first-child input[type=hidden]")
    shown = [int(k) for k in keys.evaluate_all("els => els.map(e => e.value)")]
    with site.session() as db:
        assignment = db.scalars(
            select(TaskAssignment)
            .where(TaskAssignment.task_id.in_(shown))
            .order_by(TaskAssignment.task_id, TaskAssignment.worker_id)
        ).first()
        assert assignment is not None, "no blocked task on the page has assignments"
        task = db.get(Task, assignment.task_id)
        worker = db.get(Worker, assignment.worker_id)
        title, old_role = task.title, assignment.role
    tab_to(page, f"View Task \u201c{title}\u201d")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/admin/task/details/{task.id}")

    tab_to(page, "Edit")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/admin/task/edit/{task.id}")

    # The link editor: the worker's role, changed with an arrow key.
    role = page.get_by_label(f"Role of {worker.name}")
    tab_to(page, f"Role of {worker.name}")
    options = role.evaluate("s => [...s.options].map(o => o.value)")
    before = role.input_value()
    page.keyboard.press("ArrowDown" if before != options[-1] else "ArrowUp")
    after = role.input_value()
    assert after != before
    # On through the rest of the form (pickers, the other rows) to Save.
    tab_to(page, "Save")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text(f"\u201c{title}\u201d")
    with site.session() as db:
        saved = db.get(TaskAssignment, (task.id, worker.id))
        assert saved.role != old_role
        assert saved.role.value == after

    tab_to(page, "Logout")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    expect(page).to_have_url(f"{site.url}/admin/login")
