"""Previewed imports, kept in the database until they are confirmed or expire.

Workers are stateless (several processes, several servers): the preview is
answered by one worker and its confirmation may reach another, so the
previewed change is stored in the admin's own table, not in process memory,
and named by an unguessable token that only its user may confirm. A preview
is used once and expires after `PREVIEW_LIFETIME`; older ones are deleted
whenever a new one is stored.

The rows to apply are kept compactly: one JSON line per row (its number, its
cells and its outcome's digest), compressed as the preview makes them, so a
100,000-row preview is a few megabytes in one row of the table and neither
its making nor its reading holds the rows as Python objects.
"""

import base64
import json
import secrets
import zlib
from collections.abc import Iterator
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


class PackedRows:
    """Rows to apply, compressed line by line as they come."""

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(6)
        self._parts: list[bytes] = []
        self.count = 0

    def add(self, number: int, cells: list[str], digest: str) -> None:
        line = json.dumps([number, cells, digest], separators=(",", ":")) + "\n"
        self._parts.append(self._compressor.compress(line.encode()))
        self.count += 1

    def text(self) -> str:
        """The rows as text a JSON payload holds."""
        self._parts.append(self._compressor.flush())
        return base64.b64encode(b"".join(self._parts)).decode("ascii")


def unpacked_rows(text: str) -> Iterator[tuple[int, list[str], str]]:
    """The rows of `PackedRows.text`, one at a time."""
    data = base64.b64decode(text)
    decompressor = zlib.decompressobj()
    rest = b""
    step = 1 << 16
    for start in range(0, len(data), step):
        rest += decompressor.decompress(data[start : start + step])
        *lines, rest = rest.split(b"\n")
        for line in lines:
            number, cells, digest = json.loads(line)
            yield int(number), list(cells), str(digest)
    rest += decompressor.flush()
    for line in rest.split(b"\n"):
        if line:
            number, cells, digest = json.loads(line)
            yield int(number), list(cells), str(digest)
