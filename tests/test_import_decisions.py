"""What a preview keeps of each row's decision reads back exactly: every type a
SQLModel column holds goes through JSON and comes back equal and of its own
type, and a value without an exact form makes the preview keep the row's
cells instead (its confirmation then runs the import again)."""

import json
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from admin_app.importing.decisions import DecidedRows
from admin_app.importing.outcomes import RowOutcome, Written
from admin_app.importing.typed_json import NotKept, ValueCodec
from tests.zoo.columns import Colour, Level, Size, ZooSample, ZooSeat

VALUES = {
    "none": None,
    "flag": False,
    "count": 2**40,
    "ratio": -0.0,
    "text": 'a "quoted"\nline ☃',
    "naive": datetime(2026, 12, 4, 15, 30, 1, 123456),
    "aware": datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
    "utc": datetime(2026, 1, 1, tzinfo=UTC),
    "offset": datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    "day": date(1, 1, 1),
    "clock": time(23, 59, 59, 999999),
    "price": Decimal("1.10"),
    "huge": Decimal("-1E+30"),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "blob": b"\x00\xff\xfe not text",
    "wait": timedelta(days=-2, seconds=5, microseconds=7),
    "level": Level.high,  # IntEnum
    "colour": Colour.deep_blue,  # StrEnum
    "size": Size.large,  # Enum
    "doc": {"nested": {"deep": [1, "two", None, True]}, "": 0.5},
    "items": [1, [2, [3]]],
}


def test_every_column_type_reads_back_equal_and_of_its_own_type():
    codec = ValueCodec(ZooSample)
    stored = codec.encode(VALUES)
    back = codec.decode(json.loads(json.dumps(stored)))
    assert back == VALUES
    assert {k: type(v) for k, v in back.items()} == {
        k: type(v) for k, v in VALUES.items()
    }
    assert back["price"].as_tuple() == Decimal("1.10").as_tuple()  # "1.10", not 1.1
    assert back["aware"].utcoffset() == VALUES["aware"].utcoffset()
    assert math.copysign(1, back["ratio"]) == -1
    nan = codec.decode(json.loads(json.dumps(codec.encode({"r": math.nan}))))
    assert math.isnan(nan["r"])


def test_a_composite_key_reads_back_as_its_parts():
    codec = ValueCodec(ZooSeat)
    key = ("Hall; A", 7)
    assert codec.decode_key(json.loads(json.dumps(codec.encode_key(key)))) == key


@pytest.mark.parametrize(
    "value",
    [
        {1, 2},  # a set
        {"when": datetime(2026, 1, 1)},  # JSON would make it text
        (1, 2),  # JSON would make it a list
        Size.small,  # not the column's enum (`other` holds none)
        object(),
    ],
    ids=["set", "json-with-datetime", "tuple", "enum-elsewhere", "object"],
)
def test_a_value_without_an_exact_form_is_not_kept(value):
    with pytest.raises(NotKept):
        ValueCodec(ZooSample).encode({"other": value})
    decided = DecidedRows(ZooSample)
    written = Written(None, {"other": value})
    decided.add(RowOutcome(2, "new", "", asked={"other": None}, written=written))
    assert not decided.usable


def test_a_row_written_by_the_flush_makes_the_preview_keep_cells():
    decided = DecidedRows(ZooSample)
    written = Written(None, {"colour": Colour.red})
    decided.add(RowOutcome(2, "new", "", asked={"colour": "red"}, written=written))
    assert decided.usable
    decided.add(RowOutcome(3, "changed", "1", asked={}, written=None))
    assert not decided.usable


def test_a_value_the_file_did_not_give_makes_the_preview_keep_cells():
    """A value the model's validation made of others (a time it stamps, a
    slug) is made again when the rows run again at the confirmation."""
    decided = DecidedRows(ZooSample)
    written = Written((1,), {"notes": "Asked"})
    decided.add(RowOutcome(2, "changed", "1", asked={"notes": None}, written=written))
    assert decided.usable
    made = Written((2,), {"notes": "Asked", "ratio": 0.5})
    decided.add(RowOutcome(3, "changed", "2", asked={"notes": None}, written=made))
    assert not decided.usable
