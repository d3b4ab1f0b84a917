"""An import reads a batch's rows with one query per table, whatever their
key, on SQLite and PostgreSQL: previewing every row of a table runs as many
statements as previewing its first row. The rows of a composite key (a link
table's, a seat's hall and number) were read with a query each, a 100,000-row
file as many queries, and so were new rows found by a unique column."""

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.zoo.conftest import COLUMNS, HEROES, TRACKER

JSON = {"Accept": "application/json"}

COMPOSITE_KEYS = [
    (HEROES, "hero-team-link"),
    (TRACKER, "tracker-assignment"),
    (TRACKER, "tracker-task-label"),
    (COLUMNS, "zoo-seat"),
]


@contextmanager
def statements_run(engine) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The SQL statements `engine` runs meanwhile."""
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize(
    ("site", "table"), COMPOSITE_KEYS, indirect=["site"], ids=lambda p: str(p)
)
def test_a_preview_reads_rows_of_a_composite_key_with_one_query(site, table: str):
    exported = site.client.get(f"/admin/{table}/export/csv").text
    header, *rows = list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))
    assert len(rows) >= 4
    counts = []
    for body in (rows[:1], rows):
        out = io.StringIO()
        csv.writer(out).writerows([header, *body])
        with statements_run(site.engine) as seen:
            answer = site.client.post(
                f"/admin/{table}/import",
                files={"file": ("rows.csv", out.getvalue().encode())},
                headers=JSON,
            )
        assert answer.status_code == 200, answer.text[:300]
        assert answer.json()["unchanged"] == len(body)
        counts.append(len(seen))
    assert counts[1] == counts[0], counts


@pytest.mark.parametrize("site", [TRACKER], indirect=True)
def test_new_rows_found_by_a_unique_column_take_one_query(site):
    """A name the batch's one query found no label for is a new label's,
    without a query of its own (each was asked for again)."""
    counts = []
    for count in (1, 1, 10):  # the first also reads PostgreSQL's index kinds, once
        names = "".join(f"New label {n}\n" for n in range(count))
        with statements_run(site.engine) as seen:
            answer = site.client.post(
                "/admin/tracker-label/import",
                files={"file": ("labels.csv", f"name\n{names}".encode())},
                data={"key": "name"},
                headers=JSON,
            )
        assert answer.json()["new"] == count, answer.text[:300]
        counts.append(len(seen))
    assert counts[2] == counts[1], counts
