"""The admin's own tables for staff accounts, groups, grants and login attempts.

They live on `SQLModel.metadata` next to the project's tables, so `create_all`
and Alembic see them, under an `admin_` prefix so they never collide with a
project's own `user` table, and on a class registry of their own
(`AdminTable`), so their names never collide with a project's classes.
"""

from pydantic import NaiveDatetime
from sqlalchemy import DateTime, UniqueConstraint, event, inspect
from sqlmodel import Field, Relationship

from admin_app.clock import utcnow
from admin_app.model.mapped import AdminTable


class StaffGroupMember(AdminTable, table=True):
    """Which staff users belong to which groups (a plain link table)."""

    __tablename__ = "admin_staff_group_member"

    user_id: int = Field(
        foreign_key="admin_staff_user.id", primary_key=True, ondelete="CASCADE"
    )
    group_id: int = Field(
        foreign_key="admin_staff_group.id",
        primary_key=True,
        index=True,
        ondelete="CASCADE",
    )


class StaffUser(AdminTable, table=True):
    __tablename__ = "admin_staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(min_length=1, max_length=150, unique=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    last_login: NaiveDatetime | None = Field(default=None, sa_type=DateTime)
    created_at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime)
    session_version: int = Field(
        default=1,
        description="Bumped to end every session of this user at once.",
    )

    groups: list["StaffGroup"] = Relationship(
        back_populates="members", link_model=StaffGroupMember
    )


class StaffGroup(AdminTable, table=True):
    """A set of grants given to its members, like Django's `Group`."""

    __tablename__ = "admin_staff_group"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(min_length=1, max_length=150, unique=True)

    members: list[StaffUser] = Relationship(
        back_populates="groups", link_model=StaffGroupMember
    )
    grants: list["GroupGrant"] = Relationship(
        back_populates="group",
        sa_relationship_kwargs={"cascade": "all, delete-orphan"},
    )


class GroupGrant(AdminTable, table=True):
    """One `(table, action)` a group's members may do, e.g. `("task", "export")`."""

    __tablename__ = "admin_group_grant"
    __table_args__ = (UniqueConstraint("group_id", "identity", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(
        foreign_key="admin_staff_group.id", index=True, ondelete="CASCADE"
    )
    identity: str = Field(max_length=150)
    action: str = Field(max_length=64)

    group: StaffGroup = Relationship(back_populates="grants")

    def __admin_label__(self) -> str:
        return f"{self.identity}: {self.action}"


@event.listens_for(StaffUser, "before_update")
def _end_sessions_on_deactivation(
    _mapper: object, _connection: object, user: StaffUser
) -> None:
    """A deactivated user's sessions end for good: reactivating the account
    later must not bring a copied cookie back to life. (At flush time, so that
    no later assignment of the version in the same save undoes it.)"""
    was_active = inspect(user).attrs.is_active.history.deleted
    if was_active and was_active[0] and not user.is_active:
        user.session_version = (user.session_version or 0) + 1


class LoginAttempt(AdminTable, table=True):
    """A failed login, kept in the database so every worker throttles alike."""

    __tablename__ = "admin_login_attempt"

    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(default_factory=utcnow, sa_type=DateTime, index=True)
    username: str = Field(default="", max_length=150, index=True)
    address: str = Field(default="", max_length=64, index=True)
