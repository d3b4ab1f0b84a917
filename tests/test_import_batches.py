"""Large imports are written in batches: a staff user's file of thousands of
rows previews and applies exactly as a row-by-row import would, across the
batches' boundaries (a unique value taken in the database or earlier in the
file, a row named twice, a row changed between preview and confirmation).
Every test runs on SQLite and PostgreSQL."""

import csv
import io
import json
import re

import pytest
from sqlalchemy import event, insert
from sqlmodel import Session, func, select

from admin_app.importing.batch_writes import plain_columns
from admin_app.importing.previews import ImportPreview
from admin_app.importing.run import BATCH_ROWS, KEPT
from models import Task, Worker
from tests.pages import text as page_text
from tests.test_import import audit_entries, exported, preview, rows_of, write_csv


def fill_workers(engine, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(Worker.__table__),
            [
                {"name": f"Worker {n}", "email": f"w{n}@example.com", "active": True}
                for n in range(count)
            ],
        )


def fill_tasks(engine, count: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(Task.__table__),
            [
                {
                    "title": f"Task {n}",
                    "status": "todo",
                    "priority": "normal",
                    "progress": n % 100,
                }
                for n in range(count)
            ],
        )


def count_of(db: Session, model: type) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_taken_email_in_a_later_batch_refuses_that_row_alone(app, client, db):
    fill_workers(app.state.engine, 3)
    taken = BATCH_ROWS + 40  # a row of the second batch
    rows = [
        {"name": f"New {n}", "email": f"new{n}@example.com"}
        for n in range(BATCH_ROWS + 100)
    ]
    rows[taken]["email"] = "w1@example.com"
    found = preview(client, "worker", write_csv(rows)).json()
    assert found["errors"] == [
        {
            "row": taken + 2,
            "column": "email",
            "message": "Another row already has this email.",
        }
    ]
    assert (found["new"], found["token"]) == (BATCH_ROWS + 99, None)
    assert count_of(db, Worker) == 3
    rows[taken]["email"] = "fixed@example.com"
    found = preview(client, "worker", write_csv(rows)).json()
    assert (found["new"], found["errors"]) == (BATCH_ROWS + 100, [])
    done = client.post("/admin/worker/import/confirm", data={"token": found["token"]})
    assert done.status_code == 200  # followed to the list
    assert count_of(db, Worker) == 3 + BATCH_ROWS + 100


def test_the_same_email_twice_in_one_batch_names_the_second_row(app, client, db):
    rows = [{"name": f"New {n}", "email": f"new{n}@example.com"} for n in range(30)]
    rows[20]["email"] = rows[5]["email"]
    found = preview(client, "worker", write_csv(rows)).json()
    assert found["errors"] == [
        {"row": 22, "column": "email", "message": "Another row already has this email."}
    ]
    assert found["new"] == 29
    assert count_of(db, Worker) == 0


def test_a_row_named_twice_across_batches_is_refused_as_the_same_row(app, client, db):
    fill_tasks(app.state.engine, BATCH_ROWS + 50)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    for row in rows:
        row["progress"] = "100"
    rows.append(dict(rows[3]))  # the fourth task again, in the second batch
    found = preview(client, "task", write_csv(rows)).json()
    assert found["errors"] == [
        {
            "row": len(rows) + 1,
            "column": "",
            "message": "This row is the same row as row 5.",
        }
    ]
    assert found["token"] is None


def test_more_refused_rows_than_kept_are_counted(app, client):
    rows = [
        {"id": "", "title": f"Task {n}", "progress": "101"} for n in range(KEPT + 200)
    ]
    found = preview(client, "task", write_csv(rows)).json()
    assert len(found["errors"]) == KEPT
    assert found["errors_more"] == 200
    assert found["errors"][-1]["row"] == KEPT + 1
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", write_csv(rows))}
    ).text
    shown = page_text(page)
    assert f"0 new, 0 changed, 0 unchanged, {KEPT + 200:,} refused." in shown
    assert page.count("less than or equal to 100") == 50
    assert f"… and {KEPT + 150:,} more refused rows." in shown


