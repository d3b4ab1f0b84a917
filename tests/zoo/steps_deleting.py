"""The delete paths (trash icon, bulk-delete page, details page), each checked
against what the foreign keys say deleting a row does to the rows that refer to it."""

import html
import re
from typing import Any
from urllib.parse import urlencode

from admin_app.model.keys import selection_text  # the admin's `pks` format
from tests.zoo import facts
from tests.zoo.browser import (
    delete_urls,
    main_text,
)
from tests.zoo.story_base import (
    StoryBase,
    audit_rows,
    entry_keys,
    key_url,
)


class DeletingSteps(StoryBase):
    def answer_text(self, response) -> str:  # type: ignore[no-untyped-def]
        """What the user reads after a delete: the page the trash icon's script
        navigates to (the answer is its URL), or the page answered."""
        if response.text.startswith(("http://", "https://", "/")):
            return main_text(self.client.get(response.text.strip()).text)
        return main_text(response.text)

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
        response = run()
        problems = []
        if response.status_code >= 500:
            return [f"{path}: {response.status_code}"]
        remaining = set(self.values())
        gone = [k for k in keys if k not in remaining]
        if blocked:
            if gone:
                problems.append(f"{path}: deleted {gone} although rows refer to them")
            for model, before in snapshots.items():
                if self.snapshot_of(model) != before:
                    problems.append(f"{path}: {model.__name__} rows changed")
            if [
                e
                for e in audit_rows(self.site)[audit_before:]
                if "delete" in e["action"]
            ]:
                problems.append(f"{path}: a refused delete wrote an audit entry")
            shown = self.answer_text(response).casefold()
            for ref, _rows in effects:
                if ref.rule == "block" and facts.words(ref.model.__name__) not in shown:
                    problems.append(
                        f"{path}: the refusal does not name the "
                        f"{facts.words(ref.model.__name__)} rows: {shown[-200:]!r}"
                    )
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
                    and current[key][facts.attr(ref.column)] is not None
                ):
                    problems.append(
                        f"{path}: {key}.{facts.attr(ref.column)} not emptied"
                    )
        return problems

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

        def trash():  # type: ignore[no-untyped-def]
            page = self.get_list()
            row = next((r for r in page.rows if r.key == trash_key), None)
            assert row is not None and row.delete_url, "no trash icon"
            return self.client.delete(row.delete_url)

        problems += self.check_deletion([trash_key], trash, "trash icon")

        bulk_keys = [k for k in order[1:3] if k in self.values()]
        query = urlencode({"pks": selection_text(bulk_keys)})
        effects = self.consequences(bulk_keys)
        with self.site.session() as session:
            objs = facts.by_identifier(session, self.model)
            labels = sorted(facts.label(objs[k]) for k in bulk_keys)

        def bulk_delete():  # type: ignore[no-untyped-def]
            page = self.client.get(f"{self.base}/bulk-delete?{query}")
            assert page.status_code == 200, f"bulk delete page: {page.status_code}"
            # each row it deletes, by its label, linked to its page
            listed = re.search(r'<ul id="delete-rows">(.*?)</ul>', page.text, re.S)
            link = r'<li><a href="[^"]*/details/[^"]*">(.*?)</a>'
            named = re.findall(link, listed[1] if listed else "")
            if sorted(html.unescape(n) for n in named) != labels:
                problems.append(f"bulk delete page names {named}, not {labels}")
            words = main_text(page.text).casefold()
            for ref, rows in effects:
                name = facts.words(ref.model.__name__)
                if name not in words or str(len(rows)) not in words:
                    problems.append(
                        f"bulk delete page does not say {len(rows)} {name}: "
                        f"{main_text(page.text)[:200]}"
                    )
                table = ref.model.__table__.name
                if table != name and table in words:
                    problems.append(f"bulk delete page names the table {table}")
            return self.client.post(
                f"{self.base}/bulk-delete?{query}", follow_redirects=False
            )

        problems += self.check_deletion(bulk_keys, bulk_delete, "bulk delete")

        details_key = next(k for k in reversed(order) if k in self.values())

        def details_delete():  # type: ignore[no-untyped-def]
            page = self.client.get(f"{self.base}/details/{key_url(details_key)}")
            assert page.status_code == 200, f"details page: {page.status_code}"
            urls = delete_urls(page.text)
            if urls:  # the modal's button, as on the list
                return self.client.delete(urls[0])
            found = re.search(r'href="([^"]*/bulk-delete\?[^"]*)"', page.text)
            assert found, "the details page has no delete button"
            link = html.unescape(found.group(1))  # a confirmation page: confirm it
            return self.client.post(link, follow_redirects=False)

        problems += self.check_deletion([details_key], details_delete, "details page")
        assert not problems, "; ".join(problems[:8])
