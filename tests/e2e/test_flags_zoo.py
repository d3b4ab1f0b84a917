"""A flag shows whether it is on, wherever a staff user sets one outside the
form's own fields: in a link row that carries data (a follow's `muted`), and
in the bulk edit (a message's `read`). Both were drawn with a text box's
frame, which hid the switch: a muted follow looked like one that was not.
The social zoo module's models, SQLite and PostgreSQL."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import Session, select

from tests.e2e.conftest import VIEWPORT, log_in
from tests.zoo.conftest import SOCIAL, Site, serve_live
from tests.zoo.social import SocialFollow, SocialMember, SocialMessage

pytestmark = pytest.mark.postgres


@pytest.fixture
def social(empty_database_url: str) -> Iterator[tuple[Site, str]]:
    yield from serve_live(empty_database_url, SOCIAL)


@pytest.fixture
def browser_context_args(browser_context_args: dict, social: tuple) -> dict:
    return {**browser_context_args, "base_url": social[1], "viewport": VIEWPORT}


def drawn(control: Locator) -> bytes:
    """The control as the screen shows it, its switch's motion finished."""
    return control.screenshot(animations="disabled")


def test_a_link_rows_flag_shows_its_state_and_saves(page: Page, social: tuple) -> None:
    site, _url = social
    with Session(site.engine) as db:
        ada = db.exec(select(SocialMember).where(SocialMember.handle == "ada")).one()
    log_in(page, "keeper")
    page.goto(f"/admin/social-member/edit/{ada.id}")
    followers = page.locator("table#followers")
    muted, heard = (followers.get_by_label(f"Muted of {who}") for who in ("bob", "çé"))
    expect(muted).to_be_checked()
    expect(heard).not_to_be_checked()
    # what the user sees: the two switches are drawn differently, then alike
    assert drawn(muted) != drawn(heard)
    heard.check()
    heard.blur()
    assert drawn(muted) == drawn(heard)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    with Session(site.engine) as db:
        follows = db.exec(
            select(SocialFollow).where(SocialFollow.followed_id == ada.id)
        ).all()
        assert sorted(f.muted for f in follows) == [True, True]


def test_the_bulk_edits_flag_is_a_switch_of_its_own_size(
    page: Page, social: tuple
) -> None:
    site, _url = social
    with Session(site.engine) as db:
        unread = [m.id for m in db.exec(select(SocialMessage)).all() if not m.read]
    log_in(page, "keeper")
    page.goto(f"/admin/social-message/bulk-edit?pks={','.join(map(str, unread))}")
    flag = page.get_by_label("Read", exact=True)
    box = flag.bounding_box()
    assert box["width"] < 4 * box["height"], box  # a switch, not a text box's width
    before = drawn(flag)
    flag.check()
    flag.blur()
    assert drawn(flag) != before
    expect(page.get_by_label("Change Read")).to_be_checked()
    page.get_by_role("button", name=f"Apply to {len(unread)} rows").click()
    expect(page.get_by_role("status")).to_contain_text("updated")
    with Session(site.engine) as db:
        assert {m.read for m in db.exec(select(SocialMessage)).all()} == {True}
