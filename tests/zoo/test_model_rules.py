"""A model's own validators (a `@model_validator` across two fields: a
tracker task is not its own parent) refuse a value on every write path: the
edit form, the bulk edit, the import and the list edit, with the model's
words, and nothing is written. The bulk edit checks each selected row, as the
rule holds for one row and not another."""

import pytest
from sqlalchemy import select

from tests.pages import form_values, post_form, text
from tests.test_list_editing import list_form, row_of, save
from tests.zoo import tracker
from tests.zoo.conftest import TRACKER, serve
from tests.zoo.seeds import seed
from tests.zoo.test_import_roundtrip import csv_bytes, import_preview

pytestmark = pytest.mark.postgres

RULE = "A task cannot be its own parent."


def _tasks(site) -> dict[str, tracker.TrackerTask]:  # type: ignore[no-untyped-def]
    with site.session() as session:
        return {t.title: t for t in session.scalars(select(tracker.TrackerTask))}


def test_the_edit_form_refuses_a_task_as_its_own_parent(tracker_site):
    launch = _tasks(tracker_site)["Launch the tracker"]
    url = f"/admin/tracker-task/edit/{launch.id}"
    form = form_values(tracker_site.client.get(url).text)
    posted = [(k, str(launch.id) if k == "parent" else v) for k, v in form]
    answer = post_form(tracker_site.client, url, posted)
    assert answer.status_code == 400
    assert RULE in text(answer.text)
    assert _tasks(tracker_site)["Launch the tracker"].parent_id is None


def test_a_bulk_edit_that_breaks_the_rule_for_one_row_changes_none(tracker_site):
    tasks = _tasks(tracker_site)
    launch, docs, proofread = (
        tasks[t] for t in ("Launch the tracker", "Write the docs", "Proofread")
    )
    before = {t.title: t.parent_id for t in tasks.values()}
    chosen = f"{launch.id},{proofread.id}"
    answer = tracker_site.client.post(
        f"/admin/tracker-task/bulk-edit?pks={chosen}",
        data={"fields": "parent", "parent": str(launch.id)},
    )
    assert answer.status_code == 400
    said = text(answer.text)
    assert "Nothing was changed" in said
    assert f"Launch the tracker: {RULE}" in said
    assert "Proofread:" not in said  # the rule holds for that row
    assert {t.title: t.parent_id for t in _tasks(tracker_site).values()} == before
    # Without the parent among the rows, the same change is made.
    answer = tracker_site.client.post(
        f"/admin/tracker-task/bulk-edit?pks={docs.id},{proofread.id}",
        data={"fields": "parent", "parent": str(launch.id)},
        follow_redirects=False,
    )
    assert answer.status_code == 302, text(answer.text)
    after = _tasks(tracker_site)
    assert (
        after["Write the docs"].parent_id == after["Proofread"].parent_id == (launch.id)
    )


def test_an_import_refuses_the_row_with_the_models_words(tracker_site):
    launch = _tasks(tracker_site)["Launch the tracker"]
    preview = import_preview(
        tracker_site.client,
        "tracker-task",
        csv_bytes(["id", "parent"], [{"id": str(launch.id), "parent": launch.title}]),
    )
    assert preview["token"] is None
    assert [(e["row"], e["message"]) for e in preview["errors"]] == [(2, RULE)]


def test_a_list_edit_refuses_the_row(empty_database_url: str):
    """The project's view edits parents on the list page (list_editable)."""
    for site in serve(empty_database_url, "tests.list_editing_zoo", seeded=False):
        seed(site.engine, TRACKER)
        launch = _tasks(site)["Launch the tracker"]
        url = "/admin/tracker-task/list"
        values = list_form(site.client.get(url).text)
        parent = f"row-{row_of(values, launch.id)}-parent"
        answer = save(
            site.client,
            url,
            [(n, str(launch.id) if n == parent else v) for n, v in values],
        )
        assert answer.status_code == 400
        assert RULE in text(answer.text)
        assert _tasks(site)["Launch the tracker"].parent_id is None
