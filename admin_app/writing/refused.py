"""A refused edit shown again: the user's changes kept, everything else as it is now.

After a conflict (or any refused save of an edit), the form the user gets back
holds the fields they changed as they typed them; the fields they did not
change show the row as it is now, so saving again cannot put back a stale
value; each conflict is marked at its field with both values and a choice
"keep theirs" / "use mine"; and the version token is fresh, naming the
conflicts still open.
"""

from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from admin_app.model.keys import row_identifier
from admin_app.writing.concurrency import MINE, THEIRS, VERSION_FIELD, Conflict, Merge

CHANGED_MEANWHILE = "Changed by someone else after you opened the form."


@dataclass
class RefusedForm:
    """A refused edit, to show again: the row as it is now and the decisions."""

    fresh: dict[str, Any]  # the form's data for the row as it is now
    merge: Merge
    to_many: dict[str, list[Any]]  # many-to-many fields as the merge leaves them


def show_again(form: Any, refused: RefusedForm) -> None:
    """Set the bound `form`'s fields as described above."""
    merge, fresh = refused.merge, refused.fresh
    for name, field in form._fields.items():
        if name == VERSION_FIELD:
            _reprocess(field, fresh[VERSION_FIELD])
        elif name in refused.to_many:
            rows = refused.to_many[name]
            if not hasattr(field, "loader"):  # a plain select compares keys
                rows = [row_identifier(row) for row in rows]
            _reprocess(field, rows)
        elif name in merge.link_changes:
            _reprocess(field, _merged_rows(fresh[name], merge.link_changes[name]))
        elif name in merge.decided - merge.mine_fields and name in fresh:
            _reprocess(field, fresh[name])  # untouched: the value now
    for name, conflicts in _by_field(merge.conflicts).items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, CHANGED_MEANWHILE]
            before = escape(field.description or "")
            choices = _choices_html(conflicts)
            field.description = Markup(f"{before} {choices}" if before else choices)


def _reprocess(field: Any, value: Any) -> None:
    """Show `value` in a bound form field instead of what was submitted."""
    field.raw_data = None
    if hasattr(field, "last_index"):  # a list of rows: number them afresh
        field.last_index = -1
    field.process(None, data=value)


def _merged_rows(
    rows: list[dict[str, Any]], changes: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Link rows as they are now, with the user's changes applied."""
    merged = [dict(row) for row in rows]
    by_key = {row["other"]: row for row in merged}
    for key, change in changes.items():
        row = by_key.get(key)
        if row is None:  # added by the user (or removed meanwhile): a new row
            row = {"other": key, "label": "", "remove": False}
            merged.append(row)
        if change.get("remove"):
            row["remove"] = True
        row.update(change.get("values", {}))
    return merged


def _by_field(conflicts: list[Conflict]) -> dict[str, list[Conflict]]:
    found: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        found.setdefault(conflict.field, []).append(conflict)
    return found


def _choices_html(conflicts: list[Conflict]) -> Markup:
    """Per conflict, both values and a choice between them, inside the form.
    None is ticked: a conflict shown again is about a value not seen before."""
    parts = []
    for c in conflicts:
        theirs, mine = escape(c.theirs), escape(c.mine)

        def choice(value: str, words: str, c: Conflict = c) -> str:
            return (
                '<label class="form-check form-check-inline">'
                f'<input class="form-check-input" type="radio" '
                f'name="{escape(c.choice_name)}" value="{value}"> {words}</label>'
            )

        parts.append(
            f'<span class="save-conflict d-block mt-1 text-body" role="group" '
            f'aria-label="Choose the value of {escape(c.label)}">'
            f'<span class="d-block">{escape(c.label)}: someone else saved '
            f"“{theirs}”; you entered “{mine}”.</span>"
            + choice(THEIRS, f"Keep theirs (“{theirs}”)")
            + choice(MINE, f"Use mine (“{mine}”)")
            + "</span>"
        )
    return Markup("".join(parts))
