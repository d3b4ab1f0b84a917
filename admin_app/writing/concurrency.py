"""Optimistic concurrency for edit forms: refuse to overwrite what changed meanwhile.

The edit form carries a version token: a short digest of every column (and
every inline link row) as the row was when the form was opened. On save the
digests are taken again; fields whose digest moved were changed by someone else,
and the save is refused with their names and new values. No version column is
needed in the project's tables.
"""

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import inspect

VERSION_FIELD = "admin_row_version"


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


def digests(obj: Any, extra: Mapping[str, Any]) -> dict[str, str]:
    """A digest per column of `obj`, and per extra named value (link rows)."""
    found = {
        prop.key: _digest(getattr(obj, prop.key))
        for prop in inspect(obj).mapper.column_attrs
    }
    found.update({name: _digest(value) for name, value in extra.items()})
    return found


def encode(found: Mapping[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(found, sort_keys=True).encode()).decode()


def changed_since(token: str, now: Mapping[str, str]) -> list[str] | None:
    """Names whose digest differs from the token's, or None for a token that
    cannot be read (then the save goes ahead: the token only protects)."""
    try:
        then = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, TypeError):
        return None
    if not isinstance(then, dict):
        return None
    return [
        name for name, digest in now.items() if name in then and then[name] != digest
    ]
