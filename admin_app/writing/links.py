"""Inline editors for link tables that carry data of their own.

A link table such as `TaskAssignment(task_id, worker_id, role, assigned_at)`
is edited from the forms of both parents: one row per link, showing the other
side by label and the link's own fields, with rows added, changed and removed in
place. SQLAdmin's many-to-many select would insert link rows with only the two
keys (a NOT NULL `role` fails) and drop the extra data when a link is
deselected; here the rows are saved as a diff, validated by the link's own
model, in the same transaction as the parent.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from pydantic import ValidationError
from sqladmin.forms import get_model_form
from sqlalchemy import Column, inspect, select
from sqlalchemy.orm import RelationshipProperty, Session
from sqlalchemy.orm.attributes import set_attribute
from wtforms import BooleanField, FieldList, Form, FormField, HiddenField, StringField

from admin_app.model.attributes import attribute_name
from admin_app.model.fields import FieldSpec, Kind, field_specs
from admin_app.model.keys import BadKey, identifier, parse_key
from admin_app.model.labels import field_label, label_for
from admin_app.model.limits import cannot_hold, key_fits, row_with_key
from admin_app.model.values import OutOfCalendar, normalise_datetime, unchanged
from admin_app.writing.concurrency import Merge
from admin_app.writing.forms import ColumnForm, WriteConverter, fields_by_kind
from admin_app.writing.validation import problems, validate_row

BLANK_ROWS = 3  # empty rows offered for new links (more after each save)
MAX_ROWS = 1000

# A widget's template renders while SQLAdmin's (asynchronous) template renders
# the field, so widget templates get a synchronous environment of their own.
_WIDGETS = Environment(
    loader=PackageLoader("admin_app.site", "templates"), autoescape=True
)


@dataclass(frozen=True)
class LinkSpec:
    """One parent's view of a link table: which columns point where."""

    name: str  # the parent's field for the link rows, e.g. "assignments"
    link_model: type
    parent_pairs: tuple[tuple[Column, Column], ...]  # (link column, parent column)
    other_model: type  # the row on the other side, e.g. Worker
    other_pairs: tuple[tuple[Column, Column], ...]  # (link column, other column)
    other_name: str  # the other side as the link names it, e.g. "worker"
    fields: tuple[str, ...]  # the link's own columns
    other: RelationshipProperty | None = None  # link -> other, if declared

    @classmethod
    def from_field(cls, spec: FieldSpec) -> "LinkSpec":
        facts = spec.link
        assert facts is not None, f"{spec.name} is not a link with data"
        return cls(
            spec.name,
            facts.link_model,
            facts.parent_pairs,
            facts.other_model,
            facts.other_pairs,
            facts.other_name,
            facts.fields,
            facts.other,
        )

    def parent_values(self, parent: Any) -> dict[str, Any]:
        return {
            attribute_name(link): getattr(parent, attribute_name(col))
            for link, col in self.parent_pairs
        }

    def other_key(self, link_row: Any) -> tuple[Any, ...]:
        return tuple(
            getattr(link_row, attribute_name(link)) for link, _ in self.other_pairs
        )

    def other_row(self, session: Session, link_row: Any) -> Any:
        """The row a link row points at on the other side."""
        if self.other is not None:
            return getattr(link_row, self.other.key)
        return session.get(self.other_model, self.other_key(link_row))


def link_specs(
    model: type, fields: Mapping[str, FieldSpec] | None = None
) -> list[LinkSpec]:
    """The link tables with data of their own that point at `model`, one per
    link table however the relationships are declared (the link's own
    one-to-many, a `link_model=` many-to-many, or both), as its field
    descriptions (`fields`, by default the model's) place them on the form."""
    fields = field_specs(model) if fields is None else fields
    return [
        LinkSpec.from_field(spec)
        for spec in fields.values()
        if spec.kind is Kind.LINK_WITH_DATA and spec.in_form and spec.link
    ]


class InlineRowsWidget:
    """Renders the link rows as a table (template `sqladmin/inline_links.html`):
    the other side by label, the link's own fields, and a remove box."""

    def __init__(
        self,
        spec: LinkSpec,
        choices: list[tuple[str, str]] | None,
        url: str,
        session_maker: Callable[[], Session],
    ) -> None:
        self.spec, self.choices, self.url = spec, choices, url
        self.session_maker = session_maker

    async def __call__(self, field: "InlineLinksField", **_kwargs: Any) -> Markup:
        spec = self.spec
        chosen = {}
        if self.choices is None:  # searched as you type: label the rows chosen
            chosen = await to_thread.run_sync(self._chosen_labels, field)
        return Markup(
            _WIDGETS.get_template("sqladmin/inline_links.html").render(
                field=field,
                fields=spec.fields,
                other_title=field_label(spec.link_model, spec.other_name),
                choices=self.choices,
                chosen=chosen,
                search_url=self.url,
            )
        )

    def _chosen_labels(self, field: "InlineLinksField") -> dict[str, str]:
        """The label of each row a new link row names by its key (a refused
        form shown again), so that its select shows the row, not the key."""
        model = self.spec.other_model
        keys = {
            entry.form.other.data
            for entry in field.entries
            if entry.form.other.data and not entry.form.label.data
        }
        if not keys:  # a form opened afresh: every row labelled already
            return {}
        labels = {}
        with self.session_maker() as session:
            for text in keys:
                try:
                    row = row_with_key(session, model, parse_key(model, text))
                except BadKey:
                    continue
                if row is not None:
                    labels[text] = label_for(row)
        return labels


