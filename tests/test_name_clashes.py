"""A project whose classes are named as the admin's own tables' classes (an
HR app's `StaffUser`, `StaffGroup`, `AuditEntry`), tried as a new user would:
the admin stopped at its start ("Multiple classes found for path
'StaffGroup'"); without a `StaffGroup`, the project's `StaffUser` and
`AuditEntry` took the URLs of the admin's own staff and audit pages, which
were then out of reach. The admin's classes are looked up apart from the
project's, and such a table's pages are named by its table."""

import re

from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app.tables import AuditEntry as AdminAuditEntry
from tests import clash_blog, clash_shop
from tests.conftest import login, served_with_keeper
from tests.hr_models import AuditEntry, HrDepartment, StaffGroup, StaffUser
from tests.pages import form_values, list_rows, post_form, text

MODULE = "tests.hr_models"


def test_a_projects_classes_named_as_the_admins_own_get_pages_of_their_own(
    empty_database_url: str,
) -> None:
    app = served_with_keeper(empty_database_url, MODULE)
    with Session(app.state.engine) as session:
        ops = HrDepartment(name="Ops")
        pat = StaffUser(name="Pat", department=ops)
        session.add_all([ops, pat, StaffGroup(name="Night shift", leader=pat)])
        session.add(AuditEntry(what="Door opened"))
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            home = client.get("/admin/").text
            listed = set(re.findall(r'/admin/([a-z-]+)/list"', home))
            assert {"hr-staff-user", "hr-staff-group", "hr-audit-entry"} <= listed
            assert {"staff-user", "staff-group", "audit-entry"} <= listed

            staff = list_rows(client.get("/admin/staff-user/list").text)
            assert [row["Username"] for row in staff] == ["keeper"]
            people = list_rows(client.get("/admin/hr-staff-user/list").text)
            assert [row["Name"] for row in people] == ["Pat"]
            groups = list_rows(client.get("/admin/hr-staff-group/list").text)
            assert [(row["Name"], row["Leader"]) for row in groups] == [
                ("Night shift", "Pat")
            ]
            entries = list_rows(client.get("/admin/hr-audit-entry/list").text)
            assert [row["What"] for row in entries] == ["Door opened"]

            details = client.get("/admin/hr-staff-group/details/1").text
            assert "/admin/hr-staff-user/details/1" in details  # its leader
            assert "/admin/staff-user/details/1" not in details

            form = client.get("/admin/hr-staff-user/create").text
            pairs = [(n, "Sam" if n == "name" else v) for n, v in form_values(form)]
            saved = post_form(client, "/admin/hr-staff-user/create", pairs)
            assert saved.status_code == 302, text(saved.text)[:300]
    finally:
        app.state.engine.dispose()
    with Session(app.state.engine) as session:
        assert [p.name for p in session.exec(select(StaffUser)).all()] == ["Pat", "Sam"]
        entry = session.exec(select(AdminAuditEntry)).one()
        assert (entry.action, entry.table) == ("create", "hr-staff-user")


def test_two_modules_classes_of_one_name_each_get_pages(
    empty_database_url: str,
) -> None:
    """Two modules served together, each with a `Memo`: both had the
    address `memo`, and the second table could not be reached."""
    app = served_with_keeper(empty_database_url, "tests.clash_shop", "tests.clash_blog")
    with Session(app.state.engine) as session:
        session.add_all([clash_shop.Memo(note="Restock"), clash_blog.Memo(title="Hi")])
        session.commit()
    try:
        with TestClient(app) as client:
            assert login(client, "keeper").status_code == 302
            shop = list_rows(client.get("/admin/memo/list").text)
            blog = list_rows(client.get("/admin/blog-memo/list").text)
            assert [row["Note"] for row in shop] == ["Restock"]
            assert [row["Title"] for row in blog] == ["Hi"]
            exported = client.get("/admin/blog-memo/export/csv").text
            assert exported.splitlines() == ["id,title", "1,Hi"]
    finally:
        app.state.engine.dispose()
