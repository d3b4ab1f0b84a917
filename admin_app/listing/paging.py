"""One list page read from the database: its count, its rows, its neighbours.

The count is as cheap as it may be shown (`admin_app.listing.counts`); the
rows are read from the page's cursor when its link carried one (keyset, no
OFFSET), else by page number. The page also says where the pages before and
after it start, for the links it renders.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from admin_app.db import reads_bind, set_local, within_time
from admin_app.listing.counts import (
    DEFAULT_LIMITS,
    CountLimits,
    RowCount,
    Sampled,
    count_rows,
    exact_count,
)
from admin_app.listing.keyset import (
    Cursor,
    SortTerm,
    after,
    decode_cursor,
    encode_cursor,
    nulls_first,
)
from admin_app.listing.query import ListQuery

WALK_SHARE = 0.25
WALK_SECONDS = (0.02, 0.25)
"""How long a narrowed page on PostgreSQL may walk the sort's index looking
for matches before it is read from the matches instead (`_from_the_matches`):
a quarter of the time its count took, within these bounds. The count read up
to `cap + 1` matches; a walk that finds a page's 26 among matches spread
along the index reads a few hundredths of the rows the count read, so one
that takes longer is walking past matches that sit elsewhere (at the far end
of the index), and the time it spends is lost."""

_Rows = tuple[list[Any], int, bool, RowCount]
"""A page's rows, its number, whether a next page exists, and the count."""


@dataclass(frozen=True)
class PageRead:
    """What one list page shows, and where its neighbours start."""

    rows: list[Any]
    page: int
    total: RowCount
    has_next: bool
    first_values: tuple[Any, ...] | None
    last_values: tuple[Any, ...] | None
    identity: str
    page_size: int

    def link_cursor(self, target: int) -> str | None:
        """The cursor of a link from this page to page `target`: from this
        page's first row backwards or its last row forwards, skipping the pages
        between (a few at most); None for page 1 and for pages too far away,
        which are linked by number."""
        if target <= 1 or target == self.page or not self.rows:
            return None
        if target > self.page:
            values, before, skip = self.last_values, False, target - self.page - 1
        else:
            values, before, skip = self.first_values, True, self.page - target - 1
        if values is None or skip > 10:
            return None
        cursor = Cursor(values, before=before, skip=skip * self.page_size)
        return encode_cursor(self.identity, cursor)


def sort_terms_for(query: ListQuery, dialect: str) -> list[SortTerm]:
    _joins, terms = query.sort_plan()
    return [
        SortTerm(term, is_desc, nullable, nulls_first(dialect, is_desc))
        for term, is_desc, nullable in terms
    ]


def read_page(
    session: Session,
    query: ListQuery,
    limits: CountLimits = DEFAULT_LIMITS,
    sampled: Sampled | None = None,
) -> PageRead:
    """The page `query` asks for, in one transaction of `session`; `sampled`:
    its rows as the filter counts read them, if they did (then counted, not
    read again)."""
    dialect = session.get_bind().dialect.name
    terms = sort_terms_for(query, dialect)
    identity = query.cursor_identity()
    size = query.page_size
    started = time.perf_counter()
    total = count_rows(
        session,
        query.filtered(),
        exact=query.exact_count,
        limits=limits,
        sampled=sampled,
    )
    counted = time.perf_counter() - started + (sampled.seconds if sampled else 0)
    cursor = decode_cursor(identity, query.cursor, terms, size)

    def read() -> _Rows:
        return _rows(session, query, terms, cursor, total)

    keyed = _keyed_page(session, query, sampled, limits.cap)
    if keyed is not None:
        found, page, has_next = keyed, query.page, len(keyed) > size
        found = found[:size]
    elif dialect != "postgresql" or not query.narrowed:
        found, page, has_next, total = read()
    elif total.exact and int(total) <= limits.cap:
        found, page, has_next, total = _from_the_matches(session, read)
    else:
        low, high = WALK_SECONDS
        walk = min(max(counted * WALK_SHARE, low), high)
        found, page, has_next, total = _walk_else_matches(session, read, walk)
    shown = (page - 1) * size + len(found) + (1 if has_next else 0)
    return PageRead(
        rows=[row[0] for row in found],
        page=page,
        total=total.at_least(shown),
        has_next=has_next,
        first_values=tuple(found[0][1:]) if found else None,
        last_values=tuple(found[-1][1:]) if found else None,
        identity=identity,
        page_size=size,
    )


