"""Optimistic concurrency for edit forms: a save writes only what the user changed.

The edit form carries a version token saying what it showed: a digest of each
column, the keys of each many-to-many selection and a digest of each field of
each inline link row. On save every submitted value is compared three ways:
with what the form showed (did this user change it?) and with the database now
(did someone else?).

- Changed by this user only: written.
- Changed by someone else only, or by nobody: the database's current value
  stays, so a colleague's change to another field survives a stale form.
- Changed by both, to different values: a conflict. Nothing is written; the
  form comes back with each conflicting field marked (their value, yours) and
  a choice "keep theirs" / "use mine", and a fresh token that lists those
  fields as pending, so saving again without choosing is refused again.

Selections merge as sets: a tag this user added is added, one they removed
(having seen it) is removed, and tags a colleague added or removed meanwhile
stay as the colleague left them.

The token only decides *which* submitted values are the user's changes; the
server never writes a value read from it. A forged token can therefore at
most keep a current value or write a value the user submitted; a token that
cannot be read, or that names another row, refuses the save.
"""

import base64
import enum
import hashlib
import json
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

VERSION_FIELD = "admin_row_version"
CHOICE_PREFIX = "admin_keep__"  # + conflict id: "theirs" or "mine"
MINE, THEIRS = "mine", "theirs"
_FORMAT = 2

# -> (label, theirs, mine) of a form field, as a person reads them
DescribeField = Callable[[], tuple[str, str, str]]
DescribeRow = Callable[[Iterable[str]], tuple[str, str]]  # (theirs, mine) of fields


class DamagedToken(ValueError):
    """A version token this server did not write for this row."""


def _canonical(value: Any) -> Any:
    """A value as the form shows it, for comparing: enums by value, text with
    LF line breaks, datetimes as naive UTC to the second, decimals normalised,
    a value of another type (an `IPv4Address`) as its text, as the form shows
    it and a model annotating it as `str` holds it (`held_by_model`)."""
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if isinstance(value, str):  # or a kind of text (SQLAlchemy's `BitString`)
        return str.replace(value, "\r\n", "\n")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return ["datetime", value.replace(microsecond=0).isoformat()]
    if isinstance(value, time):
        return ["time", value.replace(microsecond=0, tzinfo=None).isoformat()]
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, Decimal):
        return ["decimal", str(value.normalize()) if value.is_finite() else str(value)]
    if isinstance(value, bytes):
        return ["bytes", hashlib.sha256(value).hexdigest()]
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)  # as its text: the same whether a model holds it as text


_JSON = json.JSONEncoder(sort_keys=True, default=str)
_SCALAR_JSON = {type(None): lambda _v: "null", int: int.__repr__}


def digest(value: Any) -> str:
    """A short digest of `value` as the form shows it (a list page makes one
    for every cell, an import for every cell of its file: the common scalars
    skip the JSON encoder's machinery, with the same text)."""
    canonical = _canonical(value)
    encode = _SCALAR_JSON.get(type(canonical), _JSON.encode)
    return hashlib.sha256(encode(canonical).encode()).hexdigest()[:16]


def same(a: Any, b: Any) -> bool:
    """Whether `a` and `b` have the same digest, made only when it takes one."""
    if type(a) is type(b):
        if a == b:
            return True  # equal values have equal digests
        if type(a) is str:  # the digest's text: line breaks as LF
            return a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
        if type(a) is int:
            return False
    return digest(a) == digest(b)


