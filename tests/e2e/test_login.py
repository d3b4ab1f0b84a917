"""Story: a staff user logs in, sees the dashboard, and logs out."""

import re

from playwright.sync_api import Page, expect
from sqlmodel import select

from admin_app.auth.models import StaffUser
from tests.e2e.conftest import Site, log_in, screenshot

LOGOUT = re.compile(r"log ?out", re.I)


def test_log_in_see_the_dashboard_and_log_out(page: Page, site: Site) -> None:
    page.goto("/admin/task/list")
    expect(page).to_have_url(re.compile(r"/admin/login"))
    expect(page.get_by_role("heading", name="Log in to Admin")).to_be_visible()
    expect(page.get_by_label("Username")).to_be_focused()
    screenshot(page, "login")

    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("not the password")
    page.get_by_label("Password").press("Enter")  # the keyboard is enough
    expect(page.get_by_role("alert")).to_have_text("Invalid credentials.")
    with site.session() as db:
        assert db.scalar(select(StaffUser.last_login)) is None

    log_in(page)
    # Back where the user was headed, told that it worked.
    expect(page).to_have_url(re.compile(r"/admin/task/list$"))
    expect(page.locator("#flash-messages")).to_have_text("Logged in as admin.")
    with site.session() as db:
        assert db.scalar(select(StaffUser.last_login)) is not None
    # The dashboard counts every table's rows.
    page.get_by_role("link", name="Admin").first.click()
    expect(page.locator("#tables tr", has_text="Tasks")).to_contain_text("300")

    logout = page.get_by_role("button", name=LOGOUT).or_(
        page.get_by_role("link", name=LOGOUT)
    )
    logout.click()
    # Logging out changes state, so it is a POST: a link asks first.
    confirm = page.locator("#confirm-question")
    expect(confirm.or_(page.get_by_label("Username"))).to_be_visible()
    if confirm.is_visible():
        expect(confirm).to_have_text("Log out of the admin?")
        page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    expect(page.get_by_role("status")).to_have_text("You are logged out.")
    page.goto("/admin/task/list")
    expect(page).to_have_url(re.compile(r"/admin/login"))
