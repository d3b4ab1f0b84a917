"""A related row chosen on a form stays chosen where the related table is
searched as you type (SQLAdmin's select2 AJAX select), on SQLite and
PostgreSQL: the page holds it as a selected option, labelled, so a form
posted as the page has it keeps it, and a refused form shows the rows the
user chose again by their labels, ready to be sent once more.

Every related table is counted as large here (`search_as_you_type`)."""

import re
from contextlib import nullcontext
from html import unescape

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlmodel import select

from tests.pages import field_errors, form_values, post_form
from tests.zoo.columns import ZooSample
from tests.zoo.conftest import COLUMNS, HEROES, TRACKER, serve
from tests.zoo.fullstack import Item
from tests.zoo.heroes import Hero
from tests.zoo.steps_writing import search_as_you_type
from tests.zoo.tracker import TrackerAssignment, TrackerTask

pytestmark = pytest.mark.postgres


def select_tag(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert found, f"no select {name}"
    return found.group(0)


def chosen_options(html: str, name: str) -> list[tuple[str, str]]:
    """(value, text) of the selected options of the select named `name`."""
    found = re.search(
        rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', html, re.S
    )
    assert found, f"no select {name}"
    return [
        (unescape(value), unescape(text).strip())
        for value, text in re.findall(
            r'<option value="([^"]*)" selected>(.*?)</option>', found.group(1), re.S
        )
    ]


def with_values(
    pairs: list[tuple[str, str]], typed: dict[str, str]
) -> list[tuple[str, str]]:
    """The form's pairs with `typed` put in (an empty search-as-you-type
    select sends nothing: its value is added)."""
    sent = [(n, typed.get(n, v)) for n, v in pairs]
    return sent + [(n, v) for n, v in typed.items() if n not in dict(pairs)]


def test_fullstack_an_items_owner_by_uuid_key(fullstack_site):
    site = fullstack_site
    with site.session() as db:
        item = db.exec(select(Item)).first()
        owner = item.owner
        key, owner_id, email = str(item.id), owner.id, owner.email
    url = f"/admin/item/edit/{key}"
    with search_as_you_type():
        page = site.client.get(url).text
        assert chosen_options(page, "owner") == [(str(owner_id), email)]
        # Refused (no title): the owner sent is shown again by its label.
        shown = [(n, "" if n == "title" else v) for n, v in form_values(page)]
        refused = post_form(site.client, url, shown)
        assert refused.status_code == 400
        assert field_errors(refused.text)
        assert chosen_options(refused.text, "owner") == [(str(owner_id), email)]
        again = [
            (n, "Renamed after a refusal" if n == "title" else v)
            for n, v in form_values(refused.text)
        ]
        assert post_form(site.client, url, again).status_code == 302
    with site.session() as db:
        saved = db.get(Item, item.id)
        assert (saved.title, saved.owner_id) == ("Renamed after a refusal", owner_id)


def test_tracker_a_new_assignment_refused_then_sent_again(tracker_site):
    site = tracker_site
    with site.session() as db:
        task = db.exec(
            select(TrackerTask).where(TrackerTask.title == "Set up CI")
        ).one()
    url = f"/admin/tracker-task/edit/{task.id}"
    with search_as_you_type():
        page = site.client.get(url).text
        blank = 0  # the task has no assignments: its first row is blank
        other = f"assignments-{blank}-other"
        assert 'data-role="select2-ajax"' in select_tag(page, other)
        assert chosen_options(page, other) == []
        typed = with_values(
            form_values(page), {other: "@zoë", f"assignments-{blank}-role": "emperor"}
        )
        refused = post_form(site.client, url, typed)
        assert refused.status_code == 400
        assert chosen_options(refused.text, other) == [("@zoë", "Zoë")]
        again = with_values(
            form_values(refused.text), {f"assignments-{blank}-role": "helper"}
        )
        saved = post_form(site.client, url, again)
        assert saved.status_code == 302, field_errors(saved.text)
    with site.session() as db:
        links = db.exec(
            select(TrackerAssignment).where(TrackerAssignment.task_id == task.id)
        ).all()
        assert [(a.worker_id, a.role) for a in links] == [("@zoë", "helper")]


def test_one_size_decides_every_related_select(empty_database_url):
    """The view's `small_table_rows` decides for a form's selects, its link
    editors and the filter panel alike: here every table is large."""
    with search_as_you_type():
        for site in serve(empty_database_url, TRACKER):
            form = site.client.get("/admin/tracker-task/create").text
            listing = site.client.get("/admin/tracker-task/list").text
    for html, name in (
        (form, "parent"),
        (form, "labels"),
        (form, "assignments-0-other"),
        (listing, "parent_id"),
        (listing, "labels"),
    ):
        assert 'data-role="select2-ajax"' in select_tag(html, name), name


@pytest.mark.parametrize("typed", ["9" * 30, "3000000000", "-1", "<b>1</b>", "1;2"])
def test_a_key_naming_no_row_is_refused_and_shown_as_typed(tracker_site, typed):
    site = tracker_site
    with site.session() as db:
        task = db.exec(
            select(TrackerTask).where(TrackerTask.title == "Proofread")
        ).one()
        parent_id = task.parent_id
    url = f"/admin/tracker-task/edit/{task.id}"
    with search_as_you_type():
        sent = with_values(form_values(site.client.get(url).text), {"parent": typed})
        refused = post_form(site.client, url, sent)
    assert refused.status_code == 400
    assert field_errors(refused.text) == [
        "Choose a valid option: that row does not exist."
    ]
    assert chosen_options(refused.text, "parent") == [(typed, typed)]
    assert "<b>1</b>" not in refused.text
    with site.session() as db:
        assert db.get(TrackerTask, task.id).parent_id == parent_id


def _dangling(site, table: str, column: str, referred: str, key: str) -> None:  # type: ignore[no-untyped-def]
    """Point the row of `table` whose key is `key` at a row of `referred`
    no longer there (9999), as a database whose foreign keys are not
    enforced lets another program do."""
    with site.engine.begin() as connection:
        if site.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            (name,) = [
                fk["name"]
                for fk in sa_inspect(site.engine).get_foreign_keys(table)
                if fk["referred_table"] == referred
            ]
            connection.exec_driver_sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
        connection.exec_driver_sql(
            f"UPDATE {table} SET {column} = 9999 WHERE id = {key}"
        )
        if site.engine.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


@pytest.mark.parametrize("searched", [False, True], ids=["select", "searched"])
@pytest.mark.parametrize(
    ("site", "model", "edit", "column", "referred"),
    [
        (HEROES, Hero, ("name", "Deadpond (renamed)"), "team_id", "team"),
        (COLUMNS, ZooSample, ("notes", "Moved"), "shelf_id", "zoo_shelf"),
    ],
    ids=["relationship", "key only"],
    indirect=["site"],
)
def test_a_key_naming_a_row_gone_stays_when_the_form_leaves_it(
    site, model, edit, column, referred, searched
):
    """A related row gone (the form shows none): a save that changes another
    field leaves the key as it was, as a field left as shown is. A hero's
    team has a relationship; a sample's shelf is a foreign key no
    relationship names (the select chooses the key itself)."""
    with site.session() as db:
        row = db.exec(select(model).where(getattr(model, column).is_not(None))).first()
    table = model.__tablename__
    _dangling(site, table, column, referred, row.id)
    url = f"/admin/{table.replace('_', '-')}/edit/{row.id}"
    name, value = edit
    with search_as_you_type() if searched else nullcontext():
        page = site.client.get(url).text
        sent = with_values(form_values(page), {name: value})
        saved = post_form(site.client, url, sent)
    assert saved.status_code == 302, field_errors(saved.text)
    with site.session() as db:
        kept = db.get(model, row.id)
        assert (getattr(kept, name), getattr(kept, column)) == (value, 9999)
