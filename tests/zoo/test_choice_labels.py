"""A choice is named alike on every page: the list's cell, the details page
and the filter panel say "Small" for `Size.small = "S"`, "Team plan" for
`Plan.team = "team_plan"`, "Low" for `Level.low = 1`, whatever kind of enum
declares it (SQLAdmin showed a plain enum's Python name on lists and
details, `home_garden`, `PENDING`, while filters and forms read its value)."""

import re

import pytest

from tests.pages import list_rows
from tests.test_facets import panel
from tests.zoo.browser import details
from tests.zoo.conftest import COLUMNS, LEGACY, serve

pytestmark = pytest.mark.postgres

# (module, table, column heading, filter parameter): the labels of its choices
CHOICES = [
    (COLUMNS, "zoo-sample", "Level", "level", {"Low", "Middle", "High"}),  # IntEnum
    (COLUMNS, "zoo-sample", "Colour", "colour", {"Red", "Green", "Deep blue"}),
    (COLUMNS, "zoo-sample", "Size", "size", {"Small", "Large"}),  # codes S, L
    (COLUMNS, "zoo-profile", "Plan", "plan", {"Free", "Team plan"}),  # str, Enum
    (COLUMNS, "zoo-profile", "Tier", "tier", {"Bronze", "Gold"}),  # codes B, G
    (LEGACY, "legacy-product", "Status", "status", {"Active", "Discontinued"}),
]


@pytest.mark.parametrize(
    ("module", "table", "heading", "parameter", "labels"),
    CHOICES,
    ids=[f"{c[1]}-{c[3]}" for c in CHOICES],
)
def test_a_choice_has_one_name_on_every_page(
    empty_database_url, module, table, heading, parameter, labels
):
    for site in serve(empty_database_url, module):
        page = site.client.get(f"/admin/{table}/list").text
        rows = list_rows(page)
        cells = {row[heading] for row in rows} - {""}
        assert cells and cells <= labels, cells
        assert set(panel(page, parameter)) <= labels | {"Empty"}
        assert set(panel(page, parameter)) & labels
        # the first row with a value, on its page
        link = re.findall(
            rf'href="(http://testserver/admin/{table}/details/[^"]+)"', page
        )
        shown = next(i for i, row in enumerate(rows) if row[heading])
        row_page = site.client.get(list(dict.fromkeys(link))[shown]).text
        assert details(row_page)[heading] == rows[shown][heading]
