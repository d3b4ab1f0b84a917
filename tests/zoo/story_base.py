"""What every step of the staff story shares: the table under test, its rows
as the database holds them, and small readers of the admin's pages and audit log."""

import json
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import select
from sqlmodel import SQLModel

from tests.pages import post_form, text
from tests.zoo import facts
from tests.zoo.browser import (
    FormField,
    ListPage,
    list_page,
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


class StoryBase:
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
                facts.attr(c): facts.comparable(self.model, c, row[facts.attr(c)])
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
        names = {norm(facts.attr(column))}
        rel = facts.to_one(self.model).get(facts.attr(column))
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

    def post(self, url: str, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
        return post_form(self.client, url, pairs)

    def message_after(self, response) -> str:  # type: ignore[no-untyped-def]
        return text(self.client.get(response.headers["location"]).text)

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
            assert facts.attr(column) not in entry_changes(entry), (
                f"the audit entry records {facts.attr(column)}"
            )
            assert "$2b$" not in entry["changes"], "the audit entry holds a hash"

    def snapshot_of(self, model: type) -> dict[str, dict[str, Any]]:
        with self.site.session() as session:
            return facts.snapshot(session, model)
