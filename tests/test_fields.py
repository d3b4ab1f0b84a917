"""Each field rule holds on every page at once: a staff user's day at a clinic.

The clinic's tables (`tests.field_models`) have the shapes SQLModel apps
have; every rule of the field descriptions is checked over HTTP, as a staff
user sees it, against what the database holds, on SQLite and PostgreSQL.
"""

import csv
import io
import json
from datetime import date, time
from html.parser import HTMLParser

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from admin_app import create_app
from admin_app.model.fields import (
    BadValue,
    FieldSpec,
    Kind,
    apply_overrides,
    field_specs,
)
from admin_app.site.views import AdminView
from admin_app.writing.audit import AuditEntry
from tests.conftest import SECRET_KEY, add_staff, login, migrated
from tests.field_models import (
    ClinicAllergy,
    ClinicCare,
    ClinicDevice,
    ClinicDoctor,
    ClinicLocker,
    ClinicNurse,
    ClinicPatient,
    ClinicScan,
    ClinicShift,
    ClinicVisit,
    ClinicWard,
    Severity,
)
from tests.pages import field_errors, form_values, list_rows, post_form, text

CLINIC = "tests.field_models"
TOKEN = "tok-5f1e-secret-value"


class _Elements(HTMLParser):
    """Every named form element of a page: (tag, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        named = dict(attrs)
        if tag in ("input", "select", "textarea") and named.get("name"):
            self.found.append((tag, named))


def elements(html: str, name: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return [(tag, attrs) for tag, attrs in parser.found if attrs["name"] == name]


def element(html: str, name: str) -> tuple[str, dict]:
    found = elements(html, name)
    assert len(found) == 1, f"{len(found)} form elements named {name!r}"
    return found[0]


def headers(html: str) -> list[str]:
    rows = list_rows(html)
    return list(rows[0]) if rows else []


def export(client: TestClient, identity: str, query: str = "") -> list[dict]:
    response = client.get(f"/admin/{identity}/export/csv?{query}")
    assert response.status_code == 200, text(response.text)[:300]
    return list(csv.DictReader(io.StringIO(response.text)))


def export_header(client: TestClient, identity: str) -> list[str]:
    response = client.get(f"/admin/{identity}/export/csv")
    return next(csv.reader(io.StringIO(response.text)))


def submit(client: TestClient, url: str, changes: dict[str, str]):
    """The form at `url` as shown, with `changes` typed in."""
    shown = form_values(client.get(url).text)
    pairs = [(k, changes.pop(k) if k in changes else v) for k, v in shown]
    return post_form(client, url, [*pairs, *changes.items()])


def audit(engine) -> list[AuditEntry]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEntry).order_by(AuditEntry.id)))


@pytest.fixture
def clinic(empty_database_url):
    app = create_app(migrated(empty_database_url, (CLINIC,)), CLINIC, SECRET_KEY)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def staff(clinic):
    add_staff(clinic, "nurse", superuser=True)
    with TestClient(clinic) as client:
        assert login(client, "nurse").status_code == 302
        yield client


@pytest.fixture
def rows(clinic):
    """Wards, people and patients, with their ids."""
    with Session(clinic.state.engine, expire_on_commit=False) as session:
        north = ClinicWard(name="North", access_code="N-4711")
        east = ClinicWard(name="East")
        house = ClinicDoctor(name="Dr House")
        grey = ClinicDoctor(name="Dr Grey")
        joy = ClinicNurse(name="Joy", grade=Severity.high)
        ada = ClinicPatient(
            name="Ada Lovelace",
            notes="Allergic to penicillin",
            status="in_care",
            age=36,
            weight=61.5,
            api_token=TOKEN,
        )
        bob = ClinicPatient(name="Bob Dischargeable", status="admitted", age=50)
        cy = ClinicPatient(name="Cy", status="discharged")
        session.add_all([north, east, house, grey, joy, ada, bob, cy])
        session.flush()
        ada.ward_id, bob.ward_id = north.id, east.id
        session.add(ClinicCare(patient_id=ada.id, doctor_id=house.id, role="lead"))
        session.add(ClinicShift(patient_id=ada.id, nurse_id=joy.id, night=True))
        session.commit()
        return {
            "north": north,
            "east": east,
            "house": house,
            "grey": grey,
            "joy": joy,
            "ada": ada,
            "bob": bob,
            "cy": cy,
        }


# Plain text and long text


def test_plain_str_is_text_on_every_page_and_text_is_long_text(staff, rows):
    listing = staff.get("/admin/clinic-patient/list").text
    assert "Name" in headers(listing) and "Notes" not in headers(listing)
    assert "Ada Lovelace" in text(listing)
    found = list_rows(staff.get("/admin/clinic-patient/list?search=lovel").text)
    assert [row["Name"] for row in found] == ["Ada Lovelace"]

    form = staff.get(f"/admin/clinic-patient/edit/{rows['ada'].id}").text
    assert element(form, "name")[0] == "input"
    assert element(form, "notes")[0] == "textarea"
    details = text(staff.get(f"/admin/clinic-patient/details/{rows['ada'].id}").text)
    assert "Allergic to penicillin" in details
    (ada,) = export(staff, "clinic-patient", f"pks={rows['ada'].id}")
    assert ada["notes"] == "Allergic to penicillin" and ada["name"] == "Ada Lovelace"


def test_a_view_changes_one_field_and_the_others_keep_their_defaults(staff, rows):
    with Session(staff.app.state.engine) as session:
        session.add(
            ClinicVisit(patient_id=rows["ada"].id, on=date(2026, 3, 1), summary="Ok")
        )
        session.commit()
    listing = staff.get("/admin/clinic-visit/list").text
    assert headers(listing)[1:] == ["ID", "Patient", "On"]  # summary is long text now
    form = staff.get("/admin/clinic-visit/edit/1").text
    assert element(form, "summary")[0] == "textarea"
    assert "Visit summary" in text(form)
    assert element(form, "patient_id")[0] == "select"  # the others as generated
    (visit,) = export(staff, "clinic-visit")
    assert visit["summary"] == "Ok" and visit["patient"] == "Ada Lovelace"
    # A change is named by the view's label: the saved message, the preview.
    saved = submit(staff, "/admin/clinic-visit/edit/1", {"summary": "Better"})
    assert saved.status_code == 302
    landing = text(staff.get(saved.headers["location"]).text)
    assert "saved (visit summary changed)" in landing
    previewed = staff.post(
        "/admin/clinic-visit/import",
        files={"file": ("visits.csv", b"id,summary\n1,From a file\n")},
    )
    assert "<td>Visit summary</td><td>Better</td><td>From a file</td>" in (
        previewed.text
    )


def test_a_new_kind_brings_its_placements_and_a_typo_is_named():
    summary = field_specs(ClinicVisit)["summary"]
    assert summary.kind is Kind.TEXT and summary.in_list and summary.in_search
    long = summary.replace(kind="long_text")
    assert not long.in_list and long.in_details and long.in_export
    secret = summary.replace(kind="secret", label="Code")
    assert secret.in_form and secret.label == "Code"
    assert not (secret.in_export or secret.in_audit or secret.in_search)
    with pytest.raises(KeyError, match="summry"):
        apply_overrides(field_specs(ClinicVisit), {"summry": {"kind": "long_text"}})
    with pytest.raises(TypeError, match="in_lsit"):
        summary.replace(in_lsit=False)


# The export


def test_the_export_has_every_column_and_each_foreign_keys_label(staff, rows):
    assert export_header(staff, "clinic-patient") == [
        "id",
        "name",
        "notes",
        "status",
        "age",
        "weight",
        "ward_id",
        "ward",
    ]  # no api_token: a secret is never exported
    by_name = {row["name"]: row for row in export(staff, "clinic-patient")}
    assert by_name["Ada Lovelace"]["ward_id"] == str(rows["north"].id)
    assert by_name["Ada Lovelace"]["ward"] == "North"
    assert (by_name["Cy"]["ward_id"], by_name["Cy"]["ward"]) == ("", "")
    assert by_name["Ada Lovelace"]["status"] == "in_care"
    assert export_header(staff, "clinic-shift") == [
        "patient_id",
        "patient",
        "nurse_id",
        "nurse",
        "night",
    ]
    (shift,) = export(staff, "clinic-shift")
    assert (shift["patient"], shift["nurse"], shift["night"]) == (
        "Ada Lovelace",
        "Joy",
        "true",
    )


# Choices


def test_a_literal_status_is_a_choice_on_forms_filters_search_and_bulk_edit(
    staff, clinic, rows
):
    form = staff.get(f"/admin/clinic-patient/edit/{rows['bob'].id}").text
    tag, _attrs = element(form, "status")
    assert tag == "select"
    options = [v for k, v in form_values(form) if k == "status"]
    assert options == ["admitted"]  # the stored choice is selected
    assert "In care" in text(form) and "Discharged" in text(form)

    response = submit(
        staff, f"/admin/clinic-patient/edit/{rows['bob'].id}", {"status": "bogus"}
    )
    assert response.status_code == 400
    assert submit(
        staff, f"/admin/clinic-patient/edit/{rows['bob'].id}", {"status": "in_care"}
    ).headers["location"]
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicPatient, rows["bob"].id).status == "in_care"

    listing = staff.get("/admin/clinic-patient/list").text
    assert 'data-filter="status"' in listing
    found = list_rows(staff.get("/admin/clinic-patient/list?status=discharged").text)
    assert [row["Name"] for row in found] == ["Cy"]
    assert found[0]["Status"] == "Discharged"  # shown by its label
    assert staff.get("/admin/clinic-patient/list?status=gone").status_code == 400

    # Search matches a choice exactly, by value or label, never by substring.
    for term in ("discharged", "Discharged"):
        found = list_rows(staff.get(f"/admin/clinic-patient/list?search={term}").text)
        assert [row["Name"] for row in found] == ["Cy"]
    found = list_rows(staff.get("/admin/clinic-patient/list?search=charge").text)
    assert [row["Name"] for row in found] == ["Bob Dischargeable"]  # by name only

    pks = f"{rows['ada'].id},{rows['cy'].id}"
    bulk = staff.get(f"/admin/clinic-patient/bulk-edit?pks={pks}").text
    assert element(bulk, "status")[0] == "select"
    response = staff.post(
        f"/admin/clinic-patient/bulk-edit?pks={pks}",
        data={"fields": "status", "status": "admitted"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    with Session(clinic.state.engine) as session:
        statuses = session.exec(select(ClinicPatient.status)).all()
    assert sorted(statuses) == ["admitted", "admitted", "in_care"]


def test_a_choice_is_read_by_its_value_name_or_label_case_ignored():
    """As a person types one into a spreadsheet: `In progress` or `DONE`;
    a text naming two choices (`a` and `A`, case ignored) is refused naming
    both, and its exact value is still read."""
    spec = FieldSpec(
        name="status",
        kind=Kind.CHOICE,
        label="Status",
        model=object,
        choices=(
            ("in_progress", "In progress"),
            ("done", "Done"),
            ("a", "A"),
            ("A", "A"),
        ),
    )
    for written, value in [
        ("in_progress", "in_progress"),
        ("In progress", "in_progress"),
        (" IN PROGRESS ", "in_progress"),
        ("DONE", "done"),
        ("a", "a"),
        ("A", "A"),
    ]:
        assert spec.parse(written) == value, written
    with pytest.raises(BadValue, match=r"^' a' may be a or A: write the one meant\.$"):
        spec.parse(" a")
    with pytest.raises(
        BadValue, match=r"^'gone' is not one of in_progress, done, a, A\.$"
    ):
        spec.parse("gone")
    assert spec.choice_for_search("in PROGRESS") == (True, "in_progress")


def test_an_int_enum_is_chosen_by_label_and_stored_as_its_member(staff, clinic, rows):
    url = f"/admin/clinic-nurse/edit/{rows['joy'].id}"
    form = staff.get(url).text
    assert element(form, "grade")[0] == "select"
    assert [v for k, v in form_values(form) if k == "grade"] == ["3"]
    assert submit(staff, url, {"grade": "1"}).status_code == 302
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicNurse, rows["joy"].id).grade is Severity.low
    found = list_rows(staff.get("/admin/clinic-nurse/list?search=low").text)
    assert [row["Name"] for row in found] == ["Joy"]  # by the member's name
    found = list_rows(staff.get("/admin/clinic-nurse/list?grade=1").text)
    assert [row["Name"] for row in found] == ["Joy"]
    assert staff.get("/admin/clinic-nurse/list?grade=7").status_code == 400


# Foreign keys without a relationship


def test_a_foreign_key_without_a_relationship_is_a_related_row(staff, clinic, rows):
    north, east = rows["north"], rows["east"]
    form = staff.get("/admin/clinic-patient/create").text
    tag, _attrs = element(form, "ward_id")
    assert tag == "select" and "North" in text(form) and "East" in text(form)
    response = post_form(
        staff,
        "/admin/clinic-patient/create",
        [("name", "Dee"), ("status", "admitted"), ("ward_id", str(north.id))],
    )
    assert response.status_code == 302, field_errors(response.text)
    with Session(clinic.state.engine) as session:
        dee = session.exec(
            select(ClinicPatient).where(ClinicPatient.name == "Dee")
        ).one()
        assert dee.ward_id == north.id

    listing = list_rows(staff.get("/admin/clinic-patient/list?sortBy=id").text)
    assert [row["Ward"] for row in listing] == ["North", "East", "", "North"]
    details = text(staff.get(f"/admin/clinic-patient/details/{dee.id}").text)
    assert "North" in details
    found = list_rows(staff.get(f"/admin/clinic-patient/list?ward_id={east.id}").text)
    assert [row["Name"] for row in found] == ["Bob Dischargeable"]
    panel = staff.get("/admin/clinic-patient/list").text
    assert 'data-filter="ward_id"' in panel
    assert staff.get("/admin/clinic-patient/list?ward_id=abc").status_code == 400
    ordered = list_rows(staff.get("/admin/clinic-patient/list?sortBy=ward_id").text)
    wards = [row["Ward"] for row in ordered if row["Ward"]]
    assert wards == sorted(wards)  # by label: East before North

    bulk = staff.get(f"/admin/clinic-patient/bulk-edit?pks={dee.id}").text
    assert element(bulk, "ward_id")[0] == "select"
    response = staff.post(
        f"/admin/clinic-patient/bulk-edit?pks={dee.id}",
        data={"fields": "ward_id", "ward_id": str(east.id)},
        follow_redirects=False,
    )
    assert response.status_code == 302
    response = staff.post(
        f"/admin/clinic-patient/bulk-edit?pks={dee.id}",
        data={"fields": "ward_id", "ward_id": "999999"},
        follow_redirects=False,
    )
    assert response.status_code == 400
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicPatient, dee.id).ward_id == east.id


@pytest.mark.parametrize("typed", ["0", "", "999999", "abc"])
def test_a_bad_required_key_gives_one_clear_error(staff, clinic, rows, typed):
    response = post_form(
        staff,
        "/admin/clinic-visit/create",
        [("patient_id", typed), ("on", "2026-03-01")],
    )
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert len(errors) == 1, errors
    with Session(clinic.state.engine) as session:
        assert session.exec(select(ClinicVisit)).all() == []


def test_a_bad_key_typed_for_a_large_related_table_gives_one_error(
    staff, clinic, rows, monkeypatch
):
    monkeypatch.setattr(AdminView, "small_table_rows", 2)  # 3 patients: large
    form = staff.get("/admin/clinic-visit/create").text
    assert element(form, "patient_id")[1].get("data-role") == "select2-ajax"
    response = post_form(
        staff,
        "/admin/clinic-visit/create",
        [("patient_id", "999999"), ("on", "2026-03-01")],
    )
    assert response.status_code == 400
    assert field_errors(response.text) == [
        "Choose a valid option: that row does not exist."
    ]
    response = post_form(
        staff,
        "/admin/clinic-visit/create",
        [("patient_id", str(rows["cy"].id)), ("on", "2026-03-01")],
    )
    assert response.status_code == 302
    with Session(clinic.state.engine) as session:
        (visit,) = session.exec(select(ClinicVisit)).all()
        assert visit.patient_id == rows["cy"].id


# Links with data: one editor per relation


def blank_doctor_row(form: str) -> int:
    """The number of the doctors editor's blank row (the last one)."""
    return max(
        int(k.split("-")[1])
        for k, _ in form_values(form)
        if k.startswith("doctors-") and k.endswith("-other")
    )


