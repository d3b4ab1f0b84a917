"""A JSON column whose value is a pydantic model (a project's `TypeDecorator`
stores it), tried as a new user would: every page showed the model's repr
(`theme='dark' size=12`), the form showed that repr as a JSON string and
could not save the row, the export wrote the repr and the import refused it.
The pages, the form, the files and the audit trail write it as its JSON."""

import csv
import io
import re

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session
from starlette.testclient import TestClient

from admin_app import create_app
from tests.conftest import SECRET_KEY, add_staff, login, migrated, served_with_keeper
from tests.document_models import Checklist, Preferences, Reader, Step
from tests.pages import field_errors, form_values, list_rows, post_form, text
from tests.zoo.test_import_roundtrip import csv_bytes, import_preview

MODULE = "tests.document_models"
EDIT = "/admin/reader/edit/{}"


def preferences(app, key: int) -> Preferences | None:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        return session.get(Reader, key).preferences


def test_a_pydantic_model_in_json_is_shown_typed_and_imported_as_json(
    empty_database_url: str,
) -> None:
    app = served_with_keeper(empty_database_url, MODULE)
    with Session(app.state.engine) as session:
        session.add(Reader(name="Ann", preferences=Preferences(theme="dark")))
        session.add(Reader(name="Bob"))
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            listed = list_rows(client.get("/admin/reader/list").text)
            assert listed[0]["Preferences"] == '{"theme": "dark", "size": 12}'
            details = text(client.get("/admin/reader/details/1").text)
            assert '{"theme": "dark", "size": 12}' in details
            shown = form_values(client.get(EDIT.format(1)).text)
            assert ("preferences", '{"theme": "dark", "size": 12}') in shown
            assert post_form(client, EDIT.format(1), shown).status_code == 302
            assert preferences(app, 1) == Preferences(theme="dark")

            typed = [
                (n, '{"theme": "blue", "size": 14}' if n == "preferences" else v)
                for n, v in shown
            ]
            assert post_form(client, EDIT.format(1), typed).status_code == 302
            assert preferences(app, 1) == Preferences(theme="blue", size=14)
            shown = form_values(client.get(EDIT.format(1)).text)
            bad = [
                (n, '{"size": "big"}' if n == "preferences" else v) for n, v in shown
            ]
            refused = post_form(client, EDIT.format(1), bad)
            assert refused.status_code == 400
            assert field_errors(refused.text) == [
                "Input should be a valid integer, unable to parse string as an integer"
            ]

            exported = client.get("/admin/reader/export/csv").text
            rows = list(csv.DictReader(io.StringIO(exported)))
            assert rows[0]["preferences"] == '{"theme":"blue","size":14}'
            same = import_preview(client, "reader", exported.encode())
            assert (same["changed"], same["unchanged"], same["errors"]) == (0, 2, [])
            rows[1]["preferences"] = '{"theme": "high contrast"}'
            answer = import_preview(client, "reader", csv_bytes(list(rows[0]), rows))
            assert (answer["changed"], answer["errors"]) == (1, [])
            client.post("/admin/reader/import/confirm", data={"token": answer["token"]})
            assert preferences(app, 2) == Preferences(theme="high contrast")

            entries = client.get("/admin/audit-entry/list?action=import").text
            entry = re.findall(r"/admin/audit-entry/details/(\d+)", entries)[0]
            reverted = client.post(
                f"/admin/audit-entry/revert/{entry}", follow_redirects=False
            )
            assert reverted.status_code == 302
            assert preferences(app, 2) is None
    finally:
        app.state.engine.dispose()


def steps(app, key: int) -> list[Step]:  # type: ignore[no-untyped-def]
    with Session(app.state.engine) as session:
        return [Step.model_validate(s) for s in session.get(Checklist, key).steps]


@pytest.mark.parametrize("engine", ["the admin's", "the host's"])
def test_a_json_list_the_model_types_as_pydantic_models_is_saved(
    empty_database_url: str, engine: str
) -> None:
    """The model's validation makes `Step`s of the objects, which
    SQLAlchemy's JSON writer refused: every save of such a row was refused
    ("The database refused the change"), and an import of it was a server
    error. The write path hands the column their JSON, so any engine writes
    them: the admin's, and the plain one a host application passes."""
    url = migrated(empty_database_url, (MODULE,))
    if engine == "the host's":
        app = create_app(
            models=MODULE, secret_key=SECRET_KEY, engine=create_engine(url)
        )
    else:
        app = create_app(url, MODULE, SECRET_KEY)
    add_staff(app, "keeper", superuser=True)
    with Session(app.state.engine) as session:
        session.add(Checklist(name="Soup", steps=[{"title": "boil", "done": False}]))
        session.add(Checklist(name="Tea"))
        session.commit()
    url = "/admin/checklist/edit/1"
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            shown = form_values(client.get(url).text)
            assert post_form(client, url, shown).status_code == 302
            assert steps(app, 1) == [Step(title="boil")]
            typed = [
                (n, '[{"title": "fry", "done": true}]' if n == "steps" else v)
                for n, v in shown
            ]
            assert post_form(client, url, typed).status_code == 302
            assert steps(app, 1) == [Step(title="fry", done=True)]

            exported = client.get("/admin/checklist/export/csv").text
            rows = list(csv.DictReader(io.StringIO(exported)))
            assert rows[0]["steps"] == '[{"title":"fry","done":true}]'
            same = import_preview(client, "checklist", exported.encode())
            assert (same["changed"], same["errors"]) == (0, [])
            rows[1]["steps"] = '[{"title": "steep"}]'
            answer = import_preview(client, "checklist", csv_bytes(list(rows[0]), rows))
            assert (answer["changed"], answer["errors"]) == (1, [])
            client.post(
                "/admin/checklist/import/confirm", data={"token": answer["token"]}
            )
            assert steps(app, 2) == [Step(title="steep")]
    finally:
        app.state.engine.dispose()
