"""The admin's own tables, imported together so Alembic and `create_all` see them."""

from admin_app.auth.models import (
    GroupGrant,
    LoginAttempt,
    StaffGroup,
    StaffGroupMember,
    StaffUser,
)
from admin_app.importing.previews import ImportPreview, ImportPreviewPart
from admin_app.writing.audit import AuditEntry

ADMIN_TABLES = (
    StaffUser,
    StaffGroup,
    StaffGroupMember,
    GroupGrant,
    LoginAttempt,
    AuditEntry,
    ImportPreview,
    ImportPreviewPart,
)

__all__ = [
    "ADMIN_TABLES",
    "AuditEntry",
    "GroupGrant",
    "ImportPreview",
    "ImportPreviewPart",
    "LoginAttempt",
    "StaffGroup",
    "StaffGroupMember",
    "StaffUser",
]
