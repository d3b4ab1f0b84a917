"""A list (PostgreSQL's array, a JSON list on SQLite) in a real browser: the
tags input shows each stored item once, an item is added by typing it and
removed by its cross, and the save stores exactly the list shown. The
columns zoo module's every-column table, SQLite and PostgreSQL."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from tests.e2e.conftest import VIEWPORT, log_in
from tests.zoo.columns import ZooSample
from tests.zoo.conftest import COLUMNS, Site, serve_live

pytestmark = pytest.mark.postgres


@pytest.fixture
def columns(empty_database_url: str) -> Iterator[tuple[Site, str]]:
    yield from serve_live(empty_database_url, COLUMNS)


@pytest.fixture
def browser_context_args(browser_context_args: dict, columns: tuple) -> dict:
    return {**browser_context_args, "base_url": columns[1], "viewport": VIEWPORT}


def test_a_lists_items_are_shown_once_added_removed_and_saved(
    page: Page, columns: tuple
) -> None:
    site, _url = columns
    with Session(site.engine) as db:
        tagged = select(ZooSample).where(ZooSample.price == Decimal("12.50"))
        sample = db.exec(tagged).one()
    log_in(page, "keeper")
    page.goto(f"/admin/zoo-sample/edit/{sample.id}")
    field = page.locator(".form-group", has=page.get_by_text("Tags", exact=True))
    chips = field.locator(".select2-selection__choice")
    expect(chips).to_have_count(len(sample.tags))  # each once, not twice
    for item in sample.tags:
        expect(chips.filter(has_text=item)).to_have_count(1)
    field.locator(".select2-search__field").fill("new tag")
    field.locator(".select2-search__field").press("Enter")
    chips.filter(has_text="red").locator(".select2-selection__choice__remove").click()
    page.keyboard.press("Escape")
    expect(chips).to_have_count(len(sample.tags))
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    with Session(site.engine) as db:
        saved = db.get(ZooSample, sample.id)
    assert saved.tags == [*sample.tags[1:], "new tag"]
    assert saved.ratings == sample.ratings  # the list left alone is kept
