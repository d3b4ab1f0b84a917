"""The steps that read: list, row links, search, secrets, sort, filters,
details and the CSV export, each checked against the model's metadata."""

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import String, asc, cast, desc, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from tests.pages import text
from tests.zoo import facts
from tests.zoo.browser import (
    FormField,
    details,
    filter_panel,
    form_fields,
    is_encoded,
    list_page,
    path_key,
)
from tests.zoo.story_base import (
    StoryBase,
    key_url,
    norm,
    option_values,
)


class ReadingSteps(StoryBase):
    # -- steps -----------------------------------------------------------

    def step_list(self) -> None:
        page = self.get_list()
        headings = {norm(h): h for h in page.headers if h}
        missing = [
            facts.attr(c)
            for c in self.listed_columns()
            if not self.names_of(c) & set(headings)
        ]
        assert not missing, f"columns not listed: {missing} (headers {page.headers})"
        hidden = [
            facts.attr(c)
            for c in self.columns()
            if self.kind(c) in ("secret", "longtext")
            and norm(facts.attr(c)) in headings
        ]
        assert not hidden, f"secret or long text columns listed: {hidden}"
        stored = self.db()
        assert sorted(r.key for r in page.rows) == sorted(stored), (
            "the list does not show every row by its key"
        )
        wrong = []
        for row in page.rows:
            obj = stored[row.key]
            for column in self.listed_columns():
                heading = next(
                    (h for n, h in headings.items() if n in self.names_of(column)), None
                )
                if heading is None:
                    continue
                cell = page.cell(row, heading)
                value = getattr(obj, facts.attr(column))
                if column.foreign_keys:
                    expected = self.target_label(column, value)
                    if cell not in (expected, facts.query_text(value) if value else ""):
                        wrong.append(
                            f"{row.key}.{facts.attr(column)}: {cell!r} not {expected!r}"
                        )
                    elif value is not None and cell != expected:
                        wrong.append(
                            f"{row.key}.{facts.attr(column)}: shows the key {cell!r}, "
                            f"not the label {expected!r}"
                        )
                elif (
                    self.kind(column) == "text"
                    and value is not None
                    and cell != " ".join(str(value).split())
                ):
                    wrong.append(
                        f"{row.key}.{facts.attr(column)}: {cell!r} not {value!r}"
                    )
        assert not wrong, "cells differ from the database: " + "; ".join(wrong[:6])

    def step_links(self) -> None:
        """Every row's link opens that row (keys percent-encoded)."""
        page = self.get_list()
        broken = []
        for row in page.rows:
            link = next((h for h in row.links if "/details/" in h), None)
            if link is None:
                broken.append(f"{row.key}: no details link")
                continue
            if not is_encoded(link):
                broken.append(f"{row.key}: link {link!r} is not percent-encoded")
                continue
            if path_key(link, "details") != row.key:
                broken.append(f"{row.key}: link {link!r} names another key")
                continue
            response = self.client.get(link)
            if response.status_code != 200:
                broken.append(f"{row.key}: {link} answered {response.status_code}")
        assert not broken, "; ".join(broken)

    def step_search(self) -> None:
        """A text value finds its row; a part of a choice value finds no row
        by that choice (choices match exactly); every hit holds the term."""
        stored = self.db()
        terms: list[tuple[str, Any]] = []
        candidates = [
            (column, obj)
            for column in self.columns()
            if self.kind(column) in ("text", "longtext")
            and not column.foreign_keys
            and not column.primary_key
            for obj in stored.values()
            if getattr(obj, facts.attr(column))
        ]
        if candidates:
            column, obj = candidates[len(candidates) // 2]
            terms.append(
                (" ".join(str(getattr(obj, facts.attr(column))).split()[:2]), obj)
            )
        for column in self.columns():
            if self.kind(column) == "choice":
                longest = max(facts.choices(self.model, column), key=len)
                terms.append((longest[: max(2, len(longest) // 2)], None))
        for term, obj in terms:
            page = self.get_list(urlencode({"search": term}))
            found = [row.key for row in page.rows]
            if obj is not None:
                assert facts.identifier(obj) in found, (
                    f"searching {term!r} does not find {facts.identifier(obj)}"
                )
            wrong = [k for k in found if not facts.holds(self.model, stored[k], term)]
            assert not wrong, f"searching {term!r} finds {wrong}, which do not hold it"

    def step_secrets(self) -> None:
        secrets = self.secret_columns()
        if not secrets:
            return
        stored = self.db()
        for column in secrets:
            values = [getattr(o, facts.attr(column)) for o in stored.values()]
            for term in ("$2b$", values[0]):
                page = self.get_list(urlencode({"search": term}))
                assert not page.rows, (
                    f"searching {term!r} finds rows by {facts.attr(column)}"
                )
        key = next(iter(stored))
        for route in ("details", "edit"):
            html = self.client.get(f"{self.base}/{route}/{key_url(key)}").text
            leaked = [v for v in values if v and v in html]
            assert not leaked, f"the {route} page shows a stored {facts.attr(column)}"
        bulk = self.client.get(f"{self.base}/bulk-edit?{urlencode({'pks': key})}")
        offered = {f.value for f in form_fields(bulk.text) if f.name == "fields"}
        assert not offered & {facts.attr(c) for c in secrets}, (
            "a secret is bulk-editable"
        )

    def db_order(self, sort_by: str, descending: bool) -> list[Any] | None:
        """The sort values in the database's own ORDER BY, or None when the
        database cannot order by it."""
        mapper_columns = facts.columns_by_attr(self.model)
        keys = facts.primary_key(self.model)
        direction = desc if descending else asc
        if sort_by in mapper_columns:
            column = mapper_columns[sort_by]
            order = column
            if self.kind(column) in ("json", "list"):  # by its text
                order = cast(column, String)
            stmt = select(column).order_by(direction(order), *map(asc, keys))
            by_label = self.label_of_target(column)
            if by_label is not None:  # a foreign key without a relationship
                target, key_column, label = by_label
                stmt = (
                    select(label)
                    .select_from(self.model)
                    .outerjoin(target, column == key_column)
                    .order_by(direction(label), *map(asc, keys))
                )
        else:
            rel = facts.relationships(self.model).get(sort_by)
            if rel is None:
                return None
            target = rel.mapper.class_
            label_name = facts.label_column(target)
            alias = aliased(target)
            if label_name is None:
                local = next(iter(rel.local_columns))
                stmt = select(local).order_by(direction(local), *map(asc, keys))
            else:
                label = getattr(alias, label_name)
                stmt = (
                    select(label)
                    .select_from(self.model)
                    .outerjoin(alias, getattr(self.model, sort_by).of_type(alias))
                    .order_by(direction(label), *map(asc, keys))
                )
        try:
            with self.site.engine.connect() as connection:
                return [row[0] for row in connection.execute(stmt)]
        except SQLAlchemyError:
            return None

    def label_of_target(self, column: Any) -> tuple[Any, Any, Any] | None:
        """(target, its key column, its label column) when a foreign key's
        rows are named by a label column: such a key sorts by that label."""
        target = facts.fk_target(column)
        if target is None:
            return None
        model, key_column = target
        name = facts.label_column(model)
        if name is None or hasattr(model, "__admin_label__"):
            return None
        return model, key_column, getattr(model, name)

    def sort_value(self, obj: Any, sort_by: str) -> Any:
        if sort_by in facts.columns_by_attr(self.model):
            column = facts.columns_by_attr(self.model)[sort_by]
            if self.label_of_target(column) is not None:
                value = getattr(obj, sort_by)
                return self.target_label(column, value) if value is not None else None
            return getattr(obj, sort_by)
        rel = facts.relationships(self.model)[sort_by]
        related = getattr(obj, sort_by)
        if facts.label_column(rel.mapper.class_) is None:
            return getattr(obj, next(iter(rel.local_columns)).key)
        return getattr(related, facts.label_column(rel.mapper.class_), None)

    def step_sort(self) -> None:
        page = self.get_list()
        stored = self.db()
        problems = []
        for heading, sort_by in page.sort_links.items():
            for direction in ("asc", "desc"):
                query = urlencode({"sortBy": sort_by, "sort": direction})
                response = self.client.get(f"{self.base}/list?pageSize=100&{query}")
                expected = self.db_order(sort_by, direction == "desc")
                if expected is None:
                    if response.status_code >= 500:
                        problems.append(f"sortBy={sort_by}: {response.status_code}")
                    continue
                if response.status_code != 200:
                    problems.append(
                        f"sortBy={sort_by}&sort={direction}: {response.status_code}"
                    )
                    continue
                keys = [row.key for row in list_page(response.text).rows]
                got = [self.sort_value(stored[k], sort_by) for k in keys]
                if got != expected:
                    problems.append(f"{heading} {direction}: {got} != {expected}")
        unsortable = [
            heading
            for heading in page.headers
            if heading and heading not in page.sort_links
        ]
        if unsortable:
            problems.append(f"columns that cannot be sorted: {unsortable}")
        assert not problems, "; ".join(problems)

    # filters

    def expected_rows(self, params: dict[str, str]) -> set[str] | None:
        stored = self.db()
        table_columns = facts.columns_by_attr(self.model)
        rels = facts.relationships(self.model)
        keep = set(stored)
        for name, value in params.items():
            if name in ("search", "sortBy", "sort", "page", "pageSize") or not value:
                continue
            base, _, suffix = name.partition("__")
            if base in table_columns:
                column = table_columns[base]
                for key, obj in stored.items():
                    stored_value = facts.comparable(
                        self.model, column, getattr(obj, base)
                    )
                    if suffix == "isnull":
                        empty = (
                            stored_value is None
                            or (self.kind(column) == "list" and stored_value == [])
                            or (
                                self.kind(column) in ("text", "longtext")
                                and stored_value == ""
                            )
                        )
                        ok = empty == (value == "true")
                    elif suffix in ("gte", "lte"):
                        bound = facts.parse_like(self.model, column, value)
                        ok = stored_value is not None and (
                            stored_value >= bound
                            if suffix == "gte"
                            else stored_value <= bound
                        )
                    elif suffix:
                        return None
                    else:
                        ok = stored_value is not None and (
                            facts.query_text(getattr(obj, base)) == value
                        )
                    if not ok:
                        keep.discard(key)
            elif name in rels:
                for key, obj in stored.items():
                    related = getattr(obj, name)
                    items = related if isinstance(related, list) else [related]
                    if not any(
                        i is not None and facts.identifier(i) == value for i in items
                    ):
                        keep.discard(key)
            else:
                return None
        return keep

    def range_text(self, column, field: FormField, upper: bool) -> str | None:  # type: ignore[no-untyped-def]
        values = sorted(
            v
            for v in (
                facts.comparable(self.model, column, getattr(o, facts.attr(column)))
                for o in self.db().values()
            )
            if v is not None
        )
        if not values:
            return None
        value = values[len(values) // 2]
        if isinstance(value, datetime):
            value = (
                value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
            )
            if upper and value.microsecond:
                value += timedelta(seconds=1)
            return value.replace(microsecond=0).isoformat()
        return facts.query_text(value)

    def attempts(self, panel) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
        found = []
        for href in panel.links[:6]:
            params = dict(parse_qsl(urlsplit(href).query))
            params.pop("page", None)
            params.pop("pageSize", None)
            found.append(params)
        kept = {f.name: f.value for f in panel.fields if f.type == "hidden"}
        kept.pop("pageSize", None)
        for field in panel.fields:
            if field.type == "hidden" or field.type == "submit":
                continue
            if field.tag == "select":
                for value in option_values(field)[:4]:
                    found.append({**kept, field.name: value})
                continue
            base, _, suffix = field.name.partition("__")
            column = facts.columns_by_attr(self.model).get(base)
            if column is None:
                continue
            value = self.range_text(column, field, upper=suffix == "lte")
            if value is not None:
                found.append({**kept, field.name: value})
        return found

    def step_filters(self) -> None:
        html = self.client.get(f"{self.base}/list").text
        panel = filter_panel(html)
        parameters = {p.parameter for p in panel}
        problems = []
        for column in self.columns():
            found_kind = self.kind(column)
            if found_kind == "choice" and facts.attr(column) not in parameters:
                problems.append(f"no choice filter for {facts.attr(column)}")
            if column.foreign_keys and not self.names_of(column) & {
                norm(p) for p in parameters
            }:
                problems.append(f"no related-row filter for {facts.attr(column)}")
            if found_kind == "int" and not column.foreign_keys:
                steps = {
                    f.step
                    for p in panel
                    for f in p.fields
                    if f.name.startswith(facts.attr(column) + "__")
                }
                if steps and steps != {"1"}:
                    problems.append(
                        f"{facts.attr(column)} range filter has step {steps}"
                    )
        for filter_ in panel:
            for params in self.attempts(filter_):
                query = urlencode(params)
                response = self.client.get(f"{self.base}/list?pageSize=100&{query}")
                if response.status_code != 200:
                    problems.append(
                        f"?{query}: {response.status_code} {text(response.text)[:120]}"
                    )
                    continue
                keys = {row.key for row in list_page(response.text).rows}
                expected = self.expected_rows(params)
                if expected is not None and keys != expected:
                    problems.append(
                        f"?{query} lists {sorted(keys)}, the database holds "
                        f"{sorted(expected)}"
                    )
        assert not problems, "; ".join(problems[:8])

    def step_details(self) -> None:
        stored = self.db()
        problems = []
        for key, obj in list(stored.items())[:4]:
            response = self.client.get(f"{self.base}/details/{key_url(key)}")
            if response.status_code != 200:
                problems.append(f"{key}: details answered {response.status_code}")
                continue
            shown_rows = {
                norm(label): value for label, value in details(response.text).items()
            }
            for column in self.columns():
                value = getattr(obj, facts.attr(column))
                names = self.names_of(column)
                if self.kind(column) == "secret":
                    if names & set(shown_rows) or (value and value in response.text):
                        problems.append(
                            f"{key}: the secret {facts.attr(column)} is shown"
                        )
                    continue
                label = next((n for n in names if n in shown_rows), None)
                if label is None:
                    problems.append(f"{key}: {facts.attr(column)} is not shown")
                    continue
                cell = shown_rows[label]
                if column.foreign_keys and value is not None:
                    expected = self.target_label(column, value)
                    if expected not in cell:
                        problems.append(
                            f"{key}: {facts.attr(column)} shows {cell!r}, "
                            f"not {expected!r}"
                        )
                elif (
                    self.kind(column) in ("text", "longtext")
                    and value
                    and " ".join(value.split()) not in cell
                ):
                    problems.append(f"{key}: {facts.attr(column)} shows {cell!r}")
        assert not problems, "; ".join(problems[:8])

    def step_export(self) -> None:
        response = self.client.get(f"{self.base}/export/csv")
        assert response.status_code == 200, f"export: {response.status_code}"
        raw = response.text
        header, *cells = list(csv.reader(io.StringIO(raw)))
        stored = self.db()
        missing = [
            facts.attr(c)
            for c in self.columns()
            if self.kind(c) != "secret" and facts.attr(c) not in header
        ]
        assert not missing, f"the export has no column {missing} (header {header})"
        for column in self.secret_columns():
            assert facts.attr(column) not in header, (
                f"the export has {facts.attr(column)}"
            )
            assert not any(
                getattr(o, facts.attr(column)) in raw
                for o in stored.values()
                if getattr(o, facts.attr(column)) is not None
            ), f"the export holds a {facts.attr(column)}"
        keys = [header.index(facts.attr(c)) for c in facts.primary_key(self.model)]

        def unescape(value: str) -> str:
            return (
                value[1:]
                if value[:1] == "'" and value[1:2] in facts.FORMULA_START
                else value
            )

        by_key = {}
        for row in cells:
            parts = [unescape(row[i]) for i in keys]
            key = (
                parts[0]
                if len(parts) == 1
                else ";".join(
                    p.replace("\\", "\\\\").replace(";", r"\;") for p in parts
                )
            )
            by_key[key] = row
        assert sorted(by_key) == sorted(stored), "the export has other rows"
        wrong = []
        for key, obj in stored.items():
            row = by_key[key]
            for column in self.columns():
                if facts.attr(column) not in header:
                    continue
                cell = row[header.index(facts.attr(column))]
                value = getattr(obj, facts.attr(column))
                if not facts.cell_matches(self.model, column, value, cell):
                    wrong.append(f"{key}.{facts.attr(column)}: {cell!r} for {value!r}")
        for column in self.columns():
            if not column.foreign_keys or facts.attr(column) not in header:
                continue
            at = header.index(facts.attr(column))
            labels = {
                key: facts.safe_text(
                    self.target_label(column, getattr(obj, facts.attr(column)))
                )
                for key, obj in stored.items()
            }
            beside = [
                i
                for i in (at - 1, at + 1)
                if 0 <= i < len(header)
                and all(by_key[k][i] == labels[k] for k in stored)
            ]
            if not beside:
                wrong.append(
                    f"no column beside {facts.attr(column)} holds its row's label"
                )
        assert not wrong, "; ".join(wrong[:8])
