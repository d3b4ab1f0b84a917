"""Other people's models, untouched (tests/zoo), scanned by axe-core in both
themes on PostgreSQL (the screen-size stories browse the same pages on
SQLite, so each is seen by a browser on both databases): their lists,
details, create and edit forms (link rows with a role or a flag, UUID keys,
odd string keys, odd column names) have no serious or critical violation,
and each row's icon links name the row."""

import re
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD
from tests.e2e.axe_scan import blocking_violations
from tests.e2e.conftest import VIEWPORT
from tests.zoo.conftest import (
    COLUMNS,
    FULLSTACK,
    HEROES,
    LEGACY,
    SOCIAL,
    TRACKER,
    serve_live,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]

TABLES = {
    HEROES: ("hero", "Hero"),
    FULLSTACK: ("item", "Item"),
    TRACKER: ("tracker-task", "Tracker task"),
    COLUMNS: ("zoo-code", "Zoo code"),
    SOCIAL: ("social-member", "Social member"),
    LEGACY: ("legacy-product", "Legacy product"),
}


@pytest.fixture(params=list(TABLES), ids=lambda m: m.rsplit(".", 1)[1])
def zoo_url(
    request: pytest.FixtureRequest, empty_database_url: str
) -> Iterator[tuple[str, str, str]]:
    """A zoo module served and seeded (superuser `keeper`): its URL, and the
    identity and name of its table."""
    for _site, url in serve_live(empty_database_url, request.param):
        yield url, *TABLES[request.param]


@pytest.fixture
def browser_context_args(browser_context_args: dict, zoo_url: tuple) -> dict:
    return {**browser_context_args, "base_url": zoo_url[0], "viewport": VIEWPORT}


def test_zoo_pages_in_both_themes(page: Page, zoo_url: tuple) -> None:
    _url, identity, name = zoo_url
    page.goto("/admin/login")
    page.get_by_label("Username").fill("keeper")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/admin/login"))

    page.goto(f"/admin/{identity}/list")
    row = page.locator("tbody tr").first
    key = row.locator("td:first-child input[type=hidden]").get_attribute("value")
    view = row.get_by_role("link", name=re.compile(rf"^View {name} \u201c.+\u201d$"))
    edit = row.get_by_role("link", name=re.compile(rf"^Edit {name} \u201c.+\u201d$"))
    for link, route in ((view, "details"), (edit, "edit")):
        href = unquote(link.get_attribute("href") or "")
        assert f"/{identity}/{route}/{key}" in href, (href, key)
    pages = [
        f"/admin/{identity}/list",
        view.get_attribute("href"),
        edit.get_attribute("href"),
        f"/admin/{identity}/create",
    ]

    found = []
    for theme in ("light", "dark"):
        page.emulate_media(color_scheme=theme)
        for address in pages:
            page.goto(address)
            assert page.locator("html").get_attribute("data-bs-theme") == theme
            found += [f"{theme} {address}: {v}" for v in blocking_violations(page)]
    assert not found, f"{len(found)} serious or critical:\n" + "\n".join(found)