def _rows(
    session: Session,
    query: ListQuery,
    terms: list[SortTerm],
    cursor: Cursor | None,
    total: RowCount,
) -> _Rows:
    """The page's rows (one more, to know whether a next page exists), the
    page number they turned out to be, and the count, made exact when the
    page asked for lies beyond the end of a capped count."""
    size = query.page_size
    page = query.page
    found: list[Any] = []
    has_next = False
    if cursor is not None and page > 1:
        found = _by_cursor(session, query, terms, cursor)
        if cursor.before:
            has_next = True
            if len(found) <= size:
                page = 1  # no row before these: they start the list
            found = found[:size][::-1]
        else:
            has_next = len(found) > size
            found = found[:size]
    if not found:
        if total.exact:
            page = min(page, max(1, -(-int(total) // size)))
        found = _by_offset(session, query, page)
        if not found and page > 1:  # beyond the end of a capped count
            total = exact_count(session, query.filtered())
            page = max(1, -(-int(total) // size))
            found = _by_offset(session, query, page)
        has_next = len(found) > size
        found = found[:size]
    return found, page, has_next, total


def _keyed_page(
    session: Session, query: ListQuery, sampled: Sampled | None, cap: int
) -> list[Any] | None:
    """The page's rows by the keys the filter counts' sample read in the
    list's order (`Sampled.page_keys`), when they are the whole page: the
    page and the row after it, or every row left of a sample that held all
    the list's rows. None otherwise (a page beyond the sample's rows)."""
    if sampled is None or sampled.page_keys is None or query.cursor:
        keys = None
    else:
        keys = sampled.page_keys
        whole = sampled.rows <= cap  # the sample held every row of the list
        if not (len(keys) > query.page_size or (whole and (keys or query.page == 1))):
            keys = None
    if keys is None:
        return None
    if not keys:
        return []
    stmt = _with_sort_values(query, query.keyed(keys))
    return list(session.execute(stmt).unique().all())


def _walk_else_matches(
    session: Session, read: Callable[[], _Rows], seconds: float
) -> _Rows:
    """`read()` the page by walking the sort's index for `seconds` at most (in
    a savepoint), else from the rows that match."""
    walked = within_time(session, seconds, read)
    return _from_the_matches(session, read) if walked is None else walked


def _from_the_matches(session: Session, read: Callable[[], _Rows]) -> _Rows:
    """`read()` a narrowed page on PostgreSQL from the rows that match, then
    sorted, rather than by walking the sort's index.

    For `ORDER BY id DESC LIMIT 26` with a search or filter, the planner walks
    the sort's index and checks each row, expecting matches to be spread
    evenly along it; when they sit at the far end ("Task 123" among ten
    million tasks) it reads millions of rows first, where a trigram or
    filter index gives the matches at once. `read_page` takes this way when
    the count says the matches are few, or when the walk has not found the
    page within its time (`WALK_SECONDS`); with an index for the search or
    filter it reads only the matches (bitmap), without one, one pass over the
    table, as the count did.

    The index scans are off for this read alone: the page's later reads (the
    date drill-down's first and last value, read from an index) get them
    back, or one of them reads ten million rows."""
    scans = ("enable_indexscan", "enable_indexonlyscan")
    before = session.execute(
        select(*(func.current_setting(name) for name in scans)),
        bind_arguments={"bind": reads_bind(session)},
    ).one()
    for name in scans:
        set_local(session, name, "off")
    rows = read()
    for name, value in zip(scans, before, strict=True):
        set_local(session, name, value)
    return rows


def _with_sort_values(query: ListQuery, stmt: Select) -> Select:
    """`stmt` selecting, beside each row, its sort values (for the cursors)."""
    _joins, terms = query.sort_plan()
    values = (term.label(f"sort_value_{n}") for n, (term, _d, _n) in enumerate(terms))
    return query.with_relations(stmt.add_columns(*values))


def _by_offset(session: Session, query: ListQuery, page: int) -> list[Any]:
    size = query.page_size
    stmt = query.ordered().limit(size + 1).offset((page - 1) * size)
    return list(session.execute(_with_sort_values(query, stmt)).unique().all())


def _by_cursor(
    session: Session, query: ListQuery, terms: list[SortTerm], cursor: Cursor
) -> list[Any]:
    """Rows after the cursor's row (or, backwards, before it: nearest first)."""
    seek = [t.reversed() for t in terms] if cursor.before else terms
    stmt = (
        query.ordered(reverse=cursor.before)
        .where(after(seek, cursor.values))
        .offset(cursor.skip)
        .limit(query.page_size + 1)
    )
    return list(session.execute(_with_sort_values(query, stmt)).unique().all())
