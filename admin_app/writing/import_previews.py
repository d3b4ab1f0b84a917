"""Previewed imports, kept in the database until they are confirmed or expire.

Workers are stateless (several processes, several servers): the preview is
answered by one worker and its confirmation may reach another, so the
previewed change is stored in the admin's own table, not in process memory,
and named by an unguessable token that only its user may confirm. A preview
is used once and expires after `PREVIEW_LIFETIME`; older ones are deleted
whenever a new one is stored.
"""

import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import DateTime, Text, delete
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from admin_app.clock import utcnow

PREVIEW_LIFETIME = timedelta(hours=1)


class ImportPreview(SQLModel, table=True):
    __tablename__ = "admin_import_preview"

    token: str = Field(primary_key=True, max_length=64)
    # sa_type: SQLModel before 0.0.45 has no column type for NaiveDatetime
    created_at: NaiveDatetime = Field(
        default_factory=utcnow, sa_type=DateTime, index=True
    )
    username: str = Field(default="", max_length=150)
    table: str = Field(max_length=100)
    payload: str = Field(default="{}", sa_type=Text)

    def data(self) -> dict[str, Any]:
        return json.loads(self.payload or "{}")

    def expired(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) - self.created_at > PREVIEW_LIFETIME


def store_preview(
    session: Session, username: str, table: str, payload: dict[str, Any]
) -> str:
    """Keep a preview (and forget expired ones); return its token."""
    session.execute(
        delete(ImportPreview).where(
            ImportPreview.created_at < utcnow() - PREVIEW_LIFETIME
        )
    )
    token = secrets.token_urlsafe(32)
    session.add(
        ImportPreview(
            token=token, username=username, table=table, payload=json.dumps(payload)
        )
    )
    return token
