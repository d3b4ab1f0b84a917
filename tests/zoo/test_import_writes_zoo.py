"""An import's two ways of writing a batch, on every table of every zoo module,
on SQLite and PostgreSQL: a table of plain columns is written by statements
(`admin_app.importing.batch_writes`), one whose model has a listener by the
ORM's flush. The same file gives the same preview, the same rows afterwards
and the same audit entry either way, and each import reverts to the export
the table gave before."""

import csv
import io

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from admin_app.importing.batch_writes import plain_columns
from tests.zoo import fullstack
from tests.zoo.conftest import FULLSTACK, ZOO
from tests.zoo.story_base import audit_rows, entry_changes
from tests.zoo.test_import_roundtrip import changeable_tables, csv_bytes

JSON = {"Accept": "application/json"}


def _import(site, table: str, data: bytes) -> tuple[dict, dict, str]:  # type: ignore[no-untyped-def]
    """Preview and confirm `data`; the preview, the audit entry's values and
    the table's export afterwards."""
    preview = site.client.post(
        f"/admin/{table}/import", files={"file": ("t.csv", data)}, headers=JSON
    ).json()
    assert preview["errors"] == [], (table, preview["errors"][:3])
    confirmed = site.client.post(
        f"/admin/{table}/import/confirm", data={"token": preview["token"]}
    )
    assert "Nothing was imported" not in confirmed.text, table
    entry = audit_rows(site)[-1]
    assert entry["action"] == "import", table
    after = site.client.get(f"/admin/{table}/export/csv").text
    site.client.post(f"/admin/audit-entry/revert/{entry['id']}")
    return preview, entry_changes(entry), after


class _Listened:
    """A listener on `model`'s updates and inserts, for as long as it is held:
    the import then writes through the ORM's flush."""

    def __init__(self, model: type) -> None:
        self.model, self.calls = model, 0

    def _count(self, *_args: object) -> None:
        self.calls += 1

    def __enter__(self) -> "_Listened":
        for name in ("before_update", "before_insert"):
            event.listen(self.model, name, self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        for name in ("before_update", "before_insert"):
            event.remove(self.model, name, self._count)


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_statements_and_the_flush_change_every_row_alike(site):
    """Every exported row's text (or flag) cell changed: keys of every shape
    (UUID, text, composite, numbered) name the rows both ways."""
    compared = []
    for found in changeable_tables(site):
        model, table, rows, name = found.model, found.table, found.rows, found.name
        with Session(site.engine) as session:
            plain = plain_columns(model, session)
        if not plain:
            continue
        for row in rows:
            flag = row[name] in ("true", "false")
            row[name] = (
                {"true": "false", "false": "true"}[row[name]]
                if flag
                else (row[name] + " (imported)")
            )
        data = csv_bytes(found.header, rows)
        by_statements = _import(site, table, data)
        assert site.client.get(f"/admin/{table}/export/csv").text == found.text, table
        with _Listened(model) as listened:
            with Session(site.engine) as session:
                assert not plain_columns(model, session)
            by_flush = _import(site, table, data)
        assert listened.calls >= 2 * len(rows), table  # preview and confirmation
        assert site.client.get(f"/admin/{table}/export/csv").text == found.text, table
        preview = by_statements[0]
        assert (preview["changed"], preview["new"]) == (len(rows), 0), table
        for ours, theirs in zip(by_statements, by_flush, strict=True):
            if isinstance(ours, dict):
                ours, theirs = dict(ours), dict(theirs)
                ours.pop("token", None), theirs.pop("token", None)
            assert ours == theirs, table
        compared.append(table)
    assert compared


@pytest.mark.parametrize("through", ["statements", "flush"])
@pytest.mark.parametrize("site", [FULLSTACK], indirect=True, ids=["fullstack"])
def test_a_new_item_keyed_by_its_uuid_default_is_written_either_way(site, through):
    """The full-stack template's items: a UUID key made by `default_factory`,
    an owner by UUID. The new row is returned by the INSERT as stored (its key
    in the audit entry), or written by the flush; both revert."""
    exported = list(
        csv.DictReader(io.StringIO(site.client.get("/admin/item/export/csv").text))
    )
    row = dict.fromkeys(exported[0], "")
    row.update(title="Imported either way", owner_id=exported[0]["owner_id"])
    data = csv_bytes(list(row), [row])
    listened = _Listened(fullstack.Item)
    if through == "flush":
        listened.__enter__()
    try:
        preview = site.client.post(
            "/admin/item/import", files={"file": ("t.csv", data)}, headers=JSON
        ).json()
        assert (preview["new"], preview["errors"]) == (1, [])
        site.client.post("/admin/item/import/confirm", data={"token": preview["token"]})
    finally:
        if through == "flush":
            listened.__exit__()
    assert listened.calls == (2 if through == "flush" else 0)
    with site.session() as session:
        item = session.exec(
            select(fullstack.Item).where(fullstack.Item.title == "Imported either way")
        ).one()
        assert str(item.owner_id) == exported[0]["owner_id"]
    entry = audit_rows(site)[-1]
    assert list(entry_changes(entry)["added"]) == [str(item.id)]
    site.client.post(f"/admin/audit-entry/revert/{entry['id']}")
    with site.session() as session:
        assert session.get(fullstack.Item, item.id) is None
