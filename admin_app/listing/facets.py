"""Facets: how many rows of the list each choice of a filter would leave.

Django 5.0 shows "Blocked (12)" beside a filter's choices. Each filter's
counts are over the list's rows with the search and every other filter
applied but not the filter's own (choosing another of its choices replaces
the current one, so its own condition must not narrow its counts). The
filters not in use all count the list's own rows, so they share one query: a
searched list of millions of rows pays for its search once, not once a
filter, and the list's count is how many rows that query grouped (read
before the page's rows: `Facets.sampled`).

A facet reads at most `cap + 1` rows, as the list's count does (see
`admin_app.listing.counts`): its query groups a LIMITed sample of the rows.
While the list has at most `cap` such rows the counts are exact; past that they
are what the first `cap + 1` rows held, lower bounds, shown "12+" (and a
choice that may well have rows but had none among them shows no number).
`count=exact` lifts the limit, as it does for the list's count.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import (
    Select,
    asc,
    case,
    cast,
    desc,
    func,
    inspect,
    literal,
    null,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from admin_app.db import within_time
from admin_app.listing.counts import Accuracy, CountLimits, RowCount, Sampled
from admin_app.listing.filters import (
    BadFilter,
    ChoiceFilter,
    EmptyFilter,
    ListFilter,
    RelatedFilter,
    SimpleListFilter,
    parse_value,
)
from admin_app.listing.query import ListQuery
from admin_app.model.fields import Kind
from admin_app.model.keys import BadKey, parse_key

ORDERED_SAMPLE_SECONDS = 0.25
"""How long the sample in the list's order may take before it is read in no
order instead (`_ordered_sample`): the planner walks the sort's index when it
believes the matches spread along it; where they are not, the walk reads far
more rows than the sample in no order would."""


@dataclass(frozen=True)
class Facet:
    """One filter's counts: choice text (as its links send it) -> rows."""

    counts: dict[str, int]
    complete: bool
    """Whether every matching row was counted (else the counts are lower bounds)."""
    cap: int

    def words(self, value: str) -> str:
        """The count beside a choice as the user reads it: `12`, `10,000+`, or
        "" when nothing is known (a partial count that saw no such row)."""
        found = self.counts.get(value, 0)
        if self.complete:
            return f"{found:,}"
        if not found:
            return ""
        return RowCount(min(found, self.cap), Accuracy.AT_LEAST).words()


@dataclass(frozen=True)
class Facets:
    """The counts of every filter that shows them, by parameter name."""

    by_parameter: dict[str, Facet] = field(default_factory=dict)
    choices: dict[str, list[tuple[str, str]] | None] = field(default_factory=dict)
    """The related-row filters' listed rows, read once for counts and panel."""
    sampled: Sampled | None = None
    """The list's own rows as the filters not in use counted them: the
    list's count (`read_page`), without reading them once more."""

    def words(self, list_filter: ListFilter, value: Any) -> str:
        facet = self.by_parameter.get(list_filter.parameter_name)
        return "" if facet is None else facet.words(str(value))


NO_FACETS = Facets()


@dataclass(frozen=True)
class _Plan:
    """How one filter is counted: the value each row is grouped by (one row
    each, or one per link for a many-to-many: `rows`), and which choice each
    group is."""

    facet: ColumnElement
    choice_of: Callable[[Any], str | None]
    rows: Select  # the rows counted, one per row of the list unless `joined`
    joined: bool = False


def _choice_plan(query: ListQuery, found: ChoiceFilter) -> _Plan:
    texts: dict[Hashable, str] = {}
    for text, _label in found.lookups():
        try:
            value = (
                parse_value(found.spec, text, found.title)
                if found.spec.kind in (Kind.BOOL, Kind.CHOICE)
                else text
            )
        except BadFilter:
            continue
        texts[_plain(value)] = text
    return _Plan(
        found.column,
        lambda value: texts.get(_plain(value)),
        query.filtered_except(found),
    )


def _empty_plan(query: ListQuery, found: EmptyFilter) -> _Plan:
    flag = case((found.empty(), literal("true")), else_=literal("false"))
    return _Plan(flag, lambda value: value, query.filtered_except(found))


def _related_plan(
    query: ListQuery, found: RelatedFilter, choices: list[tuple[str, str]]
) -> _Plan | None:
    target_keys = inspect(found.target).primary_key
    if len(target_keys) != 1:
        return None
    texts: dict[Hashable, str] = {}
    for text, _label in choices:
        try:
            texts[parse_key(found.target, text)[0]] = text
        except BadKey:
            continue
    others = query.filtered_except(found)
    if found.column is not None:
        return _Plan(found.column, lambda value: texts.get(value), others)
    # many-to-many: one row per link, grouped by the linked row's key
    rows = others.join(getattr(found.model, found.relationship.key))
    return _Plan(target_keys[0], lambda value: texts.get(value), rows, joined=True)


