"""The colour theme: as the system says until the user picks light or dark in
the page header; the choice stays with this browser across pages and reloads."""

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import VIEWPORT, Site, log_in, screenshot


def theme_of(page: Page) -> str | None:
    return page.locator("html").get_attribute("data-bs-theme")


def test_choose_dark_then_light_then_the_system(admin_page: Page) -> None:
    page = admin_page  # a browser set to light (Playwright's default)
    page.goto("/admin/task/list")
    choice = page.get_by_label("Theme")
    expect(choice).to_have_value("system")
    assert theme_of(page) == "light"

    choice.select_option(label="Dark")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    expect(page.get_by_label("Theme")).to_have_value("dark")
    assert theme_of(page) == "dark"
    page.goto("/admin/task/list?status=blocked")  # another page, the same choice
    expect(page.locator(".filter-chip")).to_have_count(1)
    assert theme_of(page) == "dark"
    screenshot(page, "list-dark")

    page.get_by_label("Theme").select_option(label="Light")
    page.emulate_media(color_scheme="dark")  # the system turns dark: no matter
    page.reload()
    expect(page.get_by_label("Theme")).to_have_value("light")
    assert theme_of(page) == "light"

    page.get_by_label("Theme").select_option(label="As the system")
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    page.emulate_media(color_scheme="light")  # followed while the page is open
    expect(page.locator("html")).to_have_attribute("data-bs-theme", "light")
    page.reload()
    expect(page.get_by_label("Theme")).to_have_value("system")
    assert theme_of(page) == "light"


def test_a_dark_system_gets_the_dark_theme_from_the_first_paint(
    browser: Browser, site: Site
) -> None:
    context = browser.new_context(
        base_url=site.url, viewport=VIEWPORT, color_scheme="dark"
    )
    try:
        page = context.new_page()
        # Read as the document is parsed, before any later script or paint.
        page.add_init_script(
            "document.addEventListener('readystatechange', () => {"
            " if (document.readyState === 'interactive') window.firstTheme ="
            " document.documentElement.getAttribute('data-bs-theme'); });"
        )
        page.goto("/admin/login")
        assert page.evaluate("window.firstTheme") == "dark"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"
        log_in(page)
        assert theme_of(page) == "dark"
        expect(page.get_by_label("Theme")).to_have_value("system")
    finally:
        context.close()
