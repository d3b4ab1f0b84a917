"""A new row whose file leaves a defaulted column empty, on SQLite and
PostgreSQL: the default (`Field(default_factory=now)`) is made again when the
import is confirmed, a moment after the preview, so its value is not part of
what the confirmation compares with the preview; the confirmation applies the
file's values, and the row holds the value made at the confirmation."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from tests.zoo import fullstack, tracker
from tests.zoo.story_base import audit_rows, entry_changes

pytestmark = pytest.mark.postgres

JSON = {"Accept": "application/json"}


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _preview_and_confirm(site, table: str, data: bytes):  # type: ignore[no-untyped-def]
    answer = site.client.post(
        f"/admin/{table}/import", files={"file": ("t.csv", data)}, headers=JSON
    )
    preview = answer.json()
    assert preview["errors"] == []
    assert (preview["new"], preview["changed"]) == (1, 0), preview
    assert preview["token"]
    return site.client.post(
        f"/admin/{table}/import/confirm", data={"token": preview["token"]}
    )


def test_a_new_assignment_with_its_time_left_empty_is_confirmed(tracker_site):
    site = tracker_site
    entries = len(audit_rows(site))
    before = datetime.now(UTC)
    data = _csv(
        [
            {
                "task_id": "3",
                "task": "",
                "worker_id": "@idle",
                "worker": "",
                "role": "helper",
                "assigned_at": "",
            }
        ]
    )
    confirmed = _preview_and_confirm(site, "tracker-assignment", data)
    assert "Nothing was imported" not in confirmed.text
    assert " changed, 1 added." in confirmed.text
    with site.session() as session:
        added = session.exec(
            select(tracker.TrackerAssignment).where(
                tracker.TrackerAssignment.worker_id == "@idle"
            )
        ).one()
        assert (added.task_id, added.role) == (3, "helper")
        made = added.assigned_at
        made = made if made.tzinfo else made.replace(tzinfo=UTC)
        assert made >= before.replace(microsecond=0)
    (entry,) = audit_rows(site)[entries:]
    assert entry["action"] == "import"
    (values,) = entry_changes(entry)["added"].values()
    assert values["worker_id"] == "@idle"
    assert values["assigned_at"] is not None  # what the confirmation wrote


def test_a_new_item_without_a_key_or_time_is_confirmed(fullstack_site):
    """The UUID key and the creation time are made by `default_factory`."""
    site = fullstack_site
    exported = list(
        csv.DictReader(io.StringIO(site.client.get("/admin/item/export/csv").text))
    )
    row = {name: "" for name in exported[0]}
    row.update(title="Imported item", owner_id=exported[0]["owner_id"])
    confirmed = _preview_and_confirm(site, "item", _csv([row]))
    assert " changed, 1 added." in confirmed.text
    with site.session() as session:
        item = session.exec(
            select(fullstack.Item).where(fullstack.Item.title == "Imported item")
        ).one()
        assert str(item.owner_id) == exported[0]["owner_id"]