class InlineLinksField(FieldList):
    """A list of link rows; its own errors are shown as sentences, row errors
    in their cells."""

    def process(
        self, formdata: Any, data: Any = None, extra_filters: Any = None
    ) -> None:
        super().process(formdata, data if data is not None else (), extra_filters)
        if not formdata:  # a form being opened: offer rows to add links
            for _ in range(BLANK_ROWS):
                self.append_entry()

    def validate(self, form: Form, extra_validators: Any = ()) -> bool:
        """Validate the rows in use: not the empty ones offered for adding, nor
        the ones ticked for removal."""
        ok = True
        for entry in self.entries:
            row = entry.form
            if (row.other.data or row.label.data) and not row.remove.data:
                ok = entry.validate(form) and ok
        self.errors = [] if ok else ["Please correct the rows below."]
        return ok


async def inline_field(
    spec: LinkSpec,
    session_maker: Any,
    choices: list[tuple[str, str]] | None,
    url: str,
) -> InlineLinksField:
    """The unbound form field that edits `spec`'s rows."""
    overrides, args, widgets = fields_by_kind(field_specs(spec.link_model), spec.fields)
    fields_form = await get_model_form(
        model=spec.link_model,
        session_maker=session_maker,
        only=list(spec.fields),
        column_labels={f: field_label(spec.link_model, f) for f in spec.fields},
        form_converter=WriteConverter,
        form_class=ColumnForm,
        form_overrides=overrides,
        form_args=args,
        form_widget_args=widgets,
    )
    row_form = type(
        f"{spec.link_model.__name__}RowForm",
        (fields_form,),
        {
            "other": StringField(),
            "label": HiddenField(),
            "remove": BooleanField("Remove"),
        },
    )
    return InlineLinksField(
        FormField(row_form),
        label=spec.name.replace("_", " ").capitalize(),
        max_entries=MAX_ROWS,
        widget=InlineRowsWidget(spec, choices, url, session_maker),
    )


def current_rows(session: Session, spec: LinkSpec, parent: Any) -> list[dict[str, Any]]:
    """The parent's link rows as form data, ordered by the other side's label."""
    link = spec.link_model
    stmt = select(link).where(
        *(getattr(link, k) == v for k, v in spec.parent_values(parent).items())
    )
    rows = []
    for row in session.scalars(stmt):
        other = spec.other_row(session, row)
        rows.append(
            {
                "other": identifier(spec.other_key(row)),
                "label": label_for(other),
                "remove": False,
                **{f: getattr(row, f) for f in spec.fields},
            }
        )
    return sorted(rows, key=lambda r: r["label"].casefold())


class LinkPlan:
    """The link-row changes of one save, planned before anything is written."""

    def __init__(self) -> None:
        self.steps: list[Callable[[], None]] = []
        # the rows it adds: (row number, the link row's key), so that two
        # editors of one link table (a member's following and followers)
        # adding the same row are told apart from a clash in the database
        self.added: list[tuple[int, tuple[Any, ...]]] = []

    def apply(self) -> None:
        for step in self.steps:
            step()


