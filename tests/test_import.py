"""Import with a preview: a staff user exports, edits the file in a spreadsheet,
uploads it, sees exactly what it changes, confirms, and can revert it from the
audit log. Every test runs on SQLite and PostgreSQL."""

import csv
import io
import json
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import event
from sqlmodel import Session, select

from admin_app.auth.models import StaffUser
from admin_app.importing.columns import plan_columns
from admin_app.importing.files import BadFile
from admin_app.importing.previews import ImportPreview
from admin_app.writing.audit import AuditEntry
from models import Project, Task, Worker
from models.seed import seed_demo
from tests.conftest import add_staff, login
from tests.pages import text as page_text
from tests.test_import_files import MANY, damaged_sheet
from tests.zoo.test_import_roundtrip import FAR_FORMATTED

JSON = {"Accept": "application/json"}


@pytest.fixture
def seeded(app):
    with Session(app.state.engine) as session:
        seed_demo(session, 30, seed=3)
        session.commit()
    return app


def exported(client, table: str, query: str = "") -> str:
    response = client.get(f"/admin/{table}/export/csv{query}")
    assert response.status_code == 200
    return response.text


def preview(client, table: str, data: bytes, name: str = "file.csv", **form):
    return client.post(
        f"/admin/{table}/import",
        files={"file": (name, data)},
        data=form,
        headers=JSON,
    )


def rows_of(csv_text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def write_csv(rows: list[dict[str, str]], *, delimiter: str = ",", bom=False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def audit_entries(app, action: str) -> list[AuditEntry]:
    with Session(app.state.engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.action == action)
        return list(session.exec(stmt.order_by(AuditEntry.id)))


def test_an_unchanged_export_imports_as_nothing_changed(seeded, client):
    for table in ("task", "project", "worker", "tag", "task-assignment"):
        csv_text = exported(client, table)
        answer = preview(client, table, csv_text.encode())
        assert answer.status_code == 200, (table, answer.text)
        found = answer.json()
        assert found["errors"] == [], table
        assert (found["new"], found["changed"]) == (0, 0), (table, found)
        assert found["unchanged"] == len(rows_of(csv_text)) > 0
        assert found["token"] is None  # nothing to confirm


def test_the_upload_form_and_the_list_button(seeded, client):
    listing = client.get("/admin/task/list").text
    assert 'id="import"' in listing and "/admin/task/import" in listing
    form = client.get("/admin/task/import")
    assert form.status_code == 200
    assert 'type="file"' in form.text and 'name="file"' in form.text
    assert 'name="csrf_token"' in form.text
    # the audit log takes no rows, from an import or otherwise
    assert client.get("/admin/audit-entry/import").status_code == 403
    assert client.get("/admin/no-such-table/import").status_code == 404


def test_a_semicolon_file_with_a_bom_changes_exactly_the_cells_changed(
    seeded, client, db
):
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    first, second = rows[0], rows[1]
    current = int(second["project_id"]) if second["project_id"] else None
    project = db.exec(select(Project).where(Project.id != current)).first()
    old_project = int(second["project_id"]) if second["project_id"] else None
    assert old_project != project.id
    first["progress"] = "55"
    first["due_date"] = "2031-02-03"
    for row in rows:  # only the label: each project found by its name
        del row["project_id"]
    second["project"] = project.name
    data = write_csv(rows, delimiter=";", bom=True)
    found = preview(client, "task", data).json()
    assert found["errors"] == []
    assert (found["new"], found["changed"]) == (0, 2)
    changes = {row["key"]: row["changes"] for row in found["rows"]}
    assert changes[first["id"]]["progress"][1] == 55
    assert changes[first["id"]]["due_date"][1] == "2031-02-03"
    assert set(changes[first["id"]]) == {"progress", "due_date"}
    assert changes[second["id"]] == {"project_id": [old_project, project.id]}
    # nothing is written by the preview
    db.expire_all()
    assert db.get(Task, int(first["id"])).progress != 55

    confirmed = client.post(
        "/admin/task/import/confirm",
        data={"token": found["token"]},
        follow_redirects=False,
    )
    assert confirmed.status_code == 302
    assert confirmed.headers["location"].endswith("/admin/task/list")
    landing = page_text(client.get("/admin/task/list").text)
    assert "2 Tasks changed, 0 added." in landing
    db.expire_all()
    task = db.get(Task, int(first["id"]))
    assert (task.progress, task.due_date) == (55, date(2031, 2, 3))
    assert db.get(Task, int(second["id"])).project_id == project.id
    (entry,) = audit_entries(seeded, "import")
    assert set(entry.keys()) == {first["id"], second["id"]}
    recorded = json.loads(entry.changes)
    assert recorded["new"][first["id"]] == {"progress": 55, "due_date": "2031-02-03"}

    # the same token cannot be used twice
    again = client.post("/admin/task/import/confirm", data={"token": found["token"]})
    assert "unknown or was imported already" in page_text(again.text)

    details = client.get(f"/admin/audit-entry/details/{entry.id}").text
    assert "Revert this import" in details
    reverted = client.post(f"/admin/audit-entry/revert/{entry.id}")
    assert reverted.status_code == 200
    assert "2 Tasks put back as they were." in page_text(reverted.text)
    db.expire_all()
    task = db.get(Task, int(first["id"]))
    assert task.progress == int(first["progress"]) or task.progress != 55
    assert (
        str(task.progress)
        == rows_of(exported(client, "task", "?sortBy=id"))[0]["progress"]
    )
    assert task.due_date != date(2031, 2, 3)


def test_an_xlsx_made_with_openpyxl_adds_and_changes_rows(seeded, client, db):
    worker = db.exec(select(Worker).order_by(Worker.id)).first()
    name = worker.name
    book = Workbook()
    sheet = book.active
    sheet.append(["id", "name", "email", "active"])
    sheet.append([worker.id, worker.name + " Jr", worker.email, worker.active])
    sheet.append([None, "New Person", "new.person@example.com", True])
    out = io.BytesIO()
    book.save(out)
    found = preview(client, "worker", out.getvalue(), "people.xlsx").json()
    assert found["errors"] == [], found
    assert (found["new"], found["changed"]) == (1, 1)
    confirmed = client.post(
        "/admin/worker/import/confirm", data={"token": found["token"]}
    )
    assert "1 Worker changed, 1 added." in page_text(confirmed.text)
    db.expire_all()
    assert db.get(Worker, worker.id).name == name + " Jr"
    added = db.exec(select(Worker).where(Worker.name == "New Person")).one()
    assert added.email == "new.person@example.com"

    (entry,) = audit_entries(seeded, "import")
    client.post(f"/admin/audit-entry/revert/{entry.id}")
    db.expire_all()
    assert db.get(Worker, worker.id).name == name
    assert db.exec(select(Worker).where(Worker.name == "New Person")).first() is None


def test_a_workbook_whose_sheets_name_no_column_is_refused_naming_the_sheet_read(
    seeded, client, db
):
    book = Workbook()
    book.active.title = "Notes"
    book.active.append(["Checked by", "Ann"])
    book.create_sheet("Sums").append(["Total", 3])
    out = io.BytesIO()
    book.save(out)
    answer = preview(client, "worker", out.getvalue(), "people.xlsx")
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "The header names no column of Workers: the export's columns are "
        "id, name, email, active, hired_on. (Read from the sheet 'Notes', of "
        "'Notes' and 'Sums'.)"
    )
    assert db.exec(select(ImportPreview)).first() is None


def test_a_workbook_damaged_below_its_header_is_refused_and_writes_nothing(
    seeded, client, db
):
    before = db.exec(select(Task)).all()
    data = damaged_sheet(MANY, lambda xml: xml.replace(b"<v>1500</v>", b"<v>x</v>"))
    answer = preview(client, "task", data, "tasks.xlsx")
    assert answer.status_code == 400
    assert answer.json() == {"error": "The XLSX file is damaged: save it again."}
    page = client.post("/admin/task/import", files={"file": ("tasks.xlsx", data)})
    assert page.status_code == 400
    assert "The XLSX file is damaged: save it again." in page_text(page.text)
    db.expire_all()
    assert db.exec(select(Task)).all() == before
    assert db.exec(select(ImportPreview)).first() is None


def test_a_stale_preview_is_refused_naming_the_row(seeded, client, db):
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    old_progress = rows[2]["progress"]
    rows[2]["progress"] = "77"
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", write_csv(rows))}
    ).text
    shown = page_text(page)
    assert "0 new, 1 changed, " in shown and " unchanged, 0 refused." in shown
    assert f"4 {rows[2]['title']} Progress {old_progress} 77" in shown
    assert 'id="confirm-import"' in page
    assert "Import: 1 Task changed, 0 added" in shown
    found = preview(client, "task", write_csv(rows)).json()
    assert found["changed"] == 1
    task = db.get(Task, int(rows[2]["id"]))
    task.title = "Changed by someone else"
    db.add(task)
    db.commit()
    refused = client.post("/admin/task/import/confirm", data={"token": found["token"]})
    shown = page_text(refused.text)
    assert "Nothing was imported: Row 4 of the file changed" in shown
    db.expire_all()
    assert db.get(Task, int(rows[2]["id"])).progress != 77
    assert audit_entries(seeded, "import") == []


