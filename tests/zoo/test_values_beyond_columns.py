"""Values a column cannot hold, on SQLite and PostgreSQL: a whole number
beyond an integer column's range (PostgreSQL's INTEGER, SQLModel's `int`,
holds 4 bytes; SQLite holds 8 in every integer column) and text with a NUL
character (refused on both, as Django's forms refuse it).

PostgreSQL refused such a value with a database error naming no row or
field, so one cell of an imported file turned the whole preview into a 400
and an edit form into a page without its fields. Now each is its field's
error: an import's other rows are previewed (and confirmed once the file is
mended), a form is shown again with the message next to the field or the
link editor's row, and nothing of the refused row is written."""

import csv
import io
from types import SimpleNamespace

import pytest
from sqlmodel import select

from tests.pages import field_errors, form_values, list_rows, text
from tests.zoo.columns import ZooEvent

pytestmark = pytest.mark.postgres

JSON = {"Accept": "application/json"}
BEYOND = 2**31  # one past PostgreSQL's INTEGER
HEADER = ["id", "name", "data", "errors"]
RANGE = "holds whole numbers from -2147483648 to 2147483647."


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def _events(site) -> dict[int, SimpleNamespace]:  # type: ignore[no-untyped-def]
    """Each event's values as the database holds them, compared by value
    (pydantic 2.0 counted the ORM's instance state in a model's `==`)."""
    with site.session() as session:
        return {
            e.id: SimpleNamespace(**e.model_dump())
            for e in session.exec(select(ZooEvent))
        }


@pytest.mark.parametrize("site", ["tests.zoo.columns"], indirect=True)
def test_an_import_refuses_the_cells_and_keeps_the_other_rows(site, backend):
    before = _events(site)
    first, second, third = sorted(before)[:3]
    postgres = backend == "postgresql"
    long_text = "A long note. " * 400  # the NUL comes after the file's first 4 KB
    rows = [
        [str(first), before[first].name, long_text, str(before[first].errors)],
        [str(second), before[second].name, "", str(BEYOND)],
        [str(third), before[third].name, "cut\0here", "0"],
        [str(BEYOND), "Beyond", "", "0"],
    ]
    data = _csv(HEADER, rows)
    answer = site.client.post(
        "/admin/zoo-event/import", files={"file": ("e.csv", data)}, headers=JSON
    )
    assert answer.status_code == 200, answer.text[:500]
    preview = answer.json()
    errors = {(e["row"], e["column"]): e["message"] for e in preview["errors"]}
    assert errors[(4, "data")] == "Null characters are not allowed."
    if postgres:
        assert errors[(3, "errors")] == f"{BEYOND} is out of range: this field {RANGE}"
        assert errors[(5, "id")] == f"{BEYOND} is out of range: this field {RANGE}"
        assert preview["changed"] == 1
    else:  # SQLite holds it; no row has the key
        assert (3, "errors") not in errors
        assert errors[(5, "id")].startswith(f"No Zoo event has the key {BEYOND}")
        assert preview["changed"] == 2
    assert len(errors) == (3 if postgres else 2)
    assert preview["token"] is None  # a file with refused rows is not confirmed
    assert _events(site) == before

    # The file mended (the refused rows left out): the rest is confirmed.
    kept = [
        row for n, row in enumerate(rows, start=2) if n not in {r for r, _ in errors}
    ]
    answer = site.client.post(
        "/admin/zoo-event/import",
        files={"file": ("e.csv", _csv(HEADER, kept))},
        headers=JSON,
    )
    preview = answer.json()
    assert (preview["errors"], preview["changed"]) == ([], len(kept))
    confirmed = site.client.post(
        "/admin/zoo-event/import/confirm",
        data={"token": preview["token"]},
        follow_redirects=False,
    )
    assert confirmed.status_code == 302
    after = _events(site)
    assert after[first].data == long_text
    assert after[second].errors == (before[second].errors if postgres else BEYOND)
    assert after[third].data == before[third].data
    assert set(after) == set(before)