def cares_of(clinic, patient_id: int) -> set[tuple[int, str]]:  # type: ignore[no-untyped-def]
    """The patient's (doctor, role) link rows, as the database holds them."""
    with Session(clinic.state.engine) as session:
        links = session.exec(
            select(ClinicCare).where(ClinicCare.patient_id == patient_id)
        ).all()
    return {(c.doctor_id, c.role) for c in links}


def test_a_link_with_data_has_one_inline_editor_however_it_is_declared(
    staff, clinic, rows
):
    url = f"/admin/clinic-patient/edit/{rows['ada'].id}"
    form = staff.get(url).text
    # `doctors` goes through `link_model=` only: an inline editor, not a select.
    assert not [t for t, a in elements(form, "doctors") if t == "select"]
    assert elements(form, "doctors-0-other") and elements(form, "doctors-0-role")
    # `nurses` and `shifts` are the same rows: only the inline editor appears.
    assert elements(form, "nurses") == []
    assert elements(form, "shifts-0-other") and elements(form, "shifts-0-night")
    assert "Allergies" in text(form) and element(form, "allergies")[0] == "select"

    blank = blank_doctor_row(form)
    response = submit(
        staff,
        url,
        {
            f"doctors-{blank}-other": str(rows["grey"].id),
            f"doctors-{blank}-role": "consultant",
        },
    )
    assert response.status_code == 302, field_errors(response.text)
    assert cares_of(clinic, rows["ada"].id) == {
        (rows["house"].id, "lead"),
        (rows["grey"].id, "consultant"),
    }
    (entry,) = audit(clinic.state.engine)
    changes = json.loads(entry.changes)
    assert "doctors" in changes  # the change is audited, not "No changes"
    assert "api_token" not in entry.changes and TOKEN not in entry.changes

    details = text(staff.get(f"/admin/clinic-patient/details/{rows['ada'].id}").text)
    assert "Dr Grey" in details and "Joy" in details