def test_a_row_changed_in_the_second_batch_after_the_preview_refuses_all(
    app, client, db
):
    fill_tasks(app.state.engine, 2_500)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    assert len(rows) == 2_500
    for row in rows:
        row["progress"] = str((int(row["progress"]) + 1) % 101)
        row["title"] += " (edited)"
    added = {"title": "Added", "progress": "5", "created_at": "2026-01-02T03:04:05"}
    rows.append({**dict.fromkeys(rows[0], ""), **added})
    data = write_csv(rows)
    found = preview(client, "task", data).json()
    assert (found["new"], found["changed"], found["errors"]) == (1, 2_500, [])
    moved = rows[BATCH_ROWS + 123]
    task = db.get(Task, int(moved["id"]))
    task.title = "Changed by someone else"
    db.add(task)
    db.commit()
    refused = client.post("/admin/task/import/confirm", data={"token": found["token"]})
    shown = page_text(refused.text)
    row_number = BATCH_ROWS + 123 + 2
    assert f"Nothing was imported: Row {row_number} of the file changed" in shown
    db.expire_all()
    assert db.get(Task, int(rows[0]["id"])).title == "Task 0"  # first batch too
    assert count_of(db, Task) == 2_500
    assert audit_entries(app, "import") == []

    found = preview(client, "task", data).json()
    assert (found["new"], found["changed"]) == (1, 2_500)
    client.post("/admin/task/import/confirm", data={"token": found["token"]})
    db.expire_all()
    assert db.get(Task, int(rows[-2]["id"])).title == "Task 2499 (edited)"
    assert db.get(Task, int(moved["id"])).title == moved["title"]
    assert count_of(db, Task) == 2_501
    (entry,) = audit_entries(app, "import")
    changes = entry.change_data()
    assert len(changes["old"]) == 2_500 and len(changes["added"]) == 1
    assert changes["old"][rows[0]["id"]] == {"progress": 0, "title": "Task 0"}
    assert entry.summary == "Import: 2,500 Tasks changed, 1 added"


def test_an_xlsx_of_several_batches_previews_every_row(app, client):
    from openpyxl import Workbook

    fill_tasks(app.state.engine, BATCH_ROWS * 2 + 10)
    reader = csv.reader(io.StringIO(exported(client, "task", "?sortBy=id")))
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    header = next(reader)
    sheet.append(header)
    progress = header.index("progress")
    for number, row in enumerate(reader, start=1):
        if number % 7 == 0:
            row[progress] = "100"
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    found = preview(client, "task", out.getvalue(), name="tasks.xlsx").json()
    changed = range(7, BATCH_ROWS * 2 + 11, 7)  # no task's progress was 100
    assert found["errors"] == []
    assert (found["changed"], found["unchanged"]) == (
        len(changed),
        BATCH_ROWS * 2 + 10 - len(changed),
    )


def test_the_upload_forms_script_reads_the_progress_then_the_page(app, client):
    fill_tasks(app.state.engine, BATCH_ROWS * 2 + 10)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    rows[-1]["progress"] = "100"
    answer = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", write_csv(rows))},
        headers={"Accept": "application/x-ndjson"},
    )
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    *progress, last = [json.loads(line) for line in answer.text.splitlines()]
    assert progress == [
        {"rows": BATCH_ROWS},
        {"rows": BATCH_ROWS * 2},
        {"rows": BATCH_ROWS * 2 + 10},
    ]
    assert last["status"] == 200
    shown = page_text(last["html"])
    assert f"0 new, 1 changed, {BATCH_ROWS * 2 + 9:,} unchanged, 0 refused." in shown
    assert 'id="confirm-import"' in last["html"]


PROGRESS = {"Accept": "application/x-ndjson"}


