"""Many rows inserted on PostgreSQL by one short statement of arrays.

SQLAlchemy inserts many rows with RETURNING as one long statement of
`VALUES` rows (its "insertmanyvalues"): a batch of 500 new rows of eight
columns is 4,000 placeholders. psycopg reads every statement it is given
into its own form, in Python, and keeps that reading only for short
statements, so each batch's statement was read anew: a sixth of a large
import's preview and a quarter of its confirmation on PostgreSQL.

Here each column's values are sent as one array, typed as the column, and
the rows are made by `unnest(...) WITH ORDINALITY`, in the file's order:
the statement is as short as the table is wide, and its reading is kept. The
arrays go through SQLAlchemy's own conversion of each value (an enum member
to its name, bytes to binary), item by item.

Only for columns whose values PostgreSQL takes in arrays exactly as it takes
them one by one: numbers, text, booleans, dates, times and durations, UUIDs,
bytes and native enums. A text is cast to `text[]`, not to `varchar(n)[]`, which would
cut a longer text where storing it is refused. A table with any other column
in the statement, or a column left out that takes a default made in Python,
keeps SQLAlchemy's statement (`array_insert` gives None).
"""

from functools import cache

from sqlalchemy import Insert, Table, bindparam, cast, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY, INTERVAL
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import sqltypes
from sqlalchemy.types import TypeDecorator, TypeEngine

# kinds of column whose value converts the same alone or in an array
_AS_DECLARED = (
    sqltypes.Integer,
    sqltypes.Numeric,
    sqltypes.Float,  # not a Numeric from SQLAlchemy 2.1
    sqltypes.Boolean,
    sqltypes.Date,
    sqltypes.DateTime,
    sqltypes.Time,
    sqltypes.Interval,
    INTERVAL,  # PostgreSQL's own, which `Interval` is there
    sqltypes.Uuid,
    sqltypes.LargeBinary,
)


def arrays_of(names: tuple[str, ...], rows: list[dict]) -> dict[str, list]:
    """The parameters of `array_insert(table, names, ...)` for `rows`."""
    return {f"a{n}": [row[name] for row in rows] for n, name in enumerate(names)}


@cache
def array_insert(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> Insert | None:
    """INSERT ... SELECT FROM unnest(arrays) RETURNING every column, the rows
    in the order of the arrays; None when a column is not one an array
    holds exactly (above). `names` are the column keys given."""
    if dialect.name != "postgresql":
        return None
    for column in table.columns:
        default = column.default
        if column.key not in names and default is not None and not default.is_sequence:
            return None  # `include_defaults` would make one value for every row
    types = [_item_type(table.c[name].type, dialect) for name in names]
    if any(item is None for item in types):
        return None
    arrays = [
        cast(bindparam(f"a{n}", type_=ARRAY(item)), ARRAY(item))
        for n, item in enumerate(types)
    ]
    labels = [f"c{n}" for n in range(len(names))]
    rows = (
        func.unnest(*arrays)
        .table_valued(*labels, with_ordinality="n")
        .render_derived(name="given")
    )
    chosen = select(*(rows.c[label] for label in labels)).order_by(rows.c.n)
    return (
        insert(table)
        .from_select([table.c[name] for name in names], chosen, include_defaults=False)
        .returning(*table.columns)
    )


def _item_type(declared: TypeEngine, dialect: Dialect) -> TypeEngine | None:
    """The type of an array of a column's values, or None."""
    if isinstance(declared, TypeDecorator):
        kind = type(declared)
        if (
            kind.process_bind_param is not TypeDecorator.process_bind_param
            or kind.bind_expression is not TypeDecorator.bind_expression
        ):
            return None  # values the project's own type converts
    impl = declared.dialect_impl(dialect)
    if isinstance(impl, TypeDecorator):  # SQLModel's `str`: its impl's values
        impl = impl.impl
    if isinstance(impl, sqltypes.Enum):
        return declared if impl.native_enum else None
    if isinstance(impl, sqltypes.String):
        return sqltypes.Text()
    if isinstance(impl, _AS_DECLARED):
        return declared
    return None
