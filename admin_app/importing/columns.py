"""Which table column each header of an imported file names, and what it may do.

The headers are the CSV export's column names (`export_columns`): a stored
column by its key (`team_id`), a to-one's label column beside it (`team`).
A header is refused by name when the user may not set that column (a secret,
a column off the form, a choice of rows of a table they may not view) or when
it names no column at all: silently ignoring it would let a user believe a
change was made. A label column finds the related row by its label; beside
its key column it is checked against the key (`cells.CellReader`), as the
user may have changed either (a row of the same table too: a parent task's
title). Beside a key column that finds the row (a link row's), the key says
which row.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Column, inspect

from admin_app.importing.files import EXPORTED, BadFile, CellFormat
from admin_app.listing.export import ExportColumn
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind


@dataclass(frozen=True)
class ImportCell:
    """One header of the file: where it is, and the field it sets or reads."""

    position: int
    header: str
    spec: FieldSpec
    column: Column | None  # None: the label column of a to-one


@dataclass
class ImportColumns:
    """The file's columns sorted by role."""

    values: list[ImportCell] = field(default_factory=list)  # stored values set
    labels: list[ImportCell] = field(default_factory=list)  # to-ones by label
    # a label beside the key cell it reads (`project` beside `project_id`),
    # checked against it: the one a user changed says which row
    beside_keys: list[tuple[ImportCell, ImportCell]] = field(default_factory=list)
    key: list[ImportCell] = field(default_factory=list)  # find the row
    key_columns: list[Column] = field(default_factory=list)
    format: CellFormat = EXPORTED  # `12,75`, `24.12.26`, `?` (`files`)

    def header_of(self, name: str) -> str:
        """The header of the file that holds field or column `name`."""
        for cell in [*self.values, *self.labels, *self.key]:
            keys = {cell.spec.name, *map(attribute_name, cell.spec.columns)}
            if name in keys:
                return cell.header
        return name

    @property
    def column_keys(self) -> set[str]:
        """The table columns the file sets (key columns included)."""
        found = {
            attribute_name(c.column)
            for c in [*self.values, *self.key]
            if c.column is not None
        }
        for cell in self.labels:
            found.update(map(attribute_name, cell.spec.columns))
        return found


def unique_keys(model: type, specs: Mapping[str, FieldSpec]) -> list[str]:
    """Columns that name one row each and may match imported rows: the primary
    key (when it is one column) and every single unique column."""
    keys = list(inspect(model).primary_key)
    names = [attribute_name(keys[0])] if len(keys) == 1 else []
    for spec in specs.values():
        column = spec.column
        usable = column is not None and column.unique and not spec.is_secret
        if usable and attribute_name(column) not in names:
            names.append(attribute_name(column))
    return names


def plan_columns(
    model: type,
    plural: str,
    header: Sequence[str],
    exported: Sequence[ExportColumn],
    specs: Mapping[str, FieldSpec],
    editable: Callable[[FieldSpec], bool],
    key: str | None = None,
    cell_format: CellFormat = EXPORTED,
) -> ImportColumns:
    """The role of every header, or BadFile naming the headers refused."""
    by_header = {column.header: column for column in exported}
    secrets = {
        attribute_name(c) for s in specs.values() if s.is_secret for c in s.columns
    }
    secrets |= {s.name for s in specs.values() if s.is_secret}
    found = ImportColumns(format=cell_format)
    if key is None:
        found.key_columns = list(inspect(model).primary_key)
    else:
        column = inspect(model).columns.get(key)
        if column is None or key not in unique_keys(model, specs):
            raise BadFile(f"{key!r} is not a unique column of {plural}.")
        found.key_columns = [column]
    unknown: list[str] = []
    for position, name in enumerate(header):
        if not name:
            continue
        if name in secrets:
            raise BadFile(f"The column {name!r} holds a secret: it cannot be imported.")
        export = by_header.get(name)
        if export is None:
            unknown.append(name)
            continue
        cell = ImportCell(position, name, export.spec, export.column)
        if cell.column is not None and cell.column in found.key_columns:
            found.key.append(cell)
            if editable(cell.spec) and not cell.spec.generated:
                found.values.append(cell)
        elif cell.spec.generated and cell.column is not None:
            continue  # the database's own key, beside the chosen key: never set
        elif cell.spec.computed and cell.column is not None:
            found.values.append(cell)  # a cell changed is refused by the write path
        elif not editable(cell.spec):
            raise BadFile(
                f"The column {name!r} cannot be imported: you may not change it here."
            )
        elif cell.column is None:
            found.labels.append(cell)
        else:
            found.values.append(cell)
    if unknown and not (found.values or found.labels or found.key):
        names = ", ".join(c.header for c in exported[:6])
        raise BadFile(
            f"The header names no column of {plural}: the export's columns are "
            f"{names}{', ...' if len(exported) > 6 else ''}."
        )
    if unknown:
        listed = ", ".join(repr(n) for n in unknown)
        raise BadFile(f"The header names {listed}: not a column of {plural}.")
    if key is not None and not found.key:
        raise BadFile(f"The file has no {key!r} column to find the rows by.")
    # A label beside its key cell is checked against it, else ignored: beside
    # a cell that finds the row (a link row's).
    given = {c.spec.name: c for c in [*found.key, *found.values]}
    for cell in found.labels:
        key_cell = given.get(cell.spec.name)
        if key_cell is None or any(key_cell is c for c in found.key):
            continue
        if _checkable(model, cell.spec):
            found.beside_keys.append((cell, key_cell))
    found.labels = [cell for cell in found.labels if cell.spec.name not in given]
    for cell in found.labels:
        if cell.spec.kind is not Kind.TO_ONE or len(cell.spec.columns) != 1:
            raise BadFile(f"The column {cell.header!r} cannot find rows by label.")
    return found


def _checkable(model: type, spec: FieldSpec) -> bool:
    """Whether a label can be checked against its key cell: a to-one of one
    column naming a row by its key (of this table too: a parent task)."""
    target = spec.target
    if spec.kind is not Kind.TO_ONE or target is None:
        return False
    keys, targets = inspect(target).primary_key, spec.target_columns
    return len(keys) == len(targets) == 1 and keys[0] is targets[0]
