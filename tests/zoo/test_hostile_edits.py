"""Hostile edits of every zoo table, on SQLite and PostgreSQL: the table's own
export with cells changed to values no parser expects, columns dropped, rows
doubled or shuffled (imported as CSV with either delimiter or as XLSX, and
confirmed where the preview offers it), and its forms and list links with
such values. No answer is a server error or shows a traceback or SQL; a
table an import changed still lists and exports.

The examples are drawn from a fixed seed, so every run sees the same ones.
(`tests/test_hostile_input.py` generates requests for the shipped models.)
"""

import csv
import html
import importlib
import io
import random
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from openpyxl import Workbook

from tests.pages import form_values, post_form
from tests.test_hostile_input import NASTY, assert_clean
from tests.zoo import facts
from tests.zoo.conftest import ZOO

EDITS = 12  # mutated files, forms and queries a table
VALUES = [
    *NASTY,
    *("-0", "1e309", "inf", "1,5", "0x10", "1_000", "$1,234.50", "50%", "(5)"),
    *("31/12/2026", "12/31/2026", "31.12.26", "2026-12-01T10:00:00+99:00"),
    *("23:59:60", "P1D", "-P1D", "[1,2", '{"a":', "null", "true", "FALSE"),
    *("00000000-0000-0000-0000-000000000000", "not-a-uuid", "=1+1", "'", "\x00"),
    *("x" * 5000, "😀", "Ã«", "  padded  ", "\n", "1;2", '"'),
]
JSON = {"Accept": "application/json"}


def _mutated(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    """The export's rows with one kind of edit a person or a program makes."""
    header, body = list(rows[0]), [list(r) for r in rows[1:]] or [[""] * len(rows[0])]
    kind = rng.randrange(6)
    if kind <= 2:  # cells changed, some to another row's value
        for _ in range(rng.randint(1, 4)):
            row, column = rng.choice(body), rng.randrange(len(header))
            other = rng.choice(body)
            row[column] = other[column] if rng.random() < 0.3 else rng.choice(VALUES)
    elif kind == 3:  # a row twice, the second maybe without its key
        body.append(list(rng.choice(body)))
        if rng.random() < 0.5:
            body[-1][0] = ""
    elif kind == 4:  # a column left out
        gone = rng.randrange(len(header))
        header, body = (
            header[:gone] + header[gone + 1 :],
            [r[:gone] + r[gone + 1 :] for r in body],
        )
    else:  # a row's cells shuffled
        rng.shuffle(rng.choice(body))
    return [header, *body]


def _file(rng: random.Random, rows: list[list[str]]) -> tuple[str, bytes]:
    if rng.random() < 0.25:
        book = Workbook()
        for row in rows:  # XLSX holds no control characters
            book.active.append(
                [re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in row]
            )
        out = io.BytesIO()
        book.save(out)
        return "edited.xlsx", out.getvalue()
    out = io.StringIO()
    csv.writer(out, delimiter=rng.choice([",", ";"])).writerows(rows)
    return "edited.csv", out.getvalue().encode()


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_mutated_exports_import_without_a_server_error_on_every_table(site):
    rng = random.Random(site.module)
    answered = set()
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        exported = site.client.get(f"/admin/{table}/export/csv").text
        rows = list(csv.reader(io.StringIO(exported)))
        for _ in range(EDITS):
            edited = _mutated(rng, rows)
            name, data = _file(rng, edited)
            form = {"key": rng.choice(edited[0])} if rng.random() < 0.15 else {}
            preview = site.client.post(
                f"/admin/{table}/import",
                files={"file": (name, data)},
                data=form,
                headers=JSON,
            )
            assert_clean(preview)
            answered.add(preview.status_code)
            token = preview.json().get("token") if preview.status_code == 200 else None
            if not token:
                continue
            confirmed = site.client.post(
                f"/admin/{table}/import/confirm",
                data={"token": token},
                follow_redirects=False,
            )
            assert_clean(confirmed)
            for page in ("list", "export/csv"):
                assert_clean(site.client.get(f"/admin/{table}/{page}"))
            exported = site.client.get(f"/admin/{table}/export/csv").text
            rows = list(csv.reader(io.StringIO(exported)))
    assert answered == {200, 400}, answered  # files previewed, and files refused


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_mutated_forms_and_list_links_never_fail_on_every_table(site):
    rng = random.Random(site.module)
    for model in facts.tables_of(importlib.import_module(site.module)):
        table = facts.identity(model)
        listed = site.client.get(f"/admin/{table}/list").text
        links = sorted(
            html.unescape(link)
            for link in set(re.findall(rf'href="([^"]*/{table}/list\?[^"]*)"', listed))
        )
        edits = re.findall(rf'href="[^"]*(/admin/{table}/edit/[^"]*)"', listed)
        for _ in range(EDITS):
            if links:  # a filter, sort or page link with one value changed
                query = parse_qsl(urlsplit(rng.choice(links)).query)
                if query:
                    at = rng.randrange(len(query))
                    query[at] = (query[at][0], rng.choice(VALUES))
                for page in ("list", "export/csv", "bulk-edit"):
                    url = f"/admin/{table}/{page}?{urlencode(query)}"
                    assert_clean(site.client.get(url))
            pages = [f"/admin/{table}/create"]
            pages += [html.unescape(rng.choice(edits))] if edits else []
            for url in pages:
                pairs = form_values(site.client.get(url).text)
                for _ in range(rng.randint(1, 3) if pairs else 0):
                    at = rng.randrange(len(pairs))
                    pairs[at] = (pairs[at][0], rng.choice(VALUES))
                assert_clean(post_form(site.client, url, pairs))
