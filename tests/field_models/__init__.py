"""A clinic's tables, written the way SQLModel apps write them, for the field
rules: plain `str` columns, `Text` notes, a `Literal` status stored as text,
an IntEnum, secrets by name and by the view's word, foreign keys without a
`Relationship`, a link with data reached only through `link_model=`, a link
with data declared both ways, and a plain many-to-many.

Class and table names are unique across `models`, `tests.other_models` and
`tests.zoo`: they share SQLModel's registry in one test process.
"""

import enum
from datetime import date, time
from typing import Any, Literal

from sqlalchemy import JSON, LargeBinary, String, Text
from sqlmodel import Field, Relationship, SQLModel


class Severity(enum.IntEnum):
    low = 1
    middle = 2
    high = 3


class ClinicCare(SQLModel, table=True):
    """A link with data of its own and no relationships: only `link_model=`."""

    __tablename__ = "clinic_care"

    patient_id: int = Field(foreign_key="clinic_patient.id", primary_key=True)
    doctor_id: int = Field(foreign_key="clinic_doctor.id", primary_key=True)
    role: str = Field(default="attending")


class ClinicShift(SQLModel, table=True):
    """A link with data declared both ways, as the SQLModel tutorial ends."""

    __tablename__ = "clinic_shift"

    patient_id: int = Field(foreign_key="clinic_patient.id", primary_key=True)
    nurse_id: int = Field(foreign_key="clinic_nurse.id", primary_key=True)
    night: bool = False

    patient: "ClinicPatient" = Relationship(
        back_populates="shifts", sa_relationship_kwargs={"overlaps": "nurses"}
    )
    nurse: "ClinicNurse" = Relationship(
        back_populates="shifts", sa_relationship_kwargs={"overlaps": "patients"}
    )


class ClinicPatientAllergy(SQLModel, table=True):
    __tablename__ = "clinic_patient_allergy"

    patient_id: int = Field(foreign_key="clinic_patient.id", primary_key=True)
    allergy_id: int = Field(foreign_key="clinic_allergy.id", primary_key=True)


class ClinicWard(SQLModel, table=True):
    __tablename__ = "clinic_ward"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    access_code: str | None = None  # the view marks it secret


class ClinicLocker(SQLModel, table=True):
    """No label column, but unique text: the first (a door code) is a secret
    by the view's word only, the second (a badge) names the locker."""

    __tablename__ = "clinic_locker"

    id: int | None = Field(default=None, primary_key=True)
    door_code: str | None = Field(default=None, unique=True)
    badge: str = Field(unique=True)


class ClinicDoctor(SQLModel, table=True):
    __tablename__ = "clinic_doctor"

    id: int | None = Field(default=None, primary_key=True)
    name: str

    patients: list["ClinicPatient"] = Relationship(
        back_populates="doctors", link_model=ClinicCare
    )


class ClinicNurse(SQLModel, table=True):
    __tablename__ = "clinic_nurse"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    grade: Severity = Severity.middle  # an IntEnum: names differ from values

    patients: list["ClinicPatient"] = Relationship(
        back_populates="nurses",
        link_model=ClinicShift,
        sa_relationship_kwargs={"overlaps": "shifts,nurse,patient"},
    )
    shifts: list[ClinicShift] = Relationship(
        back_populates="nurse", sa_relationship_kwargs={"overlaps": "patients"}
    )


class ClinicAllergy(SQLModel, table=True):
    __tablename__ = "clinic_allergy"

    id: int | None = Field(default=None, primary_key=True)
    name: str

    patients: list["ClinicPatient"] = Relationship(
        back_populates="allergies", link_model=ClinicPatientAllergy
    )


class ClinicPatient(SQLModel, table=True):
    __tablename__ = "clinic_patient"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    notes: str | None = Field(default=None, sa_type=Text)
    status: Literal["admitted", "in_care", "discharged"] = Field(
        default="admitted", sa_type=String
    )
    age: int | None = None
    weight: float | None = None
    api_token: str | None = None
    ward_id: int | None = Field(default=None, foreign_key="clinic_ward.id")

    doctors: list[ClinicDoctor] = Relationship(
        back_populates="patients", link_model=ClinicCare
    )
    nurses: list[ClinicNurse] = Relationship(
        back_populates="patients",
        link_model=ClinicShift,
        sa_relationship_kwargs={"overlaps": "shifts,nurse,patient"},
    )
    shifts: list[ClinicShift] = Relationship(
        back_populates="patient", sa_relationship_kwargs={"overlaps": "nurses"}
    )
    allergies: list[ClinicAllergy] = Relationship(
        back_populates="patients", link_model=ClinicPatientAllergy
    )


class ClinicVisit(SQLModel, table=True):
    """A required key to a patient that no relationship names."""

    __tablename__ = "clinic_visit"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="clinic_patient.id")
    on: date
    summary: str | None = None  # the view makes it long text


class ClinicDevice(SQLModel, table=True):
    """A required secret: a new row needs one, an edit may keep it."""

    __tablename__ = "clinic_device"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    api_key: str


class ClinicScan(SQLModel, table=True):
    """Values a form must show exactly as stored to save them unchanged."""

    __tablename__ = "clinic_scan"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    taken_at: time | None = None
    image: bytes | None = Field(default=None, sa_type=LargeBinary)
    readings: dict[str, Any] | list[Any] | None = Field(default=None, sa_type=JSON)
