"""The form classes of generated views: how submitted text becomes a value.

- `AdminForm` reads a submitted `0` for a related row as "none".
- Datetimes are read as people and scripts type ISO 8601: `2025-06-01 12:00:00`
  (the form's own format), `2025-06-01T12:00`, `2025-06-01 12:00`, and with an
  offset or `Z` (`2025-06-01T12:00:00+02:00`). SQLAdmin's field knows only
  `%Y-%m-%d %H:%M:%S` and refused the rest. An aware value is then stored by
  the time-zone rule (`admin_app.model.values.normalise_datetime`): naive UTC
  for a column without time zone, aware for one with it.
"""

from datetime import datetime
from typing import Any, ClassVar

from sqladmin.fields import DateTimeField, TimezoneAwareDateTimeField
from sqladmin.forms import ModelConverter, converts
from starlette.datastructures import FormData
from wtforms import Form, fields


class AdminForm(Form):
    """Reads a submitted `0` for a related row as "none".

    Scripts and browsers send `0` for an empty foreign key; SQLAdmin's select
    would reject it as "Not a valid choice". The write path then stores NULL,
    or reports "required" where the key may not be empty.
    """

    zero_means_none: ClassVar[frozenset[str]] = frozenset()

    def process(self, formdata: Any = None, *args: Any, **kwargs: Any) -> None:
        if formdata is not None and self.zero_means_none:
            formdata = FormData(
                [
                    (key, "" if key in self.zero_means_none and value == "0" else value)
                    for key, value in formdata.multi_items()
                ]
            )
        super().process(formdata, *args, **kwargs)


def parse_datetime(text: str) -> datetime:
    """A datetime typed as ISO 8601, with a `T` or a space, with or without
    seconds, fractions and an offset; ValueError otherwise."""
    text = text.strip()
    if not text or len(text) > 40:
        raise ValueError(text)
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


def _read_datetime(field: fields.DateTimeField, valuelist: list[str]) -> None:
    """The field's own format first (as the date picker sends it, `15:52:9`
    included), then any ISO 8601 datetime."""
    try:
        fields.DateTimeField.process_formdata(field, valuelist)
    except ValueError as refused:
        try:
            field.data = parse_datetime(" ".join(valuelist))
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


class WriteConverter(ModelConverter):
    """SQLAdmin's converter with the fields above."""

    @converts("DateTime")
    def conv_datetime(self, model: type, prop: Any, kwargs: dict[str, Any]) -> Any:
        column = prop.columns[0]
        if getattr(column.type, "timezone", False):
            return IsoAwareDateTimeField(**kwargs)
        return IsoDateTimeField(**kwargs)
