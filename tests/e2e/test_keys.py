"""Ticking rows whose keys hold `,`, `%`, `#` and `&`, in a real browser.

The list page's script joins the ticked rows' keys into `pks=`; SQLAdmin's
own trash icon sends them too. Each must name exactly the rows ticked.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from admin_app import create_app
from tests.conftest import SECRET_KEY, add_staff, migrated
from tests.e2e.conftest import ROW_BOX, Site
from tests.keyed_models import OddKeyNote
from tests.live import live_server

KEYED = "tests.keyed_models"
KEYS = ["a,b", "50% off", "#1 & 2", "x/y?z", "plain"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    path = tmp_path_factory.mktemp("e2e-keys") / "admin.db"
    app = create_app(migrated(f"sqlite:///{path}", (KEYED,)), KEYED, SECRET_KEY)
    add_staff(app, "admin", superuser=True)
    with live_server(app) as url:
        yield Site(app, url)
    app.state.engine.dispose()


def notes(site: Site) -> list[str]:
    with Session(site.app.state.engine) as session:
        return sorted(session.exec(select(OddKeyNote.code)))


def tick(page: Page, *keys: str) -> None:
    for key in keys:
        row = page.locator("tbody tr").filter(has_text=key)
        row.get_by_role("checkbox", name=ROW_BOX).check()


def test_ticked_rows_with_odd_keys_are_the_rows_acted_on(
    admin_page: Page, site: Site
) -> None:
    with Session(site.app.state.engine) as session:
        session.add_all(OddKeyNote(code=key) for key in KEYS)
        session.commit()
    page = admin_page
    page.goto("/admin/odd-key-note/list")

    tick(page, "a,b", "50% off")
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("link", name="Edit selected").click()
    expect(page.get_by_role("heading", name="Edit 2 Odd key notes")).to_be_visible()
    page.get_by_label("Change Body").check()
    page.get_by_label("Body", exact=True).fill("ticked")
    page.get_by_role("button", name="Apply to 2 rows").click()
    expect(page.get_by_role("status")).to_have_text("2 Odd key notes updated.")
    with Session(site.app.state.engine) as session:
        changed = session.exec(select(OddKeyNote.code).where(OddKeyNote.body != ""))
        assert sorted(changed) == ["50% off", "a,b"]

    tick(page, "a,b", "#1 & 2")
    page.get_by_role("button", name="Actions").click()
    expect(page.get_by_role("link", name="Delete selected items")).to_be_hidden()
    page.get_by_role("link", name="Delete selected…").click()
    expect(page.locator("#delete-rows li")).to_have_text(
        ["Odd key note ##1 & 2", "Odd key note #a,b"]
    )
    page.get_by_role("button", name="Yes, delete 2 Odd key notes").click()
    expect(page.locator("tbody tr")).to_have_count(3)
    assert notes(site) == ["50% off", "plain", "x/y?z"]

    row = page.locator("tbody tr").filter(has_text="x/y?z")
    row.locator("a[data-bs-target='#modal-delete']").click()  # the trash icon
    expect(page.locator("#modal-delete-text")).to_contain_text("x/y?z")
    page.locator("#modal-delete-button").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    assert notes(site) == ["50% off", "plain"]

    row = page.locator("tbody tr").filter(has_text="50% off")
    row.locator("a[href*='/details/']").first.click()
    expect(page.locator("h3.card-title")).to_have_text("Code: 50% off")
    expect(page).to_have_url(f"{site.url}/admin/odd-key-note/details/50%25%20off")
