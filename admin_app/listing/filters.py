"""List filters: one per field as its description places it, plus a project's own.

Each filter reads its own query parameters (the public contract in DESIGN.md:
`col=`, `col__gte=`, `col__lte=`, `col__isnull=`, `relationship=`), turns them
into SQL conditions, and says what it shows as a removable chip. A value that
does not parse is a `BadFilter` with a sentence the user can act on.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Column, String, cast, inspect, or_
from sqlalchemy.orm import RelationshipProperty
from sqlalchemy.sql import ColumnElement

from admin_app.listing.instants import at_instant, from_instant
from admin_app.listing.parameters import equality_parameter
from admin_app.model.attributes import attribute_name
from admin_app.model.fields import (
    FALSE_WORDS,
    TRUE_WORDS,
    BadValue,
    FieldSpec,
    Kind,
    spec_for_column,
)
from admin_app.model.keys import BadKey, parse_key
from admin_app.model.labels import (
    LIST_LIMIT,
    choices_if_small,
    field_label,
    label_for,
)
from admin_app.model.limits import compared, row_with_key


class BadFilter(ValueError):
    """A filter value that cannot be applied; the message is shown to the user."""


@dataclass(frozen=True)
class Chip:
    """One active filter as the user sees it, and the parameters that remove it."""

    label: str
    parameters: tuple[str, ...]


def parse_bool(text: str, title: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadFilter(f"{title}: {text!r} is not true or false.")


def parse_value(spec: FieldSpec, text: str, title: str) -> Any:
    """A query-string value as the field's Python value, or BadFilter."""
    try:
        return spec.parse(text)
    except BadValue as error:
        raise BadFilter(f"{title}: {error}") from error


class ListFilter:
    """Base of every filter shown in the list page's filter panel."""

    title: str = ""
    parameter_name: str = ""
    template: ClassVar[str] = "sqladmin/filters/choices.html"

    def parameters(self) -> tuple[str, ...]:
        return (self.parameter_name,)

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        raise NotImplementedError

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        raise NotImplementedError

    def lookups(self, *_args: Any) -> Sequence[tuple[str, str]]:
        """(value, label) choices, for filters chosen from a list."""
        return []


class ChoiceFilter(ListFilter):
    """Exact match against a short list of choices (booleans, enums, `Literal`s)."""

    def __init__(
        self,
        model: type,
        column: Column,
        choices: Sequence[tuple[str, str]] = (),
        *,
        spec: FieldSpec | None = None,
    ) -> None:
        self.model, self.column = model, column
        self.spec = spec if spec is not None else spec_for_column(model, column)
        self.parameter_name = equality_parameter(attribute_name(column))
        self.title = self.spec.label
        if choices:
            self.choices = list(choices)
        elif self.spec.kind is Kind.BOOL:
            self.choices = [("true", "Yes"), ("false", "No")]
        else:
            self.choices = self.spec.choice_texts

    def lookups(self, *_args: Any) -> Sequence[tuple[str, str]]:
        return self.choices

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        text = params.get(self.parameter_name)
        if text is None or text == "":
            return []
        if self.spec.kind in (Kind.BOOL, Kind.CHOICE):
            return [self.column == parse_value(self.spec, text, self.title)]
        if text not in dict(self.choices):
            allowed = ", ".join(value for value, _label in self.choices)
            raise BadFilter(f"{self.title}: {text!r} is not one of {allowed}.")
        return [self.column == text]

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        text = params.get(self.parameter_name)
        if not text:
            return []
        label = dict(self.choices).get(text, text)
        return [Chip(f"{self.title}: {label}", (self.parameter_name,))]


class RangeFilter(ListFilter):
    """From / to for numbers, dates and datetimes (`col__gte`, `col__lte`);
    `parameter_name` is the column's, which the bounds' names start with."""

    template = "sqladmin/filters/range.html"

    def __init__(
        self, model: type, column: Column, *, spec: FieldSpec | None = None
    ) -> None:
        self.model, self.column = model, column
        self.spec = spec if spec is not None else spec_for_column(model, column)
        self.parameter_name = attribute_name(column)
        self.exact_parameter = equality_parameter(self.parameter_name)
        self.title = self.spec.label
        self.input_type = self.spec.input_type
        # Whole numbers for integers; seconds for times; any number otherwise.
        self.step = {"number": self.spec.step, "date": ""}.get(self.input_type, "1")

    BOUNDS: ClassVar[dict[str, tuple[str, str]]] = {
        "": ("is", "__eq__"),
        "__gte": ("from", "__ge__"),
        "__lte": ("to", "__le__"),
    }

    def parameters(self) -> tuple[str, ...]:
        return tuple(map(self._parameter, self.BOUNDS))

    def _parameter(self, suffix: str) -> str:
        """The parameter of a bound (`col__gte`), or of an exact value."""
        return self.parameter_name + suffix if suffix else self.exact_parameter

    def _bounds(self, params: Mapping[str, str]) -> list[tuple[str, str, Any]]:
        found = []
        for suffix in self.BOUNDS:
            text = params.get(self._parameter(suffix))
            if text:
                found.append((suffix, text, parse_value(self.spec, text, self.title)))
        return found

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        return [self._condition(s, v) for s, _text, v in self._bounds(params)]

    def _condition(self, suffix: str, value: Any) -> ColumnElement:
        column = self.column
        if isinstance(value, datetime) and suffix != "__lte":  # see `instants`
            if suffix == "":
                return at_instant(column, value)
            return column >= from_instant(column, value)
        return getattr(column, self.BOUNDS[suffix][1])(compared(column, value))

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        return [
            Chip(
                f"{self.title} {self.BOUNDS[suffix][0]} {text}",
                (self._parameter(suffix),),
            )
            for suffix, text, _value in self._bounds(params)
        ]


