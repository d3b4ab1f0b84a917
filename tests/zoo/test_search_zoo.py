"""A search whose term starts or ends with a word nearly every row holds
("Hero" in "Hero 12") finds exactly the rows containing the whole term, on
the list and in its export; on
PostgreSQL, once the table's statistics say so, the index is asked for the
rest of the term alone (`admin_app.model.text_search`)."""

import csv
import io

from sqlalchemy import event, text
from sqlmodel import select

from tests.pages import list_rows
from tests.zoo import fullstack, heroes


def test_a_term_with_a_common_word_finds_exactly_its_rows(heroes_site):
    with heroes_site.session() as session:
        session.add_all(
            heroes.Hero(name=f"Hero {n}", secret_name=f"Agent {n}") for n in range(300)
        )
        session.commit()
    postgres = heroes_site.engine.dialect.name == "postgresql"
    if postgres:
        with heroes_site.engine.begin() as connection:
            connection.execute(text("ANALYZE hero"))
    patterns: set[str] = set()

    def remember(conn, cursor, statement, parameters, context, many):
        values = parameters.values() if isinstance(parameters, dict) else parameters
        if "FROM hero" in statement and not many:
            patterns.update(v for v in values if isinstance(v, str))

    event.listen(heroes_site.engine, "before_cursor_execute", remember)
    try:
        for term, names in (
            ("Hero 12", {"Hero 12", *(f"Hero {n}" for n in range(120, 130))}),
            ("hero 29", {"Hero 29", *(f"Hero {n}" for n in range(290, 300))}),
            ("ero 25", {"Hero 25", *(f"Hero {n}" for n in range(250, 260))}),
            ("Dive Wilson", {"Deadpond"}),
            ("Hero", None),  # every one of the 300, and no other
        ):
            page = heroes_site.client.get(
                "/admin/hero/list", params={"search": term, "pageSize": 100}
            )
            found = {row["Name"] for row in list_rows(page.text)}
            count = page.text.count(f"of {300 if names is None else len(names)}")
            exported = heroes_site.client.get(
                "/admin/hero/export/csv", params={"search": term}
            )
            rows = list(csv.DictReader(io.StringIO(exported.text)))
            if names is None:
                assert len(found) == 100 and all(n.startswith("Hero ") for n in found)
                everyone = {f"Hero {n}" for n in range(300)}
                assert {row["name"] for row in rows} == everyone
            else:
                assert found == names == {row["name"] for row in rows}, term
            assert count, term
    finally:
        event.remove(heroes_site.engine, "before_cursor_execute", remember)
    assert "%Hero 12%" in patterns
    # the index is asked for " 12" alone on PostgreSQL; SQLite has no statistics
    assert ("% 12%" in patterns) is postgres
    assert ("% 29%" in patterns) is postgres
    assert "%Dive Wilson%" in patterns and "% Wilson%" not in patterns


def test_a_uuid_key_pasted_into_the_search_finds_its_row(fullstack_site):
    """Staff paste an item's id from a link or a log: the row it names is
    found (a UUID is no text column to search), in its list and export."""
    with fullstack_site.session() as session:
        item = session.exec(select(fullstack.Item)).first()
    for term in (str(item.id), f" {str(item.id).upper()} "):
        page = fullstack_site.client.get("/admin/item/list", params={"search": term})
        assert [row["Title"] for row in list_rows(page.text)] == [item.title]
        exported = fullstack_site.client.get(
            "/admin/item/export/csv", params={"search": term}
        ).text
        assert [r["id"] for r in csv.DictReader(io.StringIO(exported))] == [
            str(item.id)
        ]
    page = fullstack_site.client.get("/admin/item/list", params={"search": "08c588aa"})
    assert list_rows(page.text) == []  # a part of a key names no row
