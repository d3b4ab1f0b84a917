"""The admin's own tables, imported together so Alembic and `create_all` see them."""

from admin_app.audit import AuditEntry
from admin_app.auth.models import StaffUser

ADMIN_TABLES = (StaffUser, AuditEntry)

__all__ = ["ADMIN_TABLES", "AuditEntry", "StaffUser"]