@dataclass
class Shown:
    """What one edit form showed of one row."""

    table: str
    key: str
    columns: dict[str, str] = field(default_factory=dict)  # column -> digest
    to_many: dict[str, list[str]] = field(default_factory=dict)  # -> row keys
    links: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    pending: tuple[str, ...] = ()  # conflict ids awaiting the user's choice

    @classmethod
    def of(
        cls,
        table: str,
        key: str,
        columns: Mapping[str, Any],
        to_many: Mapping[str, Iterable[str]],
        links: Mapping[str, Mapping[str, Mapping[str, Any]]],
        pending: Iterable[str] = (),
    ) -> "Shown":
        """The state of values as a form shows them (values, not digests)."""
        return cls(
            table,
            key,
            {name: digest(value) for name, value in columns.items()},
            {name: sorted(keys) for name, keys in to_many.items()},
            {
                name: {
                    row_key: {f: digest(v) for f, v in values.items()}
                    for row_key, values in rows.items()
                }
                for name, rows in links.items()
            },
            tuple(pending),
        )

    def encode(self) -> str:
        payload = {
            "v": _FORMAT,
            "t": self.table,
            "k": self.key,
            "c": self.columns,
            "m": self.to_many,
            "l": self.links,
            "p": list(self.pending),
        }
        packed = zlib.compress(json.dumps(payload, separators=(",", ":")).encode())
        return base64.urlsafe_b64encode(packed).decode()

    @classmethod
    def decode(cls, token: str, table: str, key: str) -> "Shown":
        """The state a token describes, or DamagedToken."""
        try:
            payload = json.loads(zlib.decompress(base64.urlsafe_b64decode(token)))
        except (ValueError, TypeError, zlib.error) as error:
            raise DamagedToken(token[:20]) from error
        if (
            not isinstance(payload, dict)
            or payload.get("v") != _FORMAT
            or payload.get("t") != table
            or payload.get("k") != key
        ):
            raise DamagedToken(token[:20])
        try:
            return cls(
                table,
                key,
                {str(k): str(v) for k, v in payload["c"].items()},
                {str(k): [str(x) for x in v] for k, v in payload["m"].items()},
                {
                    str(name): {
                        str(row): {str(f): str(d) for f, d in values.items()}
                        for row, values in rows.items()
                    }
                    for name, rows in payload["l"].items()
                },
                tuple(str(p) for p in payload["p"]),
            )
        except (AttributeError, KeyError, TypeError) as error:
            raise DamagedToken(token[:20]) from error


@dataclass(frozen=True)
class Conflict:
    """A field (or link row) both users changed: shown with both values."""

    id: str  # also names its choice input: CHOICE_PREFIX + id
    field: str  # the form field it is shown at
    label: str  # "Title", or "Ada" for a link row
    theirs: str  # as a person reads it
    mine: str

    @property
    def choice_name(self) -> str:
        return CHOICE_PREFIX + self.id


@dataclass(frozen=True)
class LinkAction:
    """What to do with one submitted link row."""

    kind: str  # "skip", "insert", "update" or "delete"
    fields: frozenset[str] = frozenset()  # the fields to write


SKIP = LinkAction("skip")