@pytest.mark.parametrize("site", ["tests.zoo.columns"], indirect=True)
def test_a_related_key_beyond_its_range_names_no_row(site):
    """PostgreSQL refused the lookup of the related row; now no row has it."""
    data = _csv(["code", "title", "shelf_id"], [["Q-1", "Beyond", str(BEYOND)]])
    answer = site.client.post(
        "/admin/zoo-code/import", files={"file": ("c.csv", data)}, headers=JSON
    )
    assert answer.status_code == 200, answer.text[:500]
    assert answer.json()["errors"] == [
        {
            "row": 2,
            "column": "shelf_id",
            "message": "Choose a valid option: that row does not exist.",
        }
    ]


@pytest.mark.parametrize(
    ("site", "table", "field"),
    [
        ("tests.zoo.tracker", "tracker-task", "labels"),
        ("tests.zoo.tracker", "tracker-label", "tasks"),
    ],
    indirect=["site"],
)
def test_a_bulk_edits_link_key_beyond_its_range_names_no_row(site, table, field):
    """A key typed into the bulk edit's "add" or "remove" box (a table too
    large to list) is found as every typed key is (`limits.row_named`): one
    beyond the key's column names no row, said on the form (PostgreSQL's
    refusal replaced the whole page before, and a link's message was not
    shown at all, on either database)."""
    for verb in ("add", "remove"):
        answer = site.client.post(
            f"/admin/{table}/bulk-edit?pks=1", data={f"{verb}__{field}": str(BEYOND)}
        )
        assert answer.status_code == 400, (table, verb)
        assert f"'{BEYOND}' names no {field} row." in text(answer.text)


@pytest.mark.parametrize("site", ["tests.zoo.columns"], indirect=True)
def test_a_form_shows_the_error_beside_its_field(site, backend):
    with site.session() as session:
        event = session.exec(select(ZooEvent).order_by(ZooEvent.id)).first()
    answer = site.client.post(
        f"/admin/zoo-event/edit/{event.id}",
        data={"name": event.name, "data": "cut\0here", "errors": str(BEYOND)},
    )
    postgres = backend == "postgresql"
    assert answer.status_code == 400
    shown = field_errors(answer.text)
    assert "Null characters are not allowed." in shown
    assert (f"{BEYOND} is out of range: this field {RANGE}" in shown) == postgres
    with site.session() as session:
        saved = session.get(ZooEvent, event.id)
        assert (saved.data, saved.errors) == (event.data, event.errors)
    # Without the NUL, SQLite holds the number; PostgreSQL still refuses it.
    answer = site.client.post(
        f"/admin/zoo-event/edit/{event.id}",
        data={"name": event.name, "data": "", "errors": str(BEYOND)},
    )
    assert answer.status_code == (400 if postgres else 200)
    with site.session() as session:
        assert session.get(ZooEvent, event.id).errors == (
            event.errors if postgres else BEYOND
        )


@pytest.mark.parametrize(
    ("site", "table", "editor", "other", "noun"),
    [
        ("tests.zoo.heroes", "hero", "team_links", str(BEYOND), "team"),
        ("tests.zoo.tracker", "tracker-task", "assignments", "@cut\0here", "worker"),
    ],
    indirect=["site"],
)
def test_a_link_row_naming_a_key_no_row_can_have_is_refused(
    site, table: str, editor: str, other: str, noun: str
):
    """A link editor's row naming a key beyond its column's range (the
    tutorial's heroes) or with a NUL character (the tracker's text keys)."""
    view = next(v for v in site.app.state.admin.views if v.identity == table)
    with site.session() as session:
        row = session.exec(select(view.model).order_by(*view.pk_columns)).first()
        key = str(getattr(row, view.pk_columns[0].key))
        links_before = len(getattr(row, editor))
    url = f"/admin/{table}/edit/{key}"
    shown = form_values(site.client.get(url).text)
    rows = {name.split("-")[1] for name, _ in shown if name.startswith(f"{editor}-")}
    data: dict[str, list[str]] = {}
    for name, value in [*shown, (f"{editor}-{len(rows)}-other", other)]:
        data.setdefault(name, []).append(value)
    answer = site.client.post(url, data=data, follow_redirects=False)
    assert answer.status_code == 400
    assert f"Row {len(rows) + 1}: that {noun} does not exist." in text(answer.text)
    with site.session() as session:
        assert len(getattr(session.get(view.model, row.id), editor)) == links_before


SIZED = "This field holds at most 3 characters (this text has 4)."
PLACES = "This field holds at most 2 decimal places (this number has 3)."
RANGED = "999.995 is out of range: this field holds numbers from -999.99 to 999.99."