class EmptyFilter(ListFilter):
    """Empty / not empty for nullable columns (`col__isnull=true|false`); a
    list (an array) with no items is empty too, and so is empty text (the
    forms store none, but other programs do: "customers without a phone")."""

    def __init__(
        self,
        model: type,
        column: Column,
        name: str | None = None,
        *,
        spec: FieldSpec | None = None,
    ) -> None:
        self.model, self.column = model, column
        self.json = spec is not None and spec.kind is Kind.JSON
        self.list = spec is not None and spec.kind is Kind.LIST
        self.text = spec is not None and spec.kind in (Kind.TEXT, Kind.LONG_TEXT)
        self.parameter_name = f"{attribute_name(column)}__isnull"
        self.name = (
            spec.label
            if spec is not None
            else (spec_for_column(model, column).label if name is None else name)
        )
        self.title = f"{self.name} set?"

    def lookups(self, *_args: Any) -> Sequence[tuple[str, str]]:
        return [("true", "Empty"), ("false", "Not empty")]

    def empty(self) -> ColumnElement:
        """Whether a row's value is empty, for the filter and its counts."""
        empty = self.column.is_(None)
        if self.json or self.list:  # JSON (a list's variant on SQLite) holds
            # Python's None as `null` by default
            empty = or_(empty, cast(self.column, String) == "null")
        if self.list:  # `[]` bound as the column holds it
            empty = or_(empty, self.column == [])
        if self.text:
            empty = or_(empty, self.column == "")
        return empty

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        text = params.get(self.parameter_name)
        if not text:
            return []
        return [self.empty() if parse_bool(text, self.title) else ~self.empty()]

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        text = params.get(self.parameter_name)
        if not text:
            return []
        word = "empty" if parse_bool(text, self.title) else "not empty"
        return [
            Chip(
                f"{self.name}: {word}",
                (self.parameter_name,),
            )
        ]


class RelatedFilter(ListFilter):
    """Rows related to one chosen row: a foreign key (`project_id=3`, with or
    without a relationship) or a many-to-many relationship (`tags=3`). The row
    is chosen by label; a large related table is searched as you type instead
    of listed (one of more than `listed_up_to` rows, as a form's select)."""

    template = "sqladmin/filters/related.html"

    def __init__(
        self,
        model: type,
        relationship: RelationshipProperty | None,
        session_factory: Callable[[], Any],
        *,
        column: Column | None,
        spec: FieldSpec | None = None,
        listed_up_to: int = LIST_LIMIT,
    ) -> None:
        self.model, self.relationship, self.column = model, relationship, column
        self.session_factory = session_factory
        self.listed_up_to = listed_up_to
        if spec is not None and spec.target is not None:
            self.target = spec.target
        elif relationship is not None:
            self.target = relationship.mapper.class_
        else:
            raise ValueError("A related-row filter needs a relationship or a field.")
        name = relationship.key if relationship is not None else attribute_name(column)
        self.parameter_name = equality_parameter(
            attribute_name(column) if column is not None else name
        )
        self.title = spec.label if spec is not None else field_label(model, name)

    def _target_key(self, text: str) -> tuple[Any, ...]:
        try:
            return parse_key(self.target, text)
        except BadKey as error:
            raise BadFilter(
                f"{self.title}: {text!r} names no {self.title.lower()}."
            ) from error

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        text = params.get(self.parameter_name)
        if not text:
            return []
        key = self._target_key(text)
        if self.column is not None:
            return [self.column == compared(self.column, key[0])]
        keys = inspect(self.target).primary_key
        attr = getattr(self.model, self.relationship.key)
        pairs = zip(keys, key, strict=True)
        return [attr.any(*(k == compared(k, v) for k, v in pairs))]

    def chosen_label(self, text: str) -> str:
        """The label of the row named by `text`."""
        key = self._target_key(text)
        with self.session_factory() as session:
            row = row_with_key(session, self.target, key)
        return label_for(row) if row is not None else f"#{text} (no such row)"

    def lookups(self, *_args: Any) -> Sequence[tuple[str, str]] | None:
        """Every related row by label, or None when there are too many to list."""
        with self.session_factory() as session:
            return choices_if_small(session, self.target, self.listed_up_to)

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        text = params.get(self.parameter_name)
        if not text:
            return []
        return [
            Chip(f"{self.title}: {self.chosen_label(text)}", (self.parameter_name,))
        ]


class SimpleListFilter(ListFilter):
    """A project's own filter, like Django's `SimpleListFilter`.

    Declare a title, a parameter name and the choices, each with its label and
    the condition it adds to the query (an SQL expression, or a function of no
    arguments returning one, evaluated on every request)::

        class OverdueFilter(SimpleListFilter):
            title = "Overdue"
            parameter_name = "overdue"
            choices = {
                "yes": ("Overdue", lambda: Task.due_date < date.today()),
            }
    """

    choices: ClassVar[Mapping[str, tuple[str, Any]]] = {}

    def lookups(self, *_args: Any) -> Sequence[tuple[str, str]]:
        return [(value, label) for value, (label, _condition) in self.choices.items()]

    def conditions(self, params: Mapping[str, str]) -> list[ColumnElement]:
        value = params.get(self.parameter_name)
        if not value:
            return []
        if value not in self.choices:
            allowed = ", ".join(self.choices)
            raise BadFilter(f"{self.title}: {value!r} is not one of {allowed}.")
        condition = self.choices[value][1]
        return [condition() if callable(condition) else condition]

    def chips(self, params: Mapping[str, str]) -> list[Chip]:
        value = params.get(self.parameter_name)
        if not value or value not in self.choices:
            return []
        return [Chip(f"{self.title}: {self.choices[value][0]}", (self.parameter_name,))]
