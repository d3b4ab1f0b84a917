"""Browser stories: Debian's Chromium driven by Playwright against a real server.

Each test module gets one seeded SQLite file served by uvicorn (tests/live.py);
each test gets a fresh browser context (no cookies). Without a browser the
stories fail, naming Debian's `chromium` (which `.ci/run` installs).
"""

import csv
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.applications import Starlette

from admin_app import create_app
from admin_app.db import make_engine
from models.seed import seed_demo
from models.task import Task
from tests.conftest import PASSWORD, SECRET_KEY, add_staff, migrated
from tests.live import live_server
from tests.pages import list_rows
from tests.tools import require_program

DOCS = Path(__file__).resolve().parents[2] / "docs"
TASKS = 300  # more than 100: related-task selects are searched as you type
BROWSER_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1360, "height": 900}
# A list row's checkbox, named after its row ("Select Task “…”"), not the
# select-all box ("Select all rows on this page").
ROW_BOX = re.compile(r"^Select (?!all rows)")

expect.set_options(timeout=10_000)


def chromium_path() -> str | None:
    """Debian's Chromium (`CHROMIUM` overrides); the launcher script last."""
    candidates = [os.environ.get("CHROMIUM", ""), *BROWSER_PATHS]
    return next((p for p in candidates if p and os.access(p, os.X_OK)), None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch arguments, pointed at Debian's Chromium."""
    path = require_program(chromium_path(), "Chromium", BROWSER_PATHS)
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "args": BROWSER_FLAGS,
    }


@dataclass
class Site:
    """A served admin site with demo data: its app, URL and database."""

    app: Starlette
    url: str

    def session(self) -> Session:
        """A session on the site's database, for checking what it holds."""
        return Session(self.app.state.engine)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One seeded SQLite file and server per test module."""
    path = tmp_path_factory.mktemp("e2e") / "admin.db"
    url = migrated(f"sqlite:///{path}", ("models",))
    engine = make_engine(url)
    with Session(engine) as session:
        seed_demo(session, TASKS)
        session.commit()
    engine.dispose()
    app = create_app(url, "models", SECRET_KEY)  # sees the tables' sizes
    add_staff(app, "admin", superuser=True)
    with live_server(app) as url:
        yield Site(app, url)
    app.state.engine.dispose()


@pytest.fixture
def browser_context_args(browser_context_args: dict, site: Site) -> dict:
    return {
        **browser_context_args,
        "base_url": site.url,
        "accept_downloads": True,
        "viewport": VIEWPORT,
        "timezone_id": "Europe/Berlin",
        "locale": "en-GB",
    }


def log_in(page: Page, username: str = "admin", password: str = PASSWORD) -> None:
    """Log in through the login form, the way a staff user does."""
    page.goto("/admin/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/admin/login"))


def assert_drawn_as_dropdown(select: Locator) -> None:
    """The select shows a dropdown's arrow (SQLAdmin gives a form's selects
    the text box's class, drawn without one)."""
    drawn = select.evaluate("e => getComputedStyle(e).backgroundImage")
    assert "svg" in drawn, select


def exported_rows(page: Page, link: str = "Export CSV") -> list[dict[str, str]]:
    """The rows of the CSV file the browser downloads from the page's link."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link).click()
    with open(download_info.value.path(), encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def logged_in_state(browser: Browser, url: str) -> dict:
    """The superuser's logged-in browser state (cookies), for a module's many
    page loads to start from without logging in each time."""
    context = browser.new_context(base_url=url)
    log_in(context.new_page())
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def admin_cookies(browser: Browser, site: Site) -> list:
    """The superuser's session, logged in once a module through the login
    form (a login a test would cost two page loads)."""
    return logged_in_state(browser, site.url)["cookies"]


@pytest.fixture
def admin_page(page: Page, admin_cookies: list) -> Page:
    """A page of a browser logged in as the superuser `admin` (blank until
    the test opens a page)."""
    page.context.add_cookies(admin_cookies)
    return page


@pytest.fixture
def new_page(context: BrowserContext, browser: Browser, site: Site) -> Callable:
    """Another person's browser: a new context, logged in as `username`."""
    opened: list[BrowserContext] = []

    def open_as(username: str = "admin") -> Page:
        other = browser.new_context(
            base_url=site.url, viewport=VIEWPORT, accept_downloads=True
        )
        opened.append(other)
        page = other.new_page()
        log_in(page, username)
        return page

    yield open_as
    for other in opened:
        other.close()


def screenshot(page: Page, name: str, part: Locator | None = None) -> None:
    """Take the page (or a part of it) as the README shows it, and save it as
    docs/<name>.png only when asked (`UPDATE_SCREENSHOTS=1 pytest tests/e2e`):
    a test run leaves the checkout as it found it."""
    image = (part or page).screenshot()
    assert image.startswith(b"\x89PNG")
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(exist_ok=True)
        (DOCS / f"{name}.png").write_bytes(image)


# Visible elements that stick out of the screen, outside a frame the user can
# scroll (what the user could not reach, or only by scrolling the page; what
# a clipping box cuts off counts too: a chip's "remove" out of reach).
STICKING_OUT = """() => {
  const width = window.innerWidth;
  const framed = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (/auto|scroll/.test(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")].filter((e) => {
    const box = e.getBoundingClientRect();
    const hidden = getComputedStyle(e).visibility === "hidden";
    if (!box.width || !box.height || hidden) return false;
    return (box.right > width + 0.5 || box.left < -0.5) && !framed(e);
  }).map((e) => `${e.tagName.toLowerCase()}.${e.className}`);
}"""


def assert_fits(page: Page) -> None:
    """The document is exactly as wide as the viewport, nothing sticks out."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") == width, page.url
    assert page.evaluate(STICKING_OUT) == [], page.url


def choose_searched(page: Page, label: str, term: str, option: str) -> None:
    """Pick a row in a search-as-you-type select: open it, type, click."""
    field = page.locator(".form-group", has=page.get_by_text(label, exact=True))
    field.locator(".select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill(term)
    page.locator(".select2-results__option", has_text=option).first.click()


def choose_chips(page: Page, label: str, names: list[str]) -> None:
    """Pick several rows in a many-to-many picker: type each, click it; no
    Ctrl-click, each choice a chip."""
    field = page.locator(".form-group", has=page.get_by_text(label, exact=True))
    options = page.locator(".select2-results__option")
    for name in names:
        field.locator(".select2-search__field").fill(name)
        # this search's results, not the last one's (a click on a list being
        # replaced is lost)
        expect(options.first).to_contain_text(name)
        options.filter(has_text=name).first.click()
    expect(field.locator(".select2-selection__choice")).to_have_count(len(names))


def count(site: Site, *where) -> int:  # type: ignore[no-untyped-def]
    with site.session() as db:
        return db.scalar(select(func.count()).select_from(Task).where(*where)) or 0


def rows(page: Page) -> list[dict[str, str]]:
    """The list's rows as the user sees them: {column heading: cell text}."""
    return list_rows(page.locator("table").first.evaluate("t => t.outerHTML"))