def test_refused_rows_are_listed_and_nothing_can_be_confirmed(seeded, client):
    rows = rows_of(exported(client, "task", "?sortBy=id"))[:3]
    rows[0]["progress"] = "150"
    rows[1]["status"] = "sleeping"
    rows[2]["project"] = "No such project"
    for row in rows:
        del row["project_id"]
    found = preview(client, "task", write_csv(rows)).json()
    assert found["token"] is None
    by_row = {(e["row"], e["column"]): e["message"] for e in found["errors"]}
    assert "less than or equal to 100" in by_row[(2, "progress")]
    assert "'sleeping' is not one of" in by_row[(3, "status")]
    assert by_row[(4, "project")] == "No project is called 'No such project'."
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", write_csv(rows))}
    ).text
    assert "Nothing can be imported until the refused rows are fixed" in page
    assert 'id="confirm-import"' not in page


FAR_NUMBERS = (
    *FAR_FORMATTED,
    "1e308%",
    "1.5E+999999999999",  # E-notation, as a spreadsheet writes a long number
)


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_numbers_beyond_a_spreadsheets_are_refused_in_words(seeded, client, delimiter):
    """In a number column each is refused quoting the cell; in a text
    column whose rows hold numbers as text, each is the text it is: a
    change, not read as a number the row's text might have been."""
    rows = rows_of(exported(client, "task", "?sortBy=id"))[: len(FAR_NUMBERS)]
    for row, far in zip(rows, FAR_NUMBERS, strict=True):
        row["progress"], row["title"] = far, far
    found = preview(client, "task", write_csv(rows, delimiter=delimiter))
    assert found.status_code == 200
    refused = {(e["row"], e["column"]): e["message"] for e in found.json()["errors"]}
    assert refused == {
        (number, "progress"): f"{far!r} is not a whole number."
        for number, far in enumerate(FAR_NUMBERS, start=2)
    }
    numbers = rows_of(exported(client, "task", "?sortBy=id"))[: len(FAR_NUMBERS)]
    for row in numbers:
        row["title"] = "50%"
    found = preview(client, "task", write_csv(numbers)).json()
    token = {"token": found["token"]}
    confirmed = client.post("/admin/task/import/confirm", data=token)
    assert confirmed.status_code == 200, confirmed.text[:300]
    for row, far in zip(numbers, FAR_NUMBERS, strict=True):
        row["title"] = far
    found = preview(client, "task", write_csv(numbers, delimiter=delimiter)).json()
    assert (found["errors"], found["changed"]) == ([], len(FAR_NUMBERS))
    assert [r["changes"]["title"] for r in found["rows"]] == [
        ["50%", far] for far in FAR_NUMBERS
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01binary", "The file is not CSV or XLSX"),
        (b"id,title\n1,caf\xe9\n", "The file is not UTF-8 text"),
        (b"colour,size\nred,1\n", "The header names no column of Tasks"),
        (b"id,title,title\n1,a,b\n", "The header names the column 'title' twice."),
        (b"id,title,colour\n1,a,red\n", "The header names 'colour'"),
    ],
)
def test_bad_files_are_a_400_with_one_message(seeded, client, db, data, message):
    before = db.exec(select(Task)).all()
    answer = preview(client, "task", data)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(message)
    page = client.post("/admin/task/import", files={"file": ("t.csv", data)})
    assert page.status_code == 400 and message in page_text(page.text)
    # the upload form's script asks for progress: the file is refused before
    # any row is checked, with the same page and status
    streamed = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", data)},
        headers={"Accept": "application/x-ndjson"},
    )
    assert streamed.status_code == 400
    assert streamed.headers["content-type"].startswith("text/html")
    assert message in page_text(streamed.text)
    db.expire_all()
    assert db.exec(select(Task)).all() == before


