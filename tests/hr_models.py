"""An HR app whose classes share their names with the admin's own: its
`StaffUser`, `StaffGroup` and `AuditEntry`, with relationships that name
them by string, as SQLModel apps declare models defined further down."""

from datetime import datetime

from sqlmodel import Field, Relationship, SQLModel


class HrDepartment(SQLModel, table=True):
    __tablename__ = "hr_department"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    staff: list["StaffUser"] = Relationship(back_populates="department")


class StaffUser(SQLModel, table=True):
    __tablename__ = "hr_staff_user"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    department_id: int | None = Field(default=None, foreign_key="hr_department.id")
    department: HrDepartment | None = Relationship(back_populates="staff")
    groups: list["StaffGroup"] = Relationship(back_populates="leader")


class StaffGroup(SQLModel, table=True):
    __tablename__ = "hr_staff_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    leader_id: int | None = Field(default=None, foreign_key="hr_staff_user.id")
    leader: StaffUser | None = Relationship(back_populates="groups")


class AuditEntry(SQLModel, table=True):
    """The HR app's own record of who entered the building."""

    __tablename__ = "hr_audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    what: str
    at: datetime | None = None
