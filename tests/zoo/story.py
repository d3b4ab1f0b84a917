"""A staff user's day on one table of a zoo module, every step driven by HTTP
and checked against what the model's metadata promises (see `facts`).

Each step is checked on its own: a failing step is recorded and the story goes
on, so one run names every shortcoming of the admin on that table.
"""

import csv
import io
import itertools
import json
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import pytest
from sqlalchemy import asc, desc, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased
from sqlmodel import SQLModel

from tests.pages import form_values, text
from tests.zoo import facts
from tests.zoo.browser import (
    FormField,
    ListPage,
    delete_urls,
    details,
    filter_panel,
    form_fields,
    list_page,
    path_key,
)
from tests.zoo.conftest import Site

SKIP = object()  # a value the step does not check (a generated key, a secret)
EMPTY_OPTIONS = ("", "__None")


def norm(heading: str) -> str:
    """A heading or name reduced for comparison: `Team id`, `team_id` and
    `Team` all read `team`."""
    found = facts.words(heading)
    return found.removesuffix(" id") if found != "id" else found


def audit_rows(site: Site) -> list[dict[str, Any]]:
    table = SQLModel.metadata.tables["admin_audit_entry"]
    with site.engine.connect() as connection:
        return [
            dict(row._mapping)
            for row in connection.execute(select(table).order_by(table.c.id))
        ]


def entry_keys(entry: dict[str, Any]) -> list[str]:
    return [unquote(k) for k in (entry["object_keys"] or "").split(",") if k]


def entry_changes(entry: dict[str, Any]) -> dict[str, Any]:
    return json.loads(entry["changes"] or "{}")


def key_url(key: str) -> str:
    return quote(key, safe="")


def option_values(field: FormField) -> list[str]:
    return [v for v, _label, _sel in field.options if v not in EMPTY_OPTIONS]


def shown(field: FormField) -> list[str]:
    """What a browser submits for a field as shown."""
    if field.tag == "select":
        chosen = [v for v, _label, selected in field.options if selected]
        if not chosen and not field.multiple and field.options:
            chosen = [field.options[0][0]]
        return chosen
    if field.type in ("checkbox", "radio"):
        return [field.value or "y"] if field.checked else []
    return [field.value]