def test_a_link_rows_text_with_a_nul_character_is_that_rows_error(staff, clinic, rows):
    """PostgreSQL cannot store it (the save failed with a generic page);
    SQLite could, and tools cut the text there: refused on both."""
    url = f"/admin/clinic-patient/edit/{rows['ada'].id}"
    blank = blank_doctor_row(staff.get(url).text)
    response = submit(
        staff,
        url,
        {
            f"doctors-{blank}-other": str(rows["grey"].id),
            f"doctors-{blank}-role": "consul\0tant",
        },
    )
    assert response.status_code == 400
    assert f"Row {blank + 1}: Null characters are not allowed." in text(response.text)
    assert cares_of(clinic, rows["ada"].id) == {(rows["house"].id, "lead")}


# Many-to-many to a large table


def test_a_many_to_many_to_a_large_table_stays_on_the_form_and_details(
    staff, clinic, rows, monkeypatch
):
    monkeypatch.setattr(AdminView, "small_table_rows", 2)
    url = f"/admin/clinic-patient/edit/{rows['ada'].id}"
    form = staff.get(url).text  # no allergies yet: a small table, a plain select
    tag, attrs = element(form, "allergies")
    assert tag == "select" and attrs.get("data-role") != "select2-ajax"

    with Session(clinic.state.engine, expire_on_commit=False) as session:
        allergies = [ClinicAllergy(name=n) for n in ("Dust", "Nuts", "Pollen")]
        session.add_all(allergies)
        session.commit()
    form = staff.get(url).text  # the table grew: read again, now search as you type
    tag, attrs = element(form, "allergies")
    assert attrs.get("data-role") == "select2-ajax"
    lookup = staff.get(
        "/admin/clinic-patient/ajax/lookup?name=allergies&term=nu"
    ).json()
    assert [r["text"] for r in lookup["results"]] == ["Nuts"]

    chosen = [str(allergies[0].id), str(allergies[2].id)]
    pairs = [(k, v) for k, v in form_values(form) if k != "allergies"]
    response = post_form(staff, url, [*pairs, *(("allergies", a) for a in chosen)])
    assert response.status_code == 302, field_errors(response.text)
    with Session(clinic.state.engine) as session:
        ada = session.get(ClinicPatient, rows["ada"].id)
        assert sorted(a.name for a in ada.allergies) == ["Dust", "Pollen"]
    details = text(staff.get(f"/admin/clinic-patient/details/{rows['ada'].id}").text)
    assert "Dust" in details and "Pollen" in details

    form = staff.get(url).text
    pairs = [(k, v) for k, v in form_values(form) if k != "allergies"]
    response = post_form(staff, url, [*pairs, ("allergies", chosen[1])])
    assert response.status_code == 302
    with Session(clinic.state.engine) as session:
        ada = session.get(ClinicPatient, rows["ada"].id)
        assert [a.name for a in ada.allergies] == ["Pollen"]


