"""A row's details page lists the rows of other tables that point at it (a
team's heroes, a user's items, a task's subtasks and steps): how many, the
first ones by label in their list's order, each linked to its page, and a
link to their list narrowed to the row. Tables the page already shows as
links (a many-to-many, a link with data) and plain links are left out; rows
a user may not view, or that the table's view does not list, are not named.
"""

import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import func, inspect, select
from sqlmodel import Session
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.model.keys import row_identifier, url_key
from admin_app.site.referring_rows import SHOWN_ROWS
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.pages import form_values, post_form, referring_sections
from tests.zoo import heroes, tracker
from tests.zoo.conftest import (
    COLUMNS,
    FULLSTACK,
    HEROES,
    LEGACY,
    LOADING,
    SOCIAL,
    TRACKER,
    Site,
    serve,
)

pytestmark = pytest.mark.postgres

# What each zoo table's page lists, by the referring table and key: the
# relation the page's model declares names the section ("Subtasks", "Sent"),
# else the referring table's rows do. Not listed: the heroes' link to their
# teams, the tracker's assignments and labels, the social follows (the page
# shows them as links, or they hold nothing but keys).
SECTIONS = {
    HEROES: {"team": {"hero-team_id": "Heroes"}},
    FULLSTACK: {"user": {"item-owner_id": "Items"}},
    TRACKER: {
        "tracker-task": {
            "tracker_task-parent_id": "Subtasks",
            "tracker_step-task_id": "Tracker steps",
        }
    },
    COLUMNS: {
        "zoo-shelf": {
            "zoo_code-shelf_id": "Zoo codes",
            "zoo_sample-shelf_id": "Zoo samples",
        }
    },
    SOCIAL: {
        "social-member": {
            "social_message-sender_id": "Sent",
            "social_message-recipient_id": "Received",
        }
    },
    LEGACY: {"legacy-supplier": {"tblProduct-SupplierID": "Products"}},
    LOADING: {
        "load-author": {"load_book-author_id": "Books"},
        "load-publisher": {"load_book-publisher_id": "Load books"},
    },
}


def details_links(html: str, identity: str) -> list[str]:
    """The details pages a list page links its rows to (each row's view
    icon, not a related cell's link), in the list's order."""
    pattern = (
        rf'href="(http://testserver/admin/{re.escape(identity)}/details/[^"]+)"'
        r'\s+data-bs-toggle="tooltip"'
    )
    return list(dict.fromkeys(re.findall(pattern, html)))


