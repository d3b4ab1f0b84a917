"""Previewed imports, kept in the database until they are confirmed or expire.

Workers are stateless (several processes, several servers): the preview is
answered by one worker and its confirmation may reach another, so the
previewed change is stored in the admin's own table, not in process memory,
and named by an unguessable token that only its user may confirm. A preview
is used once and expires after `PREVIEW_LIFETIME`; older ones are deleted
whenever a new one is stored.

The rows to apply are kept compactly: one JSON line per row (its number
and its cells with its outcome's digest, or what the preview decided for it:
`decisions`), compressed into a temporary file as the
preview makes them and stored in parts of a quarter megabyte (rows of
`ImportPreviewPart`), so a 100,000-row preview is a few megabytes of parts
and neither its making, its storing nor its reading holds more than a part
or a batch of rows in memory.
"""

import json
import secrets
import tempfile
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import DateTime, LargeBinary, Select, Text, delete, insert, select
from sqlalchemy.orm import Session
from sqlmodel import Field

from admin_app.clock import utcnow
from admin_app.model.mapped import AdminTable

PREVIEW_LIFETIME = timedelta(hours=1)


class ImportPreview(AdminTable, table=True):
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


class ImportPreviewPart(AdminTable, table=True):
    """A part of a preview's compressed rows: a large preview is stored, and
    read back at its confirmation, a part at a time."""

    __tablename__ = "admin_import_preview_part"

    token: str = Field(primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=LargeBinary)


_PACKED = json.JSONEncoder(separators=(",", ":"))  # made once, not a row


class PackedRows:
    """Rows to apply, compressed line by line as they come into a temporary
    file (in memory up to `SPOOLED` bytes), stored in parts of `PART` bytes."""

    SPOOLED = 1 << 20
    PART = 256 << 10

    def __init__(self) -> None:
        self._compressor = zlib.compressobj(6)
        self._file = tempfile.SpooledTemporaryFile(self.SPOOLED)  # noqa: SIM115 (read and closed by `parts`)
        self.count = 0

    def add(self, row: list[Any]) -> None:
        """Keep one row, a list JSON can hold (its number first)."""
        line = _PACKED.encode(row) + "\n"
        self._file.write(self._compressor.compress(line.encode()))
        self.count += 1

    def parts(self) -> Iterator[bytes]:
        """The compressed rows, a part at a time (once)."""
        self._file.write(self._compressor.flush())
        self._file.seek(0)
        while part := self._file.read(self.PART):
            yield part
        self.close()

    def close(self) -> None:
        """Let go of the temporary file (rows not stored: a refused preview)."""
        self._file.close()


def store_preview(
    session: Session,
    username: str,
    table: str,
    payload: dict[str, Any],
    packed: PackedRows,
) -> str:
    """Keep a preview and its rows (and forget expired ones); return its token."""
    expired = select(ImportPreview.token).where(
        ImportPreview.created_at < utcnow() - PREVIEW_LIFETIME
    )
    forget(session, expired)
    token = secrets.token_urlsafe(32)
    parts = 0
    for parts, part in enumerate(packed.parts(), 1):
        session.execute(
            insert(ImportPreviewPart), {"token": token, "seq": parts - 1, "data": part}
        )
    payload = {**payload, "parts": parts}
    session.add(
        ImportPreview(
            token=token, username=username, table=table, payload=json.dumps(payload)
        )
    )
    return token


def forget(session: Session, tokens: Select | list[str]) -> None:
    """Delete the previews of `tokens` (a list, or a query of them) and their parts."""
    session.execute(
        delete(ImportPreviewPart).where(ImportPreviewPart.token.in_(tokens))
    )
    session.execute(delete(ImportPreview).where(ImportPreview.token.in_(tokens)))


class PreviewGone(LookupError):
    """A preview whose rows cannot all be read back; the message says so."""


def stored_rows(session: Session, preview: ImportPreview) -> Iterator[list[Any]]:
    """The rows of a stored preview, one at a time, its parts read one by one;
    PreviewGone if a part is missing (or the preview was stored by a version
    that kept its rows otherwise), never fewer rows than were previewed."""
    parts = preview.data().get("parts")
    if not isinstance(parts, int):
        raise PreviewGone("This preview was made by an earlier version.")
    decompressor = zlib.decompressobj()
    rest = b""
    for seq in range(parts):
        part = session.scalar(
            select(ImportPreviewPart.data).where(
                ImportPreviewPart.token == preview.token, ImportPreviewPart.seq == seq
            )
        )
        if part is None:
            raise PreviewGone(f"Part {seq + 1} of this preview's rows is missing.")
        *lines, rest = (rest + decompressor.decompress(part)).split(b"\n")
        yield from map(json.loads, lines)
    yield from map(json.loads, (rest + decompressor.flush()).split(b"\n")[:-1])
