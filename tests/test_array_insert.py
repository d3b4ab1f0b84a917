"""New rows an import adds on PostgreSQL are sent as one array a column
(`admin_app.importing.array_insert`): what is stored is exactly what
SQLAlchemy's own INSERT of each row stores, for every kind of column the zoo
has; a text too long for its column is refused, never cut; a column an array
cannot carry exactly leaves the table to SQLAlchemy's statement."""

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import DataError
from sqlalchemy.types import TypeDecorator

from admin_app.db import make_engine
from admin_app.importing.array_insert import array_insert, arrays_of
from tests.zoo.columns import Colour, Level, Size, ZooSample

# JSON, and lists (PostgreSQL's arrays: an array of them is one array)
NOT_IN_ARRAYS = ("payload", "tags", "ratings")


def _sample_table(metadata: MetaData) -> Table:
    """The zoo's every-type table but its JSON and list columns, without its
    key to a shelf."""
    columns = [
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in ZooSample.__table__.columns
        if c.key not in NOT_IN_ARRAYS
    ]
    return Table("array_sample", metadata, *columns)


def _rows() -> list[dict]:
    full = {
        "level": Level.high,
        "colour": Colour.deep_blue,
        "size": Size.large,
        "price": Decimal("12345678.99"),
        "ratio": 0.1,
        "sightings": -(2**63),
        "born_on": date(1, 1, 1),
        "opens_at": time(23, 59, 59, 999999),
        "duration": timedelta(days=-3, microseconds=1),
        "blob": b"\x00\xff,{}\\",
        "seen_naive": datetime(2026, 3, 29, 2, 30, 0, 1),
        "seen_aware": datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5))),
        "notes": 'a "quoted", {braced} \\ NULL text\nwith a line break and ünïcode',
        "flag": True,
        "external_id": uuid.uuid4(),
        "shelf_id": 2**31 - 1,
    }
    empty = {
        **dict.fromkeys(full),
        "level": Level.low,
        "colour": Colour.red,
        "price": Decimal("0"),
        "notes": "",
        "flag": False,
    }
    odd = {**full, "notes": "NULL", "ratio": -1e-300, "seen_aware": datetime.now(UTC)}
    return [full, empty, odd, {**empty, "notes": "{}"}]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_arrays_store_what_an_insert_of_each_row_stores(empty_database_url):
    engine = make_engine(empty_database_url)
    metadata = MetaData()
    table = _sample_table(metadata)
    metadata.create_all(engine)
    names = tuple(sorted(c.key for c in table.columns if not c.primary_key))
    rows = _rows()
    stmt = array_insert(table, names, engine.dialect)
    assert stmt is not None
    try:
        with engine.begin() as connection:
            ours = connection.execute(stmt, arrays_of(names, rows)).all()
            theirs = [
                connection.execute(
                    insert(table).values(row).returning(*table.columns)
                ).one()
                for row in rows
            ]
            stored = connection.execute(select(table).order_by(table.c.id)).all()
    finally:
        engine.dispose()
    assert [row.id for row in ours] == sorted(row.id for row in ours)
    assert [row[1:] for row in ours] == [row[1:] for row in theirs]
    assert [row[1:] for row in stored] == [row[1:] for row in ours + theirs]
    assert ours[0].notes == rows[0]["notes"] and ours[2].notes == "NULL"
    assert ours[1].size is None and ours[1].notes == ""


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_text_too_long_for_its_column_is_refused_not_cut(empty_database_url):
    engine = make_engine(empty_database_url)
    metadata = MetaData()
    table = Table(
        "array_short",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("code", String(3)),
    )
    metadata.create_all(engine)
    stmt = array_insert(table, ("code",), engine.dialect)
    assert stmt is not None
    try:
        with pytest.raises(DataError), engine.begin() as connection:
            connection.execute(stmt, arrays_of(("code",), [{"code": "ABCD"}]))
    finally:
        engine.dispose()


class _Shouted(TypeDecorator):
    """A project's own type that changes each value it stores."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        return value.upper() if value is not None else None


def test_columns_an_array_cannot_carry_leave_the_insert_to_sqlalchemy():
    from sqlalchemy.dialects import postgresql, sqlite

    pg = postgresql.psycopg.dialect()
    everything = ZooSample.__table__
    names = tuple(c.key for c in everything.columns if not c.primary_key)
    assert array_insert(everything, names, pg) is None  # JSON, lists
    plain = tuple(n for n in names if n not in NOT_IN_ARRAYS)
    assert array_insert(everything, plain, pg) is not None
    assert array_insert(everything, (*plain, "tags"), pg) is None
    assert array_insert(_sample_table(MetaData()), names[:3], sqlite.dialect()) is None
    shouted = Table(
        "shouted",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("s", _Shouted),
    )
    assert array_insert(shouted, ("s",), pg) is None
    defaulted = Table(
        "defaulted",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("made", String, default=lambda: str(uuid.uuid4())),
        Column("s", String),
    )
    assert array_insert(defaulted, ("s",), pg) is None  # one value for every row
    assert array_insert(defaulted, ("made", "s"), pg) is not None
