"""Read admin pages as a browser does: list rows and their links, the filter
panel, form fields with their options, the details table."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.pages import _browser_textarea


@dataclass
class ListRow:
    key: str  # the row's identifier, as the page's selection script reads it
    links: list[str] = field(default_factory=list)
    delete_url: str = ""
    cells: list[str] = field(default_factory=list)


@dataclass
class ListPage:
    headers: list[str]
    sort_links: dict[str, str]  # header text -> sortBy value
    rows: list[ListRow]

    def cell(self, row: ListRow, header: str) -> str:
        return row.cells[self.headers.index(header)]


class _ListParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = ListPage([], {}, [])
        self._depth = 0  # nesting of <table>: only the first table counts
        self._done = False
        self._in_head = False
        self._row: ListRow | None = None
        self._cell: list[str] | None = None
        self._column = 0
        self._header_href = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if self._done:
            return
        if tag == "table":
            self._depth += 1
            return
        if self._depth != 1:
            return
        if tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self._row = ListRow(key="")
            self._column = 0
        elif tag in ("td", "th"):
            self._cell = []
            self._header_href = ""
            self._column += 1
        elif tag == "input" and self._row is not None and a.get("type") == "hidden":
            if not self._row.key:
                self._row.key = a.get("value") or ""
        elif tag == "a":
            href = a.get("href") or ""
            if self._in_head:
                self._header_href = href
            elif self._row is not None:
                if a.get("data-bs-target") == "#modal-delete":
                    self._row.delete_url = a.get("data-url") or ""
                elif href and href != "#":
                    self._row.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self._done:
            return
        if tag == "table":
            self._depth -= 1
            if self._depth == 0:
                self._done = True
            return
        if self._depth != 1:
            return
        if tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_head:
                if self._column > 2:  # after the checkbox and the icons
                    self.page.headers.append(text)
                    sort_by = dict(parse_qsl(urlsplit(self._header_href).query)).get(
                        "sortBy"
                    )
                    if sort_by:
                        self.page.sort_links[text] = sort_by
            elif self._row is not None and self._column > 2:
                self._row.cells.append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.page.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def list_page(html: str) -> ListPage:
    parser = _ListParser()
    parser.feed(html)
    return parser.page


ENCODED_PATH = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$")


def is_encoded(href: str) -> bool:
    """Whether a link's path is percent-encoded as a URL must be: no raw space,
    `#`, `?`, non-ASCII letter, and `%` only in an escape."""
    return bool(ENCODED_PATH.match(urlsplit(href).path))


def path_key(href: str, route: str) -> str | None:
    """The key in a `/admin/<identity>/<route>/<key>` link, decoded."""
    path = urlsplit(href).path
    marker = f"/{route}/"
    if marker not in path:
        return None
    return unquote(path.split(marker, 1)[1])


@dataclass
class FormField:
    name: str
    tag: str  # input, select, textarea
    type: str = ""
    value: str = ""
    checked: bool = False
    multiple: bool = False
    step: str | None = None
    options: list[tuple[str, str, bool]] = field(default_factory=list)
    attrs: dict = field(default_factory=dict)


class _FieldParser(HTMLParser):
    """Every named field of the page's POST form (or of every form when
    `all_forms`), with its type, value and options."""

    def __init__(self, all_forms: bool = False) -> None:
        super().__init__()
        self.fields: list[FormField] = []
        self._all = all_forms
        self._in_form = all_forms
        self._select: FormField | None = None
        self._option: list[str] | None = None
        self._option_attrs: dict = {}
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and (self._all or (a.get("method") or "").upper() == "POST"):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            self.fields.append(
                FormField(
                    name=name,
                    tag="input",
                    type=a.get("type", "text"),
                    value=a.get("value") or "",
                    checked="checked" in a,
                    step=a.get("step"),
                    attrs=a,
                )
            )
        elif tag == "select" and name:
            self._select = FormField(
                name=name, tag="select", multiple="multiple" in a, attrs=a
            )
        elif tag == "option" and self._select is not None:
            self._option, self._option_attrs = [], a
        elif tag == "textarea" and name:
            self._textarea = FormField(name=name, tag="textarea", attrs=a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and not self._all:
            self._in_form = False
        elif tag == "option" and self._select is not None and self._option is not None:
            text = " ".join("".join(self._option).split())
            value = self._option_attrs.get("value")
            self._select.options.append(
                (
                    text if value is None else value,
                    text,
                    "selected" in self._option_attrs,
                )
            )
            self._option = None
        elif tag == "select" and self._select is not None:
            self.fields.append(self._select)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._textarea.value = _browser_textarea(self._textarea.value)
            self.fields.append(self._textarea)
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._textarea is not None:
            self._textarea.value += data


def form_fields(html: str) -> list[FormField]:
    parser = _FieldParser()
    parser.feed(html)
    return parser.fields


@dataclass
class PanelFilter:
    """One filter of the list page's filter panel."""

    parameter: str
    links: list[str] = field(default_factory=list)  # choices to click
    fields: list[FormField] = field(default_factory=list)  # a form to fill


class _PanelParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.filters: list[PanelFilter] = []
        self._current: PanelFilter | None = None
        self._tag = ""
        self._depth = 0
        self._html: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if self._current is None and "data-filter" in a:
            self._current = PanelFilter(a["data-filter"])
            self._tag, self._depth = tag, 1
            self._html = []
            return
        if self._current is None:
            return
        if tag == self._tag:
            self._depth += 1
        if tag == "a" and a.get("href"):
            self._current.links.append(a["href"])
        self._html.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        if self._current is None:
            return
        if tag == self._tag:
            self._depth -= 1
            if self._depth == 0:
                parser = _FieldParser(all_forms=True)
                parser.feed("".join(self._html))
                self._current.fields = parser.fields
                self.filters.append(self._current)
                self._current = None
                return
        self._html.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._html.append(data)


def filter_panel(html: str) -> list[PanelFilter]:
    parser = _PanelParser()
    parser.feed(html)
    return parser.filters


def details(html: str) -> dict[str, str]:
    """The details table: {label: value text}."""
    from tests.pages import table

    _headers, rows = table(html)
    return {row[0]: row[1] if len(row) > 1 else "" for row in rows}


class _DeleteLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("data-bs-target") == "#modal-delete" and a.get("data-url"):
            self.urls.append(a["data-url"])


def delete_urls(html: str) -> list[str]:
    """Where the page's delete buttons send their DELETE request."""
    parser = _DeleteLinks()
    parser.feed(html)
    return parser.urls


class _MainText(HTMLParser):
    """Visible text outside the navigation (the menu names every table)."""

    SKIPPED = ("script", "style", "aside", "header", "nav")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.SKIPPED:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def main_text(html: str) -> str:
    """The page's own text, whitespace folded, without the menu."""
    parser = _MainText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())