def test_a_preview_that_must_keep_cells_reads_the_file_again_and_goes_on(
    app, client, db
):
    """A row in the third batch names, by its title, a parent task the file
    adds at the end of the first: the preview's decisions cannot hold it, so
    the file is previewed again from its first row, keeping its cells. The
    bar never goes back, the page shows the whole file once, and the
    confirmation links the row to the task it adds."""
    fill_tasks(app.state.engine, BATCH_ROWS * 2)
    tasks = rows_of(exported(client, "task", "?sortBy=id"))
    for row in tasks:
        row["title"] += " (edited)"
        del row["parent_id"]  # the parent by its label alone
    alpha = {**dict.fromkeys(tasks[0], ""), "title": "Alpha", "progress": "1"}
    child = {**tasks[0], "parent": "Alpha"}
    rows = [*tasks[1:BATCH_ROWS], alpha, *tasks[BATCH_ROWS:], child]
    answer = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", write_csv(rows))},
        headers=PROGRESS,
    )
    *progress, last = [json.loads(line) for line in answer.text.splitlines()]
    counts = [line["rows"] for line in progress]
    assert counts == [BATCH_ROWS, BATCH_ROWS * 2, len(rows)]  # read twice, shown once
    shown = page_text(last["html"])
    assert f"1 new, {BATCH_ROWS * 2:,} changed, 0 unchanged, 0 refused." in shown
    token = re.search(r'name="token" value="([^"]+)"', last["html"]).group(1)
    kept = db.get(ImportPreview, token)
    assert kept.data()["decided"] is False  # its cells, run again when confirmed
    done = client.post("/admin/task/import/confirm", data={"token": token})
    assert done.status_code == 200
    added = db.exec(select(Task).where(Task.title == "Alpha")).one()
    first = db.get(Task, int(tasks[0]["id"]))
    assert (first.parent_id, first.title) == (added.id, "Task 0 (edited)")
    assert count_of(db, Task) == BATCH_ROWS * 2 + 1


def test_the_confirmations_script_reads_the_progress_then_goes_to_the_list(
    app, client, db
):
    fill_tasks(app.state.engine, BATCH_ROWS + 20)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    for row in rows:
        row["title"] += " (edited)"
    rows.append({**dict.fromkeys(rows[0], ""), "title": "Added", "progress": "5"})
    found = preview(client, "task", write_csv(rows)).json()
    assert (found["new"], found["changed"]) == (1, BATCH_ROWS + 20)
    answer = client.post(
        "/admin/task/import/confirm", data={"token": found["token"]}, headers=PROGRESS
    )
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    *progress, last = [json.loads(line) for line in answer.text.splitlines()]
    assert progress == [{"rows": BATCH_ROWS}, {"rows": BATCH_ROWS + 21}]
    (entry,) = audit_entries(app, "import")
    assert last == {
        "status": 303,
        "location": f"http://testserver/admin/task/import/done?entry={entry.id}",
    }
    assert db.get(Task, int(rows[0]["id"])).title == "Task 0 (edited)"
    listed = client.get(last["location"])
    assert str(listed.url).endswith("/admin/task/list")
    assert f"{BATCH_ROWS + 20:,} Tasks changed, 1 added." in page_text(listed.text)
    again = client.get(last["location"], follow_redirects=False)
    assert again.status_code == 302  # the user's own import, named again


def test_a_refused_confirmation_with_progress_ends_on_the_import_page(app, client, db):
    fill_tasks(app.state.engine, 3)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    rows[1]["title"] = "Edited"
    found = preview(client, "task", write_csv(rows)).json()
    task = db.get(Task, int(rows[1]["id"]))
    task.title = "Changed by someone else"
    db.add(task)
    db.commit()
    answer = client.post(
        "/admin/task/import/confirm", data={"token": found["token"]}, headers=PROGRESS
    )
    *progress, last = [json.loads(line) for line in answer.text.splitlines()]
    assert progress == [{"rows": 1}]
    assert last["status"] == 409
    shown = page_text(last["html"])
    assert "Nothing was imported: Row 3 of the file changed" in shown
    assert 'id="import-form"' in last["html"]
    db.expire_all()
    assert db.get(Task, int(rows[1]["id"])).title == "Changed by someone else"
    assert audit_entries(app, "import") == []