def _plain(value: Any) -> Hashable:
    """A choice's value as the database returns it (an enum by its value)."""
    return getattr(value, "value", value)


def plan_for(
    query: ListQuery, found: ListFilter, choices: list[tuple[str, str]] | None
) -> _Plan | None:
    """How `found` is counted, or None if it shows no counts (ranges, a
    related table too large to list its rows)."""
    if isinstance(found, ChoiceFilter):
        return _choice_plan(query, found)
    if isinstance(found, EmptyFilter):
        return _empty_plan(query, found)
    if isinstance(found, RelatedFilter) and choices is not None:
        return _related_plan(query, found, choices)
    return None


def _custom_plans(found: SimpleListFilter, rows: Select) -> list[tuple[str, _Plan]]:
    """A project's own filter: a 1/0 flag per choice (CASE on its condition),
    each counted as a facet of its own whose "1" group is that choice."""
    plans = []
    for value, choice in found.choices.items():
        condition = choice[1]() if callable(choice[1]) else choice[1]
        flag = case((condition, literal(1)), else_=literal(0))
        plans.append((value, _Plan(flag, lambda v: "1" if v == 1 else None, rows)))
    return plans


@dataclass(frozen=True)
class _Counted:
    counts: list[dict[str, int]]  # each plan's, by choice text
    seen: int  # the rows grouped
    page_keys: tuple[tuple[Any, ...], ...] | None = None


def _counted(
    session: Session, rows: Select, plans: list[_Plan], cap: int | None
) -> _Counted:
    """Each plan's counts over the same rows, and how many rows there were:
    ONE query that reads at most `cap + 1` of the list's rows once (the
    list's search can cost a scan: paid once a page, not once a filter) and
    groups them by each plan's value, each in a column of its own so every
    value keeps its type."""
    sample = rows.with_only_columns(
        *_facet_columns(plans), maintain_column_froms=True
    ).order_by(None)
    if cap is not None:
        sample = sample.limit(cap + 1)
    if session.get_bind().dialect.name == "postgresql" and len(plans) <= 31:
        stmt = _grouping_sets(sample.subquery("facet_rows"), len(plans))
    else:
        stmt = _union_of_groups(sample.cte("facet_rows"), len(plans))
    return _grouped(session.execute(stmt), plans)


def _facet_columns(plans: list[_Plan]) -> list[ColumnElement]:
    return [plan.facet.label(f"facet_{n}") for n, plan in enumerate(plans)]


def _grouped(result: Any, plans: list[_Plan]) -> _Counted:
    """Read the grouping query's rows: (which plan, each plan's value, rows),
    then, from the ordered sample, the page's key columns as arrays."""
    counted: list[dict[str, int]] = [{} for _ in plans]
    seen = 0
    arrays: tuple[Any, ...] = ()
    width = len(plans)
    for row in result:
        which, found, number = row[0], row[1 : width + 1], row[width + 1]
        arrays = tuple(row[width + 2 :])
        if which < 0:
            seen = number
            continue
        text = plans[which].choice_of(found[which])
        if text is not None:
            counts = counted[which]
            counts[text] = counts.get(text, 0) + number
    if not arrays:
        return _Counted(counted, seen)
    keys = tuple(zip(*arrays, strict=True)) if arrays[0] is not None else ()
    return _Counted(counted, seen, keys)


def _ordered_sample(
    session: Session, query: ListQuery, plans: list[_Plan], cap: int
) -> _Counted:
    """`_counted` over the list's first `cap + 1` rows in the list's order,
    with the primary keys of the page asked for (and of the row after it)
    read from those rows by the same query (PostgreSQL).

    A searched list's page is sorted from all its matches when they sit far
    along the sort's index (`paging._from_the_matches`): the sample, in no
    order, and then the page read the matches once each. In the list's order
    the sample is the page's read as well: the planner reads the matches and
    keeps the first `cap + 1` (or, for matches spread along the index, walks
    it and stops there), and the page is those rows' first ones."""
    _joins, terms = query.sort_plan()
    keys = list(inspect(query.view.model).primary_key)
    sample = (
        query.ordered()
        .with_only_columns(
            *_facet_columns(plans),
            *(term.label(f"sort_{n}") for n, (term, _d, _n) in enumerate(terms)),
            *(key.label(f"key_{n}") for n, key in enumerate(keys)),
            maintain_column_froms=True,
        )
        .limit(cap + 1)
        .cte("facet_rows")
    )

    def in_order(rows: Any) -> list[ColumnElement]:
        return [
            desc(rows.c[f"sort_{n}"]) if is_desc else asc(rows.c[f"sort_{n}"])
            for n, (_term, is_desc, _nullable) in enumerate(terms)
        ]

    size = query.page_size
    page = (
        select(sample)
        .order_by(*in_order(sample))
        .offset((query.page - 1) * size)
        .limit(size + 1)
        .subquery("page_rows")
    )
    arrays = [
        select(func.array_agg(aggregate_order_by(page.c[f"key_{n}"], *in_order(page))))
        .scalar_subquery()
        .label(f"page_key_{n}")
        for n in range(len(keys))
    ]
    stmt = _grouping_sets(sample, len(plans)).add_columns(*arrays)
    return _grouped(session.execute(stmt), plans)