@pytest.mark.parametrize(
    ("values", "field", "message", "on_the_form"),
    [
        # the form's own length check (SQLAdmin's) speaks first there
        (
            {"level": "WARN", "took": "1"},
            "level",
            SIZED,
            "Field cannot be longer than 3 characters.",
        ),
        ({"level": "WRN", "took": "999.995"}, "took", RANGED, RANGED),
        # the database would round it (to 12.35), unlike what the audit
        # trail and the preview said: refused, as Django's DecimalField does
        ({"level": "WRN", "took": "12.345"}, "took", PLACES, PLACES),
        (
            {"level": "W\0N", "took": "1"},
            "level",
            "Null characters are not allowed.",
            "Null characters are not allowed.",
        ),
    ],
)
@pytest.mark.parametrize("site", ["tests.zoo.columns"], indirect=True)
def test_a_value_beyond_the_size_a_column_declares_is_its_fields_error(
    site, values, field, message, on_the_form
):
    """Sizes declared on the database's side only (`sa_type=String(3)`,
    `Numeric(5, 2)`, which the model's validation does not know), and a NUL
    character: SQLite kept the longer text, the larger number (and, in a
    bulk edit, the NUL), PostgreSQL refused the statement (a form without
    its fields, a whole import's preview refused as one 400). The form, the
    import (a changed row and a new one) and the bulk edit name the field,
    on both databases, and nothing is written."""
    before = _events(site)
    key = min(before)
    name = before[key].name
    edited = site.client.post(
        f"/admin/zoo-event/edit/{key}",
        data={"name": name, **values, "save": "Save"},
        follow_redirects=False,
    )
    assert edited.status_code == 400
    assert field_errors(edited.text) == [on_the_form]
    rows = [[str(key), name, values["level"], values["took"]]]
    rows.append(["", "new", values["level"], values["took"]])
    data = _csv(["id", "name", "level", "took"], rows)
    answer = site.client.post(
        "/admin/zoo-event/import", files={"file": ("e.csv", data)}, headers=JSON
    )
    if b"\0" in data:  # a NUL in a file's first bytes: not a text file at all
        assert answer.status_code == 400
    else:
        found = [(e["row"], e["column"], e["message"]) for e in answer.json()["errors"]]
        assert found == [(2, field, message), (3, field, message)]
        assert answer.json()["token"] is None
    changed = site.client.post(
        f"/admin/zoo-event/bulk-edit?pks={key}",
        data={"fields": [field], **values},
        follow_redirects=False,
    )
    assert changed.status_code == 400
    assert on_the_form in field_errors(changed.text)
    assert _events(site) == before


@pytest.mark.parametrize(
    ("site", "query"),
    [
        ("tests.zoo.tracker", f"tracker-task/list?parent_id={BEYOND}"),
        ("tests.zoo.tracker", f"tracker-label/list?tasks={BEYOND}"),
        ("tests.zoo.tracker", f"tracker-task/list?pks=1,{BEYOND}"),
        ("tests.zoo.tracker", f"tracker-task/export/csv?parent_id=-{BEYOND + 1}"),
        ("tests.zoo.columns", f"zoo-sample/list?shelf_id={BEYOND}"),
        ("tests.zoo.columns", f"zoo-event/list?errors__gte={BEYOND}"),
        ("tests.zoo.heroes", f"hero/bulk-edit?pks={BEYOND}"),
    ],
    indirect=["site"],
)
def test_a_filter_or_selection_beyond_a_columns_range_matches_no_row(site, query):
    """A number beyond PostgreSQL's `integer` in a filter or a selection of
    rows matches no row (SQLite holds it in the same column: no row has it
    either), as Django's lookups do; PostgreSQL refused the whole query."""
    response = site.client.get(f"/admin/{query}")
    assert response.status_code == 200, text(response.text)[-300:]
    if "/export/" in query:
        assert len(response.text.strip().splitlines()) == 1  # the header alone
    elif "/bulk-edit" in query:
        assert "Apply to 0 rows" in text(response.text)
    else:
        rows = list_rows(response.text)
        wanted = {"1"} if "pks=1," in query else set()
        assert {row.get("Id", row.get("ID", "")) for row in rows} <= wanted | {""}
        assert len(rows) == len(wanted), rows
