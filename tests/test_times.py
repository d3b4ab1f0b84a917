"""One time convention on every page: datetimes in UTC with the zone named,
in lists, details and the audit log, and typed in UTC in forms that say so."""

import re
from datetime import datetime

import pytest
from sqlmodel import Session

from models import Task
from tests.pages import list_rows, text

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