def most_pointed_at(site: Site, identity: str, name: str) -> tuple[str, int]:
    """The row of `identity` the most rows of the section `name` point at
    (its details address), and how many do."""
    view = next(v for v in site.app.state.admin.views if v.identity == identity)
    table = inspect(view.model).local_table
    constraint = next(
        c
        for other in table.metadata.sorted_tables
        for c in other.foreign_key_constraints
        if c.referred_table is table
        and "-".join([c.table.name, *(col.key for col in c.columns)]) == name
    )
    column = next(iter(constraint.columns))
    with site.session() as session:
        found = session.execute(
            select(column, func.count())
            .where(column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(1)
        ).first()
        row = (
            session.get(view.model, found[0])
            if found
            else session.scalars(select(view.model).limit(1)).first()
        )
    link = f"http://testserver/admin/{identity}/details/{url_key(row_identifier(row))}"
    return link, found[1] if found else 0


@pytest.mark.parametrize(
    "site", list(SECTIONS), indirect=True, ids=lambda m: m.rsplit(".", 1)[1]
)
def test_a_rows_page_lists_the_rows_that_point_at_it(site: Site):
    for identity, expected in SECTIONS[site.module].items():
        for name, title in expected.items():
            page_url, count = most_pointed_at(site, identity, name)
            page = site.client.get(page_url)
            assert page.status_code == 200
            shown = referring_sections(page.text)
            assert {n: s["title"] for n, s in shown.items()} == expected, identity
            section = shown[name]
            assert section["title"] == title
            assert section["count"] == f"{count:,}"
            if not count:
                assert section["none"] and not section["rows"]
                assert section["list"] is None
                continue
            # The list the section links to holds exactly the rows pointing
            # here, and the section names its first ones in that order.
            href, words = section["list"]
            other = urlsplit(href).path.split("/")[2]
            listed = site.client.get(f"{href}&pageSize=100")
            assert listed.status_code == 200
            rows = details_links(listed.text, other)
            assert len(rows) == count
            assert [link for _label, link in section["rows"]] == rows[:SHOWN_ROWS]
            for label, link in section["rows"]:
                assert site.client.get(link).status_code == 200
                assert label  # each row by its label
            opening = (
                f"All {count:,} in the list of " if count > 1 else "In the list of "
            )
            assert words.startswith(opening), words
        for name, section in shown.items():
            # "Add ...": the other table's create form, this row chosen.
            href = section["add"]
            assert href is not None, name
            field, key = parse_qsl(urlsplit(href).query)[0]
            form = site.client.get(href)
            assert form.status_code == 200
            assert (field, key) in form_values(form.text), name
            # Each Save posts to that address, its first values kept.
            actions = save_buttons(form.text)
            assert "Save and add another" in actions, name
            assert set(actions.values()) == {href}, name


def save_buttons(html: str) -> dict[str, str]:
    """A form's Save buttons: the address each posts to, by its words."""
    return {
        words: unescape(action)
        for words, action in re.findall(
            r'<input type="submit" name="save" value="([^"]+)"'
            r'[^>]*formaction="([^"]+)"',
            html,
        )
    }


def test_a_team_with_more_heroes_than_shown_links_to_all_of_them(heroes_site: Site):
    with heroes_site.session() as session:
        team = heroes.Team(name="Crowd", headquarters="Everywhere")
        session.add(team)
        session.flush()
        session.add_all(
            heroes.Hero(name=f"Member {n:02}", secret_name="x", team_id=team.id)
            for n in range(SHOWN_ROWS + 3)
        )
        session.commit()
        team_id = team.id
    page = heroes_site.client.get(f"/admin/team/details/{team_id}")
    section = referring_sections(page.text)["hero-team_id"]
    assert section["title"] == "Heroes"
    assert section["count"] == str(SHOWN_ROWS + 3)
    assert [label for label, _ in section["rows"]] == [
        f"Member {n:02}" for n in range(SHOWN_ROWS)
    ]
    assert section["list"] == (
        f"http://testserver/admin/hero/list?team_id={team_id}",
        f"All {SHOWN_ROWS + 3} in the list of heroes",
    )
    listed = heroes_site.client.get(f"{section['list'][0]}&pageSize=100")
    assert len(details_links(listed.text, "hero")) == SHOWN_ROWS + 3
    assert "Team: Crowd" in unescape(listed.text)  # the filter's chip names it


def test_a_hero_added_from_the_teams_page_joins_the_team(heroes_site: Site):
    """The team's "Add Hero" opens the hero form with the team chosen; saved,
    the hero is the team's, and the team's page names it."""
    with heroes_site.session() as session:
        team = session.scalars(select(heroes.Team).where(heroes.Team.name == "Z-Force"))
        team_id = team.one().id
    page = heroes_site.client.get(f"/admin/team/details/{team_id}")
    section = referring_sections(page.text)["hero-team_id"]
    assert section["add"] == f"http://testserver/admin/hero/create?team={team_id}"
    form = form_values(heroes_site.client.get(section["add"]).text)
    assert ("team", str(team_id)) in form
    filled = [
        (
            name,
            {"name": "Night Owl", "secret_name": "Daniel Dreiberg"}.get(name, value),
        )
        for name, value in form
    ]
    assert post_form(heroes_site.client, section["add"], filled).status_code == 302
    with heroes_site.session() as session:
        added = session.scalars(
            select(heroes.Hero).where(heroes.Hero.name == "Night Owl")
        ).one()
        assert added.team_id == team_id
    page = heroes_site.client.get(f"/admin/team/details/{team_id}")
    names = [
        label for label, _ in referring_sections(page.text)["hero-team_id"]["rows"]
    ]
    assert "Night Owl" in names


def test_save_and_add_another_keeps_the_team(heroes_site: Site):
    """Adding heroes one after another from the team's page: "Save and add
    another" opens the form with the team chosen again; Save then goes to the
    heroes' list, as any create form's does."""
    client = heroes_site.client
    with heroes_site.session() as session:
        team = session.scalars(select(heroes.Team).where(heroes.Team.name == "Z-Force"))
        team_id = team.one().id
    page = client.get(f"/admin/team/details/{team_id}")
    address = referring_sections(page.text)["hero-team_id"]["add"]
    for name, button in (
        ("Silk Spectre", "Save and add another"),
        ("Rorschach", "Save"),
    ):
        form = client.get(address).text
        assert ("team", str(team_id)) in form_values(form)
        action = save_buttons(form)[button]
        filled = {
            key: {"name": name, "secret_name": "W."}.get(key, value)
            for key, value in form_values(form)
        }
        saved = client.post(
            action, data={**filled, "save": button}, follow_redirects=False
        )
        assert saved.status_code == 302, saved.text[:300]
        address = saved.headers["location"]
    assert address == "http://testserver/admin/hero/list"
    with heroes_site.session() as session:
        teams = dict(
            session.execute(
                select(heroes.Hero.name, heroes.Hero.team_id).where(
                    heroes.Hero.name.in_(["Silk Spectre", "Rorschach"])
                )
            ).all()
        )
    assert teams == {"Silk Spectre": team_id, "Rorschach": team_id}


def test_rows_of_a_table_the_user_may_not_view_are_not_named(
    empty_database_url: str,
):
    app = create_app(migrated(empty_database_url, (HEROES,)), HEROES, SECRET_KEY)
    try:
        with Session(app.state.engine) as session:
            team = heroes.Team(name="Preventers", headquarters="Sharp Tower")
            team.heroes = [heroes.Hero(name="Deadpond", secret_name="Dive Wilson")]
            session.add(team)
            session.commit()
            team_id = team.id
        add_staff(app, "teams", grants={"team": ["view"]})
        add_staff(app, "both", grants={"team": ["view"], "hero": ["view"]})
        add_staff(app, "adder", grants={"team": ["view"], "hero": ["view", "create"]})
        heroes_shown = {"hero-team_id": "Heroes"}
        for user, expected, adds in (
            ("teams", {}, False),
            ("both", heroes_shown, False),
            ("adder", heroes_shown, True),
        ):
            with TestClient(app) as client:
                assert login(client, user).status_code == 302
                page = client.get(f"/admin/team/details/{team_id}")
                assert page.status_code == 200
                shown = referring_sections(page.text)
                assert {n: s["title"] for n, s in shown.items()} == expected, user
                if not expected:
                    assert "Deadpond" not in page.text
                else:
                    assert (shown["hero-team_id"]["add"] is not None) == adds, user
    finally:
        app.state.engine.dispose()


def test_rows_the_tables_view_does_not_list_are_not_named(empty_database_url: str):
    """The project's view lists open tasks alone: a task's done subtasks are
    neither named nor counted on its page."""
    for site in serve(empty_database_url, "tests.list_editing_zoo", seeded=False):
        with site.session() as session:
            parent = tracker.TrackerTask(title="Release", status="open")
            session.add(parent)
            session.flush()
            session.add_all(
                [
                    tracker.TrackerTask(
                        title="Tag", status="open", parent_id=parent.id
                    ),
                    tracker.TrackerTask(
                        title="Ship", status="done", parent_id=parent.id
                    ),
                ]
            )
            session.commit()
            parent_id = parent.id
        page = site.client.get(f"/admin/tracker-task/details/{parent_id}")
        section = referring_sections(page.text)["tracker_task-parent_id"]
        assert section["count"] == "1"
        assert [label for label, _ in section["rows"]] == ["Tag"]
        assert "Ship" not in page.text
