"""What a preview decided for each row, kept so that its confirmation writes
exactly that without deciding it again.

Deciding is most of an import's time: each cell parsed, each related key
found, each row validated by the model, merged and checked for unique
values. Where a preview's rows were all written by `BatchWrites` (a table of
plain columns whose view adds no hook of its own), each row's decision is a
few column values (`Written`): a changed row's key and changed columns, a
new row's columns the file decided. The preview keeps them (`DecidedRows`),
each typed value in a form that reads back exactly (`typed_json`), with a
digest of each changed row's values as the preview read them.

The confirmation (`DecidedImport`) reads each batch's changed rows again with
one SELECT, locking them, and counts a row that now holds other values, or is
gone, as changed since the preview; a new row's defaults are made anew, as a
form's are when it is saved. It writes the decisions with the same batch
statements a preview runs, and a row the database refuses (a unique value
taken, a related row deleted since) is found by writing the batch again row
by row, each in a savepoint; a unique value the database does not guard
itself is asked for before the batch is written (`writing.unique`). Any
such row refuses the whole confirmation.

A preview whose rows were not all written by `BatchWrites`, or that holds a
value without an exact form here, keeps its cells instead, and its
confirmation runs the import again (`apply`).
"""

from collections.abc import Callable, Iterable
from itertools import islice
from typing import Any, NamedTuple

from sqlalchemy import inspect, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapper, Session

from admin_app.db import begin_for_savepoints
from admin_app.importing.batch_writes import BatchWrites, UnorderedInsert
from admin_app.importing.outcomes import RowOutcome, values_digest
from admin_app.importing.previews import PackedRows
from admin_app.importing.typed_json import NotKept, ValueCodec
from admin_app.model.keys import identifier, key_attributes
from admin_app.model.values import aware_in_utc
from admin_app.writing.audit import jsonable
from admin_app.writing.unique import Asked, BatchUniqueCheck, asked_values
from admin_app.writing.writes import column_values


class _Decision(NamedTuple):
    """One stored row: a new row's decided columns and the columns its
    outcome shows, or (with `key`) a changed row's changed columns, its
    values' digest as the preview read them and its change as the audit
    entry records it."""

    number: int
    values: dict[str, Any]
    shown: list[str]
    key: tuple[Any, ...] | None = None
    before: str = ""
    changes: dict[str, list[Any]] | None = None


class DecidedRows:
    """The decisions of a preview's rows to apply, packed as they come; no
    longer `usable` once a row was written otherwise, holds a value the
    codec cannot keep, or may name a row the file adds.

    Only the values the file's cells ask for are kept: a value the model's
    validation makes of others (a time stamped by a validator) is made anew
    by running the rows again.

    A new row whose key the database (or a default) makes gets another key
    at the confirmation than in the preview. A row that names a row the
    import wrote before it (a parent task the file adds, by its title:
    `RowOutcome.names`) was decided with the preview's key, so the
    confirmation runs the rows again, and finds the rows they name then."""

    def __init__(self, model: type) -> None:
        self.codec = ValueCodec(model)
        self.packed = PackedRows()
        self.usable = True

    def add(self, outcome: RowOutcome) -> None:
        if not self.usable:
            return
        written = outcome.written
        try:
            asked = (outcome.asked or {}).keys()
            if written is None or outcome.names or not written.values.keys() <= asked:
                raise NotKept(outcome.row)  # or a value the file did not give
            values = self.codec.encode(written.values)
            if written.key is None:  # and the columns its outcome shows
                self.packed.add([outcome.row, values, list(outcome.changes)])
            else:
                key = self.codec.encode_key(written.key)
                before = outcome.before_digest()
                self.packed.add([outcome.row, values, key, before, outcome.changes])
        except NotKept:
            self.usable = False


