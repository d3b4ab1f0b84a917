"""Read pages the way a staff user does: tables, messages and form fields."""

import re
from html.parser import HTMLParser


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_head = False
        self._tables = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._tables += 1
        elif self._tables != 1:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
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
        if self._cell is not None:
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