# Secrets


def test_a_secret_is_never_shown_searched_exported_bulk_edited_or_audited(
    staff, clinic, rows
):
    ada = rows["ada"]
    pages = [
        staff.get("/admin/clinic-patient/list").text,
        staff.get(f"/admin/clinic-patient/details/{ada.id}").text,
        staff.get(f"/admin/clinic-patient/edit/{ada.id}").text,
        staff.get("/admin/clinic-patient/export/csv").text,
        staff.get(f"/admin/clinic-patient/bulk-edit?pks={ada.id}").text,
    ]
    for page in pages:
        assert TOKEN not in page
    assert "Api token" not in headers(pages[0])
    assert "Api token" not in text(pages[1])
    assert list_rows(staff.get(f"/admin/clinic-patient/list?search={TOKEN}").text) == []
    bulk_fields = {a["value"] for _t, a in elements(pages[4], "fields")}
    assert "api_token" not in bulk_fields and "name" in bulk_fields
    response = staff.post(
        f"/admin/clinic-patient/bulk-edit?pks={ada.id}",
        data={"fields": "api_token", "api_token": "x"},
        follow_redirects=False,
    )
    assert response.status_code == 400

    tag, attrs = element(pages[2], "api_token")
    assert (tag, attrs["type"], attrs.get("value", "")) == ("input", "password", "")
    url = f"/admin/clinic-patient/edit/{ada.id}"
    assert submit(staff, url, {"name": "Ada King"}).status_code == 302  # left empty
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicPatient, ada.id).api_token == TOKEN  # kept
    assert submit(staff, url, {"api_token": "tok-new"}).status_code == 302
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicPatient, ada.id).api_token == "tok-new"
    # The audit trail records that a save happened, never the secret's values.
    staff.delete(f"/admin/clinic-patient/delete?pks={ada.id}")
    for entry in audit(clinic.state.engine):
        assert TOKEN not in entry.changes and "tok-new" not in entry.changes
        assert "api_token" not in entry.changes


