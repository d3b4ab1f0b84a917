"""What an import does to each row of its file, and what a preview keeps of it.

Each row's outcome (new, changed, unchanged) has a digest that a confirmation
compares with its preview's; the result of a whole file keeps counts and only
the first changed rows and refused rows, so its size does not grow with the
file.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from admin_app.writing.audit import UNRECORDED, jsonable

KEPT = 1_000  # refused, changed and new rows a result keeps to show
# `json.dumps` with options makes an encoder at every call (an import: a
# row's digest is made at its preview and again at its confirmation)
_DIGESTED = json.JSONEncoder(sort_keys=True, default=str)


@dataclass
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Written:
    """What a batch's statements wrote for one row (`BatchWrites`): a changed
    row's key and changed columns, or (`key` None) a new row's columns the
    file decided, by attribute key (its defaults are made when it is
    written). A confirmation writes them again (`decisions`)."""

    key: tuple[Any, ...] | None
    values: dict[str, Any]


@dataclass
class HeldCell:
    """A cell written otherwise than its row's value, read as that value:
    the value as a spreadsheet may have written it (a text it read as a
    number or a date, a number it keeps to 15 digits, a time it shows to the
    minute, a `?` for a character a code page lacks), which the import
    leaves as the row holds it. A preview lists the first ones, so a user
    who typed such a change on purpose sees that it was not taken."""

    row: int
    column: str
    cell: Any  # as read from the file
    held: Any  # as the row holds it


@dataclass
class RowOutcome:
    """What one row of the file does: `new`, `changed` or `unchanged`."""

    row: int
    status: str
    key: str
    # the row's columns as the import read them (made JSON's types only for
    # a digest: most rows' outcomes are counted and let go)
    before: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, list[Any]] = field(default_factory=dict)
    # the columns the file's cells ask for (a new row's: with their values,
    # made JSON's types by `digest` alone, which a preview that keeps its
    # decisions does not make)
    asked: dict[str, Any] | None = None
    written: Written | None = None  # None: written by the ORM's flush
    # columns naming a row this import wrote before this one, by that row's
    # number in the file: what the digest compares instead of its key, which
    # a new row gets anew at the confirmation
    names: dict[str, str] = field(default_factory=dict)
    # an existing row's changed columns whose values are never shown or
    # recorded (a secret, a view's `audit_hidden`), not in `changes`
    unrecorded: list[str] = field(default_factory=list)

    def digest(self) -> str:
        """The outcome in a few bytes, to compare a confirmation with its preview.

        It covers what the database held and what the file asks, not the
        values a new row's defaults make (`default_factory=now`, a UUID key):
        those are made again, differently, when the import is confirmed."""
        asked = self.asked
        if asked is None:
            changes = self.changes
        elif self.status == "new":
            changes = jsonable(asked)
        else:
            changes = {k: v for k, v in self.changes.items() if k in asked}
        if self.names:
            changes = {**changes, **self.names}
        if self.unrecorded:
            changes = {**changes, UNRECORDED: sorted(self.unrecorded)}
        # `changes` holds JSON's types already (`jsonable`)
        text = _DIGESTED.encode(
            [
                self.status,
                self.key if self.status != "new" else "",
                jsonable(self.before),
                changes,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def new_values(self) -> dict[str, Any]:
        """Each changed column's value after the import (a new row's values
        the file sets), as JSON holds it."""
        return {name: new for name, (_old, new) in self.changes.items()}

    def before_digest(self) -> str:
        """The row's values as the import read them, in a few bytes."""
        return values_digest(jsonable(self.before))


@dataclass
class ImportResult:
    """Counts of the whole file, and its first changed rows, new rows,
    messages and cells read as their rows' values."""

    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0}
    )
    changed: list[RowOutcome] = field(default_factory=list)  # the first KEPT
    added: list[RowOutcome] = field(default_factory=list)  # the first KEPT new
    errors: list[RowError] = field(default_factory=list)  # the first KEPT
    error_count: int = 0
    held: list[HeldCell] = field(default_factory=list)  # the first KEPT
    held_count: int = 0
    kept: int = KEPT

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def add(self, outcome: RowOutcome) -> None:
        self.counts[outcome.status] += 1
        shown = {"changed": self.changed, "new": self.added}.get(outcome.status)
        if shown is not None and len(shown) < self.kept:
            shown.append(outcome)

    def add_error(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < self.kept:
            self.errors.append(error)

    def add_held(self, cell: HeldCell) -> None:
        self.held_count += 1
        if len(self.held) < self.kept:
            self.held.append(cell)


def values_digest(values: dict[str, Any]) -> str:
    """A digest of a row's values made JSON's types (`jsonable`)."""
    return hashlib.sha256(_DIGESTED.encode(values).encode()).hexdigest()[:32]


Row = tuple[int, list[str]] | tuple[int, list[str], bool]  # bool: overlong
Sink = Callable[[RowOutcome, list[str]], None]
