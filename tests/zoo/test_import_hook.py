"""A project's save hook (`on_model_change`) through an import, on SQLite and
PostgreSQL: it is given every cell of each row, as a form's hook is given
every field, cells that repeat what the row holds included, and what it sets
on the row is previewed, written and audited (a cell the user left as
exported does not undo it, as an edit form's field left as shown does not)."""

from collections.abc import Iterator

import pytest
from sqlmodel import select

from tests.zoo import fullstack
from tests.zoo.conftest import FULLSTACK, Site, serve
from tests.zoo.seeds import seed
from tests.zoo.story_base import audit_rows, entry_changes

JSON = {"Accept": "application/json"}


@pytest.fixture
def hooked(empty_database_url: str) -> Iterator[Site]:
    for site in serve(empty_database_url, "tests.import_hook_zoo", seeded=False):
        seed(site.engine, FULLSTACK)
        yield site


def test_the_hook_sees_every_cell_and_what_it_sets_is_imported(hooked):
    site = hooked
    with site.session() as session:
        items = {str(i.id): i for i in session.exec(select(fullstack.Item))}
    exported = site.client.get("/admin/item/export/csv").text
    answer = site.client.post(
        "/admin/item/import",
        files={"file": ("items.csv", exported.encode())},  # as exported
        headers=JSON,
    )
    preview = answer.json()
    assert preview["errors"] == []
    stamped = {
        key: f"Saved as {item.title}"
        for key, item in items.items()
        if item.description != f"Saved as {item.title}"
    }
    assert stamped
    assert preview["changed"] == len(stamped)
    assert {
        row["key"]: row["changes"]["description"][1] for row in preview["rows"]
    } == stamped
    site.client.post("/admin/item/import/confirm", data={"token": preview["token"]})
    with site.session() as session:
        for item in session.exec(select(fullstack.Item)):
            assert item.description == f"Saved as {item.title}"
    (entry,) = [e for e in audit_rows(site) if e["action"] == "import"]
    new = entry_changes(entry)["new"]
    assert {key: values["description"] for key, values in new.items()} == stamped
