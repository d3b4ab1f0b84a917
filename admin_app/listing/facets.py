"""Facets: how many rows of the list each choice of a filter would leave.

Django 5.0 shows "Blocked (12)" beside a filter's choices. Each count here
comes from ONE grouped query per filter, over the list's rows with the search
and every other filter applied but not the filter's own (choosing another of
its choices replaces the current one, so its own condition must not narrow
its counts).

A facet reads at most `cap + 1` rows, as the list's count does (see
`admin_app.listing.counts`): the grouped query runs over a LIMITed subquery.
While the list has at most `cap` such rows the counts are exact; past that they
are what the first `cap + 1` rows held, lower bounds, shown "12+" (and a
choice that may well have rows but had none among them shows no number).
`count=exact` lifts the limit, as it does for the list's count.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, String, case, cast, func, inspect, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from admin_app.listing.counts import Accuracy, CountLimits, RowCount
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

    def words(self, list_filter: ListFilter, value: Any) -> str:
        facet = self.by_parameter.get(list_filter.parameter_name)
        return "" if facet is None else facet.words(str(value))


NO_FACETS = Facets()


@dataclass(frozen=True)
class _Plan:
    """How one filter is counted: the values it groups its rows by (one row
    each, or one per link for a many-to-many), and which choice each group is."""

    rows: Select
    choice_of: Callable[[Any], str | None]


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
    rows = query.filtered_except(found).with_only_columns(
        found.column.label("facet"), maintain_column_froms=True
    )
    return _Plan(rows, lambda value: texts.get(_plain(value)))


def _empty_plan(query: ListQuery, found: EmptyFilter) -> _Plan:
    column = found.column
    null = column.is_(None)
    if found.json:  # Python's None is stored as JSON `null` by default
        null = or_(null, cast(column, String) == "null")
    flag = case((null, literal("true")), else_=literal("false"))
    rows = query.filtered_except(found).with_only_columns(
        flag.label("facet"), maintain_column_froms=True
    )
    return _Plan(rows, lambda value: value)


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
        rows = others.with_only_columns(
            found.column.label("facet"), maintain_column_froms=True
        )
    else:  # many-to-many: one row per link, grouped by the linked row's key
        rows = others.with_only_columns(
            target_keys[0].label("facet"), maintain_column_froms=True
        ).join(getattr(found.model, found.relationship.key))
    return _Plan(rows, lambda value: texts.get(value))


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


def _grouped(session: Session, plan: _Plan, cap: int | None) -> tuple[dict, int]:
    rows = plan.rows.order_by(None)
    if cap is not None:
        rows = rows.limit(cap + 1)
    sample = rows.subquery()
    stmt = select(sample.c.facet, func.count()).group_by(sample.c.facet)
    counts: dict[str, int] = {}
    seen = 0
    for value, number in session.execute(stmt):
        seen += number
        text = plan.choice_of(value)
        if text is not None:
            counts[text] = counts.get(text, 0) + number
    return counts, seen


def _custom_facet(
    session: Session, query: ListQuery, found: SimpleListFilter, cap: int | None
) -> Facet:
    """A project's own filter: one COUNT per choice (CASE on its condition),
    all in one query over the same bounded rows."""
    flags: list[ColumnElement] = [literal(1).label("facet_row")]
    names = list(found.choices)
    for n, value in enumerate(names):
        condition = found.choices[value][1]
        condition = condition() if callable(condition) else condition
        flags.append(case((condition, 1), else_=0).label(f"facet_{n}"))
    rows = (
        query.filtered_except(found)
        .with_only_columns(*flags, maintain_column_froms=True)
        .order_by(None)
    )
    if cap is not None:
        rows = rows.limit(cap + 1)
    sample = rows.subquery()
    sums = [
        func.coalesce(func.sum(sample.c[f"facet_{n}"]), 0) for n in range(len(names))
    ]
    found_row = session.execute(select(func.count(), *sums)).one()
    seen, numbers = found_row[0], found_row[1:]
    counts = {value: int(number) for value, number in zip(names, numbers, strict=True)}
    return Facet(counts, cap is None or seen <= cap, cap or 0)


def facet_counts(
    session: Session,
    query: ListQuery,
    limits: CountLimits,
    choices: dict[str, list[tuple[str, str]] | None],
) -> Facets:
    """The counts of every filter of `query` that shows them: one grouped
    query each. `choices` holds each related-row filter's listed rows (None
    for a table too large to list: no counts)."""
    cap = None if query.exact_count else limits.cap
    found: dict[str, Facet] = {}
    for list_filter in query.filters:
        name = list_filter.parameter_name
        if isinstance(list_filter, SimpleListFilter):
            if list_filter.choices:
                found[name] = _custom_facet(session, query, list_filter, cap)
            continue
        plan = plan_for(query, list_filter, choices.get(name))
        if plan is None:
            continue
        counts, seen = _grouped(session, plan, cap)
        found[name] = Facet(counts, cap is None or seen <= cap, cap or 0)
    return Facets(found, choices)
