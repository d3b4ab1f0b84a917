"""The query parameters a list reads for itself, and the one a filter
reads where a column has the same name.

A list's own parameters (`page`, `sort`, `search`, ...) and its filters'
(`<column>=`, `<column>__gte=`, ...) share one query string. A table with a
column called `page` (a book's), `sort` (an ordering column) or `search`
had both read from one parameter: every page link past the first filtered
the rows by that column (page 2 of 60 rows listed none), and a sort was a
400 ("'desc' is not a whole number"). Such a column is filtered by
`<column>__exact=` (Django's form of it) instead; every other column keeps
`<column>=`.
"""

FACETS_PARAMETER = "_facets"
"""`_facets=0` hides the filter panel's counts, `_facets=1` shows them (as
Django's `_facets`); it chooses no rows, so exports and bulk edits ignore it."""
LIST_PARAMETERS = (
    "search",
    "sortBy",
    "sort",
    "pageSize",
    "pks",
    "select",
    "count",
    FACETS_PARAMETER,
)
"""The parameters a list understands besides its filters' (and `page`)."""
PAGING_PARAMETERS = ("page", "cursor")
_OWN = frozenset({*LIST_PARAMETERS, *PAGING_PARAMETERS})


def equality_parameter(name: str) -> str:
    """The parameter that filters a column or relationship `name` by an
    exact value: `name`, or `name__exact` where the list reads `name` for
    itself."""
    return f"{name}__exact" if name in _OWN else name