def test_a_required_secret_is_needed_for_a_new_row_only(staff, clinic):
    response = post_form(staff, "/admin/clinic-device/create", [("name", "Pump")])
    assert response.status_code == 400
    assert field_errors(response.text) == ["This field is required."]
    response = post_form(
        staff, "/admin/clinic-device/create", [("name", "Pump"), ("api_key", "k-1")]
    )
    assert response.status_code == 302
    with Session(clinic.state.engine) as session:
        device = session.exec(select(ClinicDevice)).one()
    url = f"/admin/clinic-device/edit/{device.id}"
    assert submit(staff, url, {"name": "Pump 2"}).status_code == 302
    with Session(clinic.state.engine) as session:
        device = session.get(ClinicDevice, device.id)
        assert (device.name, device.api_key) == ("Pump 2", "k-1")
    assert "k-1" not in json.dumps([e.changes for e in audit(clinic.state.engine)])


def test_a_field_the_view_marks_secret_is_a_secret(staff, clinic, rows):
    listing = staff.get("/admin/clinic-ward/list").text
    assert "Access code" not in headers(listing) and "N-4711" not in listing
    details = staff.get(f"/admin/clinic-ward/details/{rows['north'].id}").text
    assert "N-4711" not in details
    assert export_header(staff, "clinic-ward") == ["id", "name"]
    form = staff.get(f"/admin/clinic-ward/edit/{rows['north'].id}").text
    assert element(form, "access_code")[1]["type"] == "password"


