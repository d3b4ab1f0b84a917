"""Field coercions shared by the shipped Create/Update schemas.

Browsers and API clients send `0` or an empty string for "no related row" and
often send timezone-aware datetimes; the tables store NULL and naive UTC.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, NaiveDatetime


def utcnow() -> datetime:
    """The current time as naive UTC, the form every naive datetime column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def zero_to_none(value: Any) -> Any:
    """Treat `0`, `"0"` and `""` as "no related row"."""
    if value in (0, "0", "") and not isinstance(value, bool):
        return None
    return value


def to_naive_utc(value: Any) -> Any:
    """Convert an aware datetime to naive UTC; leave naive values and others alone."""
    if isinstance(value, str) and value:
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value  # pydantic reports the error in its own words
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


OptionalForeignKey = Annotated[int | None, BeforeValidator(zero_to_none)]
"""An optional foreign key id where `0` means none."""

NaiveUTCDateTime = Annotated[NaiveDatetime, BeforeValidator(to_naive_utc)]
"""A datetime stored as naive UTC whatever offset it arrived with."""