def test_a_csv_in_a_code_page_imports_in_the_encoding_chosen_on_the_form(
    seeded, client, db
):
    """Excel's plain "CSV" on Windows is in the system's code page (Windows-1252
    in Western Europe): refused as UTF-8 naming the choice, read as chosen. A
    title with characters it has no byte for, saved with `?` in their place,
    is left as stored, and cannot be changed by such a file."""
    form = client.get("/admin/task/import").text
    assert 'name="encoding"' in form
    assert '<option value="utf-8" selected>' in form
    assert '<option value="cp1252">Windows-1252 (Western Europe' in form
    db.get(Task, 2).title = "Łódź 😀"
    db.commit()
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    rows[0]["title"] = "Grüße für 5 €"

    def in_code_page(rows: list[dict[str, str]]) -> bytes:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode("cp1252", "replace")  # as spreadsheets do

    data = in_code_page(rows)
    assert ";?ód? ?;" in data.decode("cp1252")

    as_utf8 = client.post("/admin/task/import", files={"file": ("t.csv", data)})
    assert as_utf8.status_code == 400
    assert "choose the encoding it was saved in" in page_text(as_utf8.text)
    unknown = preview(client, "task", data, encoding="klingon")
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith(
        "'klingon' is not an encoding the import reads: choose one of utf-8, cp1252"
    )
    # a refused file's form keeps what the user chose
    utf8_data = "id,title\n1,Grüße\n".encode()
    refused = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", utf8_data)},
        data={"encoding": "windows-1252"},
    )
    assert refused.status_code == 400
    assert "The file is UTF-8 text, not Windows-1252: choose UTF-8." in page_text(
        refused.text
    )
    assert '<option value="cp1252" selected>' in refused.text

    page = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", data)},
        data={"encoding": "cp1252"},
    )
    shown = page_text(page.text)
    assert "Grüße für 5 €" in shown
    assert '<option value="cp1252" selected>' in page.text
    assert (
        "The file was read as Windows-1252 text (Western Europe and the "
        "Americas): a ? where a row's text has a character Windows-1252 has no "
        "byte for leaves the text as it is. Its numbers may have a decimal comma"
    ) in shown
    plain = client.post("/admin/task/import", files={"file": ("t.csv", utf8_data)})
    assert plain.status_code == 200 and "The file was read" not in plain.text
    found = preview(client, "task", data, encoding="cp1252").json()
    assert (found["errors"], found["changed"], found["new"]) == ([], 1, 0)
    (row,) = found["rows"]
    assert row["key"] == rows[0]["id"]
    assert row["changes"]["title"][1] == "Grüße für 5 €"
    assert found["held"] == [  # listed as read as the title the row holds
        {"row": 3, "column": "title", "cell": "?ód? ?", "held": "Łódź 😀"}
    ]
    token = found["token"]
    confirmed = client.post("/admin/task/import/confirm", data={"token": token})
    assert confirmed.status_code == 200
    db.expire_all()
    assert db.get(Task, int(rows[0]["id"])).title == "Grüße für 5 €"
    assert db.get(Task, 2).title == "Łódź 😀"

    rows[1]["title"] = "Łódź 😀 office"
    found = preview(client, "task", in_code_page(rows), encoding="cp1252").json()
    assert found["errors"] == [
        {
            "row": 3,
            "column": "title",
            "message": "The text stored here has characters Windows-1252 has no "
            "byte for, and the file has ? in their place: to change this text "
            "without losing them, save the file as CSV UTF-8 or as XLSX.",
        }
    ]
    assert found["token"] is None
    rows[1]["title"] = "Lodz, really?"  # a new text where the old one was
    found = preview(client, "task", in_code_page(rows), encoding="cp1252").json()
    assert found["errors"][0]["column"] == "title"
    rows[1]["title"] = "Łódź 😀 office"
    found = preview(client, "task", write_csv(rows), encoding="utf-8").json()
    assert (found["errors"], found["changed"]) == ([], 1)

    # the title kept beside a change, on a table the ORM's flush writes (its
    # preview keeps cells, read again when confirmed): read there alike
    rows[1]["title"] = "Łódź 😀"
    rows[1]["progress"] = progress = str((int(rows[1]["progress"]) + 1) % 101)
    event.listen(Task, "before_update", _flushed)
    try:
        found = preview(client, "task", in_code_page(rows), encoding="cp1252").json()
        assert (found["errors"], found["changed"]) == ([], 1)
        assert db.get(ImportPreview, found["token"]).data()["decided"] is False
        token = found["token"]
        confirmed = client.post("/admin/task/import/confirm", data={"token": token})
        assert "1 Task changed, 0 added." in page_text(confirmed.text)
    finally:
        event.remove(Task, "before_update", _flushed)
    db.expire_all()
    stored = db.get(Task, 2)
    assert (stored.title, str(stored.progress)) == ("Łódź 😀", progress)