@pytest.mark.parametrize(
    "entry",
    [
        "",
        "abc",
        "-1",
        "0",
        "1e3",
        "99999999999999999999",
        "2147483648",
        "\u00b2",
        "\uff11",
    ],
)
def test_the_end_of_a_confirmation_names_only_an_import_of_its_user(
    app, client, db, entry
):
    """`import/done` names nobody else's import, nor another table's, nor
    another action's entry: a 404 for any other value, never a 500."""
    from starlette.testclient import TestClient

    from tests.conftest import add_staff, login

    fill_tasks(app.state.engine, 2)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    rows[0]["title"] = "Edited"
    found = preview(client, "task", write_csv(rows)).json()
    client.post("/admin/task/import/confirm", data={"token": found["token"]})
    (imported,) = audit_entries(app, "import")
    (exported_entry, *_) = audit_entries(app, "export")
    assert client.get(f"/admin/task/import/done?entry={entry}").status_code == 404
    other = f"/admin/project/import/done?entry={imported.id}"
    assert client.get(other).status_code == 404
    export = f"/admin/task/import/done?entry={exported_entry.id}"
    assert client.get(export).status_code == 404
    add_staff(app, "second", grants={"task": ["view", "edit", "import"]})
    with TestClient(app) as browser:
        assert login(browser, "second").status_code == 302
        theirs = browser.get(f"/admin/task/import/done?entry={imported.id}")
        assert theirs.status_code == 404
    add_staff(app, "reader", grants={"task": ["view"]})
    with TestClient(app) as browser:
        assert login(browser, "reader").status_code == 302
        assert (
            browser.get(f"/admin/task/import/done?entry={imported.id}").status_code
            == 403
        )


def test_a_bad_file_with_progress_ends_in_its_message(app, client):
    answer = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", b"id,,title\n1,x,Plan\n")},
        headers={"Accept": "application/x-ndjson"},
    )
    (last,) = [json.loads(line) for line in answer.text.splitlines()]
    assert last["status"] == 400
    assert "Column 2 has values but no name in the header." in page_text(last["html"])


def test_a_fault_deep_in_a_file_ends_the_progress_in_its_message(app, client, db):
    """A fault found only after the first batches were checked (a value
    under a column without a name) ends the stream with the page and status
    the form without script gets, and nothing is written."""
    fill_tasks(app.state.engine, 10)
    before = db.exec(select(func.count()).select_from(Task)).one()
    lines = ["id,,title"] + [f",,Task {n}" for n in range(BATCH_ROWS + 5)]
    lines.append(",oops,Late")
    data = ("\n".join(lines) + "\n").encode()
    message = "Column 2 has values but no name in the header."
    plain = client.post("/admin/task/import", files={"file": ("t.csv", data)})
    assert plain.status_code == 400 and message in page_text(plain.text)
    answer = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", data)},
        headers={"Accept": "application/x-ndjson"},
    )
    *progress, last = [json.loads(line) for line in answer.text.splitlines()]
    assert progress == [{"rows": BATCH_ROWS}]
    assert last["status"] == 400
    assert message in page_text(last["html"])
    assert 'id="confirm-import"' not in last["html"]
    assert db.exec(select(func.count()).select_from(Task)).one() == before