class Story:
    def __init__(self, site: Site, model: type) -> None:
        import importlib

        self.site = site
        self.client = site.client
        self.model = model
        self.module = importlib.import_module(site.module)
        self.tables = facts.tables_of(self.module)
        self.identity = facts.identity(model)
        self.base = f"/admin/{self.identity}"
        self.failures: list[str] = []
        self.created: str | None = None

    # -- running ---------------------------------------------------------

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:  # record and go on with the next step
            frames = traceback.extract_tb(error.__traceback__)
            ours = [f for f in frames if f.filename == __file__]
            where = f"story line {ours[-1].lineno}" if ours else "?"
            if frames[-1].filename != __file__:  # raised by the admin (a 500)
                where += f", raised in {frames[-1].filename.rsplit('/', 2)[-2:]}"
                where += f" {frames[-1].name}"
            message = str(error).strip().splitlines()
            first = message[0][:400] if message else type(error).__name__
            self.failures.append(f"[{name}] {type(error).__name__}: {first} ({where})")

    def run(self) -> None:
        for name in (
            "list",
            "links",
            "search",
            "secrets",
            "sort",
            "filters",
            "details",
            "create",
            "edit",
            "unchanged save",
            "export",
            "bulk edit and revert",
            "delete",
        ):
            with self.step(name):
                getattr(self, "step_" + name.replace(" ", "_"))()
        if self.failures:
            pytest.fail(
                f"{self.identity}: {len(self.failures)} step(s) failed:\n"
                + "\n".join(self.failures),
                pytrace=False,
            )

    # -- helpers ---------------------------------------------------------

    def columns(self) -> list:
        return facts.columns(self.model)

    def kind(self, column) -> str:  # type: ignore[no-untyped-def]
        return facts.kind(self.model, column)

    def db(self) -> dict[str, Any]:
        with self.site.session() as session:
            found = facts.by_identifier(session, self.model)
            for row in found.values():  # related rows, for labels
                for rel in facts.relationships(self.model):
                    getattr(row, rel)
            return found

    def values(self) -> dict[str, dict[str, Any]]:
        with self.site.session() as session:
            snap = facts.snapshot(session, self.model)
        return {
            key: {
                c.key: facts.comparable(self.model, c, row[c.key])
                for c in self.columns()
            }
            for key, row in snap.items()
        }

    def get_list(self, query: str = "") -> ListPage:
        response = self.client.get(f"{self.base}/list?pageSize=100&{query}")
        assert response.status_code == 200, (
            f"GET list?{query} answered {response.status_code}: "
            f"{text(response.text)[:200]}"
        )
        page = list_page(response.text)
        assert len(page.rows) < 100, "the seeds should fit on one page"
        return page

    def names_of(self, column) -> set[str]:  # type: ignore[no-untyped-def]
        """The headings that may stand for a column: its own name, or the
        to-one relationship that shows it."""
        names = {norm(column.key)}
        rel = facts.to_one(self.model).get(column.key)
        if rel is not None:
            names.add(norm(rel.key))
        return names

    def target_label(self, column, value) -> str:  # type: ignore[no-untyped-def]
        target = facts.fk_target(column)
        if value is None or target is None:
            return ""
        model, key_column = target
        with self.site.session() as session:
            found = session.scalars(select(model).where(key_column == value)).first()
            return facts.label(found)

    def listed_columns(self) -> list:
        return [c for c in self.columns() if self.kind(c) not in ("secret", "longtext")]

    def secret_columns(self) -> list:
        return [c for c in self.columns() if self.kind(c) == "secret"]

    # -- steps -----------------------------------------------------------

    def step_list(self) -> None:
        page = self.get_list()
        headings = {norm(h): h for h in page.headers if h}
        missing = [
            c.key for c in self.listed_columns() if not self.names_of(c) & set(headings)
        ]
        assert not missing, f"columns not listed: {missing} (headers {page.headers})"
        hidden = [
            c.key
            for c in self.columns()
            if self.kind(c) in ("secret", "longtext") and norm(c.key) in headings
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
                value = getattr(obj, column.key)
                if column.foreign_keys:
                    expected = self.target_label(column, value)
                    if cell not in (expected, facts.query_text(value) if value else ""):
                        wrong.append(
                            f"{row.key}.{column.key}: {cell!r} not {expected!r}"
                        )
                    elif value is not None and cell != expected:
                        wrong.append(
                            f"{row.key}.{column.key}: shows the key {cell!r}, "
                            f"not the label {expected!r}"
                        )
                elif (
                    self.kind(column) == "text"
                    and value is not None
                    and cell != " ".join(str(value).split())
                ):
                    wrong.append(f"{row.key}.{column.key}: {cell!r} not {value!r}")
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
            if path_key(link, "details") != row.key:
                broken.append(f"{row.key}: link {link!r} names another key")
                continue
            response = self.client.get(link)
            if response.status_code != 200:
                broken.append(f"{row.key}: {link} answered {response.status_code}")
        assert not broken, "; ".join(broken)

    def step_search(self) -> None:
        stored = self.db()
        candidates = [
            (column, obj)
            for column in self.columns()
            if self.kind(column) in ("text", "longtext")
            and not column.foreign_keys
            and not column.primary_key
            for obj in stored.values()
            if getattr(obj, column.key)
        ]
        if not candidates:
            return
        column, obj = candidates[len(candidates) // 2]
        term = " ".join(str(getattr(obj, column.key)).split()[:2])
        page = self.get_list(urlencode({"search": term}))
        found = [row.key for row in page.rows]
        assert facts.identifier(obj) in found, (
            f"searching {term!r} ({column.key}) does not find {facts.identifier(obj)}"
        )
        for key in found:
            texts = facts.any_text(self.model, stored[key])
            assert any(term.casefold() in t.casefold() for t in texts), (
                f"searching {term!r} finds {key}, which does not hold it"
            )

    def step_secrets(self) -> None:
        secrets = self.secret_columns()
        if not secrets:
            return
        stored = self.db()
        for column in secrets:
            values = [getattr(o, column.key) for o in stored.values()]
            for term in ("$2b$", values[0]):
                page = self.get_list(urlencode({"search": term}))
                assert not page.rows, f"searching {term!r} finds rows by {column.key}"
        key = next(iter(stored))
        for route in ("details", "edit"):
            html = self.client.get(f"{self.base}/{route}/{key_url(key)}").text
            leaked = [v for v in values if v and v in html]
            assert not leaked, f"the {route} page shows a stored {column.key}"
        bulk = self.client.get(f"{self.base}/bulk-edit?{urlencode({'pks': key})}")
        offered = {f.value for f in form_fields(bulk.text) if f.name == "fields"}
        assert not offered & {c.key for c in secrets}, "a secret is bulk-editable"

    def db_order(self, sort_by: str, descending: bool) -> list[Any] | None:
        """The sort values in the database's own ORDER BY, or None when the
        database cannot order by it."""
        mapper_columns = self.model.__table__.columns
        keys = facts.primary_key(self.model)
        direction = desc if descending else asc
        if sort_by in mapper_columns:
            column = mapper_columns[sort_by]
            stmt = select(column).order_by(direction(column), *map(asc, keys))
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

    def sort_value(self, obj: Any, sort_by: str) -> Any:
        if sort_by in self.model.__table__.columns:
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
        table_columns = self.model.__table__.columns
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
                        ok = (stored_value is None) == (value == "true")
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
                facts.comparable(self.model, column, getattr(o, column.key))
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
            column = self.model.__table__.columns.get(base)
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
            if found_kind == "choice" and column.key not in parameters:
                problems.append(f"no choice filter for {column.key}")
            if column.foreign_keys and not self.names_of(column) & {
                norm(p) for p in parameters
            }:
                problems.append(f"no related-row filter for {column.key}")
            if found_kind == "int" and not column.foreign_keys:
                steps = {
                    f.step
                    for p in panel
                    for f in p.fields
                    if f.name.startswith(column.key + "__")
                }
                if steps and steps != {"1"}:
                    problems.append(f"{column.key} range filter has step {steps}")
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
                value = getattr(obj, column.key)
                names = self.names_of(column)
                if self.kind(column) == "secret":
                    if names & set(shown_rows) or (value and value in response.text):
                        problems.append(f"{key}: the secret {column.key} is shown")
                    continue
                label = next((n for n in names if n in shown_rows), None)
                if label is None:
                    problems.append(f"{key}: {column.key} is not shown")
                    continue
                cell = shown_rows[label]
                if column.foreign_keys and value is not None:
                    expected = self.target_label(column, value)
                    if expected not in cell:
                        problems.append(
                            f"{key}: {column.key} shows {cell!r}, not {expected!r}"
                        )
                elif (
                    self.kind(column) in ("text", "longtext")
                    and value
                    and " ".join(value.split()) not in cell
                ):
                    problems.append(f"{key}: {column.key} shows {cell!r}")
        assert not problems, "; ".join(problems[:8])

    # writing

    def fill(
        self, column, field: FormField, current: Any, tag: str
    ) -> tuple[list[str], Any]:  # type: ignore[no-untyped-def]
        """What to type into a column's field, and the value then stored."""
        found = self.kind(column)
        if field.tag == "select":
            options = option_values(field)
            assert options, f"the {field.name} select offers nothing"
            current_text = "" if current is None else facts.query_text(current)
            choice = next(
                (o for o in reversed(options) if o != current_text), options[-1]
            )
            return [choice], self.parsed(column, choice)
        if column.foreign_keys:
            target, key_column = facts.fk_target(column)
            with self.site.session() as session:
                keys = [getattr(r, key_column.key) for r in facts.rows(session, target)]
            choice = next((k for k in keys if k != current), keys[0])
            return [str(choice)], facts.comparable(self.model, column, choice)
        if found == "secret":
            return ["$2b$12$" + tag.ljust(53, "x")], SKIP
        if found == "bool":
            checked = not current if current is not None else True
            return ([field.value or "y"] if checked else []), checked
        if found == "choice":
            values = facts.choices(self.model, column)
            current_text = "" if current is None else facts.query_text(current)
            choice = next(v for v in reversed(values) if v != current_text)
            return [choice], self.parsed(column, choice)
        if found == "text":
            if facts.is_email(self.model, column):
                value = f"zoo.{tag}@example.com"
            elif column.primary_key:
                value = f"@{tag} %?#/ ké"
            else:
                value = f"Zoo {tag} {column.key}"
            limit = facts.max_length(self.model, column)
            value = value[:limit] if limit else value
            return [value], value
        if found == "longtext":
            value = f"Zoo {tag}\r\nsecond line"
            return [value], value
        if found == "int":
            low, high = facts.int_bounds(self.model, column)
            options = [v for v in (low + 1, high - 1, low, 42) if low <= v <= high]
            value = next(v for v in options if v != current)
            return [str(value)], value
        if found == "float":
            value = 2.5 if current != 2.5 else 3.75
            return [str(value)], value
        if found == "decimal":
            value = (
                Decimal("12.34") if current != Decimal("12.34") else Decimal("56.78")
            )
            return [str(value)], value
        if found == "date":
            value = (
                datetime(2026, 3, 4).date()
                if tag == "new"
                else datetime(2027, 4, 5).date()
            )
            return [value.isoformat()], value
        if found == "time":
            value = (
                datetime(2026, 1, 1, 9, 30).time()
                if tag == "new"
                else (datetime(2026, 1, 1, 10, 45).time())
            )
            return [value.strftime("%H:%M")], value
        if found in ("datetime", "aware"):
            value = (
                datetime(2026, 3, 4, 5, 6, 7)
                if tag == "new"
                else datetime(2027, 5, 6, 7, 8, 9)
            )
            expected = value.replace(tzinfo=UTC) if found == "aware" else value
            return [value.strftime("%Y-%m-%d %H:%M:%S")], expected
        if found == "uuid":
            if column.primary_key:
                return shown(field), SKIP
            value = uuid.uuid4()
            return [str(value)], value
        if found == "json":
            value = {"zoo": [1, 2], "tag": tag}
            return [json.dumps(value)], value
        return shown(field), SKIP  # bytes and others: as shown

    def parsed(self, column, text_value: str) -> Any:  # type: ignore[no-untyped-def]
        """A chosen option as the column stores it (an enum by value or name)."""
        type_ = facts.base_type(column.type)
        enum_class = getattr(type_, "enum_class", None)
        if enum_class is not None:
            for member in enum_class:
                if text_value in (str(member.value), member.name):
                    return member.value
        if facts.kind(self.model, column) == "choice":
            return text_value
        return facts.comparable(
            self.model, column, facts.parse_like(self.model, column, text_value)
        )

    def column_for(self, name: str):  # type: ignore[no-untyped-def]
        return self.model.__table__.columns.get(name)

    def typed_form(
        self, fields: list[FormField], current: dict[str, Any] | None, tag: str
    ) -> tuple[list[tuple[str, str]], dict[str, Any], dict[str, list[str]]]:
        """The form filled in: pairs to post, the stored values expected, and
        the alternatives of the key fields (to avoid an existing key)."""
        pairs: list[tuple[str, str]] = []
        expected: dict[str, Any] = {}
        alternatives: dict[str, list[str]] = {}
        to_one = {rel.key: rel for rel in facts.to_one(self.model).values()}
        for field in fields:
            if field.type in ("submit", "button"):
                continue
            column = self.column_for(field.name)
            rel = to_one.get(field.name)
            if field.type == "hidden" or (column is None and rel is None):
                pairs += [(field.name, v) for v in shown(field)]
                continue
            if rel is not None:
                local = [c for c in rel.local_columns]
                is_key = any(c.primary_key for c in local)
                if current is not None and is_key:
                    pairs += [(field.name, v) for v in shown(field)]
                    continue
                options = option_values(field) if field.tag == "select" else []
                if not options:
                    pairs += [(field.name, v) for v in shown(field)]
                    continue
                now = (
                    ""
                    if current is None
                    else facts.query_text(current.get(local[0].key))
                )
                choice = next((o for o in options if o != now), options[0])
                alternatives[field.name] = options
                pairs.append((field.name, choice))
                expected[local[0].key] = self.parsed(local[0], choice)
                continue
            if current is not None and column.primary_key:
                pairs += [(field.name, v) for v in shown(field)]
                continue
            values, stored = self.fill(
                column, field, None if current is None else current.get(column.key), tag
            )
            if column.primary_key and field.tag == "select":
                alternatives[field.name] = option_values(field)
            pairs += [(field.name, v) for v in values]
            if stored is not SKIP:
                expected[column.key] = stored
        return pairs, expected, alternatives

    def post(self, url: str, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        data: dict[str, list[str]] = {}
        for name, value in [*pairs, ("save", "Save")]:
            data.setdefault(name, []).append(value)
        return self.client.post(url, data=data, follow_redirects=False)

    def message_after(self, response) -> str:  # type: ignore[no-untyped-def]
        return text(self.client.get(response.headers["location"]).text)

    def avoid_existing_key(
        self,
        pairs: list[tuple[str, str]],
        expected: dict[str, Any],
        alternatives: dict[str, list[str]],
    ) -> list[tuple[str, str]]:
        """Pick key fields (selects of a link row) that name no existing row."""
        if not alternatives:
            return pairs
        existing = set(self.values())
        names = list(alternatives)
        keys = facts.primary_key(self.model)
        to_one = {rel.key: rel for rel in facts.to_one(self.model).values()}
        for combo in itertools.islice(
            itertools.product(*(alternatives[n] for n in names)), 200
        ):
            chosen = dict(zip(names, combo, strict=True))
            values = {}
            for name, value in chosen.items():
                column = (
                    next(iter(to_one[name].local_columns))
                    if name in to_one
                    else self.column_for(name)
                )
                values[column.key] = value
            key_parts = [values.get(k.key, "") for k in keys]
            if any(part == "" for part in key_parts):
                return pairs
            key = ";".join(
                p.replace("\\", "\\\\").replace(";", r"\;") for p in key_parts
            )
            if len(keys) == 1:
                key = key_parts[0]
            if key not in existing:
                for name, value in chosen.items():
                    column = (
                        next(iter(to_one[name].local_columns))
                        if name in to_one
                        else self.column_for(name)
                    )
                    expected[column.key] = self.parsed(column, value)
                return [(n, chosen.get(n, v)) for n, v in pairs]
        return pairs

    def step_create(self) -> None:
        response = self.client.get(f"{self.base}/create")
        assert response.status_code == 200, f"create form: {response.status_code}"
        fields = form_fields(response.text)
        names = {f.name for f in fields}
        to_one = facts.to_one(self.model)
        missing = [
            c.key
            for c in self.columns()
            if not facts.is_generated_key(c)
            and c.key not in names
            and not (c.key in to_one and to_one[c.key].key in names)
        ]
        assert not missing, f"the create form has no field for {missing}"
        pairs, expected, alternatives = self.typed_form(fields, None, "new")
        pairs = self.avoid_existing_key(pairs, expected, alternatives)
        before = set(self.values())
        audit_before = len(audit_rows(self.site))
        saved = self.post(f"{self.base}/create", pairs)
        assert saved.status_code == 302, (
            f"create answered {saved.status_code}: {text(saved.text)[:300]}"
        )
        after = self.values()
        new = set(after) - before
        assert len(new) == 1, f"create made {len(new)} rows"
        self.created = key = new.pop()
        wrong = {
            name: (after[key][name], value)
            for name, value in expected.items()
            if not self.same(name, after[key][name], value)
        }
        assert not wrong, f"stored (got, typed): {wrong}"
        entries = audit_rows(self.site)[audit_before:]
        assert [e["action"] for e in entries] == ["create"], "no create entry"
        assert key in entry_keys(entries[0]), "the entry does not name the new row"
        self.check_no_secret(entries[0])

    def same(self, name: str, got: Any, typed: Any) -> bool:
        if isinstance(got, str) and isinstance(typed, str):
            return got.replace("\r\n", "\n") == typed.replace("\r\n", "\n")
        if isinstance(typed, datetime) and isinstance(got, datetime):
            column = self.column_for(name)
            if facts.kind(self.model, column) == "aware":
                return facts.as_utc(got) == facts.as_utc(typed)
        return got == typed

    def check_no_secret(self, entry: dict[str, Any]) -> None:
        for column in self.secret_columns():
            assert column.key not in entry_changes(entry), (
                f"the audit entry records {column.key}"
            )
            assert "$2b$" not in entry["changes"], "the audit entry holds a hash"

    def step_edit(self) -> None:
        stored = self.values()
        key = self.created or next(iter(stored))
        url = f"{self.base}/edit/{key_url(key)}"
        response = self.client.get(url)
        assert response.status_code == 200, f"edit form: {response.status_code}"
        pairs, expected, _alternatives = self.typed_form(
            form_fields(response.text), stored[key], "edited"
        )
        audit_before = len(audit_rows(self.site))
        saved = self.post(url, pairs)
        assert saved.status_code == 302, (
            f"edit answered {saved.status_code}: {text(saved.text)[:300]}"
        )
        after = self.values()[key]
        wrong = {
            name: (after[name], value)
            for name, value in expected.items()
            if not self.same(name, after[name], value)
        }
        assert not wrong, f"stored (got, typed): {wrong}"
        for column in self.columns():
            if column.key not in expected:
                assert after[column.key] == stored[key][column.key], (
                    f"{column.key} changed without being typed"
                )
        changed = {n for n, v in expected.items() if stored[key][n] != after[n]}
        entries = audit_rows(self.site)[audit_before:]
        if not changed:  # a link row's keys only: nothing to change
            assert not entries, "an entry for a save that changed nothing"
            return
        assert [e["action"] for e in entries] == ["edit"], "no edit entry"
        recorded = set(entry_changes(entries[0]))
        assert changed <= recorded, f"the entry misses {changed - recorded}"
        self.check_no_secret(entries[0])

    def step_unchanged_save(self) -> None:
        before = self.values()
        audit_before = len(audit_rows(self.site))
        problems = []
        for key in before:
            url = f"{self.base}/edit/{key_url(key)}"
            page = self.client.get(url)
            if page.status_code != 200:
                problems.append(f"{key}: edit form {page.status_code}")
                continue
            saved = self.post(url, form_values(page.text))
            if saved.status_code != 302:
                problems.append(f"{key}: {saved.status_code} {text(saved.text)[:150]}")
                continue
            if "No changes" not in self.message_after(saved):
                problems.append(f"{key}: the message does not say no changes")
        after = self.values()
        for key, row in before.items():
            changed = {
                name: (value, after.get(key, {}).get(name))
                for name, value in row.items()
                if after.get(key, {}).get(name) != value
            }
            if changed:
                problems.append(f"{key}: saved unchanged, changed {changed}")
        entries = [e for e in audit_rows(self.site)[audit_before:] if entry_changes(e)]
        if entries:
            problems.append(f"{len(entries)} audit entries for unchanged saves")
        assert not problems, "; ".join(problems[:6])

    def step_export(self) -> None:
        response = self.client.get(f"{self.base}/export/csv")
        assert response.status_code == 200, f"export: {response.status_code}"
        raw = response.text
        header, *cells = list(csv.reader(io.StringIO(raw)))
        stored = self.db()
        missing = [
            c.key
            for c in self.columns()
            if self.kind(c) != "secret" and c.key not in header
        ]
        assert not missing, f"the export has no column {missing} (header {header})"
        for column in self.secret_columns():
            assert column.key not in header, f"the export has {column.key}"
            assert not any(getattr(o, column.key) in raw for o in stored.values()), (
                f"the export holds a {column.key}"
            )
        keys = [header.index(c.key) for c in facts.primary_key(self.model)]

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
                if column.key not in header:
                    continue
                cell = row[header.index(column.key)]
                value = getattr(obj, column.key)
                if not facts.cell_matches(self.model, column, value, cell):
                    wrong.append(f"{key}.{column.key}: {cell!r} for {value!r}")
        for column in self.columns():
            if not column.foreign_keys or column.key not in header:
                continue
            at = header.index(column.key)
            labels = {
                key: facts.safe_text(
                    self.target_label(column, getattr(obj, column.key))
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
                wrong.append(f"no column beside {column.key} holds its row's label")
        assert not wrong, "; ".join(wrong[:8])

    def bulk_column(self):  # type: ignore[no-untyped-def]
        order = ("choice", "bool", "int", "text")
        candidates = [
            c
            for c in self.columns()
            if not c.primary_key
            and not c.foreign_keys
            and not c.unique
            and not facts.is_email(self.model, c)
            and self.kind(c) in order
        ]
        candidates.sort(key=lambda c: order.index(self.kind(c)))
        return candidates[0] if candidates else None

    def step_bulk_edit_and_revert(self) -> None:
        column = self.bulk_column()
        if column is None:
            return
        before = self.values()
        chosen = sorted(before)[:2]
        query = urlencode({"pks": ",".join(chosen)})
        page = self.client.get(f"{self.base}/bulk-edit?{query}")
        assert page.status_code == 200, f"bulk edit form: {page.status_code}"
        found = self.kind(column)
        data: dict[str, Any] = {"fields": column.key}
        if found == "bool":
            value = not before[chosen[0]][column.key]
            if value:
                data[column.key] = "y"
        elif found == "choice":
            values = facts.choices(self.model, column)
            text_value = next(
                v
                for v in values
                if v != facts.query_text(before[chosen[0]][column.key])
            )
            data[column.key], value = text_value, self.parsed(column, text_value)
        elif found == "int":
            low, high = facts.int_bounds(self.model, column)
            value = next(
                v
                for v in (low + 2, low + 1, high)
                if low <= v <= high and v != before[chosen[0]][column.key]
            )
            data[column.key] = str(value)
        else:
            value = "Bulk value"
            data[column.key] = value
        audit_before = len(audit_rows(self.site))
        response = self.client.post(
            f"{self.base}/bulk-edit?{query}", data=data, follow_redirects=False
        )
        assert response.status_code == 302, (
            f"bulk edit answered {response.status_code}: {text(response.text)[:300]}"
        )
        message = self.message_after(response)
        after = self.values()
        assert all(after[k][column.key] == value for k in chosen), (
            f"bulk edit of {column.key} did not store {value!r}"
        )
        assert all(after[k] == before[k] for k in before if k not in chosen), (
            "bulk edit changed other rows"
        )
        assert "updated" in message, f"no message says what changed: {message[:200]}"
        entries = audit_rows(self.site)[audit_before:]
        assert [e["action"] for e in entries] == ["bulk_edit"], "no bulk edit entry"
        assert sorted(entry_keys(entries[0])) == sorted(chosen), (
            "the entry names other rows"
        )
        reverted = self.client.post(
            f"/admin/audit-entry/revert/{entries[0]['id']}", follow_redirects=True
        )
        assert reverted.status_code == 200, f"revert: {reverted.status_code}"
        assert self.values() == before, (
            f"revert did not put the rows back: {text(reverted.text)[:200]}"
        )

    # deleting

    def consequences(self, keys: list[str]) -> list[tuple[facts.Reference, list[Any]]]:
        found = []
        with self.site.session() as session:
            objs = facts.by_identifier(session, self.model)
            for reference in facts.references_to(self.model, self.tables):
                referring = [
                    row
                    for key in keys
                    for row in facts.referring_rows(session, reference, objs[key])
                    if not (
                        reference.model is self.model and facts.identifier(row) in keys
                    )
                ]
                if referring:
                    found.append((reference, referring))
        return found

    def check_deletion(self, keys: list[str], run, path: str) -> list[str]:  # type: ignore[no-untyped-def]
        """Run one delete path on `keys` and check the outcome against the
        foreign keys' rules; return what went wrong."""
        effects = self.consequences(keys)
        blocked = any(ref.rule == "block" for ref, _rows in effects)
        snapshots = {ref.model: self.snapshot_of(ref.model) for ref, _rows in effects}
        audit_before = len(audit_rows(self.site))
        status = run()
        problems = []
        if status >= 500:
            return [f"{path}: {status}"]
        remaining = set(self.values())
        gone = [k for k in keys if k not in remaining]
        if blocked:
            if gone:
                problems.append(f"{path}: deleted {gone} although rows refer to them")
            for model, before in snapshots.items():
                if self.snapshot_of(model) != before:
                    problems.append(f"{path}: {model.__name__} rows changed")
            return problems
        either = any(ref.rule == "either" for ref, _rows in effects)
        if len(gone) != len(keys):
            if not (either and not gone):
                problems.append(f"{path}: {sorted(set(keys) - set(gone))} not deleted")
            return problems
        text_of_entries = " ".join(
            f"{e['object_keys']} {e['changes']}"
            for e in audit_rows(self.site)[audit_before:]
        )
        entries = [
            e
            for e in audit_rows(self.site)[audit_before:]
            if e["action"] in ("delete", "bulk_delete") and e["table"] == self.identity
        ]
        named = {k for e in entries for k in entry_keys(e)}
        if not set(keys) <= named:
            problems.append(f"{path}: no audit entry names {sorted(set(keys) - named)}")
        for ref, rows in effects:
            current = self.snapshot_of(ref.model)
            for row in rows:
                key = facts.identifier(row)
                if ref.rule in ("delete", "either") and key in current:
                    problems.append(f"{path}: {ref.model.__name__} {key} survived")
                if ref.rule == "delete" and key not in text_of_entries:
                    problems.append(
                        f"{path}: the audit does not record the removed "
                        f"{ref.model.__name__} {key}"
                    )
                if (
                    ref.rule == "empty"
                    and key in current
                    and current[key][ref.column.key] is not None
                ):
                    problems.append(f"{path}: {key}.{ref.column.key} not emptied")
        return problems

    def snapshot_of(self, model: type) -> dict[str, dict[str, Any]]:
        with self.site.session() as session:
            return facts.snapshot(session, model)

    def delete_order(self) -> list[str]:
        """Rows most referred to first (blocked, then with consequences), then
        rows nothing refers to."""
        keys = list(self.values())

        def weight(key: str) -> tuple[int, int]:
            effects = self.consequences([key])
            return (
                -int(any(r.rule == "block" for r, _ in effects)),
                -sum(len(rows) for _r, rows in effects),
            )

        return sorted(keys, key=weight)

    def step_delete(self) -> None:
        order = self.delete_order()
        assert len(order) >= 4, "the seeds should give four rows to delete"
        problems = []

        trash_key = order[0]

        def trash() -> int:
            page = self.get_list()
            row = next((r for r in page.rows if r.key == trash_key), None)
            assert row is not None and row.delete_url, "no trash icon"
            return self.client.delete(row.delete_url).status_code

        problems += self.check_deletion([trash_key], trash, "trash icon")

        bulk_keys = [k for k in order[1:3] if k in self.values()]
        query = urlencode({"pks": ",".join(bulk_keys)})
        effects = self.consequences(bulk_keys)

        def bulk_delete() -> int:
            page = self.client.get(f"{self.base}/bulk-delete?{query}")
            assert page.status_code == 200, f"bulk delete page: {page.status_code}"
            words = text(page.text).casefold()
            for ref, rows in effects:
                name = facts.words(ref.model.__name__)
                if name not in words or str(len(rows)) not in words:
                    problems.append(
                        f"bulk delete page does not say {len(rows)} {name}: "
                        f"{text(page.text)[:200]}"
                    )
                table = ref.model.__table__.name
                if table != name and table in words:
                    problems.append(f"bulk delete page names the table {table}")
            return self.client.post(
                f"{self.base}/bulk-delete?{query}", follow_redirects=False
            ).status_code

        problems += self.check_deletion(bulk_keys, bulk_delete, "bulk delete")

        details_key = next(k for k in reversed(order) if k in self.values())

        def details_delete() -> int:
            page = self.client.get(f"{self.base}/details/{key_url(details_key)}")
            assert page.status_code == 200, f"details page: {page.status_code}"
            urls = delete_urls(page.text)
            if urls:
                return self.client.delete(urls[0]).status_code
            link = (
                next(
                    (
                        h
                        for h in list_page(page.text).rows[0].links
                        if "bulk-delete" in h
                    ),
                    None,
                )
                if list_page(page.text).rows
                else None
            )
            assert link is not None, "the details page has no delete button"
            return self.client.post(link, follow_redirects=False).status_code

        problems += self.check_deletion([details_key], details_delete, "details page")
        assert not problems, "; ".join(problems[:8])