class DecidedImport:
    """A confirmation that writes a preview's decisions (`DecidedRows`)."""

    def __init__(
        self,
        model: type,
        session: Session,
        *,
        hidden: frozenset[str],
        batch: int,
    ) -> None:
        self.model, self.session = model, session
        self.mapper: Mapper = inspect(model)
        self.codec = ValueCodec(model)
        self.hidden, self.batch = hidden, batch
        self._keys = list(self.mapper.primary_key)
        self._key_attributes = key_attributes(model)
        self._attributes = [prop.key for prop in self.mapper.column_attrs]
        self._unique_check = BatchUniqueCheck(session, model)

    def run(
        self,
        lines: Iterable[list[Any]],
        done: Callable[[RowOutcome], None],
        stale: Callable[[int], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Apply the stored rows: `done` is told each written row's outcome,
        `stale` the number of each row changed since the preview, `progress`
        how many rows are done, batch by batch."""
        begin_for_savepoints(self.session)
        decisions = map(self._decision, lines)
        count = 0
        while batch := list(islice(decisions, self.batch)):
            self._batch(batch, done, stale)
            count += len(batch)
            if progress is not None:
                progress(count)

    def _decision(self, line: list[Any]) -> _Decision:
        if len(line) == 3:  # a new row
            return _Decision(*line)
        number, values, key, before, changes = line
        key = self.codec.decode_key(key)
        return _Decision(number, values, [], key, before, changes)

    def _batch(
        self,
        batch: list[_Decision],
        done: Callable[[RowOutcome], None],
        stale: Callable[[int], None],
    ) -> None:
        held = self._held([row.key for row in batch if row.key is not None])
        pending = []
        for row in batch:
            if row.key is not None and held.get(row.key, ("",))[0] != row.before:
                stale(row.number)  # changed since the preview, or gone
            else:
                pending.append(row)
        # each new row's defaults made anew, as a form's are when it is saved:
        # once, so that the unique values asked for are those written
        made = BatchWrites(self.model)
        defaults = {
            row.number: column_values(made.new_row())
            for row in pending
            if row.key is None
        }
        taken = self._taken(pending, held, defaults)
        for number in sorted(taken):
            stale(number)  # a unique value another row took since
        pending = [row for row in pending if row.number not in taken]
        savepoint = self.session.begin_nested()
        try:
            outcomes = self._write(pending, defaults)
        except (IntegrityError, UnorderedInsert):
            savepoint.rollback()
            outcomes = []
            for row in pending:  # the rows the database refuses, one by one
                alone = self.session.begin_nested()
                try:
                    outcomes += self._write([row], defaults)
                except IntegrityError:
                    alone.rollback()
                    stale(row.number)
                else:
                    alone.commit()
        else:
            savepoint.commit()
        for outcome in outcomes:
            done(outcome)

    def _taken(
        self,
        rows: list[_Decision],
        held: dict[tuple[Any, ...], tuple[str, dict[str, Any]]],
        defaults: dict[int, dict[str, Any]],
    ) -> set[int]:
        """The numbers of `rows` that would now write a unique value another
        row took since the preview, of the groups the database does not
        enforce itself (it refuses the others' writes: `_batch` then finds
        those rows by writing them one by one). A preview whose batch held
        such a value was checked row by row, and keeps no decisions."""
        if not self._unique_check.needed():
            return set()
        asked: list[Asked] = []
        numbers: list[int] = []
        for row in rows:
            values = self.codec.decode(row.values)
            if row.key is None:
                full = {**defaults[row.number], **values}
            else:
                full = {**held[row.key][1], **values}
            changes = None if row.key is None else values
            for one in asked_values(self.model, full, row.key or (None,), changes):
                asked.append(one)
                numbers.append(row.number)
        return {numbers[position] for position in self._unique_check.taken(asked)}

    def _held(
        self, keys: list[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], tuple[str, dict[str, Any]]]:
        """The digest of each row of `keys` as it is now (its columns, as
        its preview read them: a change to a column whose values are never
        shown is a change too) and its columns, by key; the rows are
        locked."""
        if not keys:
            return {}
        columns = [self.mapper.get_property(a).columns[0] for a in self._attributes]
        if len(self._keys) == 1:
            where = self._keys[0].in_([key[0] for key in keys])
        else:
            where = tuple_(*self._keys).in_(keys)
        held = {}
        for values in self.session.execute(
            select(*columns).where(where).with_for_update()
        ):
            # as `column_values` reads the row the preview digested
            row = aware_in_utc(
                self.model, dict(zip(self._attributes, values, strict=True))
            )
            key = tuple(row[a] for a in self._key_attributes)
            held[key] = (values_digest(jsonable(row)), row)
        return held

    def _write(
        self, rows: list[_Decision], defaults: dict[int, dict[str, Any]]
    ) -> list[RowOutcome]:
        """Write `rows` with one statement per shape (a new row with its
        `defaults`); their outcomes."""
        writes = BatchWrites(self.model)
        made: list[tuple[_Decision, dict[str, Any]]] = []
        outcomes = []
        for row in rows:
            values = self.codec.decode(row.values)
            if row.key is not None:
                writes.update(row.key, values)
                key = identifier(row.key)
                outcome = RowOutcome(row.number, "changed", key, {}, row.changes)
                outcome.unrecorded = [name for name in values if name in self.hidden]
                outcomes.append(outcome)
            else:
                made.append((row, writes.insert({**defaults[row.number], **values})))
        writes.write(self.session)
        for row, after in made:
            key = identifier([after[a] for a in self._key_attributes])
            changes = {name: [None, jsonable(after[name])] for name in row.shown}
            outcomes.append(RowOutcome(row.number, "new", key, {}, changes))
        return outcomes
