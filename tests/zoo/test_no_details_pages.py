"""A view without details pages (`can_view_details = False`): every page that
names its rows names them as plain text, never as a link that ends on a
refusal; rows of tables with details pages stay linked."""

import re

import pytest
from sqlmodel import select

from tests.pages import form_values, post_form, referring_sections
from tests.test_add_related import answer_of
from tests.zoo.conftest import Site, serve
from tests.zoo.heroes import Hero, Team
from tests.zoo.seeds import seed_heroes
from tests.zoo.test_import_roundtrip import csv_bytes

pytestmark = pytest.mark.postgres

HERO_PAGE = re.compile(r"/admin/hero/details/")


@pytest.fixture
def site(empty_database_url: str):  # type: ignore[no-untyped-def]
    for served in serve(empty_database_url, "tests.no_details_zoo", seeded=False):
        with served.session() as session:
            seed_heroes(session)
            session.commit()
        yield served


def _row(site: Site, model: type, name: str):  # type: ignore[no-untyped-def]
    with site.session() as session:
        return session.exec(select(model).where(model.name == name)).one()


def test_the_view_has_no_details_page(site):
    rusty = _row(site, Hero, "Rusty-Man")
    assert site.client.get(f"/admin/hero/details/{rusty.id}").status_code != 200


def test_a_teams_page_names_its_heroes_without_links(site):
    preventers = _row(site, Team, "Preventers")
    page = site.client.get(f"/admin/team/details/{preventers.id}")
    assert page.status_code == 200
    section = referring_sections(page.text)["hero-team_id"]
    assert section["rows"] == [("Rusty-Man", None), ("Spider-Boy", None)]
    assert section["list"] is not None  # the list of heroes is still there
    links = re.search(r'<table[^>]*id="details-hero_links".*?</table>', page.text, re.S)
    assert links is not None and "Spider-Boy" in links.group(0)
    assert not HERO_PAGE.search(page.text)


def test_the_hero_list_links_teams_not_heroes(site):
    page = site.client.get("/admin/hero/list")
    preventers = _row(site, Team, "Preventers")
    assert f'/admin/team/details/{preventers.id}">Preventers</a>' in page.text
    assert not HERO_PAGE.search(page.text)


def test_the_deletion_page_names_heroes_without_links(site):
    rusty = _row(site, Hero, "Rusty-Man")
    page = site.client.get(f"/admin/hero/bulk-delete?pks={rusty.id}")
    assert page.status_code == 200
    assert "<li>Rusty-Man</li>" in page.text
    assert not HERO_PAGE.search(page.text)


def test_the_import_preview_names_heroes_without_links(site):
    rusty = _row(site, Hero, "Rusty-Man")
    data = csv_bytes(["id", "name"], [{"id": str(rusty.id), "name": "Rusty Man"}])
    page = site.client.post("/admin/hero/import", files={"file": ("hero.csv", data)})
    assert page.status_code == 200, page.text[:300]
    assert "Rusty-Man" in page.text and "Rusty Man" in page.text
    assert not HERO_PAGE.search(page.text)


def test_an_audit_entry_links_a_hero_to_its_history(site):
    rusty = _row(site, Hero, "Rusty-Man")
    form = site.client.get(f"/admin/hero/edit/{rusty.id}").text
    values = [(k, "49" if k == "age" else v) for k, v in form_values(form)]
    saved = post_form(site.client, f"/admin/hero/edit/{rusty.id}", values)
    assert saved.status_code in (200, 302)
    assert _row(site, Hero, "Rusty-Man").age == 49
    entries = site.client.get("/admin/audit-entry/list?table=hero").text
    entry = re.search(r"/admin/audit-entry/details/(\d+)", entries)
    assert entry is not None
    page = site.client.get(f"/admin/audit-entry/details/{entry.group(1)}").text
    rows = re.search(r'<span id="entry-rows">.*?</span>', page, re.S).group(0)
    assert f"table=hero&amp;key={rusty.id}" in rows
    assert not HERO_PAGE.search(page)


def test_a_hero_added_in_a_popup_is_handed_back_without_a_link(site):
    saved = site.client.post(
        "/admin/hero/create?_popup=1",
        data={"name": "Night Owl", "secret_name": "Dan Dreiberg"},
    )
    assert saved.status_code == 200, saved.text
    assert answer_of(saved.text)["label"] == "Night Owl"
    assert "Open the new hero" not in saved.text
