"""The admin's own tables for staff accounts.

They live on `SQLModel.metadata` next to the project's tables, so `create_all`
and Alembic see them, under an `admin_` prefix so they never collide with a
project's own `user` table.
"""

from pydantic import NaiveDatetime
from sqlmodel import Field, SQLModel

from admin_app.clock import utcnow


class StaffUser(SQLModel, table=True):
    __tablename__ = "admin_staff_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(min_length=1, max_length=150, unique=True)
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    is_superuser: bool = False
    last_login: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    session_version: int = Field(
        default=1,
        description="Bumped to end every session of this user at once.",
    )
