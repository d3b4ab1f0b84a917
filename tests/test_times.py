"""One time convention on every page: datetimes in UTC with the zone named,
in lists, details and the audit log, and typed in UTC in forms that say so."""

import re
from datetime import datetime, timedelta

import pytest
from sqlmodel import Session

from admin_app.model.labels import duration_text
from admin_app.model.parsing import read_duration
from models import Task, TaskAssignment, Worker
from tests.pages import form_values, list_rows, post_form, text

pytestmark = pytest.mark.postgres

STAMP = datetime(2026, 2, 17, 4, 59, 15)
SHOWN = "2026-02-17 04:59:15 UTC"


def test_a_tasks_created_at_reads_the_same_in_list_details_and_form(client, app):
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Stamped", created_at=STAMP)
        session.add(task)
        session.commit()
    rows = list_rows(client.get("/admin/task/list?search=Stamped").text)
    assert rows[0]["Created at"] == SHOWN
    details = client.get(f"/admin/task/details/{task.id}").text
    assert SHOWN in text(details)
    assert "data-local-time" not in details  # no script rewrites it elsewhere
    form = client.get(f"/admin/task/edit/{task.id}").text
    field = re.search(r'<input[^>]*name="created_at"[^>]*>', form).group(0)
    assert 'value="2026-02-17 04:59:15"' in field
    assert "In UTC" in text(form.split('name="created_at"')[1])[:200]


def test_the_bulk_form_and_the_link_editor_name_the_zone_of_a_typed_time(client, app):
    """Every input of a time says its zone, not the edit form's alone."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Stamped", created_at=STAMP)
        worker = Worker(name="Ada", email="ada@example.com")
        session.add_all([task, worker])
        session.flush()
        session.add(
            TaskAssignment(task_id=task.id, worker_id=worker.id, assigned_at=STAMP)
        )
        session.commit()
    bulk = client.get(f"/admin/task/bulk-edit?pks={task.id}").text
    row = re.search(r'<tr>(?:(?!</tr>).)*name="created_at".*?</tr>', bulk, re.S)
    assert "In UTC" in text(row.group(0))
    form = client.get(f"/admin/task/edit/{task.id}").text
    editor = re.search(
        r'<table class="table table-sm inline-links".*?</thead>', form, re.S
    )
    assert "Assigned at In UTC" in text(editor.group(0))
    cell = re.search(r'<input[^>]*aria-label="Assigned at of Ada"[^>]*>', form)
    assert 'value="2026-02-17 04:59:15"' in cell.group(0)


def test_a_time_read_off_a_page_can_be_typed_back(client, app):
    """The list's `2026-02-17 04:59:15 UTC`, copied into the edit form (or
    saved so by a spreadsheet from the XLSX export), is that time."""
    with Session(app.state.engine, expire_on_commit=False) as session:
        task = Task(title="Retimed", created_at=datetime(2025, 1, 1))
        session.add(task)
        session.commit()
    url = f"/admin/task/edit/{task.id}"
    pairs = [
        (name, SHOWN if name == "created_at" else value)
        for name, value in form_values(client.get(url).text)
    ]
    assert post_form(client, url, pairs).status_code == 302
    with Session(app.state.engine) as session:
        assert session.get(Task, task.id).created_at == STAMP


@pytest.mark.parametrize(
    "length",
    [
        timedelta(hours=2, minutes=15),
        timedelta(days=1, seconds=5, microseconds=250),
        -timedelta(seconds=1),
        -timedelta(days=1, hours=1, seconds=1),
        timedelta(0),
    ],
)
def test_a_duration_as_pages_write_it_reads_back_as_itself(length):
    """Python writes -1 s as `-1 day, 23:59:59`, which other readers (pydantic,
    so an import) read as two days less a second: pages and files write a
    negative duration as `-0:00:01`, hours and all, which every reader takes
    back; a spreadsheet that took a short one for a time of day saves it as
    `01:30:00 AM`, read as 1 h 30 min."""
    shown = duration_text(length)
    assert read_duration(shown) == length, shown
    assert "day" not in shown or length >= timedelta(0)
    assert read_duration("01:30:00 AM") == timedelta(hours=1, minutes=30)
    assert read_duration("12:05 AM") == timedelta(minutes=5)
