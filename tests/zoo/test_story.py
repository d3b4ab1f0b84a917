"""One staff story on every table of every zoo module, on SQLite and PostgreSQL.

The story (see `story.Story`) lists, searches, sorts, filters, opens details,
creates, edits, saves unchanged, exports, bulk edits and reverts, and deletes
by every path, checking each against the model's own metadata.
"""

import importlib

import pytest

from tests.zoo import facts
from tests.zoo.conftest import ZOO
from tests.zoo.story import Story

CASES = [
    pytest.param(
        module, model.__name__, id=f"{module.rsplit('.', 1)[1]}-{model.__name__}"
    )
    for module in ZOO
    for model in facts.tables_of(importlib.import_module(module))
]


@pytest.mark.parametrize(("site", "table"), CASES, indirect=["site"])
def test_a_staff_users_day_on_every_table(site, table):
    model = getattr(importlib.import_module(site.module), table)
    Story(site, model).run()