def test_dates_with_the_year_last_are_read_in_the_order_chosen(seeded, client, db):
    """`03/04/2026` is 3 April in the United Kingdom and March 4 in the United
    States, and a spreadsheet in either saves a CSV with `,`: such a date is
    refused naming the choice, then read in the order chosen on the form
    (`dates=`); a `;` file's dates are read day first unless told."""
    form = client.get("/admin/task/import").text
    assert 'name="dates"' in form
    assert '<option value="month">Month first: 03/04/2026 is March 4, 2026' in form
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    rows[0]["due_date"], rows[1]["due_date"] = "12/24/2026", "3/4/26"
    data = write_csv(rows)

    found = preview(client, "task", data).json()
    assert found["errors"][0] == {
        "row": 2,
        "column": "due_date",
        "message": "'12/24/2026' has its year last, and its day or its month "
        "first: say which under “Dates with the year last” on the upload form "
        "(dates=day or dates=month).",
    }
    assert len(found["errors"]) == 2 and found["token"] is None

    found = preview(client, "task", data, dates="month").json()
    assert found["errors"] == [] and found["changed"] == 2
    assert [r["changes"]["due_date"][1] for r in found["rows"]] == [
        "2026-12-24",
        "2026-03-04",
    ]
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", data)}, data={"dates": "month"}
    )
    assert (
        "Its dates with the year last were read with the month first "
        "(03/04/2026 is March 4, 2026)."
    ) in page_text(page.text)
    # the form below the preview keeps the choice, for the file fixed
    assert '<option value="month" selected>' in page.text

    found = preview(client, "task", data, dates="day").json()
    assert [e["message"] for e in found["errors"]] == [
        "'12/24/2026' is not a date like 2026-01-31."
    ]
    rows[0]["due_date"] = "24/12/2026"
    found = preview(client, "task", write_csv(rows), dates="day").json()
    assert [r["changes"]["due_date"][1] for r in found["rows"]] == [
        "2026-12-24",
        "2026-04-03",
    ]
    local = write_csv(rows, delimiter=";")
    found = preview(client, "task", local).json()  # a `;` file's: day first
    assert found["errors"] == [] and found["changed"] == 2
    rows[0]["due_date"] = "12/24/2026"
    found = preview(client, "task", write_csv(rows, delimiter=";"), dates="month")
    assert found.json()["errors"] == []

    # a month's name says which is the month, whatever is chosen
    rows[0]["due_date"], rows[1]["due_date"] = "24-Dec-26", "Mar 4, 2026"
    found = preview(client, "task", write_csv(rows)).json()
    assert [r["changes"]["due_date"][1] for r in found["rows"]] == [
        "2026-12-24",
        "2026-03-04",
    ]

    unknown = preview(client, "task", data, dates="sideways")
    assert unknown.status_code == 400
    assert unknown.json()["error"] == (
        "'sideways' is not an order of dates the import reads: choose day or month."
    )
    refused = client.post(
        "/admin/task/import",
        files={"file": ("t.csv", b"")},
        data={"dates": "month"},
    )
    assert refused.status_code == 400
    assert '<option value="month" selected>' in refused.text

    token = preview(client, "task", data, dates="month").json()["token"]
    confirmed = client.post("/admin/task/import/confirm", data={"token": token})
    assert "2 Tasks changed, 0 added." in page_text(confirmed.text)
    db.expire_all()
    changed = [db.get(Task, int(rows[n]["id"])).due_date for n in (0, 1)]
    assert changed == [date(2026, 12, 24), date(2026, 3, 4)]