def _orders_its_sample(session: Session, query: ListQuery, plans: int) -> bool:
    """Whether the list's own rows are sampled in its order (see
    `_ordered_sample`): a narrowed list on PostgreSQL whose page is asked by
    number, not by a cursor, and whose count is capped."""
    return (
        session.get_bind().dialect.name == "postgresql"
        and plans <= 31
        and not query.exact_count
        and not query.cursor
        and query.narrowed
    )


def _grouping_sets(rows: Any, plans: int) -> Select:
    """PostgreSQL groups the sample by every plan's value in one pass
    (`GROUPING SETS`, one hash table a set); each row says which set it is
    by the plan it grouped (-1: every row, the sample's size). `GROUPING`
    takes at most 31 columns."""
    values = [rows.c[f"facet_{n}"] for n in range(plans)]
    # GROUPING(...) has a 1 bit for each column a row is not grouped by
    every = (1 << plans) - 1
    bits = func.grouping(*values)
    which = case(
        *((bits == every ^ (1 << (plans - 1 - n)), literal(n)) for n in range(plans)),
        else_=literal(-1),
    )
    sets = func.grouping_sets(tuple_(), *(tuple_(v) for v in values))
    return select(which, *values, func.count()).group_by(sets)


def _union_of_groups(shared: Any, plans: int) -> Select:
    """Elsewhere the sample, read once, is grouped by each plan's value in
    turn (`UNION ALL` of one `GROUP BY` a plan, each in a column of its own
    so every value keeps its type)."""
    values = [shared.c[f"facet_{n}"] for n in range(plans)]

    def grouped_by(which: int) -> Select:
        shown = [
            v if n == which else cast(null(), v.type) for n, v in enumerate(values)
        ]
        stmt = select(literal(which).label("which"), *shown, func.count())
        stmt = stmt.select_from(shared)
        return stmt if which < 0 else stmt.group_by(values[which])

    return union_all(*(grouped_by(n) for n in range(-1, plans)))


def facet_counts(
    session: Session,
    query: ListQuery,
    limits: CountLimits,
    choices: dict[str, list[tuple[str, str]] | None],
) -> Facets:
    """The counts of every filter of `query` that shows them. The filters not
    in use share the list's rows and are counted by one query; a filter in
    use (its counts leave its own choice out) and a many-to-many one (a row
    per link) by one query each. `choices` holds each related-row filter's
    listed rows (None for a table too large to list: no counts)."""
    cap = None if query.exact_count else limits.cap
    in_use = {
        id(found)
        for found, conditions in zip(
            query.filters, query.filter_conditions, strict=True
        )
        if conditions
    }
    groups: dict[int, tuple[Select, list[tuple[str, str | None, _Plan]]]] = {}
    for list_filter in query.filters:
        name = list_filter.parameter_name
        own = id(list_filter) in in_use
        if isinstance(list_filter, SimpleListFilter):
            rows = query.filtered_except(list_filter)
            planned: list[tuple[str | None, _Plan]] = list(
                _custom_plans(list_filter, rows)
            )
        else:
            plan = plan_for(query, list_filter, choices.get(name))
            planned = [] if plan is None else [(None, plan)]
            own = own or any(p.joined for _v, p in planned)
        for value, plan in planned:
            group = id(list_filter) if own else 0
            groups.setdefault(group, (plan.rows, []))[1].append((name, value, plan))
    found: dict[str, Facet] = {}
    custom: dict[str, dict[str, int]] = {}
    sampled = None
    for group, (rows, members) in groups.items():
        started = time.perf_counter()
        plans = [p for _n, _v, p in members]
        found_in_order = None
        if (
            group == 0
            and cap is not None
            and _orders_its_sample(session, query, len(plans))
        ):
            found_in_order = within_time(
                session,
                ORDERED_SAMPLE_SECONDS,
                partial(_ordered_sample, session, query, plans, cap),
            )
        counted = found_in_order or _counted(session, rows, plans, cap)
        seen = counted.seen
        if group == 0:  # the list's own rows, every filter applied
            seconds = time.perf_counter() - started
            sampled = Sampled(seen, seconds, counted.page_keys)
        complete = cap is None or seen <= cap
        for (name, value, _plan), counts in zip(members, counted.counts, strict=True):
            if value is None:
                found[name] = Facet(counts, complete, cap or 0)
            else:
                custom.setdefault(name, {})[value] = counts.get("1", 0)
                found[name] = Facet(custom[name], complete, cap or 0)
    return Facets(found, choices, sampled)
