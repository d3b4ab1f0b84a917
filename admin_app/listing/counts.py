"""Row counts that answer as fast on ten million rows as on ten thousand.

`SELECT count(*)` reads every matching row: on a large table that is most of
a list page's time, for a number nobody reads to the last digit. So the count
above a list (and on the index page) is

- exact while it is small (at most `COUNT_CAP` rows), as it always was;
- on PostgreSQL, for a whole table, the planner's estimate
  (`pg_class.reltuples`, kept by ANALYZE and autovacuum), shown "about N";
- otherwise a capped count: at most `COUNT_CAP + 1` matching rows are read,
  shown "10,000+", with a link (`count=exact`) that asks for the exact number.

Exports and bulk edits, which act on every row, count exactly
(`ListQuery.count()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, literal_column, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Table

COUNT_CAP = 10_000
"""A count reads at most this many rows (plus one, to know there are more)."""
ESTIMATE_ABOVE = 10_000
"""A table the planner believes larger than this is counted by its estimate."""


class Accuracy(Enum):
    EXACT = "exact"
    ESTIMATE = "estimate"  # the planner's statistics: "about N"
    AT_LEAST = "at least"  # a capped count: "N+"


class RowCount(int):
    """A number of rows and how sure it is.

    An `int` (its value: the exact count, the estimate, or the cap), so that
    SQLAdmin's pagination and footer can do sums with it; `str()` is what the
    user reads: `2000`, `about 1,000,000`, `10,000+`.
    """

    accuracy: Accuracy

    def __new__(cls, value: int, accuracy: Accuracy = Accuracy.EXACT) -> RowCount:
        number = super().__new__(cls, max(0, int(value)))
        number.accuracy = accuracy
        return number

    @property
    def exact(self) -> bool:
        return self.accuracy is Accuracy.EXACT

    def words(self) -> str:
        """The number as the row count above a list says it."""
        if self.accuracy is Accuracy.ESTIMATE:
            return f"about {int(self):,}"
        if self.accuracy is Accuracy.AT_LEAST:
            return f"{int(self):,}+"
        return f"{int(self):,}"

    def __str__(self) -> str:
        return str(int(self)) if self.exact else self.words()

    def __format__(self, spec: str) -> str:
        """`f"{count:,}"` (as messages and templates write counts) reads
        "about 1,000,000" or "10,000+" when the count is not exact."""
        if not self.exact and spec in ("", ","):
            return self.words()
        return format(int(self), spec)

    def at_least(self, rows: int) -> RowCount:
        """This count, raised to `rows` if a page has shown that many rows
        (a capped or estimated count is never below what the user has seen)."""
        if self.exact or rows <= self:
            return self
        return RowCount(rows, self.accuracy)

    def __repr__(self) -> str:
        return f"RowCount({int(self)}, {self.accuracy.name})"


@dataclass(frozen=True)
class CountLimits:
    """How far a count reads before it stops (a view may set its own)."""

    cap: int = COUNT_CAP
    estimate_above: int = ESTIMATE_ABOVE


DEFAULT_LIMITS = CountLimits()


def whole_table(stmt: Select) -> Table | None:
    """The table `stmt` selects all rows of, unfiltered and unjoined, if it does
    (the only count the planner's statistics can stand in for)."""
    if stmt.whereclause is not None or getattr(stmt, "_having_criteria", ()):
        return None
    if stmt._group_by_clauses or stmt._distinct or stmt._limit_clause is not None:
        return None
    froms = stmt.get_final_froms()
    if len(froms) == 1 and isinstance(froms[0], Table):
        return froms[0]
    return None


def planner_estimate(session: Session, table: Table) -> int | None:
    """PostgreSQL's estimate of the rows of `table`, or None: not PostgreSQL,
    never analyzed (`reltuples` is -1, or 0 with pages), or no such table."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    where = "n.nspname = :schema" if table.schema else "pg_table_is_visible(c.oid)"
    condition = text(f"c.relname = :name AND c.relkind = 'r' AND {where}")
    condition = condition.bindparams(
        name=table.name, **({"schema": table.schema} if table.schema else {})
    )
    # A SELECT, not text: on a read replica it is read where the list is.
    stmt = (
        select(literal_column("c.reltuples::bigint"), literal_column("c.relpages"))
        .select_from(text("pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"))
        .where(condition)
    )
    row = session.execute(stmt).first()
    if row is None:
        return None
    tuples, pages = row
    if tuples is None or tuples < 0 or (tuples == 0 and pages > 0):
        return None
    return int(tuples)


@dataclass(frozen=True)
class Sampled:
    """A list's rows as another query of the page read them: the filter
    counts group the first `cap + 1` rows of the list (every row when the
    count is exact), so how many they grouped is the list's count, and a
    searched page need not pay for its search once more to count."""

    rows: int
    seconds: float  # how long that read took (a walk is given a share of it)
    page_keys: tuple[tuple[Any, ...], ...] | None = None
    """When those were the list's first rows in its order (PostgreSQL): the
    primary keys of the page asked for and of the row after it, in order, so
    the page is loaded by key instead of reading the matches once more."""


def _capped(found: int, cap: int) -> RowCount:
    return RowCount(cap, Accuracy.AT_LEAST) if found > cap else RowCount(found)


def capped_count(session: Session, rows: Select, cap: int) -> RowCount:
    """The rows of `rows`, reading at most `cap + 1` of them."""
    bounded = (
        rows.order_by(None)
        .with_only_columns(literal_column("1"), maintain_column_froms=True)
        .limit(cap + 1)
        .subquery()
    )
    return _capped(session.scalar(select(func.count()).select_from(bounded)) or 0, cap)


def exact_count(session: Session, rows: Select) -> RowCount:
    stmt = select(func.count()).select_from(rows.order_by(None).subquery())
    return RowCount(session.scalar(stmt) or 0)


def count_rows(
    session: Session,
    rows: Select,
    *,
    exact: bool = False,
    limits: CountLimits = DEFAULT_LIMITS,
    sampled: Sampled | None = None,
) -> RowCount:
    """How many rows `rows` selects, as cheaply as the count may be shown.

    `exact` asks for the exact number however long it takes (the user
    followed the "exact count" link). `sampled`: the rows another query
    read already (as many as this count would), counted instead of read."""
    if exact:
        return RowCount(sampled.rows) if sampled else exact_count(session, rows)
    table = whole_table(rows)
    if table is not None:
        estimate = planner_estimate(session, table)
        if estimate is not None and estimate > limits.estimate_above:
            return RowCount(estimate, Accuracy.ESTIMATE)
    if sampled is not None:
        return _capped(sampled.rows, limits.cap)
    return capped_count(session, rows, limits.cap)