@pytest.mark.parametrize(
    ("written", "dates", "changed_to"),
    [
        ("2026-01-02 03:04", "", None),  # as Calc shows it, formatted so
        ("1/2/2026 3:04", "month", None),  # as Excel shows it in the United States
        ("02/01/2026 03:04 AM", "day", None),
        ("2026-01-02 03:04:00", "", "2026-01-02T03:04:00"),  # its seconds written
        ("1/2/2026 3:05", "month", "2026-01-02T03:05:00"),  # another minute
        ("1/2/2026 3:04 PM", "month", "2026-01-02T15:04:00"),
    ],
)
def test_a_datetime_written_to_the_minute_keeps_the_rows_seconds(
    seeded, client, db, written, dates, changed_to
):
    """A spreadsheet showing datetimes to the minute saves them so: the cell
    is the row's time where that is in the minute written, not a change of
    its seconds (every exported row would have changed); a time written with
    its seconds, or in another minute, changes it."""
    db.get(Project, 1).created_at = datetime(2026, 1, 2, 3, 4, 5, 678)
    db.commit()
    rows = rows_of(exported(client, "project", "?sortBy=id"))
    assert rows[0]["created_at"].startswith("2026-01-02")
    rows[0]["created_at"] = written
    found = preview(client, "project", write_csv(rows), dates=dates).json()
    assert found["errors"] == []
    if changed_to is None:
        assert found["changed"] == 0
        # the preview lists the cell, read as the row's time, seconds and all
        assert found["held"] == [
            {
                "row": 2,
                "column": "created_at",
                "cell": written,
                "held": "2026-01-02T03:04:05.000678",
            }
        ]
        return
    assert found["held"] == []
    (row,) = found["rows"]
    assert row["changes"]["created_at"][1] == changed_to
    confirmed = client.post(
        "/admin/project/import/confirm", data={"token": found["token"]}
    )
    assert confirmed.status_code == 200
    db.expire_all()
    assert db.get(Project, 1).created_at.isoformat() == changed_to


def test_a_key_or_label_with_question_marks_finds_the_row_it_stands_for(
    seeded, client, db
):
    """In a code page's file, `?ód? ?` stands for `Łódź 😀` (each character
    Windows-1252 lacks written as `?`): as a key (a unique name) it finds
    that row, not a new one; as a label (its key column left out), the row
    it names; standing for two rows' texts, the row is refused."""
    lodz, other = db.exec(select(Project).order_by(Project.id)).all()[:2]
    lodz.name, other.name = "Łódź 😀", "Ła"
    db.commit()
    projects = (
        "name;description\r\n?ód? ?;Renamed by a code page\r\nGda?sk;A new project\r\n"
    ).encode("cp1252")
    found = preview(client, "project", projects, key="name", encoding="cp1252")
    found = found.json()
    assert (found["errors"], found["changed"], found["new"]) == ([], 1, 1)
    assert found["rows"][0]["key"] == str(lodz.id)
    assert found["rows"][0]["changes"]["description"][1] == "Renamed by a code page"
    assert found["added"][0]["values"]["name"] == "Gda?sk"  # no row it stands for

    task = db.exec(select(Task).where(Task.project_id != lodz.id)).first()
    tasks = f"id;title;project\r\n{task.id};{task.title};?ód? ?\r\n"
    found = preview(client, "task", tasks.encode("cp1252"), encoding="cp1252")
    found = found.json()
    assert (found["errors"], found["changed"]) == ([], 1)
    assert found["rows"][0]["changes"]["project_id"] == [task.project_id, lodz.id]

    db.add(Project(name="Ża"))  # `?a` now stands for two names
    db.commit()
    tasks = f"id;title;project\r\n{task.id};{task.title};?a\r\n"
    found = preview(client, "task", tasks.encode("cp1252"), encoding="cp1252")
    assert found.json()["errors"] == [
        {
            "row": 2,
            "column": "project",
            "message": "2 rows of project are called '?a': give the key instead.",
        }
    ]
    projects = b"name;description\r\n?a;Which one?\r\n"
    found = preview(client, "project", projects, key="name", encoding="cp1252")
    assert found.json()["errors"] == [
        {
            "row": 2,
            "column": "name",
            "message": "Rows with the keys 'Ła' and 'Ża' have a key '?a' may "
            "stand for (a ? for a character Windows-1252 has no byte for): save "
            "the file as CSV UTF-8 or as XLSX.",
        }
    ]


def _flushed(_mapper, _connection, _target) -> None:
    """A listener: the table's rows are written by the ORM's flush."""


def test_a_column_the_user_may_not_change_is_refused_by_name(app):
    view = next(v for v in app.state.admin.views if getattr(v, "model", None) is Task)
    with pytest.raises(BadFile, match="'created_at' cannot be imported"):
        plan_columns(
            Task,
            "Tasks",
            ["id", "title", "created_at"],
            view.export_columns(),
            view.field_specs,
            lambda spec: spec.name != "created_at",
        )


def test_a_file_over_the_size_limit(seeded, client, monkeypatch):
    monkeypatch.setenv("ADMIN_IMPORT_MAX_BYTES", "100")
    answer = preview(client, "task", b"id,title\n" + b"1,a\n" * 40)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("The file is larger than the limit")


def test_a_secret_column_is_refused_by_name(app, client):
    answer = preview(client, "staff-user", b"id,username,password_hash\n1,a,x\n")
    assert answer.status_code == 400
    assert "'password_hash' holds a secret" in answer.json()["error"]


def test_import_needs_its_grant_and_create_or_edit_per_row(seeded, app):
    add_staff(app, "viewer", grants={"task": ["view", "edit"]})
    add_staff(app, "editor", grants={"task": ["view", "edit", "import"]})
    from starlette.testclient import TestClient

    with TestClient(app) as browser:
        assert login(browser, "viewer").status_code == 302
        assert browser.get("/admin/task/import").status_code == 403
        assert 'id="import"' not in browser.get("/admin/task/list").text
        refused = preview(browser, "task", b"id,title\n1,x\n")
        assert refused.status_code == 403
        confirm = browser.post("/admin/task/import/confirm", data={"token": "x"})
        assert confirm.status_code == 403
    with TestClient(app) as browser:
        assert login(browser, "editor").status_code == 302
        rows = rows_of(exported_as_superuser(app))[:1]
        # choosing projects takes view permission on projects: refused by name
        refused = preview(browser, "task", write_csv(rows))
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "The column 'project_id' cannot be imported: you may not change it here."
        )
        progress = "3" if rows[0]["progress"] != "3" else "4"
        rows = [{"id": rows[0]["id"], "title": rows[0]["title"], "progress": progress}]
        new = dict(rows[0], id="", title="Added by import")
        answer = preview(browser, "task", write_csv([rows[0], new]))
        assert answer.status_code == 200, answer.text
        found = answer.json()
        assert found["changed"] == 1 and found["new"] == 0
        assert found["errors"] == [
            {"row": 3, "column": "", "message": "You may not add Tasks."}
        ]


