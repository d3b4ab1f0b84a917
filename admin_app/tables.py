"""The admin's own tables, imported together so Alembic and `create_all` see them."""

from admin_app.audit import AuditEntry
from admin_app.auth.models import (
    GroupGrant,
    LoginAttempt,
    StaffGroup,
    StaffGroupMember,
    StaffUser,
)

ADMIN_TABLES = (
    StaffUser,
    StaffGroup,
    StaffGroupMember,
    GroupGrant,
    LoginAttempt,
    AuditEntry,
)

__all__ = [
    "ADMIN_TABLES",
    "AuditEntry",
    "GroupGrant",
    "LoginAttempt",
    "StaffGroup",
    "StaffGroupMember",
    "StaffUser",
]
