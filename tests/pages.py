"""Read pages the way a staff user does: tables, messages and form fields."""

import re
from html import unescape
from html.parser import HTMLParser
from typing import Any


class _TableParser(HTMLParser):
    """Cells as the user reads them: an input of an editable cell by its
    value, a select by its chosen option."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._tables = 0
        self._options: list[tuple[bool, list[str]]] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._tables += 1
        elif self._tables != 1:
            return
        a = dict(attrs)
        if self._cell is not None and tag == "select":
            self._options = []
        elif self._options is not None and tag == "option":
            self._options.append(("selected" in a, []))
        elif (
            self._cell is not None
            and tag == "input"
            and a.get("type", "text") not in ("hidden", "checkbox", "radio")
        ):
            self._cell.append(a.get("value") or "")
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._options is not None and self._cell is not None:
            chosen = [text for on, text in self._options if on] or [
                text for _, text in self._options[:1]
            ]
            self._cell.append("".join(chosen[0]) if chosen else "")
            self._options = None
        if tag == "table":
            self._tables -= 1
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            (self.headers.extend if self._in_head else self.rows.append)(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._options is not None:
            if self._options:
                self._options[-1][1].append(data)
        elif self._cell is not None:
            self._cell.append(data)


def table(html: str) -> tuple[list[str], list[list[str]]]:
    """Headers and rows (as cell texts) of the first table on the page."""
    parser = _TableParser()
    parser.feed(html)
    return parser.headers, parser.rows


def list_rows(html: str) -> list[dict[str, str]]:
    """A list page's rows as {column header: cell text}."""
    headers, rows = table(html)
    return [dict(zip(headers, row, strict=False)) for row in rows]


class _TextParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text(html: str) -> str:
    """The visible text of a page, whitespace folded."""
    parser = _TextParser()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def field_errors(html: str) -> list[str]:
    """The messages shown under form fields."""
    return [
        " ".join(m.split())
        for m in re.findall(r'invalid-feedback">(.*?)</div>', html, re.S)
    ]


class _FormParser(HTMLParser):
    """Collects what a browser would submit from the page's POST form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: list[tuple[str, str]] = []
        self._in_form = False
        self._select: str | None = None
        self._select_values: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._option: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").upper() == "POST":
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind == "submit":
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values.append((a["name"], a.get("value") or "y"))
                return
            self.values.append((a["name"], a.get("value") or ""))
        elif tag == "select" and a.get("name"):
            self._select, self._select_values = a["name"], []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._select_values.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            chosen = [v for v, selected in self._select_values if selected]
            if not chosen and not self._multiple and self._select_values:
                chosen = [self._select_values[0][0]]
            self.values += [(self._select, v) for v in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.values.append((self._textarea, _browser_textarea("".join(self._text))))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def form_values(html: str) -> list[tuple[str, str]]:
    """The (name, value) pairs a browser submits from the page's form as shown."""
    parser = _FormParser()
    parser.feed(html)
    return parser.values


def post_form(client: Any, url: str, pairs: list[tuple[str, str]], **kwargs: Any):  # type: ignore[no-untyped-def]
    """POST the (name, value) pairs a browser sends for a form (repeated
    names included) with its Save button; a redirect is not followed unless
    `follow_redirects=True`."""
    data: dict[str, list[str]] = {}
    for name, value in [*pairs, ("save", "Save")]:
        data.setdefault(name, []).append(value)
    kwargs.setdefault("follow_redirects", False)
    return client.post(url, data=data, **kwargs)


def _browser_textarea(text: str) -> str:
    """A textarea's value as a browser submits it: the first newline dropped,
    line breaks sent as CRLF."""
    text = text.removeprefix("\r\n").removeprefix("\n")
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def referring_sections(html: str) -> dict[str, dict]:
    """The page's sections of rows that point at its row, by id: heading,
    count, the rows named (label, link or None), the list link (address, words) and
    the address of the "Add" link."""
    found = {}
    for name, body in re.findall(
        r'<section class="[^"]*details-referring" aria-labelledby="referring-([^"]+)">'
        r"(.*?)</section>",
        html,
        re.S,
    ):
        heading = re.search(r"<h3[^>]*>\s*([^<]+?)\s*<span[^>]*>([^<]+)</span>", body)
        rows = re.findall(r'<li>(?:<a href="([^"]+)">)?([^<]*)(?:</a>)?</li>', body)
        listed = re.search(
            rf'<a href="([^"]+)" id="list-{re.escape(name)}">([^<]+)', body
        )
        added = re.search(rf'href="([^"]+)" id="add-{re.escape(name)}"', body)
        found[name] = {
            "title": unescape(heading.group(1)),
            "count": heading.group(2),
            "rows": [(unescape(label), href or None) for href, label in rows],
            "list": (unescape(listed.group(1)), listed.group(2)) if listed else None,
            "none": "None." in body,
            "add": unescape(added.group(1)) if added else None,
        }
    return found
