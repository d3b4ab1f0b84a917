"""SQLAdmin's pagination for a page read by `admin_app.listing.paging`.

SQLAdmin's `Pagination` knows only an exact count and links pages by number;
this one also takes an estimated or capped count (a next page while rows
remain, numbered pages ahead only when the total is exact) and gives its
links cursors, so that following them reads no rows before the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqladmin.pagination import PageControl, Pagination
from starlette.datastructures import URL

from admin_app.listing.counts import RowCount
from admin_app.listing.paging import PageRead

PAGES_AROUND = 3
"""Numbered page links on each side of the current page."""


@dataclass
class ListPagination(Pagination):
    read: PageRead | None = field(default=None, repr=False)

    @classmethod
    def of(cls, read: PageRead) -> ListPagination:
        return cls(
            rows=read.rows,
            page=read.page,
            page_size=read.page_size,
            count=read.total,
            read=read,
        )

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError("page_size must be greater than 0")
        self.page = max(self.page, 1)  # the page was read as it is: no clamping

    @property
    def total(self) -> RowCount:
        count = self.count
        return count if isinstance(count, RowCount) else RowCount(count)

    @property
    def has_next(self) -> bool:
        return self.read.has_next if self.read is not None else super().has_next

    def add_pagination_urls(self, base_url: URL) -> None:
        """Links to the first page, up to three pages each side (ahead only as
        far as rows are known to exist), and the last page when the total is
        exact; each carries the cursor that starts its page."""
        base = base_url.remove_query_params(["cursor", "page"])
        wanted = set(range(max(1, self.page - PAGES_AROUND), self.page + 1))
        wanted.add(1)
        if self.has_next:
            wanted.add(self.page + 1)
        if self.total.exact:
            last = self.max_page(int(self.total), self.page_size)
            wanted |= set(range(self.page + 1, min(last, self.page + PAGES_AROUND) + 1))
            wanted.add(last)
        for number in sorted(wanted):
            self.page_controls.append(PageControl(number, self._url(base, number)))

    def _url(self, base: URL, number: int) -> str:
        if number == self.page:
            return str(base.include_query_params(page=number))
        cursor = self.read.link_cursor(number) if self.read is not None else None
        if number == 1:
            return str(base)
        if cursor is None:
            return str(base.include_query_params(page=number))
        return str(base.include_query_params(page=number, cursor=cursor))