def exported_as_superuser(app) -> str:
    from starlette.testclient import TestClient

    add_staff(app, "exporter", superuser=True)
    with TestClient(app) as browser:
        assert login(browser, "exporter").status_code == 302
        return exported(browser, "task", "?sortBy=id")


def test_a_confirmation_needs_the_csrf_token(seeded, client):
    rows = rows_of(exported(client, "task", "?sortBy=id"))[:1]
    rows[0]["progress"] = "3" if rows[0]["progress"] != "3" else "4"
    found = preview(client, "task", write_csv(rows)).json()
    token = client.headers.pop("X-CSRF-Token")
    upload = client.post("/admin/task/import", files={"file": ("t.csv", b"id\n")})
    assert upload.status_code == 403
    assert (
        client.post(
            "/admin/task/import/confirm", data={"token": found["token"]}
        ).status_code
        == 403
    )
    client.headers["X-CSRF-Token"] = token


def test_rows_found_by_a_chosen_unique_column(seeded, client, db):
    """Workers matched by e-mail: a file from another system has no ids."""
    workers = rows_of(exported(client, "worker", "?sortBy=id"))
    first = workers[0]
    data = write_csv(
        [
            dict(first, id="", name="Renamed By Email"),
            dict(first, id="", name="Brand New", email="brand.new@example.com"),
        ]
    )
    form = client.get("/admin/worker/import").text
    assert '<option value="email"' in form
    found = preview(client, "worker", data, key="email").json()
    assert found["errors"] == [], found
    assert (found["new"], found["changed"]) == (1, 1)
    assert found["rows"] == [
        {
            "row": 2,
            "key": first["id"],
            "changes": {"name": [first["name"], "Renamed By Email"]},
        }
    ]
    client.post("/admin/worker/import/confirm", data={"token": found["token"]})
    db.expire_all()
    assert db.get(Worker, int(first["id"])).name == "Renamed By Email"
    not_unique = preview(client, "worker", data, key="name")
    assert not_unique.status_code == 400
    assert not_unique.json()["error"] == "'name' is not a unique column of Workers."


def test_the_preview_lists_the_first_50_refused_rows_and_counts_the_rest(
    seeded, client
):
    rows = [{"id": "", "title": f"Task {n}", "progress": "101"} for n in range(60)]
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", write_csv(rows))}
    ).text
    shown = page_text(page)
    assert "0 new, 0 changed, 0 unchanged, 60 refused." in shown
    assert page.count("less than or equal to 100") == 50
    assert "… and 10 more refused rows." in shown