class LinkWriter:
    """Saves submitted link rows as a diff against the database.

    Only the rows (and fields) the user changed are written: `merge` compares
    each with what the form showed and with the row as it is now."""

    def __init__(
        self,
        session: Session,
        spec: LinkSpec,
        merge: Merge | None = None,
        describe: Callable[[str, Any], str] | None = None,
    ) -> None:
        self.session, self.spec = session, spec
        self.merge = merge if merge is not None else Merge(None, {})
        self.describe = describe or (lambda _name, value: str(value))
        self.errors: list[str] = []

    def apply(self, parent: Any, rows: list[dict[str, Any]]) -> list[str]:
        """Insert, change and delete link rows; return what was refused."""
        plan = self.plan(parent, rows)
        if not self.errors:
            plan.apply()
        return self.errors

    def plan(self, parent: Any, rows: list[dict[str, Any]]) -> LinkPlan:
        """What saving `rows` does; refusals are collected in `errors`."""
        spec, link = self.spec, self.spec.link_model
        parent_values = spec.parent_values(parent)
        existing = {
            spec.other_key(row): row
            for row in self.session.scalars(
                select(link).where(
                    *(getattr(link, k) == v for k, v in parent_values.items())
                )
            )
        }
        plan = LinkPlan()
        seen: set[tuple[Any, ...]] = set()
        for number, row in enumerate(rows, start=1):
            if not row.get("other"):
                continue  # an unused blank row
            try:
                key = parse_key(spec.other_model, str(row["other"]))
            except BadKey:
                self.errors.append(f"Row {number}: choose a valid {spec.other_name}.")
                continue
            if not key_fits(
                list(inspect(spec.other_model).primary_key), key, self.session
            ):
                # a key its column cannot hold: no row has it
                self.errors.append(
                    f"Row {number}: that {spec.other_name} does not exist."
                )
                continue
            refused = self._refused_value(row)
            if refused is not None:
                self.errors.append(f"Row {number}: {refused}")
                continue
            if key in seen:
                self.errors.append(
                    f"Row {number}: this {spec.other_name} is listed twice."
                )
                continue
            seen.add(key)
            self._plan_row(plan, number, key, row, existing.get(key), parent_values)
        return plan

    def _refused_value(self, row: dict[str, Any]) -> str | None:
        """Why the link table cannot hold a value the row sets, if it cannot."""
        columns = self.spec.link_model.__table__.columns
        for name in self.spec.fields:
            refused = cannot_hold(columns[name], row.get(name), self.session)
            if refused is not None:
                return refused
            try:
                normalise_datetime(columns[name], row.get(name))
            except OutOfCalendar as error:
                return str(error)
        return None

    def _submitted(self, row: dict[str, Any], current: Any) -> dict[str, Any]:
        """The fields a row sets. Empty means "keep" (or the default, for a new
        row); with a token, an emptied optional field of a shown row is cleared."""
        columns = self.spec.link_model.__table__.columns
        clearing = self.merge.shown is not None and current is not None
        return {
            f: normalise_datetime(columns[f], row.get(f))
            if row.get(f) not in (None, "")
            else None
            for f in self.spec.fields
            if row.get(f) not in (None, "") or (clearing and columns[f].nullable)
        }

    def _plan_row(
        self,
        plan: LinkPlan,
        number: int,
        key: tuple[Any, ...],
        row: dict[str, Any],
        current: Any,
        parent_values: dict[str, Any],
    ) -> None:
        spec = self.spec
        removed = bool(row.get("remove"))
        other = (
            spec.other_row(self.session, current)
            if current is not None
            else self.session.get(spec.other_model, key)
        )
        if other is None:
            if not removed:
                self.errors.append(
                    f"Row {number}: that {spec.other_name} does not exist."
                )
            return
        values = {} if removed else self._submitted(row, current)
        if current is not None:
            candidate = {
                prop.key: getattr(current, prop.key)
                for prop in inspect(spec.link_model).column_attrs
            }
        else:
            other_values = {
                attribute_name(local): getattr(other, attribute_name(remote))
                for local, remote in spec.other_pairs
            }
            candidate = {**parent_values, **other_values}
        validated = None
        if not removed:  # a row being removed need not be valid
            validated = self._validate(number, {**candidate, **values})
            if validated is None:
                return
        mine = {f: getattr(validated, f) for f in values}
        now = {f: getattr(current, f) for f in spec.fields} if current else None

        def describe(fields: Iterable[str]) -> tuple[str, str]:
            names = list(fields) or list(spec.fields)
            theirs = {f: now.get(f) for f in names} if now is not None else None
            if removed:
                return self._text(theirs), "removed"
            row = {f: getattr(validated, f) for f in names}  # defaults included
            return self._text(theirs), self._text(row)

        action = self.merge.link_row(
            spec.name,
            identifier(key),
            removed=removed,
            mine=mine,
            current=now,
            label=label_for(other),
            describe=describe,
        )
        if action.kind == "delete":
            plan.steps.append(lambda: self.session.delete(current))
        elif action.kind == "insert":  # the row as validated, with its defaults
            plan.steps.append(lambda: self.session.add(validated))
            link_key = inspect(spec.link_model).primary_key_from_instance(validated)
            plan.added.append((number, tuple(link_key)))
        elif action.kind == "update":
            chosen = {f: mine[f] for f in action.fields}
            merged = self._validate(number, {**candidate, **chosen})
            if merged is not None:
                plan.steps.append(lambda: self._set(current, merged))

    def _text(self, values: dict[str, Any] | None) -> str:
        """A link row's fields as a person reads them; "not linked" if absent."""
        if values is None:
            return "not linked"
        return ", ".join(
            f"{field_label(self.spec.link_model, f)}: {self.describe(f, v)}"
            for f, v in values.items()
        )

    def _validate(self, number: int, candidate: dict[str, Any]) -> Any:
        try:
            return validate_row(self.spec.link_model, candidate)
        except ValidationError as error:
            for name, message in problems(self.spec.link_model, error):
                where = f"{field_label(self.spec.link_model, name)}: " if name else ""
                self.errors.append(f"Row {number}: {where}{message}")
            return None

    def _set(self, current: Any, validated: Any) -> None:
        for name in self.spec.fields:
            new = getattr(validated, name)
            if not unchanged(getattr(current, name), new):
                set_attribute(current, name, new)