@pytest.mark.parametrize("through", ["statements", "flush"])
def test_statements_and_the_flush_write_a_batch_alike(app, client, db, through):
    """A table of plain columns takes the batch writes (one UPDATE per set of
    changed columns, one INSERT ... RETURNING per shape); a table with a
    mapper listener takes the ORM's flush. Both give the same preview, rows,
    audit entry and revert."""
    fill_tasks(app.state.engine, BATCH_ROWS + 30)
    written: list[str] = []

    def count(_mapper, _connection, target) -> None:
        written.append(target.title)

    listeners = [("before_update", count), ("before_insert", count)]
    if through == "flush":
        for name, listener in listeners:
            event.listen(Task, name, listener)
    try:
        with Session(app.state.engine) as session:
            assert plain_columns(Task, session) is (through == "statements")
        rows = rows_of(exported(client, "task", "?sortBy=id"))
        originals = {row["id"]: dict(row) for row in rows}
        for n, row in enumerate(rows):
            row["title"] += " (edited)"
            if n % 2:
                row["progress"] = str((int(row["progress"]) + 1) % 101)
        blank = dict.fromkeys(rows[0], "")
        new = [
            {**blank, "title": f"New {n}", "status": "done", "progress": str(n)}
            for n in range(3)
        ]
        found = preview(client, "task", write_csv(rows + new)).json()
        assert (found["changed"], found["new"], found["errors"]) == (
            BATCH_ROWS + 30,
            3,
            [],
        )
        done = client.post("/admin/task/import/confirm", data={"token": found["token"]})
        assert done.status_code == 200
        # the preview writes (and rolls back), then the confirmation writes
        assert len(written) == (2 * (BATCH_ROWS + 33) if through == "flush" else 0)
        db.expire_all()
        stored = {str(t.id): t for t in db.exec(select(Task))}
        assert len(stored) == BATCH_ROWS + 33
        for row in rows:
            task = stored[row["id"]]
            assert (task.title, task.progress) == (row["title"], int(row["progress"]))
        added = [t for key, t in stored.items() if key not in originals]
        assert sorted(t.title for t in added) == ["New 0", "New 1", "New 2"]
        assert all(t.created_at is not None and t.priority for t in added)
        (entry,) = audit_entries(app, "import")
        changes = json.loads(entry.changes)
        assert len(changes["old"]) == BATCH_ROWS + 30
        assert sorted(changes["added"]) == sorted(str(t.id) for t in added)
        first = rows[1]["id"]
        assert changes["old"][first] == {
            "title": originals[first]["title"],
            "progress": int(originals[first]["progress"]),
        }
        reverted = client.post(f"/admin/audit-entry/revert/{entry.id}")
        assert reverted.status_code == 200
        db.expire_all()
        back = {str(t.id): (t.title, str(t.progress)) for t in db.exec(select(Task))}
        assert back == {k: (r["title"], r["progress"]) for k, r in originals.items()}
    finally:
        if through == "flush":
            for name, listener in listeners:
                event.remove(Task, name, listener)


@pytest.mark.parametrize("keys", ["in order", "at random"])
def test_new_rows_are_named_by_the_keys_the_database_gave_them(app, client, db, keys):
    """A batch's new rows are inserted together and each is named by the key
    the database gave it, in the preview's count, the audit entry and the
    revert. Once a table's largest key is taken, SQLite gives new rows keys
    at random, not each larger than the one before: the batch is then
    written row by row, and every row is still named by its own key."""
    engine = app.state.engine
    sqlite = engine.dialect.name == "sqlite"
    if keys == "at random":
        largest = 2**63 - 1 if sqlite else 2**31 - 1
        with engine.begin() as connection:
            connection.execute(
                insert(Task.__table__),
                [{"id": largest, "title": "Last", "status": "todo", "progress": 0}],
            )
    inserts: list[int] = []

    def count(_conn, _cursor, statement, params, _context, many) -> None:
        if statement.startswith("INSERT INTO task "):
            inserts.append(len(params) if many else 1)

    rows = [
        {"title": f"New {n}", "status": "done", "progress": str(n % 101)}
        for n in range(BATCH_ROWS + 40)
    ]
    found = preview(client, "task", write_csv(rows)).json()
    assert (found["new"], found["errors"]) == (len(rows), [])
    event.listen(engine, "before_cursor_execute", count)
    try:
        done = client.post("/admin/task/import/confirm", data={"token": found["token"]})
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert done.status_code == 200
    if sqlite and keys == "in order":  # one statement a batch, not one a row
        assert len(inserts) == 2
    (entry,) = audit_entries(app, "import")
    added = json.loads(entry.changes)["added"]
    db.expire_all()
    stored = {str(t.id): t for t in db.exec(select(Task)) if t.title != "Last"}
    assert set(added) == set(stored) and len(stored) == len(rows)
    for key, values in added.items():
        task = stored[key]
        assert (task.title, task.progress) == (values["title"], values["progress"])
    reverted = client.post(f"/admin/audit-entry/revert/{entry.id}")
    assert reverted.status_code == 200
    db.expire_all()
    assert [t.title for t in db.exec(select(Task))] == (
        ["Last"] if keys == "at random" else []
    )