def test_the_group_matrix_grants_import(seeded, client, app):
    form = client.get("/admin/staff-group/create").text
    assert 'value="task:import"' in form
    assert 'value="audit-entry:import"' not in form  # the log takes no imports
    assert 'value="staff-user:import"' not in form  # superusers only
    add_staff(app, "clerk")
    with Session(app.state.engine) as session:
        clerk = session.exec(select(StaffUser).where(StaffUser.username == "clerk"))
        clerk_id = clerk.one().id
    created = client.post(
        "/admin/staff-group/create",
        data={
            "name": "Importers",
            "members": [str(clerk_id)],
            "permissions": ["task:view", "task:edit", "task:import"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 302
    from starlette.testclient import TestClient

    with TestClient(app) as browser:
        assert login(browser, "clerk").status_code == 302
        assert browser.get("/admin/task/import").status_code == 200
        assert 'id="import"' in browser.get("/admin/task/list").text
        assert browser.get("/admin/project/import").status_code == 403


def test_cells_follow_the_edit_forms_rules(seeded, client, db):
    """`0` for a nullable foreign key is NULL; an offset is converted to UTC
    for a column without time zone; the form's parsers read the cells."""
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    row = next(r for r in rows if r["project_id"])
    old_project = int(row["project_id"])
    row["project_id"] = "0"
    row["created_at"] = "2026-01-01T12:00:00+02:00"
    found = preview(client, "task", write_csv([row])).json()
    assert found["errors"] == []
    (changed,) = found["rows"]
    assert changed["changes"]["project_id"] == [old_project, None]
    page = client.post(
        "/admin/task/import", files={"file": ("t.csv", write_csv([row]))}
    )
    shown = page_text(page.text)
    assert f"Project {row['project']} ({old_project}) empty" in shown
    assert changed["changes"]["created_at"][1] == "2026-01-01T10:00:00"
    client.post("/admin/task/import/confirm", data={"token": found["token"]})
    db.expire_all()
    task = db.get(Task, int(row["id"]))
    assert task.project_id is None
    assert task.created_at == datetime(2026, 1, 1, 10, 0)


def test_a_refused_confirmation_writes_no_row_at_all(seeded, client, db):
    """The first row would still apply; the second now points at a project
    that was deleted since the preview: nothing of either is written."""
    rows = rows_of(exported(client, "task", "?sortBy=id"))[:2]
    doomed = Project(name="Short-lived project")
    db.add(doomed)
    db.commit()
    rows[0]["progress"] = "1" if rows[0]["progress"] != "1" else "2"
    rows[1]["project_id"] = str(doomed.id)
    found = preview(client, "task", write_csv(rows)).json()
    assert (found["changed"], found["errors"]) == (2, [])
    db.delete(doomed)
    db.commit()
    refused = client.post(
        "/admin/task/import/confirm", data={"token": found["token"]}, headers=JSON
    )
    assert refused.status_code == 409
    assert refused.json()["error"].startswith("Nothing was imported: Row 3 ")
    db.expire_all()
    assert str(db.get(Task, int(rows[0]["id"])).progress) != rows[0]["progress"]
    assert audit_entries(seeded, "import") == []


def test_a_preview_is_confirmed_on_another_worker_by_its_user_only(
    seeded, client, database_url
):
    from starlette.testclient import TestClient

    from admin_app import create_app
    from tests.conftest import SECRET_KEY

    rows = rows_of(exported(client, "task", "?sortBy=id"))[:1]
    rows[0]["progress"] = "1" if rows[0]["progress"] != "1" else "2"
    token = preview(client, "task", write_csv(rows)).json()["token"]
    add_staff(seeded, "other", superuser=True)
    other_worker = create_app(database_url, "models", SECRET_KEY)
    try:
        with TestClient(other_worker) as browser:
            assert login(browser, "other").status_code == 302
            stolen = browser.post(
                "/admin/task/import/confirm", data={"token": token}, headers=JSON
            )
            assert stolen.status_code == 409
            assert "unknown or was imported already" in stolen.json()["error"]
        with TestClient(other_worker, cookies=client.cookies) as same_user:
            same_user.headers["X-CSRF-Token"] = client.headers["X-CSRF-Token"]
            done = same_user.post(
                "/admin/task/import/confirm", data={"token": token}, headers=JSON
            )
            assert done.json() == {"added": 0, "changed": 1}
    finally:
        other_worker.state.engine.dispose()


def test_an_expired_preview_is_refused(seeded, client, db):
    from datetime import timedelta

    from admin_app.importing.previews import ImportPreview

    rows = rows_of(exported(client, "task", "?sortBy=id"))[:1]
    rows[0]["progress"] = "1" if rows[0]["progress"] != "1" else "2"
    token = preview(client, "task", write_csv(rows)).json()["token"]
    stored = db.get(ImportPreview, token)
    stored.created_at -= timedelta(hours=2)
    db.add(stored)
    db.commit()
    refused = client.post(
        "/admin/task/import/confirm", data={"token": token}, headers=JSON
    )
    assert refused.json()["error"] == "This preview expired: upload the file again."
    # a new preview forgets the expired ones
    preview(client, "task", write_csv(rows))
    db.expire_all()
    assert db.get(ImportPreview, token) is None


def test_a_label_naming_two_rows_is_a_refused_row(seeded, client, db):
    db.add(Worker(name="Sam Twin", email="sam.one@example.com"))
    db.add(Worker(name="Sam Twin", email="sam.two@example.com"))
    db.commit()
    rows = rows_of(exported(client, "task", "?sortBy=id"))[:1]
    rows[0]["assignee"] = "Sam Twin"
    del rows[0]["assignee_id"]
    found = preview(client, "task", write_csv(rows)).json()
    assert found["token"] is None
    assert found["errors"] == [
        {
            "row": 2,
            "column": "assignee",
            "message": "2 rows of assignee are called 'Sam Twin': give the key "
            "instead.",
        }
    ]


def test_a_large_imports_audit_entry_is_written_in_pieces_and_reads_whole(
    seeded, client, db, monkeypatch
):
    """The confirmation keeps the entry's values in temporary files and
    writes them into the entry a piece at a time (its memory does not grow
    with the file; appended by PostgreSQL, written in place into a text of
    the final length on SQLite): pieces of a few characters, files on disk
    from the first byte, and the entry reads as one (no character short or
    over: its keys are exactly the rows'), is listed by every key and
    reverts."""
    from admin_app.importing.apply import _ImportEntry

    monkeypatch.setattr(_ImportEntry, "SPOOLED", 1)
    monkeypatch.setattr(_ImportEntry, "PIECE", 7)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    before = {row["id"]: int(row["progress"]) for row in rows}
    for row in rows:
        row["progress"] = str((int(row["progress"]) + 1) % 101)
    added = [{**rows[0], "id": "", "title": f"Piece {n} “€”"} for n in range(3)]
    found = preview(client, "task", write_csv(rows + added)).json()
    assert found["errors"] == []
    assert (found["new"], found["changed"]) == (3, len(rows))
    confirmed = client.post(
        "/admin/task/import/confirm", data={"token": found["token"]}
    )
    assert f"{len(rows)} Tasks changed, 3 added." in page_text(confirmed.text)

    (entry,) = audit_entries(seeded, "import")
    recorded = json.loads(entry.changes)
    new_rows = db.exec(select(Task).where(Task.title.startswith("Piece "))).all()
    new_keys = {str(task.id) for task in new_rows}
    assert recorded["old"] == {k: {"progress": v} for k, v in before.items()}
    assert recorded["new"] == {
        k: {"progress": (v + 1) % 101} for k, v in before.items()
    }
    assert set(recorded["added"]) == new_keys
    assert {v["title"] for v in recorded["added"].values()} == {
        f"Piece {n} “€”" for n in range(3)
    }
    assert entry.keys() == [*before, *sorted(new_keys, key=int)]

    reverted = client.post(f"/admin/audit-entry/revert/{entry.id}")
    assert f"{len(rows) + 3} Tasks put back as they were." in page_text(reverted.text)
    db.expire_all()
    assert {str(t.id): t.progress for t in db.exec(select(Task))} == before


def test_a_large_previews_rows_are_stored_and_read_back_in_parts(
    seeded, client, db, monkeypatch
):
    """A preview's rows go to the database a part at a time (parts of a few
    bytes here, spooled to disk from the first byte) and the confirmation
    reads them back one by one: every previewed row is applied, and the
    preview and its parts are gone afterwards."""
    from admin_app.importing.previews import (
        ImportPreview,
        ImportPreviewPart,
        PackedRows,
    )

    monkeypatch.setattr(PackedRows, "SPOOLED", 1)
    monkeypatch.setattr(PackedRows, "PART", 5)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    for row in rows:
        row["title"] = f"{row['title']} — in parts"
    found = preview(client, "task", write_csv(rows)).json()
    assert (found["changed"], found["errors"]) == (len(rows), [])
    token = found["token"]
    parts = db.exec(select(ImportPreviewPart).where(ImportPreviewPart.token == token))
    stored = sorted((part.seq, len(part.data)) for part in parts)
    assert len(stored) > 10 and [seq for seq, _ in stored] == list(range(len(stored)))
    assert all(size == 5 for _, size in stored[:-1])

    confirmed = client.post("/admin/task/import/confirm", data={"token": token})
    assert f"{len(rows)} Tasks changed, 0 added." in page_text(confirmed.text)
    db.expire_all()
    titles = {str(t.id): t.title for t in db.exec(select(Task))}
    assert titles == {row["id"]: row["title"] for row in rows}
    assert db.get(ImportPreview, token) is None
    assert not db.exec(select(ImportPreviewPart)).all()


def test_a_preview_missing_a_part_is_refused_and_writes_nothing(
    seeded, client, db, monkeypatch
):
    from admin_app.importing.previews import ImportPreviewPart, PackedRows

    monkeypatch.setattr(PackedRows, "PART", 64)
    rows = rows_of(exported(client, "task", "?sortBy=id"))
    titles = {row["id"]: row["title"] for row in rows}
    for row in rows:
        row["title"] = "Renamed"
    token = preview(client, "task", write_csv(rows)).json()["token"]
    db.delete(db.get(ImportPreviewPart, (token, 1)))
    db.commit()
    refused = client.post(
        "/admin/task/import/confirm", data={"token": token}, headers=JSON
    )
    assert refused.status_code == 409
    assert refused.json()["error"] == (
        "Part 2 of this preview's rows is missing. Upload the file again."
    )
    db.expire_all()
    assert {str(t.id): t.title for t in db.exec(select(Task))} == titles
    assert audit_entries(seeded, "import") == []


@pytest.mark.parametrize("taken", ["create", "edit"])
def test_a_grant_taken_away_since_the_preview_refuses_the_confirmation(
    seeded, app, taken
):
    from starlette.testclient import TestClient

    from admin_app.auth.models import GroupGrant

    grants = {"task": ["view", "create", "edit", "import"]}
    add_staff(app, "importer", grants=grants)
    rows = rows_of(exported_as_superuser(app))[:1]
    progress = "3" if rows[0]["progress"] != "3" else "4"
    changed = {"id": rows[0]["id"], "title": rows[0]["title"], "progress": progress}
    new = dict(changed, id="", title="Added by import")
    with TestClient(app) as browser:
        assert login(browser, "importer").status_code == 302
        found = preview(browser, "task", write_csv([changed, new])).json()
        assert (found["new"], found["changed"], found["errors"]) == (1, 1, [])
        with Session(app.state.engine) as session:
            grant = session.exec(
                select(GroupGrant).where(
                    GroupGrant.identity == "task", GroupGrant.action == taken
                )
            ).one()
            session.delete(grant)
            session.commit()
        refused = browser.post(
            "/admin/task/import/confirm", data={"token": found["token"]}, headers=JSON
        )
    assert refused.status_code == 409
    verb = "add" if taken == "create" else "change"
    assert refused.json() == {
        "error": f"Nothing was imported: you may not {verb} Tasks."
    }
    with Session(app.state.engine) as session:
        assert session.get(Task, int(rows[0]["id"])).progress == int(
            rows[0]["progress"]
        )
        titled = select(Task).where(Task.title == "Added by import")
        assert session.exec(titled).first() is None
    assert audit_entries(app, "import") == []


def test_two_confirmations_of_one_preview_write_it_once(seeded, client, monkeypatch):
    """The second waits for the first (SQLite's write lock, PostgreSQL's row
    lock on the preview) and finds the preview used: a 409, not a failed
    write."""
    import threading
    import time

    from admin_app.importing.decisions import DecidedImport

    rows = rows_of(exported(client, "task", "?sortBy=id"))
    for row in rows:
        row["title"] += " (edited)"
    found = preview(client, "task", write_csv(rows)).json()
    started = threading.Event()
    write = DecidedImport.run

    def slow(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started.set()
        time.sleep(0.5)  # the second confirmation arrives meanwhile
        return write(self, *args, **kwargs)

    monkeypatch.setattr(DecidedImport, "run", slow)
    answers = []

    def confirm() -> None:
        answers.append(
            client.post(
                "/admin/task/import/confirm",
                data={"token": found["token"]},
                headers=JSON,
            )
        )

    first = threading.Thread(target=confirm)
    first.start()
    assert started.wait(10)
    confirm()
    first.join()
    one, second = sorted(answers, key=lambda answer: answer.status_code)
    assert one.status_code == 200 and one.json()["changed"] == len(rows)
    assert second.status_code == 409
    assert second.json()["error"].startswith("This preview is unknown or was imported")
    assert len(audit_entries(seeded, "import")) == 1
