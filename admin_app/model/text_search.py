"""A text column containing a search term, asked so that a trigram index is quick.

pg_trgm's GIN index answers `title ILIKE '%Task 123%'` by reading the entries
of every trigram of the term. When a word of the term is in nearly every row
("Task" in every task's title), its trigrams' entries name every row, and the
lookup reads ten million of them to find eleven thousand rows: about 100 ms at
ten million rows, where the rest of the term, " 123", costs 7 ms.

Which words nearly every row holds is known from the column's statistics
(`pg_stats`: the most common values and the histogram ANALYZE keeps, a few
hundred values of the column). A term that starts or ends with such words asks
the index for the rest of the term alone and checks the whole term on the rows
the index finds, in an expression the index does not answer (`column || ''`).
The rows are exactly those containing the term; only the index's work changes.
Elsewhere (SQLite, a column without statistics, a term of common words only)
the term is asked as it is.
"""

import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, String, and_, cast, false, or_, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement

from admin_app.model.types import stored_type

SAMPLE_SECONDS = 600.0  # how long a column's sampled values are used
COMMON_SHARE = 0.5  # a word in at least this share of the sample is common

_samples: dict[tuple[str, str | None, str, str], tuple[float, tuple[str, ...]]] = {}


def escape_like(term: str) -> str:
    """`term` with LIKE's wildcards escaped, so `50%` matches itself."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(
    attribute: Any, term: str, sample: Sequence[str] = ()
) -> ColumnElement[bool]:
    """`attribute` (a column or mapped attribute) contains `term`, ignoring
    case, wildcards taken literally; `sample` is the column's sampled values
    (`column_sample`), lower-cased."""
    indexed, whole = contains_parts(attribute, term, sample)
    return whole if indexed is None else and_(indexed, whole)


def contains_parts(
    attribute: Any, term: str, sample: Sequence[str] = ()
) -> tuple[ColumnElement[bool] | None, ColumnElement[bool]]:
    """`contains` in its two parts: what the index is asked (the narrowed
    term; None when the term is asked as it is) and the whole term, which
    holds only where that part does. A search of several columns ORs each
    part (`any_contains`)."""
    whole = cast(attribute, String)
    narrowed = narrowed_term(term, sample)
    if narrowed is None:
        return None, whole.ilike(f"%{escape_like(term)}%", escape="\\")
    return (
        attribute.ilike(f"%{escape_like(narrowed)}%", escape="\\"),
        (whole + "").ilike(f"%{escape_like(term)}%", escape="\\"),  # not indexed
    )


def any_contains(
    parts: Sequence[tuple[ColumnElement[bool] | None, ColumnElement[bool]]],
) -> ColumnElement[bool]:
    """Any of several conditions (`contains_parts`, or a condition with no
    narrowed part) holds, asked as `(indexed OR ...) AND (whole OR ...)`
    when a term was narrowed: the same rows as ORing each `indexed AND
    whole` (each whole term holds only where its indexed part does), but
    PostgreSQL checks the indexed parts once a row, as its index's recheck,
    instead of again in the filter: two text comparisons a row, not three."""
    if all(indexed is None for indexed, _whole in parts):
        return or_(false(), *(whole for _indexed, whole in parts))
    return and_(
        or_(*(whole if indexed is None else indexed for indexed, whole in parts)),
        or_(*(whole for _indexed, whole in parts)),
    )


def narrowed_term(term: str, sample: Sequence[str]) -> str | None:
    """The part of `term` left when the words at its ends that most sampled
    values hold are dropped (with the space beside each kept, so the index
    still knows where a kept word starts or ends); None when no word at
    either end is common, or every word is."""
    if not sample:
        return None
    words = list(re.finditer(r"\S+", term))
    threshold = COMMON_SHARE * len(sample)

    def rare(word: re.Match[str]) -> bool:
        found = word.group().casefold()
        return sum(found in value for value in sample) < threshold

    kept = [n for n, word in enumerate(words) if rare(word)]
    if not kept or (kept[0] == 0 and kept[-1] == len(words) - 1):
        return None
    first, last = words[kept[0]], words[kept[-1]]
    start = first.start() - (1 if kept[0] > 0 else 0)
    end = last.end() + (1 if kept[-1] < len(words) - 1 else 0)
    return term[start:end]


def column_sample(engine: Engine, column: Column) -> tuple[str, ...]:
    """The values PostgreSQL's statistics hold for a text `column`, lower-cased
    (empty elsewhere, or before the table was analyzed), read again after
    `SAMPLE_SECONDS`. Read on a connection of its own: a failure here must
    not end the transaction of the page that asked."""
    if engine.dialect.name != "postgresql" or not isinstance(
        stored_type(column.type), String
    ):
        return ()
    table = column.table
    key = (str(engine.url), getattr(table, "schema", None), table.name, column.name)
    now = time.monotonic()
    cached = _samples.get(key)
    if cached is not None and now - cached[0] < SAMPLE_SECONDS:
        return cached[1]
    try:
        with engine.connect() as connection:
            names = {"schema": key[1], "table": key[2], "column": key[3]}
            row = connection.execute(_STATISTICS, names).first()
    except SQLAlchemyError:
        row = None
    values = tuple(
        str(value).casefold() for found in (row or ()) for value in (found or ())
    )
    _samples[key] = (now, values)
    return values


_STATISTICS = text(
    "SELECT most_common_vals::text::text[], histogram_bounds::text::text[] "
    "FROM pg_stats WHERE schemaname = coalesce(:schema, current_schema()) "
    "AND tablename = :table AND attname = :column"
)
