"""`admin-app suggest-indexes` on other people's models: every statement it
prints is one the database takes."""

import pytest

from admin_app.listing.indexes import suggest_indexes
from tests.zoo.conftest import ZOO


@pytest.mark.parametrize("site", ZOO, indirect=True, ids=lambda m: m.rsplit(".")[-1])
def test_every_suggested_index_is_one_the_database_takes(site):
    """A JSON column's sort and empty filter were given a plain index, which
    PostgreSQL refuses for `json` ("has no default operator class for access
    method btree") and which serves neither, as both read its text."""
    views = [v for v in site.app.state.admin.views if hasattr(v, "field_specs")]
    statements = suggest_indexes(views, site.engine.dialect)
    assert any(s.startswith("CREATE INDEX") for s in statements)
    with site.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
