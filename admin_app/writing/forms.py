"""The form classes of generated views: how submitted text becomes a value,
and the form fields that field descriptions ask for where SQLAdmin's converter
has none.

- `ColumnForm` finds its fields by column name, even a column named as one of
  a form's own attributes (`data`, `meta`, `errors`, `validate`).
- `AdminForm` reads a submitted `0` for a related row as "none".
- A secret's field and a password hash's (typed twice, stored hashed) are in
  `secret_fields`.
- Datetimes are read as people and scripts type ISO 8601: `2025-06-01 12:00:00`
  (the form's own format), `2025-06-01T12:00`, `2025-06-01 12:00`, and with an
  offset or `Z` (`2025-06-01T12:00:00+02:00`). SQLAdmin's field knows only
  `%Y-%m-%d %H:%M:%S` and refused the rest. An aware value is then stored by
  the time-zone rule (`admin_app.model.values.normalise_datetime`): naive UTC
  for a column without time zone, aware for one with it.
"""

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, ClassVar

from sqladmin.exceptions import NoConverterFound
from sqladmin.fields import (
    DateTimeField,
    IntervalField,
    JSONField,
    QuerySelectField,
    QuerySelectMultipleField,
    Select2TagsField,
    TimezoneAwareDateTimeField,
)
from sqladmin.forms import WTFORMS_ATTRS_REVERSED, ModelConverter, converts
from sqlalchemy import Boolean, Float
from starlette.datastructures import FormData
from wtforms import (
    DecimalField,
    FloatField,
    Form,
    SelectField,
    StringField,
    TextAreaField,
    fields,
    validators,
    widgets,
)
from wtforms.fields.core import UnboundField
from wtforms.widgets import NumberInput

from admin_app.model.fields import FieldSpec, Kind
from admin_app.model.keys import row_identifier
from admin_app.model.labels import duration_text, json_item, json_text
from admin_app.model.parsing import (
    DURATION_WORDS,
    BadValue,
    TooDeep,
    read_datetime,
    read_decimal,
    read_duration,
    read_float,
    read_json,
)
from admin_app.writing.secret_fields import PasswordHashField, SecretField

# What a WTForms form holds under its own names: a field there would hide
# them (a column `meta` broke every form, `data` the values read from it).
_FORM_ATTRIBUTES = frozenset(dir(Form)) | {"meta", "form_errors"}


