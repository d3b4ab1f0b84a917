"""Date drill-down (Django's `date_hierarchy`): years -> months -> days.

The links narrow the list with the date filter's own range parameters
(`due_date__gte=2026-03-01&due_date__lte=2026-03-31`), so the chips, the
export and the bulk edit follow them with nothing of their own. Which level
the list is at is read from those two parameters: a whole year shows its
months, a whole month its days, anything else (nothing, a hand-typed range)
the years.

The periods offered come from one grouped query over the list's rows (other
filters and search applied), extracting the year, month or day, aware
datetimes in UTC. On a large list (its count was capped or estimated) that
query would read every row, so the periods are bounded by the column's
minimum and maximum in its table instead (one query, which an index answers
at once): some links may then lead to an empty list.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from admin_app.listing.query import ListQuery
from admin_app.model.fields import FieldSpec, Kind

DATE_KINDS = (Kind.DATE, Kind.DATETIME)
MAX_YEARS = 30
"""Year links shown at most (the latest ones): a drill-down, not an index."""


@dataclass(frozen=True)
class DrillLink:
    """One link: its text, the parameters it sets (and those it removes)."""

    label: str
    values: dict[str, str]
    without: tuple[str, ...]
    current: bool = False


@dataclass(frozen=True)
class DrillDown:
    """What the drill-down shows: a link up a level, and the periods below."""

    field: str
    up: DrillLink | None
    links: tuple[DrillLink, ...]
    title: str = ""
    """The chosen year or month named before its months or days (before the
    years: the field's label)."""


def _bounds(spec: FieldSpec, first: date, last: date) -> dict[str, str]:
    """The range parameters of the days `first`..`last`, both included."""
    name = spec.name
    if spec.kind is Kind.DATE:
        return {f"{name}__gte": first.isoformat(), f"{name}__lte": last.isoformat()}
    end = datetime.combine(last, datetime.max.time())
    return {
        f"{name}__gte": f"{first.isoformat()}T00:00:00",
        f"{name}__lte": end.isoformat(timespec="microseconds"),
    }


def _level(spec: FieldSpec, params: Mapping[str, str]) -> tuple[int, ...]:
    """(), (year,), (year, month) or (year, month, day): the period the
    range parameters name exactly, if any."""
    gte = params.get(f"{spec.name}__gte", "")
    lte = params.get(f"{spec.name}__lte", "")
    if not gte or not lte or params.get(spec.name):
        return ()
    try:
        first = date.fromisoformat(gte[:10])
    except ValueError:
        return ()
    for period in (
        (first.year, first.month, first.day),
        (first.year, first.month),
        (first.year,),
    ):
        if {"gte": gte, "lte": lte} == _named(spec, period):
            return period
    return ()


def _named(spec: FieldSpec, period: tuple[int, ...]) -> dict[str, str]:
    first, last = _span(period)
    found = _bounds(spec, first, last)
    return {
        "gte": found[f"{spec.name}__gte"],
        "lte": found[f"{spec.name}__lte"],
    }


def _span(period: tuple[int, ...]) -> tuple[date, date]:
    if len(period) == 1:
        return date(period[0], 1, 1), date(period[0], 12, 31)
    year, month = period[0], period[1]
    if len(period) == 2:
        return date(year, month, 1), date(
            year, month, calendar.monthrange(year, month)[1]
        )
    day = date(year, month, period[2])
    return day, day


def _label(period: tuple[int, ...]) -> str:
    if len(period) == 1:
        return str(period[0])
    if len(period) == 2:
        return f"{calendar.month_name[period[1]]} {period[0]}"
    return f"{period[2]} {calendar.month_name[period[1]]} {period[0]}"


def _link(spec: FieldSpec, period: tuple[int, ...], current: bool = False) -> DrillLink:
    first, last = _span(period)
    return DrillLink(
        str(period[2]) if len(period) == 3 and not current else _label(period),
        _bounds(spec, first, last),
        (spec.name,),
        current,
    )


def _utc(spec: FieldSpec, column: Any, dialect: str) -> Any:
    """The column as UTC wall time (PostgreSQL extracts `timestamptz` parts
    in the session's time zone; SQLite stores aware values in UTC already)."""
    if spec.kind is Kind.DATETIME and spec.aware and dialect == "postgresql":
        return func.timezone("UTC", column)
    return column


def _periods(
    session: Session, query: ListQuery, spec: FieldSpec, level: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The periods one level below `level` that hold rows of the list."""
    column = _utc(spec, spec.column, session.get_bind().dialect.name)
    parts = [extract(p, column) for p in ("year", "month", "day")[: len(level) + 1]]
    rows = query.filtered().order_by(None)
    grouped = rows.with_only_columns(
        *(p.label(f"p{n}") for n, p in enumerate(parts)), maintain_column_froms=True
    ).subquery()
    keys = [grouped.c[f"p{n}"] for n in range(len(parts))]
    stmt = (
        select(*keys)
        .where(keys[0].is_not(None))
        .group_by(*keys)
        .order_by(*(k.desc() for k in keys))
        .limit(MAX_YEARS if not level else 31)
    )
    found = [tuple(int(v) for v in row) for row in session.execute(stmt)]
    return sorted(p for p in found if p[: len(level)] == level)


def _bounded_periods(
    session: Session, spec: FieldSpec, level: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The periods one level below `level` between the column's first and
    last value in its table (a large list: no grouping over every row). The
    table's, not the list's: an index on the column gives them at once,
    where a searched list's would read every match again. Aware values are
    stored in UTC, so their days are UTC days."""
    column = spec.column
    # one subquery each: SQLite reads `min` or `max` from an index only alone
    earliest = select(func.min(column)).scalar_subquery()
    latest = select(func.max(column)).scalar_subquery()
    low, high = session.execute(select(earliest, latest)).one()
    if low is None or high is None:
        return []
    low, high = _day(low), _day(high)
    if not level:
        return [(y,) for y in range(low.year, high.year + 1)][-MAX_YEARS:]
    first, last = _span(level)
    start, end = max(first, low), min(last, high)
    if start > end:
        return []
    if len(level) == 1:
        return [(level[0], m) for m in range(start.month, end.month + 1)]
    return [
        (day.year, day.month, day.day)
        for day in (start + timedelta(days=n) for n in range((end - start).days + 1))
    ]


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):  # SQLite may hand back text for odd rows
        return date.fromisoformat(value[:10])
    return value


def drill_down(
    session: Session,
    query: ListQuery,
    spec: FieldSpec,
    params: Mapping[str, str],
    *,
    large: bool,
) -> DrillDown:
    """The drill-down of `spec` for the list `query` at the level its range
    parameters name."""
    level = _level(spec, params)
    up: DrillLink | None = None
    if len(level) == 1:
        up = DrillLink(
            "All dates",
            {},
            (spec.name, f"{spec.name}__gte", f"{spec.name}__lte"),
        )
    elif level:
        up = _link(spec, level[:-1])
    if len(level) == 3:
        return DrillDown(spec.name, up, (_link(spec, level, current=True),))
    periods = (
        _bounded_periods(session, spec, level)
        if large
        else _periods(session, query, spec, level)
    )
    links = tuple(_link(spec, period) for period in periods)
    return DrillDown(spec.name, up, links, _label(level) if level else spec.label)