class Merge:
    """The three-way decisions of one save.

    Without a token (a script posting a form, or a create) every submitted
    value is the user's. The decisions are kept so that a refused form can be
    shown again with the user's changes in it and everything else as it is now.
    """

    def __init__(self, shown: Shown | None, choices: Mapping[str, str]) -> None:
        self.shown = shown
        self.choices = choices
        self.decided: set[str] = set()  # form fields compared three ways
        self.mine_fields: set[str] = set()  # of those, the ones the user changed
        self.conflicts: list[Conflict] = []
        self.to_many_changes: dict[str, tuple[set[str], set[str]]] = {}
        self.link_changes: dict[str, dict[str, dict[str, Any]]] = {}

    def _resolved(self, conflict: Conflict, clash: bool) -> bool | None:
        """True to use the user's value, False to keep theirs, None while the
        user has not chosen (the conflict is then reported). A clash found now
        is always reported: a choice made earlier was about another value."""
        pending = self.shown is not None and conflict.id in self.shown.pending
        if not (clash or pending):
            return True
        choice = None if clash else self.choices.get(conflict.choice_name)
        if choice == MINE:
            return True
        if choice == THEIRS:
            return False
        self.conflicts.append(conflict)
        return None

    def unversioned_fields(
        self, values: Mapping[str, tuple[str, Any, Any]]
    ) -> set[str]:
        """The fields to write when no token was shown (an import, a
        script's post): every submitted value is the user's, so those with a
        column whose value differs. `values` is {column: (field, submitted,
        current)}: one call for a whole row, as an import asks for every
        row; with a token each field is compared three ways (`column_field`)."""
        changed = {name for name, m, c in values.values() if not same(m, c)}
        self.decided.update(name for name, _m, _c in values.values())
        self.mine_fields |= changed
        return changed

    def column_field(
        self,
        name: str,
        values: Mapping[str, tuple[Any, Any]],
        describe: DescribeField,
    ) -> bool:
        """Whether to write the submitted value of form field `name`, whose
        columns have `values` {column: (submitted, current)}. `describe`
        gives the field's label and both values in words, asked only for a
        conflict."""
        self.decided.add(name)
        shown = self.shown.columns if self.shown is not None else None
        if shown is None or any(column not in shown for column in values):
            changed = any(not same(m, c) for m, c in values.values())
            if changed:
                self.mine_fields.add(name)
            return changed
        if all(digest(m) == shown[c] for c, (m, _) in values.items()):
            return False
        self.mine_fields.add(name)
        theirs_changed = any(digest(cur) != shown[c] for c, (_, cur) in values.items())
        if theirs_changed and all(same(m, cur) for m, cur in values.values()):
            return False  # both made the same change
        label, theirs, mine = describe()
        use = self._resolved(Conflict(name, name, label, theirs, mine), theirs_changed)
        if use is False:
            self.mine_fields.discard(name)
        return bool(use)

    def to_many(
        self, name: str, submitted: Iterable[str], current: Iterable[str]
    ) -> set[str]:
        """The keys to link: the user's additions and removals applied to the
        selection as it is now."""
        self.decided.add(name)
        submitted, current = set(submitted), set(current)
        if self.shown is None or name not in self.shown.to_many:
            added, removed = submitted - current, current - submitted
        else:
            seen = set(self.shown.to_many[name])
            added, removed = submitted - seen, seen - submitted
        if added or removed:
            self.mine_fields.add(name)
            self.to_many_changes[name] = (added, removed)
        return (current | added) - removed

    def link_row(
        self,
        relation: str,
        key: str,
        *,
        removed: bool,
        mine: Mapping[str, Any],
        current: Mapping[str, Any] | None,
        label: str,
        describe: DescribeRow,
    ) -> LinkAction:
        """What to do with submitted link row `key` of `relation`: `mine` holds
        the fields the user submitted, `current` the row now (None if absent).
        `describe(fields)` says both versions of those fields in words."""
        self.decided.add(relation)
        shown_rows = self.shown.links.get(relation) if self.shown is not None else None
        if shown_rows is None:  # no token: the submitted rows as they are
            if removed:
                return LinkAction("delete") if current is not None else SKIP
            kind = "insert" if current is None else "update"
            return LinkAction(kind, frozenset(mine))
        seen = shown_rows.get(key)

        def decide(
            clash: bool,
            change: dict[str, Any],
            kind: str,
            fields: Iterable[str] = (),
            shown: Iterable[str] | None = None,
        ) -> LinkAction:
            theirs_text, mine_text = describe(mine if shown is None else shown)
            conflict = Conflict(
                f"{relation}-{key}", relation, label, theirs_text, mine_text
            )
            use = self._resolved(conflict, clash)
            if use is not False:  # shown again with the user's change in it
                self.mine_fields.add(relation)
                self.link_changes.setdefault(relation, {})[key] = change
            chosen = frozenset(fields)
            if not use or (kind == "update" and not chosen):
                return SKIP
            return LinkAction(kind, chosen)

        if removed:
            if seen is None or current is None:
                return SKIP  # never shown, or gone already
            theirs_changed = any(digest(current.get(f)) != d for f, d in seen.items())
            return decide(theirs_changed, {"remove": True}, "delete")
        if seen is None:  # the user added it
            if current is None:
                return decide(False, {"values": dict(mine)}, "insert", mine)
            if all(same(v, current.get(f)) for f, v in mine.items()):
                return SKIP  # a colleague added the same
            return decide(True, {"values": dict(mine)}, "update", mine)
        changed = {f for f, v in mine.items() if digest(v) != seen.get(f)}
        if not changed:
            return SKIP
        if current is None:  # a colleague removed it; the user changed it
            return decide(True, {"values": dict(mine)}, "insert", mine)
        theirs = {f for f in changed if digest(current.get(f)) != seen.get(f)}
        clash = any(not same(mine[f], current.get(f)) for f in theirs)
        change = {"values": {f: mine[f] for f in changed}}
        return decide(clash, change, "update", changed - theirs, shown=changed)
