"""The steps that write through forms: create, edit, an unchanged save, and a
bulk edit with its revert, each checked in the database and the audit log."""

import itertools
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, get_args, get_origin
from urllib.parse import urlencode

from admin_app.model.keys import selection_text  # the admin's `pks` format
from admin_app.site.views import AdminView
from tests.pages import field_errors, form_values, text
from tests.zoo import facts
from tests.zoo.browser import (
    FormField,
    form_fields,
)
from tests.zoo.story_base import (
    SKIP,
    StoryBase,
    audit_rows,
    entry_changes,
    entry_keys,
    key_url,
    option_values,
    shown,
)


@contextmanager
def search_as_you_type() -> Iterator[None]:
    """Every related table counted as large: each form searches it as you
    type (SQLAdmin's select2 AJAX select) instead of listing its rows."""
    kept = AdminView.small_table_rows
    AdminView.small_table_rows = 0
    try:
        yield
    finally:
        AdminView.small_table_rows = kept


class WritingSteps(StoryBase):
    # writing

    def fill(
        self, column, field: FormField, current: Any, tag: str
    ) -> tuple[list[str], Any]:  # type: ignore[no-untyped-def]
        """What to type into a column's field, and the value then stored."""
        found = self.kind(column)
        if found == "list":  # a tags input: each item typed, sent as one value
            annotation = facts.annotation(self.model, facts.attr(column))
            if get_args(annotation) == (int,):  # `list[int] | None`
                return ["7", "42", "7"], [7, 42, 7]
            return ["zoo", tag], ["zoo", tag]
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
                keys = [
                    getattr(r, facts.attr(key_column))
                    for r in facts.rows(session, target)
                ]
            choice = next((k for k in keys if k != current), keys[0])
            return [str(choice)], facts.comparable(self.model, column, choice)
        if found == "secret":
            if current is not None:  # left empty on an edit: the stored one stays
                return shown(field), current
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
            value = facts.typed_text(self.model, column, tag)
            if value is not None:
                return [value], value
            if column.primary_key:
                value = f"@{tag} %?#/ ké"
            else:
                value = f"Zoo {tag} {facts.attr(column)}"
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
        if found == "duration":
            value = (
                timedelta(hours=2, minutes=15)
                if tag == "new"
                else timedelta(days=1, minutes=5)
            )
            return [str(value)], value
        if found == "time":
            value = (
                datetime(2026, 1, 1, 9, 30).time()
                if tag == "new"
                else (datetime(2026, 1, 1, 10, 45).time())
            )
            if field.step not in (None, "", "60"):  # the input shows seconds
                value = value.replace(second=15)
                return [value.strftime("%H:%M:%S")], value
            return [value.strftime("%H:%M")], value
        if found in ("datetime", "aware"):
            value = (
                datetime(2026, 3, 4, 5, 6, 7)
                if tag == "new"
                else datetime(2027, 5, 6, 7, 8, 9)
            )
            expected = value.replace(tzinfo=UTC) if found == "aware" else value
            if field.type == "datetime-local":  # as a browser sends it
                return [value.strftime("%Y-%m-%dT%H:%M:%S")], expected
            return [value.strftime("%Y-%m-%d %H:%M:%S")], expected
        if found == "uuid":
            if column.primary_key:
                return shown(field), SKIP
            value = uuid.uuid4()
            return [str(value)], value
        if found == "json":
            annotation = self.model.model_fields[facts.attr(column)].annotation
            if _is_list(annotation):  # `list[str]`, `list[str] | None`
                value = ["zoo", tag]
            else:
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
        if facts.kind(self.model, column) == "bool":
            return text_value.lower() in ("true", "1", "y", "yes", "on")
        return facts.comparable(
            self.model, column, facts.parse_like(self.model, column, text_value)
        )

    def column_for(self, name: str):  # type: ignore[no-untyped-def]
        return facts.columns_by_attr(self.model).get(name)

    def typed_form(
        self, fields: list[FormField], current: dict[str, Any] | None, tag: str
    ) -> tuple[list[tuple[str, str]], dict[str, Any], dict[str, list[str]]]:
        """The form filled in: pairs to post, the stored values expected, and
        the alternatives of the key fields (to avoid an existing key)."""
        pairs: list[tuple[str, str]] = []
        expected: dict[str, Any] = {}
        alternatives: dict[str, list[str]] = {}
        to_one = {rel.key: rel for rel in facts.to_one(self.model).values()}
        password: list[str] = []  # typed into the last password box
        for field in fields:
            if field.type in ("submit", "button"):
                continue
            column = self.column_for(field.name)
            rel = to_one.get(field.name)
            if field.type == "password" and column is None:  # "Password again"
                pairs += [(field.name, v) for v in password]
                continue
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
                    else facts.query_text(current.get(facts.attr(local[0])))
                )
                choice = next((o for o in options if o != now), options[0])
                alternatives[field.name] = options
                pairs.append((field.name, choice))
                expected[facts.attr(local[0])] = self.parsed(local[0], choice)
                continue
            if current is not None and column.primary_key:
                pairs += [(field.name, v) for v in shown(field)]
                continue
            values, stored = self.fill(
                column,
                field,
                None if current is None else current.get(facts.attr(column)),
                tag,
            )
            if column.primary_key and field.tag == "select":
                alternatives[field.name] = option_values(field)
            pairs += [(field.name, v) for v in values]
            if field.type == "password":
                password = values
            if stored is not SKIP:
                expected[facts.attr(column)] = stored
        return pairs, expected, alternatives

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
                values[facts.attr(column)] = value
            key_parts = [values.get(facts.attr(k), "") for k in keys]
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
                    expected[facts.attr(column)] = self.parsed(column, value)
                return [(n, chosen.get(n, v)) for n, v in pairs]
        return pairs

    def step_create(self) -> None:
        response = self.client.get(f"{self.base}/create")
        assert response.status_code == 200, f"create form: {response.status_code}"
        fields = form_fields(response.text)
        names = {f.name for f in fields}
        to_one = facts.to_one(self.model)
        missing = [
            facts.attr(c)
            for c in self.columns()
            if not facts.is_generated_key(c)
            and c.computed is None
            and facts.attr(c) not in names
            and not (facts.attr(c) in to_one and to_one[facts.attr(c)].key in names)
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
        recorded = set(entry_changes(entries[0]))
        typed = {n for n in expected if not facts.is_secret(n)}
        assert typed <= recorded, f"the create entry misses {typed - recorded}"
        self.check_no_secret(entries[0])

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
            if facts.attr(column) not in expected and column.computed is None:
                assert after[facts.attr(column)] == stored[key][facts.attr(column)], (
                    f"{facts.attr(column)} changed without being typed"
                )
        changed = {n for n, v in expected.items() if stored[key][n] != after[n]}
        entries = audit_rows(self.site)[audit_before:]
        if not changed:  # a link row's keys only: nothing to change
            assert not entries, "an entry for a save that changed nothing"
            return
        self.check_named_as_on_the_form(response.text, changed, saved)
        assert [e["action"] for e in entries] == ["edit"], "no edit entry"
        recorded = set(entry_changes(entries[0]))
        assert changed <= recorded, f"the entry misses {changed - recorded}"
        self.check_no_secret(entries[0])

    def check_named_as_on_the_form(self, form: str, changed: set[str], saved) -> None:  # type: ignore[no-untyped-def]
        """The saved message names each changed column by the label of the
        form field that set it ("owner", not "owner id")."""
        labels = {
            field: re.sub(r"<[^>]+>", "", label).strip()
            for field, label in re.findall(
                r'<label[^>]*for="([^"]+)"[^>]*>(.*?)</label>', form, re.S
            )
        }
        by_column = {
            facts.attr(column): rel.key
            for rel in facts.to_one(self.model).values()
            for column in rel.local_columns
        }
        found = re.search(r"saved \((.*) changed\)", self.message_after(saved))
        assert found, "the message does not name the changed fields"
        named = found.group(1).split(", ")
        for column in changed:
            label = labels.get(by_column.get(column, column))
            if label is not None:
                assert label.lower() in named, f"{column}: {label!r} not in {named}"

    def step_unchanged_save(self) -> None:
        self.save_each_unchanged()
        # Every related table searched as you type: a form posted as the page
        # has it (no script) must keep each related row it shows.
        with search_as_you_type():
            self.save_each_unchanged()

    def save_each_unchanged(self) -> None:
        before = self.values()
        every_table = self.every_table()
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
                shown = field_errors(saved.text) or text(saved.text)[:150]
                problems.append(f"{key}: {saved.status_code} {shown}")
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
        if not problems and self.every_table() != every_table:
            problems.append("another table changed (links to other rows?)")
        entries = [e for e in audit_rows(self.site)[audit_before:] if entry_changes(e)]
        if entries:
            problems.append(f"{len(entries)} audit entries for unchanged saves")
        assert not problems, "; ".join(problems[:6])

    def every_table(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Every row of every table of the module, links included."""
        with self.site.session() as session:
            return {t.__name__: facts.snapshot(session, t) for t in self.tables}

    def bulk_column(self):  # type: ignore[no-untyped-def]
        order = ("choice", "bool", "int", "text")
        candidates = [
            c
            for c in self.columns()
            if not c.primary_key
            and not c.foreign_keys
            and not c.unique
            and facts.typed_text(self.model, c, "") is None
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
        query = urlencode({"pks": selection_text(chosen)})
        page = self.client.get(f"{self.base}/bulk-edit?{query}")
        assert page.status_code == 200, f"bulk edit form: {page.status_code}"
        found = self.kind(column)
        data: dict[str, Any] = {"fields": facts.attr(column)}
        offered = next(
            (f for f in form_fields(page.text) if f.name == facts.attr(column)), None
        )
        if found == "bool":
            value = not before[chosen[0]][facts.attr(column)]
            if offered is not None and offered.tag == "select":  # may be unknown
                data[facts.attr(column)] = str(value)
            elif value:
                data[facts.attr(column)] = "y"
        elif found == "choice":
            values = (
                option_values(offered)
                if offered is not None and offered.tag == "select"
                else facts.choices(self.model, column)
            )
            now = before[chosen[0]][facts.attr(column)]
            text_value = next(v for v in values if self.parsed(column, v) != now)
            data[facts.attr(column)], value = (
                text_value,
                self.parsed(column, text_value),
            )
        elif found == "int":
            low, high = facts.int_bounds(self.model, column)
            value = next(
                v
                for v in (low + 2, low + 1, high)
                if low <= v <= high and v != before[chosen[0]][facts.attr(column)]
            )
            data[facts.attr(column)] = str(value)
        else:
            value = "Bulk value"
            data[facts.attr(column)] = value
        audit_before = len(audit_rows(self.site))
        response = self.client.post(
            f"{self.base}/bulk-edit?{query}", data=data, follow_redirects=False
        )
        assert response.status_code == 302, (
            f"bulk edit answered {response.status_code}: {text(response.text)[:300]}"
        )
        message = self.message_after(response)
        after = self.values()
        assert all(after[k][facts.attr(column)] == value for k in chosen), (
            f"bulk edit of {facts.attr(column)} did not store {value!r}"
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
        stamped = [facts.attr(c) for c in self.columns() if c.onupdate is not None]
        assert facts.without(self.values(), stamped) == facts.without(
            before, stamped
        ), f"revert did not put the rows back: {text(reverted.text)[:200]}"


def _is_list(annotation: Any) -> bool:
    """Whether a field's annotation is a list (alone or in a union)."""
    if list in (annotation, get_origin(annotation)):
        return True
    return any(_is_list(arg) for arg in get_args(annotation))