class ColumnForm(Form):
    """A form whose fields are found by column name: `form.data`, `form.errors`
    and `form[name]` are keyed by the columns, and each input is named after
    its column, whatever the column is called.

    A field whose column bears a name the form itself uses is kept under
    another attribute; WTForms still names its input after the column.
    SQLAdmin does so for five such names (as `data_`) and hands the edit
    form's values under those; it missed `meta`, and its `data_` keys broke
    every page that looks a field up by its column.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if isinstance(value, UnboundField) and name in _FORM_ATTRIBUTES:
                delattr(cls, name)
                alias = f"{name}_column"
                while hasattr(cls, alias):
                    alias += "_"
                value.name = name
                setattr(cls, alias, value)

    def process(
        self, formdata: Any = None, obj: Any = None, data: Any = None, **kwargs: Any
    ) -> None:
        self._fields = {field.short_name: field for field in self._fields.values()}
        if data is not None:
            data = {WTFORMS_ATTRS_REVERSED.get(k, k): v for k, v in data.items()}
        super().process(formdata, obj, data=data, **kwargs)


class MarkedRequired:
    """Marks a field required, as the form shows it (its `*`), where the
    write path says it is in its own words when it is left empty."""

    field_flags: ClassVar[dict[str, bool]] = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        return None


class AdminForm(ColumnForm):
    """Reads a submitted `0` for a related row as "none", and leaves an empty
    secret out of the data so the stored one is kept, and a password's second
    box (`secret_fields.asked_twice`), which is no column.

    Scripts and browsers send `0` for an empty foreign key; SQLAdmin's select
    would reject it as "Not a valid choice". The write path then stores NULL,
    or reports "required" where the key may not be empty.
    """

    zero_means_none: ClassVar[frozenset[str]] = frozenset()
    kept_when_empty: ClassVar[frozenset[str]] = frozenset()
    asked_again: ClassVar[frozenset[str]] = frozenset()  # a password's second box

    def process(self, formdata: Any = None, *args: Any, **kwargs: Any) -> None:
        if formdata is not None and self.zero_means_none:
            formdata = FormData(
                [
                    (key, "" if key in self.zero_means_none and value == "0" else value)
                    for key, value in formdata.multi_items()
                ]
            )
        super().process(formdata, *args, **kwargs)

    @property
    def data(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in super().data.items()
            if not (name in self.kept_when_empty and value in (None, ""))
            and name not in self.asked_again
        }


class ChoiceField(SelectField):
    """A select of a choice column's values (an enum, a `Literal[...]`),
    labelled as lists show them. `coerce` is the field's own parser, so the
    data is the value the column stores (an enum member, not its name: an
    IntEnum's `high` is 3)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("allow_blank", None)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        """A value that is none of the choices is said in the choices' words
        (WTForms says "Invalid Choice: could not coerce.")."""
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            labels = ", ".join(label for value, label in self.choices or () if value)
            raise ValueError(f"Not a valid choice: choose {labels}.") from error


class KeySelectField(SelectField):
    """A select of related rows by label for a foreign key column that no
    relationship names; its data is the chosen row's key as text, which the
    write path parses and looks up."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("allow_blank", None)
        kwargs.setdefault("coerce", str)
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        self.data = "" if value is None else str(value)


class RowSelectField(QuerySelectField):
    """SQLAdmin's select of the related row, given the row by its identifier
    (`row_identifier`): SQLAdmin's own reads a row's key by its columns'
    names, which a model over an older database may give other attributes."""

    def process_data(self, value: Any) -> None:
        super().process_data(None if value is None else _chosen(value))


class RowsSelectField(QuerySelectMultipleField):
    """`RowSelectField` for a to-many's rows."""

    def process_data(self, value: Any) -> None:
        super().process_data(None if value is None else [_chosen(v) for v in value])


def _chosen(row: Any) -> Any:
    return row if isinstance(row, str) else row_identifier(row)


def _read_typed(field: Any, valuelist: list[str], read: Callable[[str], Any]) -> None:
    """An input read as an import reads its cell (`read`, BadValue in
    words); empty is None, left to the field's validators and the write
    path."""
    if not valuelist or not valuelist[0].strip():
        field.data = None
        return
    try:
        field.data = read(valuelist[0])
    except BadValue as error:
        field.data = None
        raise ValueError(str(error)) from None


class DurationField(IntervalField):
    """SQLAdmin's duration input, showing the value as the pages do
    (`labels.duration_text`: `-25:00:01`, not `-2 days, 22:59:59`)."""

    def _value(self) -> str:
        if isinstance(self.data, timedelta) and not self.raw_data:
            return duration_text(self.data)
        return super()._value()

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read as an import reads a duration: SQLAdmin's field refuses a
        zero one (`0:00:00`) and fails on one too long for Python."""
        _read_typed(self, valuelist, _duration)


def _duration(text: str) -> timedelta:
    try:
        return read_duration(text)
    except ValueError as error:
        raise BadValue(DURATION_WORDS) from error


class DatabaseTextField(StringField):
    """A value of a type SQLAdmin has no field for (PostgreSQL's `cidr`,
    ranges, `money`, bit strings, `tsvector`), typed as the text the list
    and the export show; the write path has the database read it
    (`model.database_text`)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0] if valuelist else None


class NumberField(FloatField):
    """A number with a fraction, refused in the import's words when it is
    not finite: WTForms' field took `nan` (which SQLite stored as NULL)
    and `inf`."""

    widget = NumberInput(step="any")

    def process_formdata(self, valuelist: list[str]) -> None:
        _read_typed(self, valuelist, read_float)


class ExactNumberField(DecimalField):
    """A decimal, refused in the import's words when it is not finite
    (`NaN`, `Infinity`)."""

    def process_formdata(self, valuelist: list[str]) -> None:
        _read_typed(self, valuelist, read_decimal)