# Numbers and sorting


def test_a_unique_column_the_view_marks_secret_never_names_a_row(staff, clinic):
    """A table without a label column is named by its first unique text
    column, but not by one its view marks secret: the locker is "B-12" (its
    badge) on its pages and in the audit log, never its door code."""
    with Session(clinic.state.engine) as session:
        locker = ClinicLocker(door_code="7391-4417", badge="B-12")
        session.add(locker)
        session.commit()
        key = locker.id
    for path in (
        f"/admin/clinic-locker/details/{key}",
        f"/admin/clinic-locker/edit/{key}",
        "/admin/clinic-locker/list",
    ):
        page = staff.get(path).text
        assert "B-12" in page, path
        assert "7391-4417" not in page, path
    staff.post(
        f"/admin/clinic-locker/edit/{key}",
        data={"badge": "B-13", "door_code": "", "save": "Save"},
    )
    log = staff.get("/admin/audit-entry/list").text
    assert "B-13" in log and "7391-4417" not in log


def test_integer_filters_and_inputs_step_by_one(staff, rows):
    listing = staff.get("/admin/clinic-patient/list").text
    steps = {a["name"]: a.get("step") for _t, a in _all(listing)}
    assert steps["age__gte"] == steps["age__lte"] == "1"
    assert steps["weight__gte"] == "any"
    assert staff.get("/admin/clinic-patient/list?age__gte=1.5").status_code == 400
    found = list_rows(staff.get("/admin/clinic-patient/list?age__gte=40").text)
    assert [row["Name"] for row in found] == ["Bob Dischargeable"]
    form = staff.get(f"/admin/clinic-patient/edit/{rows['ada'].id}").text
    assert element(form, "age")[1].get("step") == "1"
    assert element(form, "weight")[1].get("step") == "any"


