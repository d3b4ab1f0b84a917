"""Add another on the FastAPI template's models (UUID keys): an item's owner
added in the dialog, chosen by its UUID, and saved with the item; SQLite and
PostgreSQL."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.e2e.conftest import VIEWPORT, assert_drawn_as_dropdown, log_in
from tests.zoo.conftest import FULLSTACK, Site, serve_live
from tests.zoo.fullstack import Item, User

pytestmark = pytest.mark.postgres


@pytest.fixture
def fullstack(empty_database_url: str) -> Iterator[tuple[Site, str]]:
    yield from serve_live(empty_database_url, FULLSTACK)


@pytest.fixture
def browser_context_args(browser_context_args: dict, fullstack: tuple) -> dict:
    return {**browser_context_args, "base_url": fullstack[1], "viewport": VIEWPORT}


def test_an_items_owner_added_in_the_dialog(page: Page, fullstack: tuple) -> None:
    site, _url = fullstack
    log_in(page, "keeper")
    page.goto("/admin/item/create")
    page.get_by_role("link", name="Add another User").click()
    popup = page.frame_locator("#add-related-dialog iframe")
    popup.get_by_label("Email").fill("popup.owner@example.com")
    popup.get_by_label("Password", exact=True).fill("a long enough password")
    popup.get_by_label("Password again").fill("a long enough password")
    popup.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#add-related-dialog")).to_be_hidden()
    with Session(site.engine) as db:
        user = db.exec(
            select(User).where(User.email == "popup.owner@example.com")
        ).one()
    owner = page.locator(".form-group", has=page.get_by_text("Owner", exact=True))
    expect(owner.locator("select")).to_have_value(str(user.id))
    assert_drawn_as_dropdown(owner.locator("select"))  # on other people's models too
    page.get_by_label("Title").fill("Owned through the dialog")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/item/list"))
    with Session(site.engine) as db:
        item = db.exec(
            select(Item).where(Item.title == "Owned through the dialog")
        ).one()
        assert item.owner_id == user.id