class BytesField(StringField):
    """Bytes shown and typed as base64, so a form saved unchanged writes back
    exactly the bytes it showed (SQLAdmin's textarea would store their repr)."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if isinstance(self.data, bytes | bytearray | memoryview):
            return base64.b64encode(bytes(self.data)).decode("ascii")
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        text = str(valuelist[0]).strip()
        if not text:
            self.data = None
            return
        try:
            self.data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as error:
            self.data = None
            raise ValueError("Not valid base64 (letters, digits, + and /).") from error


class JsonField(JSONField):
    """JSON that reads back as it was stored: empty for NULL, `[]` as `[]`
    (SQLAdmin's field shows both as `{}`, so an unchanged save rewrote them)."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None:
            return ""
        return json_text(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        """Read as an import reads JSON, nested no deeper than it takes
        (`parsing.read_json`): Python's reader failed on deep nesting."""
        _read_typed(self, valuelist, _json)


def _json(text: str) -> Any:
    try:
        return read_json(text)
    except TooDeep as error:
        raise BadValue(str(error)) from error
    except ValueError as error:
        raise BadValue("Invalid JSON") from error


class _ListWidget(widgets.Select):
    """SQLAdmin's tags input (`Select2TagsWidget`), whose items are the
    options the page holds: its script adds `data-json`'s items as options
    too (none, not twice), which SQLAdmin's writes as JSON, failing on a
    date or UUID."""

    def __call__(self, field: Any, **kwargs: Any) -> Any:
        kwargs.update({"data-role": "select2-tags", "data-json": "[]"})
        kwargs.setdefault("multiple", "multiple")
        return super().__call__(field, **kwargs)


class ListField(Select2TagsField):
    """A list (PostgreSQL's array) as SQLAdmin's tags input, each item an
    option of the page itself: SQLAdmin's leaves the items to its script
    (`data-json`), so a form sent before the script ran, or without one,
    sent no items and emptied the list. A row holding no list (NULL) shows
    none, and the write path keeps NULL for an empty one sent back."""

    widget = _ListWidget()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # a list with no items is a list: not "This field is required."
        kept = kwargs.get("validators") or []
        kwargs["validators"] = [
            v for v in kept if not isinstance(v, validators.InputRequired)
        ]
        super().__init__(*args, **kwargs)

    def process_data(self, value: Any) -> None:
        self.data = value

    def iter_choices(self) -> Iterable[tuple[str, str, bool, dict]]:
        for item in self.data or []:
            text = str(json_item(item))  # as pages and files write it
            yield text, text, True, {}


UTC_HINT = "In UTC, as every page shows times (2026-02-17 04:59:00)."


def _read_datetime(field: fields.DateTimeField, valuelist: list[str]) -> None:
    """The field's own format first (as the date picker sends it, `15:52:9`
    included), then any ISO 8601 datetime, or one as the pages show it."""
    try:
        fields.DateTimeField.process_formdata(field, valuelist)
    except ValueError as refused:
        try:
            field.data = read_datetime(" ".join(valuelist))
        except ValueError:
            field.data = None
            raise refused from None


class IsoDateTimeField(DateTimeField):
    """SQLAdmin's datetime field, reading ISO 8601 datetimes too."""

    def process_formdata(self, valuelist: list[str]) -> None:
        _read_datetime(self, valuelist)


class IsoAwareDateTimeField(TimezoneAwareDateTimeField):
    """SQLAdmin's field for columns with a time zone, reading ISO 8601
    datetimes too; a value typed without an offset is in the display time zone."""

    def process_formdata(self, valuelist: list[str]) -> None:
        _read_datetime(self, valuelist)
        if self.data is not None and self.data.tzinfo is None:
            self.data = self._localize(self.data)


def _filled_by_default(prop: Any) -> bool:
    """A required column (not a flag) the database or SQLAlchemy fills when
    no value is given."""
    columns = getattr(prop, "columns", ())
    if len(columns) != 1:
        return False
    column = columns[0]
    return (
        not column.nullable
        and bool(column.default is not None or column.server_default is not None)
        and not isinstance(column.type, Boolean)
    )


class WriteConverter(ModelConverter):
    """SQLAdmin's converter with the fields above."""

    def _get_identifier_value(self, o: Any) -> str:
        return row_identifier(o)

    @converts("Boolean", "dialects.mssql.base.BIT")
    def conv_boolean(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        """A flag that may be unknown (a nullable column) as a select in
        words, as the filters name it: Unknown, Yes, No (SQLAdmin's says
        True and False)."""
        if prop.columns[0].nullable:
            kwargs.setdefault("choices", [("True", "Yes"), ("False", "No")])
            kwargs.setdefault("blank_text", "Unknown")
        return super().conv_boolean(model, prop, kwargs)

    async def convert(  # type: ignore[override]
        self,
        model: type,
        prop: Any,
        session_maker: Any,
        field_args: dict[str, Any],
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """SQLAdmin's field, left empty allowed where the database fills a
        required column itself (a `server_default` such as `now()`): SQLAdmin
        gives such a field neither `Optional` nor `InputRequired`, so its
        own reading refused the empty input ("Not a valid datetime value.")
        and a new row could not take the default. The write path says
        "This field is required." where it cannot."""
        if _filled_by_default(prop):
            validators_ = [*field_args.get("validators", []), validators.Optional()]
            field_args = {**field_args, "validators": validators_}
        return await super().convert(
            model, prop, session_maker, field_args, *args, **kwargs
        )

    def get_converter(self, prop: Any) -> Any:
        """SQLAdmin's field for the column's type; for a type it has none for
        (its converter raised, and every form of the table was a server
        error), a text input the database reads (`DatabaseTextField`)."""
        try:
            return super().get_converter(prop)
        except NoConverterFound:
            return self.conv_database_text

    def conv_database_text(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        return DatabaseTextField(**kwargs)

    @converts("Float", "Double", "REAL")
    def conv_float(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        """SQLAlchemy 2.1's `Float` is no `Numeric`: SQLAdmin finds no field."""
        return NumberField(**kwargs)

    @converts("Numeric")  # Float too, before SQLAlchemy 2.1
    def conv_decimal(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        if isinstance(prop.columns[0].type, Float):
            return NumberField(**kwargs)
        kwargs.setdefault("places", None)  # as stored, as SQLAdmin's
        return ExactNumberField(**kwargs)

    @converts("Interval", "sqlalchemy.dialects.postgresql.types.INTERVAL")
    def conv_interval(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        kwargs.setdefault("render_kw", {})["placeholder"] = "Like: 2:15:00"
        return DurationField(**kwargs)

    @converts("MANYTOONE")
    def conv_many_to_one(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        return RowSelectField(**kwargs)

    @converts("ONETOONE")
    def conv_one_to_one(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        return RowSelectField(**{**kwargs, "allow_blank": True})

    @converts("MANYTOMANY", "ONETOMANY")
    def conv_many_to_many(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        return RowsSelectField(**kwargs)

    @converts("DateTime")
    def conv_datetime(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        column = prop.columns[0]
        if not kwargs.get("description"):  # the zone a typed value is in
            kwargs["description"] = UTC_HINT
        if getattr(column.type, "timezone", False):
            return IsoAwareDateTimeField(**kwargs)
        return IsoDateTimeField(**kwargs)


def fields_by_kind(
    specs: Mapping[str, FieldSpec], names: Iterable[str]
) -> tuple[dict[str, Any], dict[str, dict], dict[str, dict]]:
    """The form field class overrides, field arguments and widget options
    that each field's kind takes, for SQLAdmin's form builder: one mapping for
    a view's forms and for the rows of a link editor, so a role reads
    "Owner" in both, as lists show it."""
    overrides: dict[str, Any] = {}
    args: dict[str, dict] = {}
    widgets: dict[str, dict] = {}
    for name in names:
        spec = specs.get(name)
        if spec is None:
            continue
        if spec.kind is Kind.LONG_TEXT:
            overrides[name] = TextAreaField
        elif spec.kind is Kind.SECRET:
            overrides[name] = SecretField
        elif spec.kind is Kind.PASSWORD:
            overrides[name] = PasswordHashField
        elif spec.kind is Kind.CHOICE:
            overrides[name] = ChoiceField
            blank = [("", "")] if spec.nullable else []
            args[name] = {"choices": blank + spec.choice_texts, "coerce": spec.parse}
        elif spec.kind is Kind.TO_ONE and spec.relationship is not None:
            # An empty required relation gets "This field is required." from
            # the write path rather than WTForms' "Not a valid choice"; the
            # form marks it required all the same.
            args[name] = {"allow_blank": True}
            if not spec.nullable:
                args[name]["validators"] = [MarkedRequired()]
        elif spec.kind is Kind.BYTES:
            overrides[name] = BytesField
        elif spec.kind is Kind.JSON:
            overrides[name] = JsonField
        elif spec.kind is Kind.LIST:  # a list of lists as the JSON it is
            overrides[name] = JsonField if spec.nested_list else ListField
        elif spec.kind is Kind.TIME:  # seconds shown, so they are kept
            args[name] = {"format": ["%H:%M:%S", "%H:%M"]}
            widgets[name] = {"step": "1"}
        if spec.kind in (Kind.NUMBER, Kind.DECIMAL):
            widgets[name] = {"step": spec.step}
        if spec.description is not None:
            args.setdefault(name, {})["description"] = spec.description
    return overrides, args, widgets