def _all(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.found


def test_relationship_columns_sort_by_the_related_rows_label(staff, clinic, rows):
    with Session(clinic.state.engine) as session:
        abe = ClinicNurse(name="Abe")
        session.add(abe)
        session.flush()
        session.add(ClinicShift(patient_id=rows["bob"].id, nurse_id=abe.id))
        session.add(ClinicShift(patient_id=rows["cy"].id, nurse_id=rows["joy"].id))
        session.commit()
    for direction, expected in (
        ("asc", ["Abe", "Joy", "Joy"]),
        ("desc", ["Joy", "Joy", "Abe"]),
    ):
        response = staff.get(f"/admin/clinic-shift/list?sortBy=nurse&sort={direction}")
        assert response.status_code == 200
        assert [row["Nurse"] for row in list_rows(response.text)] == expected
    exported = export(staff, "clinic-shift", "sortBy=nurse&sort=desc")
    assert [row["nurse"] for row in exported] == ["Joy", "Joy", "Abe"]
    # Ties follow the primary key in the sort's direction (one index serves both).
    joys = [row["patient_id"] for row in exported if row["nurse"] == "Joy"]
    assert joys == sorted(joys, key=int, reverse=True)


def test_the_shipped_task_list_sorts_by_project(client, db):
    from models import Project, Task

    zeta, alpha = Project(name="Zeta"), Project(name="Alpha")
    db.add_all([zeta, alpha])
    db.commit()
    db.add_all(
        [Task(title="one", project_id=zeta.id), Task(title="two", project_id=alpha.id)]
    )
    db.commit()
    response = client.get("/admin/task/list?sortBy=project&sort=asc")
    assert response.status_code == 200
    assert [row["Title"] for row in list_rows(response.text)] == ["two", "one"]


def test_times_bytes_and_json_read_back_as_stored(staff, clinic):
    stored = [
        ClinicScan(
            name="a", taken_at=time(9, 30, 15), image=b"\x00\x01\xff", readings=[]
        ),
        ClinicScan(name="b", readings={"dose": 2}),
        ClinicScan(name="c"),  # readings: JSON null
    ]
    with Session(clinic.state.engine, expire_on_commit=False) as session:
        session.add_all(stored)
        session.commit()
    for scan in stored:
        url = f"/admin/clinic-scan/edit/{scan.id}"
        response = post_form(staff, url, form_values(staff.get(url).text))
        assert response.status_code == 302, field_errors(response.text)
        assert "No changes" in text(staff.get(response.headers["location"]).text)
    with Session(clinic.state.engine) as session:
        a, b, c = (session.get(ClinicScan, s.id) for s in stored)
        assert (a.taken_at, a.image, a.readings) == (
            time(9, 30, 15),
            b"\x00\x01\xff",
            [],
        )
        assert (b.readings, c.readings) == ({"dose": 2}, None)
    form = staff.get(f"/admin/clinic-scan/edit/{stored[0].id}").text
    assert element(form, "image")[1]["value"] == "AAH/"  # base64
    url = f"/admin/clinic-scan/edit/{stored[1].id}"
    assert submit(staff, url, {"image": "not base64!"}).status_code == 400
    assert submit(staff, url, {"taken_at": "07:05"}).status_code == 302
    with Session(clinic.state.engine) as session:
        assert session.get(ClinicScan, stored[1].id).taken_at == time(7, 5)
    empty = list_rows(staff.get("/admin/clinic-scan/list?readings__isnull=true").text)
    assert [row["Name"] for row in empty] == ["c"]
    rest = list_rows(staff.get("/admin/clinic-scan/list?readings__isnull=false").text)
    assert sorted(row["Name"] for row in rest) == ["a", "b"]
